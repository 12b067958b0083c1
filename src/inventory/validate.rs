//! Checks an inventory as written and turns it into a [`Cluster`], collecting every problem.
//!
//! Pure: takes the read document and the inventory's folder (to resolve relative paths).

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use super::diagnostic::Diagnostic;
use super::reader::{Located, Sink};
use super::schema::{DatabaseSection, Document, HostEntry, Str};
use crate::catalog::{self, Os};
use crate::model::digest::Digest;
use crate::model::values::{self, Reach, SqlKind, SqlServer, check_controller_path};
use crate::model::{
    BoxName, Cluster, Database, Endpoints, Hdfs, Heaps, Host, HostPath, HttpUrl, Paths, Pipeline, Ports, Role,
    Schedule, Software, SoftwareSource, SqlName, Transport, UserName, Users, Versions, Yarn,
};

/// Names of hosts that would collide with folders `render` writes beside the hosts' folders.
const RESERVED_HOST_NAMES: &[&str] = &["vagrant"];

/// Validates `doc`; `dir` is the inventory's folder and `stem` its file name without extension.
pub fn validate(doc: Document, dir: &Path, stem: &str, sink: &mut Sink) -> Option<Cluster> {
    let cluster_span = doc.cluster.span.clone();
    let name = doc.cluster.name.as_ref().and_then(|n| {
        check_identifier(sink, "cluster.name", n, "letters, digits, '-' or '_'", |c| {
            c.is_ascii_alphanumeric() || c == '-' || c == '_'
        })
    });
    let os = doc.cluster.os.as_ref().and_then(|o| {
        let os = Os::parse(&o.value);
        if os.is_none() {
            sink.push(
                Diagnostic::new("cluster.os", o.span.clone(), format!("unknown operating system \"{}\"", o.value))
                    .hint(format!("use one of: {}", &Os::names().join(", "))),
            );
        }
        os
    });
    let endpoints = match doc.cluster.endpoints.as_ref() {
        None => Some(Endpoints::Hostname),
        Some(e) if e.value == "hostname" => Some(Endpoints::Hostname),
        Some(e) if e.value == "address" => Some(Endpoints::Address),
        Some(e) => {
            sink.push(
                Diagnostic::new("cluster.endpoints", e.span.clone(), format!("unknown endpoint style \"{}\"", e.value))
                    .hint("use \"hostname\" (names resolved through /etc/hosts) or \"address\""),
            );
            None
        }
    };
    let root = match doc.cluster.root.as_ref() {
        None => Some("/".to_string()),
        Some(r) if r.value == "/" => Some("/".to_string()),
        Some(r) if !r.value.contains("{host}") => {
            sink.push(
                Diagnostic::new("cluster.root", r.span.clone(), "a root other than \"/\" must contain {host}")
                    .hint("each host needs a folder of its own, e.g. \"../.provision/local/hosts/{host}\""),
            );
            None
        }
        Some(r) => controller_path(sink, "cluster.root", r, dir, true).map(|p| p.to_string_lossy().into_owned()),
    };
    let state_dir = match doc.cluster.state_dir.as_ref() {
        Some(s) => controller_path(sink, "cluster.state_dir", s, dir, false).filter(|state| {
            let holds_inventory = dir.starts_with(state);
            if holds_inventory {
                sink.push(
                    Diagnostic::new(
                        "cluster.state_dir",
                        s.span.clone(),
                        format!("{:?} is a folder that holds the inventory itself", s.value),
                    )
                    .hint("give provision a folder of its own, e.g. \".provision/NAME\" beside the inventory"),
                );
            }
            !holds_inventory
        }),
        None => Some(resolve(dir, &format!(".provision/{stem}"))),
    };

    let transport = transport(&doc, os, dir, state_dir.as_deref(), sink);
    if let (Some(Transport::Local), Some(Endpoints::Hostname)) = (&transport, endpoints) {
        let span = doc.cluster.endpoints.as_ref().map_or(cluster_span.clone(), |e| e.span.clone());
        sink.push(
            Diagnostic::new("cluster.endpoints", span, "the local transport needs endpoints = \"address\"")
                .hint("on one machine the host names do not resolve; set endpoints = \"address\" in [cluster]"),
        );
    }
    let versions = versions(&doc, sink);
    if let (Some(os), Some(v), Some(written)) = (os, &versions, doc.versions.metastore_db.as_ref())
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

    let mut ports = Ports::default();
    let mut explicit_ports: HashMap<String, Range<usize>> = HashMap::new();
    read_ports(sink, "ports", &doc.ports, &mut ports, &mut explicit_ports);
    let mut paths = Paths::default();
    for (k, v) in &doc.paths {
        let hint = "paths are as the host sees them: /, then folder names of letters, digits and . _ + -";
        if let Some(path) = checked(sink, format!("paths.{}", k.value), v, hint, HostPath::parse)
            && !paths.set(&k.value, path)
        {
            unknown_setting(sink, "paths", k, Paths::NAMES);
        }
    }
    let mut users = Users::default();
    for (k, v) in &doc.users {
        let hint = "a login name: a lowercase letter or '_', then lowercase letters, digits, '-' or '_'";
        if let Some(user) = checked(sink, format!("users.{}", k.value), v, hint, UserName::parse)
            && !users.set(&k.value, user)
        {
            unknown_setting(sink, "users", k, Users::NAMES);
        }
    }
    let mut heaps = Heaps::default();
    for (k, v) in &doc.heaps {
        match u32::try_from(v.value).ok().filter(|m| *m >= 32) {
            Some(mb) => {
                if !heaps.set(&k.value, mb) {
                    unknown_setting(sink, "heaps", k, Heaps::NAMES);
                }
            }
            None => sink.push(
                Diagnostic::new(
                    format!("heaps.{}", k.value),
                    v.span.clone(),
                    format!("{} MiB is too small a heap", v.value),
                )
                .hint("give at least 32 (MiB)"),
            ),
        }
    }

    let metastore = database(sink, "metastore", &doc.metastore, SqlServer::Mysql, ("metastore", "hive"));
    let mart = database(sink, "mart", &doc.mart, SqlServer::Postgres, ("datamart", "dm_admin"));
    let schedule = match &doc.schedule {
        None => Some(Schedule::hourly()),
        Some(s) => checked(
            sink,
            "pipeline.schedule",
            s,
            "give the five cron time fields, e.g. \"0 * * * *\" for every hour",
            Schedule::parse,
        ),
    };

    let reach = match doc.transport.kind.as_ref().map(|k| k.value.as_str()) {
        Some("local") => Reach::Local,
        Some("vagrant") => Reach::Vagrant,
        _ => Reach::Ssh,
    };
    let hosts = hosts(&doc.hosts, reach, &ports, &mut explicit_ports, sink);
    let categories = categories(&doc.categories, sink);
    let nameservice = doc.cluster.nameservice.as_ref().and_then(|ns| {
        check_identifier(sink, "cluster.nameservice", ns, "letters, digits or '-'", |c| {
            c.is_ascii_alphanumeric() || c == '-'
        })
    });
    let roles = RoleIndex::new(&doc.hosts);
    check_roles(&roles, doc.cluster.nameservice.as_ref(), &cluster_span, sink);

    let runs_hive = roles.count(Role::HiveMetastore) + roles.count(Role::HiveServer2) > 0;
    let software = versions.as_ref().and_then(|v| software(&doc, v, runs_hive, sink));

    let datanodes = roles.count(Role::DataNode) as u64;
    let replication = match &doc.hdfs.replication {
        None => Some(3.min(datanodes.max(1)) as u32),
        Some(r) if r.value == 0 => {
            sink.push(Diagnostic::new("hdfs.replication", r.span.clone(), "replication must be at least 1"));
            None
        }
        Some(r) if r.value > datanodes && datanodes > 0 => {
            sink.push(
                Diagnostic::new(
                    "hdfs.replication",
                    r.span.clone(),
                    format!("replication {} is above the {datanodes} DataNodes", r.value),
                )
                .hint(format!("lower it to at most {datanodes}, or add DataNodes")),
            );
            None
        }
        Some(r) => u32::try_from(r.value).ok(),
    };
    let fencing = match &doc.hdfs.fencing {
        None => Some(vec!["shell(/bin/true)".to_string()]),
        Some(list) if list.value.is_empty() => {
            sink.push(
                Diagnostic::new("hdfs.fencing", list.span.clone(), "no fencing method")
                    .hint("give at least one, e.g. [\"shell(/bin/true)\"]"),
            );
            None
        }
        Some(list) => {
            let mut ok = true;
            for (i, m) in list.value.iter().enumerate() {
                if !fencing_method(&m.value) {
                    ok = false;
                    sink.push(
                        Diagnostic::new(
                            format!("hdfs.fencing[{i}]"),
                            m.span.clone(),
                            format!("unknown fencing method {:?}", m.value),
                        )
                        .hint("use sshfence, sshfence(user:port) or shell(command of letters, digits, spaces and / . _ = : , + -)"),
                    );
                }
            }
            ok.then(|| list.value.iter().map(|m| m.value.clone()).collect())
        }
    };
    let nodemanager_memory_mb = positive(sink, "yarn.nodemanager_memory_mb", &doc.yarn.nodemanager_memory_mb, 2048);
    let nodemanager_vcores = positive(sink, "yarn.nodemanager_vcores", &doc.yarn.nodemanager_vcores, 2);

    if let Some(v) = &versions {
        check_ports(&doc.hosts, &hosts, v, &explicit_ports, nameservice.is_some(), sink);
    }

    if !sink.items.is_empty() {
        return None;
    }
    Some(Cluster {
        source: String::new(),
        name: name?,
        os: os?,
        endpoints: endpoints?,
        root: root?,
        state_dir: state_dir?,
        transport: transport?,
        versions: versions?,
        software: software?,
        hdfs: Hdfs { nameservice, replication: replication?, fencing: fencing? },
        yarn: Yarn { nodemanager_memory_mb: nodemanager_memory_mb?, nodemanager_vcores: nodemanager_vcores? },
        paths,
        users,
        heaps,
        metastore: metastore?,
        mart: mart?,
        pipeline: Pipeline { schedule: schedule? },
        categories: categories?,
        hosts,
    })
}

/// Reads `[software]`: the source (a version without a Maven Central layout needs Apache's
/// archives), the mirror and checksum URLs, and pinned digests of the inventory's archives.
fn software(doc: &Document, v: &Versions, runs_hive: bool, sink: &mut Sink) -> Option<Software> {
    let t = &doc.software;
    let source = match t.source.as_ref() {
        None => Some(SoftwareSource::Maven),
        Some(s) if s.value == "maven" => Some(SoftwareSource::Maven),
        Some(s) if s.value == "apache" => Some(SoftwareSource::Apache),
        Some(s) => {
            sink.push(
                Diagnostic::new("software.source", s.span.clone(), format!("unknown software source \"{}\"", s.value))
                    .hint("use \"maven\" (laid out from Maven Central) or \"apache\" (Apache's release archives)"),
            );
            None
        }
    };
    if source == Some(SoftwareSource::Maven) {
        let span = t.source.as_ref().map_or(doc.versions.span.clone(), |s| s.span.clone());
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
                    if t.source.is_some() { "software.source" } else { "versions" },
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
    let mirror = url("mirror", t.mirror.as_ref());
    let checksums = url("checksums", t.checksums.as_ref());
    let archives: Vec<String> = [
        (catalog::Product::Hadoop, v.hadoop.version),
        (catalog::Product::Zookeeper, v.zookeeper.version),
        (catalog::Product::Hive, v.hive.version),
        (catalog::Product::Nifi, v.nifi.version),
    ]
    .iter()
    .map(|(p, ver)| catalog::apache_release(*p, ver).file_name().to_string())
    .collect();
    let mut digests = std::collections::BTreeMap::new();
    let mut ok = true;
    for (k, d) in &t.digests {
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

/// A folder on this machine that `provision` writes: `v` resolved against the inventory's
/// folder, then checked (with `{host}` as one whole component when `host`).
fn controller_path(sink: &mut Sink, key: &str, v: &Str, dir: &Path, host: bool) -> Option<PathBuf> {
    let resolved = resolve(dir, &v.value);
    match check_controller_path(&resolved, host) {
        Ok(()) => Some(resolved),
        Err(reason) => {
            // A relative value is shown as written: its resolved form depends on the checkout.
            let problem = if v.value.starts_with('/') {
                format!("{:?} resolves to {:?}, which {reason}", v.value, resolved)
            } else {
                format!("{:?} {reason}", v.value)
            };
            sink.push(
                Diagnostic::new(key, v.span.clone(), problem)
                    .hint("use folder names of letters, digits and . _ + -, relative to the inventory or absolute"),
            );
            None
        }
    }
}

/// Reads `[ports]`-style entries into `ports`, remembering where each was written under
/// `prefix.name` in `explicit`.
fn read_ports(
    sink: &mut Sink,
    prefix: &str,
    entries: &[(Str, Located<u64>)],
    ports: &mut Ports,
    explicit: &mut HashMap<String, Range<usize>>,
) {
    for (k, v) in entries {
        let Some(port) = u16::try_from(v.value).ok().filter(|p| *p > 0) else {
            sink.push(
                Diagnostic::new(
                    format!("{prefix}.{}", k.value),
                    v.span.clone(),
                    format!("{} is not a TCP port", v.value),
                )
                .hint("use a number from 1 to 65535"),
            );
            continue;
        };
        if ports.set(&k.value, port) {
            explicit.insert(format!("{prefix}.{}", k.value), v.span.clone());
        } else {
            unknown_setting(sink, prefix, k, Ports::NAMES);
        }
    }
}

fn unknown_setting(sink: &mut Sink, table: &str, k: &Str, names: &[&str]) {
    sink.push(
        Diagnostic::new(format!("{table}.{}", k.value), k.span.clone(), format!("unknown key `{}`", k.value))
            .hint(format!("allowed here: {}", names.join(", "))),
    );
}

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

fn database(
    sink: &mut Sink,
    table: &str,
    s: &DatabaseSection,
    server: SqlServer,
    defaults: (&'static str, &'static str),
) -> Option<Database> {
    let hint = "an SQL name of your own: lowercase letters, digits or '_', not a keyword or the server's own";
    let mut read = |key: &str, v: &Option<Str>, kind: SqlKind, default: &'static str| match v {
        Some(v) => checked(sink, format!("{table}.{key}"), v, hint, |s| SqlName::parse(s, server, kind)),
        None => Some(SqlName::from(default)),
    };
    let name = read("database", &s.database, SqlKind::Database, defaults.0);
    let user = read("user", &s.user, SqlKind::User, defaults.1);
    Some(Database { name: name?, user: user? })
}

fn transport(
    doc: &Document,
    os: Option<Os>,
    dir: &Path,
    state_dir: Option<&Path>,
    sink: &mut Sink,
) -> Option<Transport> {
    let t = &doc.transport;
    let Some(kind) = &t.kind else {
        if doc.transport.span.is_empty() {
            sink.push(
                Diagnostic::new("transport", 0..0, "missing table [transport]")
                    .hint("add [transport] with kind = \"vagrant\", \"ssh\" or \"local\""),
            );
        }
        return None;
    };
    let misplaced = |sink: &mut Sink, key: &str, span: &Range<usize>| {
        sink.push(
            Diagnostic::new(
                format!("transport.{key}"),
                span.clone(),
                format!("`{key}` does not apply to kind = \"{}\"", kind.value),
            )
            .hint("remove it"),
        );
    };
    if kind.value != "ssh" {
        for (key, v) in [("identity", &t.identity), ("known_hosts", &t.known_hosts)] {
            if let Some(v) = v {
                misplaced(sink, key, &v.span);
            }
        }
    }
    match kind.value.as_str() {
        "vagrant" => {
            if let Some(u) = &t.user {
                misplaced(sink, "user", &u.span)
            }
            if let Some(p) = &t.port {
                misplaced(sink, "port", &p.span)
            }
            let box_name = match &t.box_name {
                Some(b) => {
                    checked(sink, "transport.box", b, "a box name is owner/name, e.g. \"centos/7\"", BoxName::parse)
                }
                None => Some(BoxName::from(os?.row().default_box)),
            };
            Some(Transport::Vagrant { box_name: box_name? })
        }
        "ssh" => {
            if let Some(b) = &t.box_name {
                misplaced(sink, "box", &b.span)
            }
            let port = match &t.port {
                None => 22,
                Some(p) => match u16::try_from(p.value).ok().filter(|p| *p > 0) {
                    Some(p) => p,
                    None => {
                        sink.push(Diagnostic::new(
                            "transport.port",
                            p.span.clone(),
                            format!("{} is not a TCP port", p.value),
                        ));
                        return None;
                    }
                },
            };
            let user = match &t.user {
                Some(u) => {
                    checked(sink, "transport.user", u, "a login name, e.g. \"root\" or \"vagrant\"", UserName::parse)
                }
                None => Some(UserName::from("root")),
            };
            let mut file = |key: &str, v: &Str| {
                checked(sink, format!("transport.{key}"), v, "name a file on this machine", |s| {
                    match s.chars().find(|c| c.is_control()) {
                        Some(c) => Err(format!("holds {}", values::describe(c))),
                        None if s.is_empty() => Err("is empty".into()),
                        None => Ok(resolve(dir, s)),
                    }
                })
            };
            // Both files are checked before either may end the transport, so both are reported.
            let identity = t.identity.as_ref().map(|i| file("identity", i));
            let known_hosts = match &t.known_hosts {
                Some(k) => file("known_hosts", k),
                None => state_dir.map(|d| d.join("known_hosts")),
            };
            let identity = match identity {
                Some(checked) => Some(checked?),
                None => None,
            };
            Some(Transport::Ssh { user: user?, port, identity, known_hosts: known_hosts? })
        }
        "local" => {
            for (key, span) in
                [("box", t.box_name.as_ref().map(|b| &b.span)), ("user", t.user.as_ref().map(|u| &u.span))]
            {
                if let Some(span) = span {
                    misplaced(sink, key, span)
                }
            }
            if let Some(p) = &t.port {
                misplaced(sink, "port", &p.span)
            }
            Some(Transport::Local)
        }
        other => {
            sink.push(
                Diagnostic::new("transport.kind", kind.span.clone(), format!("unknown transport \"{other}\""))
                    .hint("use \"vagrant\", \"ssh\" or \"local\""),
            );
            None
        }
    }
}

fn versions(doc: &Document, sink: &mut Sink) -> Option<Versions> {
    let v = &doc.versions;
    if v.span.is_empty() && v.java.is_none() {
        sink.push(
            Diagnostic::new("versions", 0..0, "missing table [versions]")
                .hint("add [versions] with java, hadoop, zookeeper, hive, metastore_db, nifi and postgresql"),
        );
        return None;
    }
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
    let java =
        v.java.as_ref().and_then(|j| match j.value.parse::<u8>().ok().filter(|n| catalog::JAVA_VERSIONS.contains(n)) {
            Some(n) => Some(n),
            None => {
                let known: Vec<String> = catalog::JAVA_VERSIONS.iter().map(u8::to_string).collect();
                sink.push(
                    Diagnostic::new("versions.java", j.span.clone(), format!("unknown java version \"{}\"", j.value))
                        .hint(format!("known versions: {}", known.join(", "))),
                );
                None
            }
        });
    let hadoop = pick(sink, "hadoop", &v.hadoop, catalog::HADOOP, |t| t.version);
    let zookeeper = pick(sink, "zookeeper", &v.zookeeper, catalog::ZOOKEEPER, |t| t.version);
    let hive = pick(sink, "hive", &v.hive, catalog::HIVE, |t| t.version);
    let metastore_db = pick(sink, "metastore_db", &v.metastore_db, catalog::METASTORE_DB, |t| t.name);
    let nifi = pick(sink, "nifi", &v.nifi, catalog::NIFI, |t| t.version);
    let postgresql = v.postgresql.as_ref().and_then(|p| {
        match p.value.parse::<u8>().ok().filter(|n| catalog::POSTGRESQL.contains(n)) {
            Some(n) => Some(n),
            None => {
                let known: Vec<String> = catalog::POSTGRESQL.iter().map(u8::to_string).collect();
                sink.push(
                    Diagnostic::new(
                        "versions.postgresql",
                        p.span.clone(),
                        format!("unknown postgresql version \"{}\"", p.value),
                    )
                    .hint(format!("known versions: {}", known.join(", "))),
                );
                None
            }
        }
    });
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

fn categories(entries: &[super::schema::CategoryEntry], sink: &mut Sink) -> Option<Vec<crate::model::Category>> {
    if entries.is_empty() {
        return Some(crate::model::original_categories());
    }
    let mut out = Vec::new();
    let mut codes = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    let mut ok = true;
    for e in entries {
        let (Some(code), Some(name), Some(url)) = (&e.code, &e.name, &e.url) else {
            ok = false;
            continue;
        };
        let code_ok = checked(
            sink,
            format!("{}.code", e.path),
            code,
            "a code is 1 to 16 letters, digits, '-' or '_'",
            |s| match s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))) {
                _ if s.is_empty() || s.len() > 16 => Err("is not 1 to 16 characters".to_string()),
                Some(c) => Err(format!("holds {}", values::describe(c))),
                None => Ok(()),
            },
        );
        let name_ok = checked(sink, format!("{}.name", e.path), name, "one line of at most 64 characters", |s| {
            values::check_line(s, 64)
        });
        let url_ok = checked(sink, format!("{}.url", e.path), url, "give the category's best-100 page", |s| {
            HttpUrl::parse(s, false)
        });
        if code_ok.is_none() || name_ok.is_none() || url_ok.is_none() {
            ok = false;
            continue;
        }
        if !names.insert(name.value.clone()) {
            ok = false;
            sink.push(
                Diagnostic::new(
                    format!("{}.name", e.path),
                    name.span.clone(),
                    format!("duplicate category name {:?}", name.value),
                )
                .hint("the mart tells categories apart by name: give each its own"),
            );
        }
        if !codes.insert(code.value.clone()) {
            ok = false;
            sink.push(
                Diagnostic::new(
                    format!("{}.code", e.path),
                    code.span.clone(),
                    format!("duplicate category code \"{}\"", code.value),
                )
                .hint("every category needs its own code"),
            );
        }
        out.push(crate::model::Category { code: code.value.clone(), name: name.value.clone(), url: url.value.clone() });
    }
    ok.then_some(out)
}

fn hosts(
    entries: &[HostEntry],
    reach: Reach,
    cluster_ports: &Ports,
    explicit: &mut HashMap<String, Range<usize>>,
    sink: &mut Sink,
) -> Vec<Host> {
    if entries.is_empty() {
        sink.push(Diagnostic::new("hosts", 0..0, "no hosts").hint("add a [[hosts]] table for each machine"));
    }
    let mut names: BTreeMap<String, Range<usize>> = BTreeMap::new();
    let mut addresses: BTreeMap<Ipv4Addr, (String, Range<usize>)> = BTreeMap::new();
    let mut out = Vec::new();
    for e in entries {
        let name = e.name.as_ref().and_then(|n| {
            if let Err(reason) = values::check_host_name(&n.value) {
                sink.push(
                    Diagnostic::new(
                        format!("{}.name", e.path),
                        n.span.clone(),
                        format!("{:?} is not a valid host name: it {reason}", n.value),
                    )
                    .hint("use lowercase letters, digits and '-', not starting or ending with '-'"),
                );
                return None;
            }
            if RESERVED_HOST_NAMES.contains(&n.value.as_str()) {
                sink.push(
                    Diagnostic::new(format!("{}.name", e.path), n.span.clone(), format!("\"{}\" is reserved", n.value))
                        .hint("render writes the Vagrantfile in a folder of that name; pick another host name"),
                );
                return None;
            }
            if names.contains_key(&n.value) {
                sink.push(
                    Diagnostic::new(
                        format!("{}.name", e.path),
                        n.span.clone(),
                        format!("duplicate host name \"{}\"", n.value),
                    )
                    .hint("every host needs its own name"),
                );
                return None;
            }
            names.insert(n.value.clone(), n.span.clone());
            Some(n.value.clone())
        });
        let address = e.address.as_ref().and_then(|a| match a.value.parse::<Ipv4Addr>() {
            Err(_) => {
                sink.push(
                    Diagnostic::new(
                        format!("{}.address", e.path),
                        a.span.clone(),
                        format!("{:?} is not an IPv4 address", a.value),
                    )
                    .hint("write it as four numbers, e.g. \"192.168.56.100\""),
                );
                None
            }
            Ok(ip) => {
                if let Err(reason) = values::check_host_address(ip, reach) {
                    sink.push(
                        Diagnostic::new(format!("{}.address", e.path), a.span.clone(), format!("{ip} {reason}")).hint(
                            if reach == Reach::Local {
                                "give each host its own address in 127.0.0.0/8, e.g. \"127.0.10.1\""
                            } else {
                                "give each host its own unicast address, e.g. \"192.168.56.100\""
                            },
                        ),
                    );
                    return None;
                }
                if let Some((other, _)) = addresses.get(&ip) {
                    sink.push(
                        Diagnostic::new(
                            format!("{}.address", e.path),
                            a.span.clone(),
                            format!("address {ip} is already {other}'s"),
                        )
                        .hint("every host needs its own address"),
                    );
                    return None;
                }
                addresses.insert(ip, (e.name.as_ref().map_or("?".into(), |n| n.value.clone()), a.span.clone()));
                Some(ip)
            }
        });
        let mut roles = Vec::new();
        match &e.roles {
            None => sink.push(
                Diagnostic::new(format!("{}.roles", e.path), e.span.clone(), "missing required key `roles`")
                    .hint("list what the host does, e.g. roles = [\"datanode\", \"nodemanager\"]"),
            ),
            Some(list) => {
                for (i, r) in list.value.iter().enumerate() {
                    match Role::parse(&r.value) {
                        None => {
                            let known: Vec<&str> = Role::ALL.iter().map(|(_, n)| *n).collect();
                            sink.push(
                                Diagnostic::new(
                                    format!("{}.roles[{i}]", e.path),
                                    r.span.clone(),
                                    format!("unknown role \"{}\"", r.value),
                                )
                                .hint(format!("known roles: {}", known.join(", "))),
                            );
                        }
                        Some(role) if roles.contains(&role) => {
                            sink.push(
                                Diagnostic::new(
                                    format!("{}.roles[{i}]", e.path),
                                    r.span.clone(),
                                    format!("role \"{}\" is listed twice", r.value),
                                )
                                .hint("list each role once"),
                            );
                        }
                        Some(role) => roles.push(role),
                    }
                }
            }
        }
        let memory_mb = positive(sink, &format!("{}.memory_mb", e.path), &e.memory_mb, 2048);
        let cpus = positive(sink, &format!("{}.cpus", e.path), &e.cpus, 1);
        let mut ports = cluster_ports.clone();
        read_ports(sink, &format!("{}.ports", e.path), &e.ports, &mut ports, explicit);
        if let (Some(name), Some(address), Some(memory_mb), Some(cpus)) = (name, address, memory_mb, cpus) {
            out.push(Host { name, address, roles, memory_mb, cpus, ports });
        }
    }
    out
}

/// Whether `m` is a fencing method HDFS knows, in a form that stays one line of
/// hdfs-site.xml: `sshfence`, `sshfence(user:port)` or `shell(command)` of plain characters.
fn fencing_method(m: &str) -> bool {
    if m == "sshfence" {
        return true;
    }
    if let Some(arg) = m.strip_prefix("sshfence(").and_then(|r| r.strip_suffix(')')) {
        let (user, port) = arg.split_once(':').unwrap_or((arg, "22"));
        return UserName::parse(user).is_ok() && port.parse::<u16>().is_ok_and(|p| p > 0);
    }
    m.strip_prefix("shell(").and_then(|r| r.strip_suffix(')')).is_some_and(|cmd| {
        !cmd.trim().is_empty()
            && cmd
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '/' | '.' | '_' | '=' | ':' | ',' | '+' | '-'))
    })
}

/// Where each role was written, to point role-count problems at the inventory.
struct RoleIndex {
    spans: Vec<(Role, Range<usize>)>,
    hosts_span: Range<usize>,
}

impl RoleIndex {
    fn new(entries: &[HostEntry]) -> Self {
        let mut spans = Vec::new();
        for e in entries {
            if let Some(list) = &e.roles {
                for r in &list.value {
                    if let Some(role) = Role::parse(&r.value) {
                        spans.push((role, r.span.clone()));
                    }
                }
            }
        }
        let hosts_span = entries.first().map_or(0..0, |e| e.span.clone());
        RoleIndex { spans, hosts_span }
    }

    fn count(&self, role: Role) -> usize {
        self.spans.iter().filter(|(r, _)| *r == role).count()
    }

    /// The span of the `n`th mention of `role` (0-based), or of the first host.
    fn span(&self, role: Role, n: usize) -> Range<usize> {
        self.spans.iter().filter(|(r, _)| *r == role).nth(n).map_or(self.hosts_span.clone(), |(_, s)| s.clone())
    }

    fn key(&self, role: Role) -> String {
        format!("roles.{}", role.name())
    }
}

fn check_roles(roles: &RoleIndex, nameservice: Option<&Str>, cluster_span: &Range<usize>, sink: &mut Sink) {
    let namenodes = roles.count(Role::NameNode);
    match nameservice {
        Some(ns) if namenodes != 2 => sink.push(
            Diagnostic::new(
                "cluster.nameservice",
                ns.span.clone(),
                format!("HA nameservice \"{}\" needs exactly two NameNodes, found {namenodes}", ns.value),
            )
            .hint("give the role \"namenode\" to exactly two hosts, or remove nameservice for a single NameNode"),
        ),
        None if namenodes > 1 => sink.push(
            Diagnostic::new(
                roles.key(Role::NameNode),
                roles.span(Role::NameNode, 1),
                format!("{namenodes} NameNodes without an HA nameservice"),
            )
            .hint("add nameservice = \"...\" to [cluster] for HA, or keep one NameNode"),
        ),
        _ => {}
    }
    let ha_span = nameservice.map_or(cluster_span.clone(), |n| n.span.clone());
    for (role, what) in [(Role::Zookeeper, "ZooKeeper servers"), (Role::JournalNode, "JournalNodes")] {
        let n = roles.count(role);
        if n == 0 && nameservice.is_none() {
            continue;
        }
        if n < 3 || n.is_multiple_of(2) {
            let problem = if n < 3 { "too few" } else { "an even number of" };
            let span = if n == 0 { ha_span.clone() } else { roles.span(role, n - 1) };
            sink.push(
                Diagnostic::new(roles.key(role), span, format!("{problem} {what}: {n}"))
                    .hint(format!("a quorum needs an odd number of at least 3 {what}")),
            );
        }
    }
    if nameservice.is_none() && roles.count(Role::JournalNode) > 0 {
        sink.push(
            Diagnostic::new(
                roles.key(Role::JournalNode),
                roles.span(Role::JournalNode, 0),
                "JournalNodes without an HA nameservice",
            )
            .hint("add nameservice = \"...\" to [cluster], or remove the journalnode roles"),
        );
    }
    for (role, max) in [
        (Role::ResourceManager, 1),
        (Role::HiveMetastore, 1),
        (Role::HiveServer2, 1),
        (Role::MetastoreDb, 1),
        (Role::Nifi, 1),
        (Role::MartDb, 1),
        (Role::Crawler, 1),
    ] {
        let n = roles.count(role);
        if n > max {
            sink.push(
                Diagnostic::new(
                    roles.key(role),
                    roles.span(role, max),
                    format!("{n} hosts have the role \"{}\"; at most {max} may", role.name()),
                )
                .hint("keep the role on one host"),
            );
        }
    }
    let needs: &[(Role, Role, &str)] = &[
        (Role::DataNode, Role::NameNode, "DataNodes need a NameNode"),
        (Role::NameNode, Role::DataNode, "HDFS needs at least one DataNode"),
        (Role::NodeManager, Role::ResourceManager, "NodeManagers need a ResourceManager"),
        (Role::ResourceManager, Role::NodeManager, "a ResourceManager needs NodeManagers"),
        (Role::HiveMetastore, Role::MetastoreDb, "the Hive metastore needs a metastore database"),
        (Role::HiveMetastore, Role::NameNode, "Hive needs HDFS"),
        (Role::HiveServer2, Role::HiveMetastore, "HiveServer2 needs a Hive metastore"),
        (Role::Crawler, Role::NameNode, "the crawler needs HDFS to land its files"),
        (Role::Crawler, Role::MartDb, "the crawler needs the mart database to load and record its runs"),
    ];
    for (role, needed, why) in needs {
        if roles.count(*role) > 0 && roles.count(*needed) == 0 {
            sink.push(
                Diagnostic::new(
                    roles.key(*role),
                    roles.span(*role, 0),
                    format!("{why}, but no host has the role \"{}\"", needed.name()),
                )
                .hint(format!(
                    "add \"{}\" to a host's roles, or remove \"{}\"",
                    needed.name(),
                    role.name()
                )),
            );
        }
    }
}

fn check_ports(
    entries: &[HostEntry],
    hosts: &[Host],
    versions: &Versions,
    explicit: &HashMap<String, Range<usize>>,
    ha: bool,
    sink: &mut Sink,
) {
    for host in hosts {
        let Some(entry) = entries.iter().find(|e| e.name.as_ref().is_some_and(|n| n.value == host.name)) else {
            continue;
        };
        let mut taken: BTreeMap<u16, (&'static str, &'static str)> = BTreeMap::new();
        for role in &host.roles {
            for service in role.services(ha) {
                for key in service.ports(versions) {
                    let (port_name, port) = (key.name(), host.ports.of(*key));
                    match taken.get(&port) {
                        Some((other_service, other_port)) if *other_service != service.name() => {
                            let span = [
                                format!("{}.ports.{port_name}", entry.path),
                                format!("{}.ports.{other_port}", entry.path),
                                format!("ports.{port_name}"),
                                format!("ports.{other_port}"),
                            ]
                            .iter()
                            .find_map(|k| explicit.get(k))
                            .cloned()
                            .unwrap_or_else(|| entry.roles.as_ref().map_or(entry.span.clone(), |r| r.span.clone()));
                            sink.push(
                                Diagnostic::new(
                                    format!("{}.roles", entry.path),
                                    span,
                                    format!(
                                        "on host {} ({}), {} and {} would both listen on port {port}",
                                        host.name,
                                        host.address,
                                        other_service,
                                        service.name()
                                    ),
                                )
                                .hint(format!(
                                    "give ports.{port_name} or ports.{other_port} another number in [ports]"
                                )),
                            );
                        }
                        _ => {
                            taken.insert(port, (service.name(), port_name));
                        }
                    }
                }
            }
        }
    }
}
