//! The versions pass: `[versions]` against the catalog, the Java each product runs on, and
//! whether the metastore database has server packages for the hosts' operating system.

use std::ops::Range;

use crate::catalog::{self, Os};
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::{Str, VersionsSection};
use crate::model::Versions;

/// Checks `[versions]`; `os` is the hosts' operating system, when it is known.
pub(super) fn check(section: &VersionsSection, os: Option<Os>, sink: &mut Sink) -> Option<Versions> {
    let versions = read(section, sink);
    if let (Some(os), Some(v), Some(written)) = (os, &versions, section.metastore_db.as_ref())
        && !v.metastore_db.packaged_for(os)
    {
        sink.push(
            Diagnostic::new(
                "versions.metastore_db",
                written.span.clone(),
                format!("{} has no server packages for {}", v.metastore_db.name, os.name()),
            )
            .hint("use mariadb-10.11, or mysql-8.0 on rocky9"),
        );
    }
    versions
}

/// Looks each written version up in the catalog and checks the Java the products run on.
fn read(section: &VersionsSection, sink: &mut Sink) -> Option<Versions> {
    let VersionsSection { span, java, hadoop, zookeeper, hive, metastore_db, nifi, postgresql } = section;
    if span.is_empty() && java.is_none() {
        sink.push(
            Diagnostic::new("versions", 0..0, "missing table [versions]")
                .hint("add [versions] with java, hadoop, zookeeper, hive, metastore_db, nifi and postgresql"),
        );
        return None;
    }
    let java = java.as_ref().and_then(|j| major(sink, "java", j, catalog::JAVA_VERSIONS));
    let hadoop = pick(sink, "hadoop", hadoop, catalog::HADOOP, |t| t.version);
    let zookeeper = pick(sink, "zookeeper", zookeeper, catalog::ZOOKEEPER, |t| t.version);
    let hive = pick(sink, "hive", hive, catalog::HIVE, |t| t.version);
    let metastore_db = pick(sink, "metastore_db", metastore_db, catalog::METASTORE_DB, |t| t.name);
    let nifi = pick(sink, "nifi", nifi, catalog::NIFI, |t| t.version);
    let postgresql = postgresql.as_ref().and_then(|p| major(sink, "postgresql", p, catalog::POSTGRESQL));
    if let Some(java) = java {
        /// A product's name, then its version, the Java versions it runs on, and where it was written.
        type RunsOn<'a> = (&'a str, Option<(&'a str, &'a [u8], Range<usize>)>);
        let runs_on: [RunsOn; 4] = [
            ("Hadoop", hadoop.as_ref().map(|(t, s)| (t.version, t.java, s.clone()))),
            ("ZooKeeper", zookeeper.as_ref().map(|(t, s)| (t.version, t.java, s.clone()))),
            ("Hive", hive.as_ref().map(|(t, s)| (t.version, t.java, s.clone()))),
            ("NiFi", nifi.as_ref().map(|(t, s)| (t.version, t.java, s.clone()))),
        ];
        for (product, facts) in runs_on {
            if let Some((version, javas, span)) = facts
                && !javas.contains(&java)
            {
                let javas: Vec<String> = javas.iter().map(u8::to_string).collect();
                sink.push(
                    Diagnostic::new(
                        format!("versions.{}", product.to_lowercase()),
                        span,
                        format!("{product} {version} does not run on Java {java}"),
                    )
                    .hint(format!(
                        "{product} {version} runs on Java {}; change java or pick another {product} release",
                        javas.join(" or ")
                    )),
                );
            }
        }
    }
    Some(Versions {
        java: java?,
        hadoop: hadoop?.0,
        zookeeper: zookeeper?.0,
        hive: hive?.0,
        metastore_db: metastore_db?.0,
        nifi: nifi?.0,
        postgresql: postgresql?,
    })
}

/// A catalog row whose name (`f`) is the written `v`, with where it was written.
fn pick<T: Copy>(
    sink: &mut Sink,
    key: &str,
    v: &Option<Str>,
    table: &[T],
    f: fn(&T) -> &'static str,
) -> Option<(T, Range<usize>)> {
    let v = v.as_ref()?;
    match catalog::find(table, &v.value, f) {
        Some(t) => Some((t, v.span.clone())),
        None => {
            sink.push(
                Diagnostic::new(
                    format!("versions.{key}"),
                    v.span.clone(),
                    format!("unknown {key} version \"{}\"", v.value),
                )
                .hint(format!("known versions: {}", catalog::known(table, f))),
            );
            None
        }
    }
}

/// A major version written as a number, one of `known`.
fn major(sink: &mut Sink, key: &str, v: &Str, known: &[u8]) -> Option<u8> {
    match v.value.parse::<u8>().ok().filter(|n| known.contains(n)) {
        Some(n) => Some(n),
        None => {
            let known: Vec<String> = known.iter().map(u8::to_string).collect();
            sink.push(
                Diagnostic::new(
                    format!("versions.{key}"),
                    v.span.clone(),
                    format!("unknown {key} version \"{}\"", v.value),
                )
                .hint(format!("known versions: {}", known.join(", "))),
            );
            None
        }
    }
}
