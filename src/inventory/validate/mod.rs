//! Checks an inventory as written and turns it into a [`Cluster`], collecting every problem.
//!
//! Pure: takes the read document and the inventory's folder (to resolve relative paths).
//! Each pass reads its part of the document and reports into the one [`Sink`], so every
//! problem lands in one list; the passes run in the order their reports are listed in.

mod cluster;
mod databases;
mod hadoop;
mod hosts;
mod pipeline;
mod ports;
mod roles;
mod settings;
mod software;
mod transport;
mod versions;

use std::path::{Component, Path, PathBuf};

use super::diagnostic::Diagnostic;
use super::reader::{Located, Sink};
use super::schema::{Document, Str};
use crate::model::values::SqlServer;
use crate::model::{Cluster, HttpUrl, Provider, Role, Transport};

/// Validates `doc`; `dir` is the inventory's folder and `stem` its file name without extension.
pub fn validate(doc: Document, dir: &Path, stem: &str, sink: &mut Sink) -> Option<Cluster> {
    let Document {
        cluster,
        transport,
        package_proxy,
        versions,
        software,
        hdfs,
        yarn,
        ports,
        paths,
        users,
        heaps,
        metastore,
        mart,
        schedule,
        hosts,
        categories,
    } = &doc;
    let identity = cluster::check(cluster, dir, stem, sink);
    let link = transport::check(transport, identity.os, dir, identity.state_dir.as_deref(), sink);
    transport::check_endpoints(link.transport.as_ref(), identity.endpoints, cluster, sink);
    let package_proxy = package_proxy.as_ref().map(|p| {
        checked(sink, "os.package_proxy", p, "e.g. \"http://proxy.example:3142\"", |s| HttpUrl::parse(s, true))
    });
    let known = versions::check(versions, identity.os, sink);
    let mut settings = settings::check(ports, paths, users, heaps, sink);
    let metastore = databases::check(sink, "metastore", metastore, SqlServer::Mysql, ("metastore", "hive"));
    let mart = databases::check(sink, "mart", mart, SqlServer::Postgres, ("datamart", "dm_admin"));
    let pipeline = pipeline::schedule(schedule.as_ref(), sink);
    let built_hosts = hosts::check(hosts, link.reach, &settings.ports, &mut settings.written, sink);
    // The lxc machines get their packages through the proxy on their bridge, unless told otherwise.
    let mut package_proxy = package_proxy.flatten();
    if let Some(Transport::Vagrant { provider: Provider::Lxc, .. }) = &link.transport
        && transport::check_lxc_network(hosts, sink)
        && package_proxy.is_none()
        && let Some(first) = built_hosts.first()
    {
        let bridge = crate::model::bridge_address(first.address);
        package_proxy = HttpUrl::parse(&crate::machines::proxy::url(bridge), true).ok();
    }
    let categories = pipeline::categories(categories, sink);
    let roles = roles::check(hosts, cluster.nameservice.as_ref(), &cluster.span, sink);
    let runs_hive = roles.index.count(Role::HiveMetastore) + roles.index.count(Role::HiveServer2) > 0;
    let software = known.as_ref().and_then(|v| software::check(software, &versions.span, v, runs_hive, sink));
    let ha = roles.nameservice.is_some();
    let hdfs = hadoop::hdfs(hdfs, roles.nameservice, roles.index.count(Role::DataNode) as u64, sink);
    let yarn = hadoop::yarn(yarn, sink);
    if let Some(v) = &known {
        ports::check_clashes(hosts, &built_hosts, v, &settings.written, ha, sink);
    }

    if !sink.items.is_empty() {
        return None;
    }
    Some(Cluster {
        source: String::new(),
        name: identity.name?,
        os: identity.os?,
        endpoints: identity.endpoints?,
        root: identity.root?,
        state_dir: identity.state_dir?,
        transport: link.transport?,
        package_proxy,
        versions: known?,
        software: software?,
        hdfs: hdfs?,
        yarn: yarn?,
        paths: settings.paths,
        users: settings.users,
        heaps: settings.heaps,
        metastore: metastore?,
        mart: mart?,
        pipeline: pipeline?,
        categories: categories?,
        hosts: built_hosts,
    })
}

/// Joins a relative path to the inventory's folder and removes `.` and `..` without touching disk.
fn resolve(dir: &Path, path: &str) -> PathBuf {
    let joined = dir.join(path);
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Checks that `v` is a name of 1 to 63 characters that each pass `ok`, reporting at `key`
/// with `allowed` describing them.
fn check_identifier(sink: &mut Sink, key: &str, v: &Str, allowed: &str, ok: impl Fn(char) -> bool) -> Option<String> {
    if !v.value.is_empty() && v.value.len() <= 63 && v.value.chars().all(ok) {
        Some(v.value.clone())
    } else {
        sink.push(
            Diagnostic::new(key, v.span.clone(), format!("{:?} is not a valid name", v.value))
                .hint(format!("use {allowed}, at most 63")),
        );
        None
    }
}

/// Parses `v` with its grammar, reporting the grammar's reason at `key` with `hint`.
fn checked<T>(
    sink: &mut Sink,
    key: impl Into<String>,
    v: &Str,
    hint: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    match parse(&v.value) {
        Ok(t) => Some(t),
        Err(reason) => {
            sink.push(Diagnostic::new(key, v.span.clone(), format!("{:?} {reason}", v.value)).hint(hint));
            None
        }
    }
}

/// One of the `words` a key may be, the first word's value when not written; anything else
/// is reported at `key` as an unknown `what`, with `hint`.
fn keyword<T: Copy>(
    sink: &mut Sink,
    key: &str,
    v: Option<&Str>,
    words: &[(&str, T)],
    what: &str,
    hint: &str,
) -> Option<T> {
    let Some(v) = v else {
        return words.first().map(|(_, t)| *t);
    };
    match words.iter().find(|(word, _)| *word == v.value) {
        Some((_, t)) => Some(*t),
        None => {
            sink.push(Diagnostic::new(key, v.span.clone(), format!("unknown {what} \"{}\"", v.value)).hint(hint));
            None
        }
    }
}

/// Reports a key of a settings table (`[ports]`, `[paths]`, ...) that is none of `names`.
fn unknown_setting(sink: &mut Sink, table: &str, k: &Str, names: &[&str]) {
    sink.push(
        Diagnostic::new(format!("{table}.{}", k.value), k.span.clone(), format!("unknown key `{}`", k.value))
            .hint(format!("allowed here: {}", names.join(", "))),
    );
}

/// A positive count that fits in 32 bits, or `default` when not written.
fn positive(sink: &mut Sink, key: &str, v: &Option<Located<u64>>, default: u32) -> Option<u32> {
    match v {
        None => Some(default),
        Some(n) => match u32::try_from(n.value).ok().filter(|n| *n > 0) {
            Some(n) => Some(n),
            None => {
                sink.push(
                    Diagnostic::new(key, n.span.clone(), format!("{} is out of range", n.value))
                        .hint("give a positive number"),
                );
                None
            }
        },
    }
}
