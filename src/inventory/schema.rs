//! The inventory as written: every table and key an inventory file may hold, each value with
//! its position. Reading collects every unknown key and wrong type; meaning is checked later,
//! in `validate`.

use super::reader::{Located, Sink, Table};

/// A string value with its position.
pub type Str = Located<String>;

/// `[cluster]`.
#[derive(Debug, Default)]
pub struct ClusterSection {
    /// Where the table was written.
    pub span: std::ops::Range<usize>,
    /// `name`.
    pub name: Option<Str>,
    /// `nameservice`.
    pub nameservice: Option<Str>,
    /// `os`.
    pub os: Option<Str>,
    /// `endpoints`.
    pub endpoints: Option<Str>,
    /// `root`.
    pub root: Option<Str>,
    /// `state_dir`.
    pub state_dir: Option<Str>,
}

/// `[transport]`.
#[derive(Debug, Default)]
pub struct TransportSection {
    /// Where the table was written.
    pub span: std::ops::Range<usize>,
    /// `kind`: vagrant, ssh or local.
    pub kind: Option<Str>,
    /// `box` (vagrant).
    pub box_name: Option<Str>,
    /// `provider` (vagrant): virtualbox or lxc.
    pub provider: Option<Str>,
    /// `user` (ssh).
    pub user: Option<Str>,
    /// `port` (ssh).
    pub port: Option<Located<u64>>,
    /// `identity` (ssh): a private key file.
    pub identity: Option<Str>,
    /// `known_hosts` (ssh).
    pub known_hosts: Option<Str>,
}

/// `[versions]`.
#[derive(Debug, Default)]
pub struct VersionsSection {
    /// Where the table was written.
    pub span: std::ops::Range<usize>,
    /// `java`.
    pub java: Option<Str>,
    /// `hadoop`.
    pub hadoop: Option<Str>,
    /// `zookeeper`.
    pub zookeeper: Option<Str>,
    /// `hive`.
    pub hive: Option<Str>,
    /// `metastore_db`.
    pub metastore_db: Option<Str>,
    /// `nifi`.
    pub nifi: Option<Str>,
    /// `postgresql`.
    pub postgresql: Option<Str>,
}

/// `[software]`.
#[derive(Debug, Default)]
pub struct SoftwareSection {
    /// `source`: `maven` or `apache`.
    pub source: Option<Str>,
    /// `mirror`: where release archives are downloaded from.
    pub mirror: Option<Str>,
    /// `checksums`: where their published checksums are read.
    pub checksums: Option<Str>,
    /// `[software.digests]`: pinned digests by archive file name.
    pub digests: Vec<(Str, Str)>,
}

/// `[hdfs]`.
#[derive(Debug, Default)]
pub struct HdfsSection {
    /// `replication`.
    pub replication: Option<Located<u64>>,
    /// `fencing`.
    pub fencing: Option<Located<Vec<Str>>>,
}

/// `[yarn]`.
#[derive(Debug, Default)]
pub struct YarnSection {
    /// `nodemanager_memory_mb`.
    pub nodemanager_memory_mb: Option<Located<u64>>,
    /// `nodemanager_vcores`.
    pub nodemanager_vcores: Option<Located<u64>>,
}

/// `[metastore]` or `[mart]`.
#[derive(Debug, Default)]
pub struct DatabaseSection {
    /// `database`.
    pub database: Option<Str>,
    /// `user`.
    pub user: Option<Str>,
}

/// One `[[hosts]]` entry.
#[derive(Debug, Default)]
pub struct HostEntry {
    /// Its dotted path, e.g. `hosts[2]`.
    pub path: String,
    /// Where the entry was written.
    pub span: std::ops::Range<usize>,
    /// `name`.
    pub name: Option<Str>,
    /// `address`.
    pub address: Option<Str>,
    /// `roles`.
    pub roles: Option<Located<Vec<Str>>>,
    /// `memory_mb`.
    pub memory_mb: Option<Located<u64>>,
    /// `cpus`.
    pub cpus: Option<Located<u64>>,
    /// `ports`: this host's overrides of `[ports]`.
    pub ports: Vec<(Str, Located<u64>)>,
}

/// One `[[categories]]` entry.
#[derive(Debug, Default)]
pub struct CategoryEntry {
    /// Its dotted path.
    pub path: String,
    /// `code`.
    pub code: Option<Str>,
    /// `name`.
    pub name: Option<Str>,
    /// `url`.
    pub url: Option<Str>,
}

/// A whole inventory file as written.
#[derive(Debug, Default)]
pub struct Document {
    /// `[cluster]`.
    pub cluster: ClusterSection,
    /// `[transport]`.
    pub transport: TransportSection,
    /// `[os] package_proxy`.
    pub package_proxy: Option<Str>,
    /// `[versions]`.
    pub versions: VersionsSection,
    /// `[software]`.
    pub software: SoftwareSection,
    /// `[hdfs]`.
    pub hdfs: HdfsSection,
    /// `[yarn]`.
    pub yarn: YarnSection,
    /// `[ports]` entries.
    pub ports: Vec<(Str, Located<u64>)>,
    /// `[paths]` entries.
    pub paths: Vec<(Str, Str)>,
    /// `[users]` entries.
    pub users: Vec<(Str, Str)>,
    /// `[heaps]` entries.
    pub heaps: Vec<(Str, Located<u64>)>,
    /// `[metastore]`.
    pub metastore: DatabaseSection,
    /// `[mart]`.
    pub mart: DatabaseSection,
    /// `[pipeline] schedule`.
    pub schedule: Option<Str>,
    /// `[[hosts]]`.
    pub hosts: Vec<HostEntry>,
    /// `[[categories]]`: the best-seller lists to crawl; the original twelve when absent.
    pub categories: Vec<CategoryEntry>,
}

/// Reads a parsed document into its sections, reporting unknown keys and wrong types.
pub fn read(root: &mut Table<'_, '_>, sink: &mut Sink) -> Document {
    let mut doc = Document::default();
    if let Some(mut t) = root.table(sink, "cluster") {
        doc.cluster = ClusterSection {
            span: t.span(),
            name: t.req_str(sink, "name", "the cluster's name"),
            nameservice: t.str(sink, "nameservice"),
            os: t.req_str(sink, "os", "the hosts' operating system"),
            endpoints: t.str(sink, "endpoints"),
            root: t.str(sink, "root"),
            state_dir: t.str(sink, "state_dir"),
        };
        t.finish(sink);
    }
    if let Some(mut t) = root.table(sink, "transport") {
        doc.transport = TransportSection {
            span: t.span(),
            kind: t.req_str(sink, "kind", "vagrant, ssh or local"),
            box_name: t.str(sink, "box"),
            provider: t.str(sink, "provider"),
            user: t.str(sink, "user"),
            port: t.uint(sink, "port"),
            identity: t.str(sink, "identity"),
            known_hosts: t.str(sink, "known_hosts"),
        };
        t.finish(sink);
    }
    if let Some(mut t) = root.table(sink, "os") {
        doc.package_proxy = t.str(sink, "package_proxy");
        t.finish(sink);
    }
    if let Some(mut t) = root.table(sink, "versions") {
        doc.versions = VersionsSection {
            span: t.span(),
            java: t.req_str(sink, "java", "the Java major version"),
            hadoop: t.req_str(sink, "hadoop", "the Hadoop release"),
            zookeeper: t.req_str(sink, "zookeeper", "the ZooKeeper release"),
            hive: t.req_str(sink, "hive", "the Hive release"),
            metastore_db: t.req_str(sink, "metastore_db", "e.g. mysql-5.7"),
            nifi: t.req_str(sink, "nifi", "the NiFi release"),
            postgresql: t.req_str(sink, "postgresql", "the PostgreSQL major version"),
        };
        t.finish(sink);
    }
    if let Some(mut t) = root.table(sink, "software") {
        doc.software = SoftwareSection {
            source: t.str(sink, "source"),
            mirror: t.str(sink, "mirror"),
            checksums: t.str(sink, "checksums"),
            digests: t.entries(sink, "digests", Table::str_entries),
        };
        t.finish(sink);
    }
    if let Some(mut t) = root.table(sink, "hdfs") {
        doc.hdfs = HdfsSection { replication: t.uint(sink, "replication"), fencing: t.str_list(sink, "fencing") };
        t.finish(sink);
    }
    if let Some(mut t) = root.table(sink, "yarn") {
        doc.yarn = YarnSection {
            nodemanager_memory_mb: t.uint(sink, "nodemanager_memory_mb"),
            nodemanager_vcores: t.uint(sink, "nodemanager_vcores"),
        };
        t.finish(sink);
    }
    doc.ports = root.entries(sink, "ports", Table::uint_entries);
    doc.paths = root.entries(sink, "paths", Table::str_entries);
    doc.users = root.entries(sink, "users", Table::str_entries);
    doc.heaps = root.entries(sink, "heaps", Table::uint_entries);
    for (key, slot) in [("metastore", &mut doc.metastore), ("mart", &mut doc.mart)] {
        if let Some(mut t) = root.table(sink, key) {
            *slot = DatabaseSection { database: t.str(sink, "database"), user: t.str(sink, "user") };
            t.finish(sink);
        }
    }
    if let Some(mut t) = root.table(sink, "pipeline") {
        doc.schedule = t.str(sink, "schedule");
        t.finish(sink);
    }
    for mut t in root.tables(sink, "categories") {
        doc.categories.push(CategoryEntry {
            path: t.path().to_string(),
            code: t.req_str(sink, "code", "e.g. \"G01\""),
            name: t.req_str(sink, "name", "the name the mart stores"),
            url: t.req_str(sink, "url", "the best-100 page"),
        });
        t.finish(sink);
    }
    for mut t in root.tables(sink, "hosts") {
        doc.hosts.push(HostEntry {
            path: t.path().to_string(),
            span: t.span(),
            name: t.req_str(sink, "name", "the host's name"),
            address: t.req_str(sink, "address", "its IPv4 address"),
            roles: t.str_list(sink, "roles"),
            memory_mb: t.uint(sink, "memory_mb"),
            cpus: t.uint(sink, "cpus"),
            ports: t.entries(sink, "ports", Table::uint_entries),
        });
        t.finish(sink);
    }
    doc
}
