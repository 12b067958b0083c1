//! The software pass: `[software]`'s source (Maven Central's layout, or Apache's archives for
//! versions without one), its mirror and checksum URLs, and pinned digests of the archives.

use std::collections::BTreeMap;
use std::ops::Range;

use super::{checked, keyword};
use crate::catalog;
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::{SoftwareSection, Str};
use crate::model::digest::Digest;
use crate::model::{HttpUrl, Software, SoftwareSource, Versions};

/// Checks `[software]` for the checked versions `v`; `versions_span` is where `[versions]`
/// was written, and Hive's layout matters only when the cluster `runs_hive`.
pub(super) fn check(
    section: &SoftwareSection,
    versions_span: &Range<usize>,
    v: &Versions,
    runs_hive: bool,
    sink: &mut Sink,
) -> Option<Software> {
    let SoftwareSection { source: written_source, mirror, checksums, digests: pins } = section;
    let source = keyword(
        sink,
        "software.source",
        written_source.as_ref(),
        &[("maven", SoftwareSource::Maven), ("apache", SoftwareSource::Apache)],
        "software source",
        "use \"maven\" (laid out from Maven Central) or \"apache\" (Apache's release archives)",
    );
    if source == Some(SoftwareSource::Maven) {
        let span = written_source.as_ref().map_or(versions_span.clone(), |s| s.span.clone());
        let mut lacking = Vec::new();
        if !v.zookeeper.maven_layout() {
            lacking.push(format!("ZooKeeper {}", v.zookeeper.version));
        }
        if runs_hive && !v.hive.maven_layout() {
            lacking.push(format!("Hive {}", v.hive.version));
        }
        if !lacking.is_empty() {
            sink.push(
                Diagnostic::new(
                    if written_source.is_some() { "software.source" } else { "versions" },
                    span,
                    format!("{} cannot be laid out from Maven Central", lacking.join(" and ")),
                )
                .hint("set source = \"apache\" in [software] to download Apache's release archives"),
            );
        }
    }
    let mut url = |key: &str, value: Option<&Str>| -> Option<HttpUrl> {
        match value {
            None => Some(HttpUrl::from(catalog::APACHE_ARCHIVE)),
            Some(u) => {
                checked(sink, format!("software.{key}"), u, &format!("e.g. \"{}\"", catalog::APACHE_ARCHIVE), |s| {
                    HttpUrl::parse(s, true)
                })
            }
        }
    };
    let mirror = url("mirror", mirror.as_ref());
    let checksums = url("checksums", checksums.as_ref());
    let archives: Vec<String> = [
        (catalog::Product::Hadoop, v.hadoop.version),
        (catalog::Product::Zookeeper, v.zookeeper.version),
        (catalog::Product::Hive, v.hive.version),
        (catalog::Product::Nifi, v.nifi.version),
    ]
    .iter()
    .map(|(p, ver)| catalog::apache_release(*p, ver).file_name().to_string())
    .collect();
    let mut digests = BTreeMap::new();
    let mut ok = true;
    for (k, d) in pins {
        let key = format!("software.digests.\"{}\"", k.value);
        if !archives.contains(&k.value) {
            ok = false;
            sink.push(
                Diagnostic::new(key, k.span.clone(), format!("\"{}\" is not an archive of this inventory", k.value))
                    .hint(format!("pin one of: {}", archives.join(", "))),
            );
        } else if let Some(pin) = Digest::parse_pin(&d.value) {
            digests.insert(k.value.clone(), pin);
        } else {
            ok = false;
            sink.push(
                Diagnostic::new(key, d.span.clone(), format!("\"{}\" is not a digest", d.value))
                    .hint("write the algorithm and the whole hex value, e.g. \"sha512:<128 hex digits>\""),
            );
        }
    }
    ok.then_some(())?;
    Some(Software { source: source?, mirror: mirror?, checksums: checksums?, digests })
}
