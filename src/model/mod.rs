//! The validated cluster: hosts, roles, versions, addresses and settings. Built only by
//! `inventory::load`, so every value here has been checked. No I/O.

pub mod digest;
mod settings;
pub mod values;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

pub use settings::{Heaps, Paths, Port, Ports, Users};
pub use values::{BoxName, HostPath, HttpUrl, Schedule, SqlName, UserName};

use crate::catalog::{self, Os};

/// What a host does; a role brings one or more services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A ZooKeeper server.
    Zookeeper,
    /// An HDFS JournalNode.
    JournalNode,
    /// An HDFS NameNode (and its ZKFC when HA is on).
    NameNode,
    /// An HDFS DataNode.
    DataNode,
    /// The YARN ResourceManager.
    ResourceManager,
    /// A YARN NodeManager.
    NodeManager,
    /// The Hive metastore service.
    HiveMetastore,
    /// HiveServer2.
    HiveServer2,
    /// The MySQL or MariaDB server that holds the Hive metastore.
    MetastoreDb,
    /// Apache NiFi, and the folder the crawler's files land in.
    Nifi,
    /// The PostgreSQL data mart.
    MartDb,
    /// The hourly crawler.
    Crawler,
}

impl Role {
    /// Every role with its inventory name.
    pub const ALL: &'static [(Role, &'static str)] = &[
        (Role::Zookeeper, "zookeeper"),
        (Role::JournalNode, "journalnode"),
        (Role::NameNode, "namenode"),
        (Role::DataNode, "datanode"),
        (Role::ResourceManager, "resourcemanager"),
        (Role::NodeManager, "nodemanager"),
        (Role::HiveMetastore, "hive-metastore"),
        (Role::HiveServer2, "hiveserver2"),
        (Role::MetastoreDb, "metastore-db"),
        (Role::Nifi, "nifi"),
        (Role::MartDb, "mart-db"),
        (Role::Crawler, "crawler"),
    ];

    /// The role an inventory calls `name`.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.iter().find(|(_, n)| *n == name).map(|(r, _)| *r)
    }

    /// The daemons this role brings; a NameNode brings its ZKFC only under HA.
    pub fn services(self, ha: bool) -> &'static [Service] {
        match self {
            Role::Zookeeper => &[Service::Zookeeper],
            Role::JournalNode => &[Service::JournalNode],
            Role::NameNode if ha => &[Service::NameNode, Service::Zkfc],
            Role::NameNode => &[Service::NameNode],
            Role::DataNode => &[Service::DataNode],
            Role::ResourceManager => &[Service::ResourceManager],
            Role::NodeManager => &[Service::NodeManager],
            Role::HiveMetastore => &[Service::HiveMetastore],
            Role::HiveServer2 => &[Service::HiveServer2],
            Role::MetastoreDb => &[Service::MetastoreDb],
            Role::Nifi => &[Service::Nifi],
            Role::MartDb => &[Service::Postgres],
            Role::Crawler => &[],
        }
    }

    /// The inventory name of this role.
    pub fn name(self) -> &'static str {
        Role::ALL.iter().find(|(r, _)| *r == self).map(|(_, n)| *n).unwrap_or("?")
    }
}

/// A long-running daemon on a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// ZooKeeper server.
    Zookeeper,
    /// HDFS JournalNode.
    JournalNode,
    /// HDFS NameNode.
    NameNode,
    /// ZKFailoverController beside a NameNode.
    Zkfc,
    /// HDFS DataNode.
    DataNode,
    /// YARN ResourceManager.
    ResourceManager,
    /// YARN NodeManager.
    NodeManager,
    /// Hive metastore.
    HiveMetastore,
    /// HiveServer2.
    HiveServer2,
    /// MySQL or MariaDB for the metastore.
    MetastoreDb,
    /// NiFi.
    Nifi,
    /// PostgreSQL for the mart.
    Postgres,
}

impl Service {
    /// The service's name, as used in unit names, logs and `status`.
    pub fn name(self) -> &'static str {
        match self {
            Service::Zookeeper => "zookeeper",
            Service::JournalNode => "journalnode",
            Service::NameNode => "namenode",
            Service::Zkfc => "zkfc",
            Service::DataNode => "datanode",
            Service::ResourceManager => "resourcemanager",
            Service::NodeManager => "nodemanager",
            Service::HiveMetastore => "hive-metastore",
            Service::HiveServer2 => "hiveserver2",
            Service::MetastoreDb => "metastore-db",
            Service::Nifi => "nifi",
            Service::Postgres => "postgresql",
        }
    }

    /// Whether this is one of Hive's daemons (the metastore or HiveServer2).
    pub fn is_hive(self) -> bool {
        matches!(self, Service::HiveMetastore | Service::HiveServer2)
    }

    /// Whether this is one of Hadoop's own daemons (HDFS or YARN), run as the Hadoop user from
    /// Hadoop's installation.
    pub fn is_hadoop(self) -> bool {
        matches!(
            self,
            Service::NameNode
                | Service::Zkfc
                | Service::JournalNode
                | Service::DataNode
                | Service::ResourceManager
                | Service::NodeManager
        )
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl serde::Serialize for Service {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// What runs a Vagrant inventory's machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// VirtualBox VMs on its host-only network.
    Virtualbox,
    /// LXC containers (vagrant-lxc) on a bridge provision makes on this machine, each a real
    /// Debian machine with systemd.
    Lxc,
}

impl Provider {
    /// Its name in an inventory and for `vagrant up --provider`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Virtualbox => "virtualbox",
            Provider::Lxc => "lxc",
        }
    }
}

/// This machine's address on the lxc machines' bridge, for a machine at `machine`: the first
/// address of its /24.
pub fn bridge_address(machine: std::net::Ipv4Addr) -> std::net::Ipv4Addr {
    let [a, b, n, _] = machine.octets();
    std::net::Ipv4Addr::new(a, b, n, 1)
}

/// How daemons name each other in configuration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoints {
    /// By host name, resolved through the rendered /etc/hosts (the VMs).
    Hostname,
    /// By address (one machine, where host names do not resolve).
    Address,
}

/// Where the hosts' Hadoop, ZooKeeper and Hive come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftwareSource {
    /// Laid out from Maven Central by the Maven projects in `artifacts/` (NiFi, which has no
    /// such layout, still comes from the mirror).
    Maven,
    /// Apache's release archives, from the mirror.
    Apache,
}

/// Where the software comes from and how downloads are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Software {
    /// Maven Central layouts or Apache's release archives.
    pub source: SoftwareSource,
    /// The mirror's root URL (the layout of archive.apache.org/dist).
    pub mirror: HttpUrl,
    /// Where published checksums are read (Apache's own archive unless told otherwise).
    pub checksums: HttpUrl,
    /// Digests the inventory pins, by archive file name; a pinned archive's published
    /// checksum is not read.
    pub digests: std::collections::BTreeMap<String, digest::Digest>,
}

/// How `provision` reaches the hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// SSH to VMs that Vagrant creates from `box_name` with `provider`.
    Vagrant {
        /// The Vagrant box, e.g. `centos/7`.
        box_name: BoxName,
        /// What runs the machines.
        provider: Provider,
    },
    /// SSH to existing hosts.
    Ssh {
        /// The login user.
        user: UserName,
        /// The SSH port.
        port: u16,
        /// The private key to offer (the agent and ~/.ssh keys are tried when absent).
        identity: Option<PathBuf>,
        /// The known_hosts file host keys are checked against.
        known_hosts: PathBuf,
    },
    /// The machine `provision` runs on; every host is a folder and an address on it.
    Local,
}

/// The product versions the cluster runs, each checked against the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// Java major version.
    pub java: u8,
    /// Hadoop release.
    pub hadoop: catalog::Hadoop,
    /// ZooKeeper release.
    pub zookeeper: catalog::ZooKeeper,
    /// Hive release.
    pub hive: catalog::Hive,
    /// The metastore's database server.
    pub metastore_db: catalog::MetastoreDb,
    /// NiFi release.
    pub nifi: catalog::Nifi,
    /// PostgreSQL major version of the mart.
    pub postgresql: u8,
}

/// One host of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Its name (also its hostname).
    pub name: String,
    /// Its address on the cluster network.
    pub address: Ipv4Addr,
    /// What it does, in inventory order.
    pub roles: Vec<Role>,
    /// Memory of the VM, in MiB.
    pub memory_mb: u32,
    /// CPUs of the VM.
    pub cpus: u32,
    /// The ports its daemons listen on: the cluster's, with this host's overrides.
    pub ports: Ports,
}

impl Host {
    /// Whether the host has `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the host runs a Hive daemon (the metastore or HiveServer2).
    pub fn runs_hive(&self) -> bool {
        self.has(Role::HiveMetastore) || self.has(Role::HiveServer2)
    }
}

/// A database and the user that owns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// Database name.
    pub name: SqlName,
    /// Owning user.
    pub user: SqlName,
}

/// HDFS settings that are not ports, paths or heaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hdfs {
    /// The HA nameservice; `None` for a single NameNode.
    pub nameservice: Option<String>,
    /// dfs.replication.
    pub replication: u32,
    /// dfs.ha.fencing.methods, tried in order.
    pub fencing: Vec<String>,
}

/// YARN NodeManager resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yarn {
    /// Memory a NodeManager offers to containers, in MiB.
    pub nodemanager_memory_mb: u32,
    /// vcores a NodeManager offers.
    pub nodemanager_vcores: u32,
}

/// The hourly pipeline's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// The cron time fields of the hourly run, e.g. `0 * * * *`.
    pub schedule: Schedule,
}

/// A best-seller category the crawler collects and the mart allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Category {
    /// Gmarket's group code, e.g. `G01`.
    pub code: String,
    /// The name the mart stores, e.g. `패션의류`.
    pub name: String,
    /// The best-100 page of the category.
    pub url: String,
}

/// The original system's twelve categories and their 2021 mobile best-100 pages.
pub fn original_categories() -> Vec<Category> {
    const NAMES: [&str; 12] = [
        "패션의류",
        "신발잡화",
        "화장품헤어",
        "유아동출산",
        "스포츠자동차",
        "컴퓨터전자",
        "식품",
        "생활주방건강",
        "가구침구",
        "도서음반",
        "여행",
        "e쿠폰",
    ];
    NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let code = format!("G{:02}", i + 1);
            let url = format!("http://mobile.gmarket.co.kr/Best/Category?code={code}");
            Category { code, name: name.to_string(), url }
        })
        .collect()
}

/// A validated cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The inventory's text as written (the crawler host gets a copy).
    pub source: String,
    /// The cluster's name.
    pub name: String,
    /// The operating system of every host.
    pub os: Os,
    /// How daemons name each other.
    pub endpoints: Endpoints,
    /// Each host's root folder with `{host}` standing for its name: `/` on real hosts.
    pub root: String,
    /// Where `provision` keeps secrets and run logs for this cluster, on the controlling machine.
    pub state_dir: PathBuf,
    /// How hosts are reached.
    pub transport: Transport,
    /// The HTTP proxy (or mirror) the hosts' package managers go through, if any.
    pub package_proxy: Option<HttpUrl>,
    /// Product versions.
    pub versions: Versions,
    /// Where the software comes from.
    pub software: Software,
    /// HDFS settings.
    pub hdfs: Hdfs,
    /// YARN settings.
    pub yarn: Yarn,
    /// Paths on each host (below its root).
    pub paths: Paths,
    /// Service users.
    pub users: Users,
    /// JVM heaps.
    pub heaps: Heaps,
    /// The Hive metastore's database.
    pub metastore: Database,
    /// The mart's database.
    pub mart: Database,
    /// The pipeline's schedule.
    pub pipeline: Pipeline,
    /// The categories crawled and allowed in the mart.
    pub categories: Vec<Category>,
    /// Every host, in inventory order.
    pub hosts: Vec<Host>,
}

impl Cluster {
    /// The OS package and jar of the metastore database's JDBC driver Hive needs beside its
    /// own files, if any.
    pub fn hive_jdbc_package(&self) -> Option<(&'static str, &'static str)> {
        self.versions.metastore_db.jdbc_package(self.os, self.software.source == SoftwareSource::Apache)
    }

    /// Hosts with `role`, in inventory order.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Host> {
        self.hosts.iter().filter(move |h| h.has(role))
    }

    /// The host called `name`.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    /// The first host with `role`, for roles the validation guarantees to exist exactly once.
    pub fn one(&self, role: Role) -> Option<&Host> {
        self.with_role(role).next()
    }

    /// NiFi's web address (`host:port`, plain HTTP on that host's own address), when a host
    /// runs NiFi.
    pub fn nifi_address(&self) -> Option<String> {
        self.one(Role::Nifi).map(|h| format!("{}:{}", h.address, h.ports.nifi_http))
    }

    /// The address of NiFi's UI, when a host runs NiFi.
    pub fn nifi_ui(&self) -> Option<String> {
        self.nifi_address().map(|a| format!("http://{a}/nifi/"))
    }

    /// Where a host that runs `provision` itself (the crawler, NiFi's) keeps its copy of the
    /// inventory.
    pub fn inventory_copy(&self) -> String {
        format!("{}/inventory.toml", self.paths.provision_conf)
    }

    /// The state folder NiFi's flow runs `provision` with on `nifi_host` (its secrets there,
    /// readable by NiFi's user): the crawler's own, unless the host is the crawler too, whose
    /// secrets are readable by the crawler's user only.
    pub fn flow_state_dir(&self, nifi_host: &Host) -> String {
        match nifi_host.has(Role::Crawler) {
            true => format!("{}/nifi", self.paths.provision_state),
            false => self.paths.provision_state.to_string(),
        }
    }

    /// Whether HDFS runs as an HA pair.
    pub fn ha(&self) -> bool {
        self.hdfs.nameservice.is_some()
    }

    /// The name other daemons use to reach `host`.
    pub fn endpoint(&self, host: &Host) -> String {
        match self.endpoints {
            Endpoints::Hostname => host.name.clone(),
            Endpoints::Address => host.address.to_string(),
        }
    }

    /// `endpoint:port` of `host`.
    pub fn endpoint_port(&self, host: &Host, port: u16) -> String {
        format!("{}:{}", self.endpoint(host), port)
    }

    /// The root folder of `host`'s paths.
    pub fn host_root(&self, host: &Host) -> PathBuf {
        PathBuf::from(self.root.replace("{host}", &host.name))
    }

    /// A host path as the daemons on `host` see it: the host's root joined with `path`.
    ///
    /// Every path here comes from a [`HostPath`] (with a constant file name added), so it stays
    /// below the root; a path with a `.` or `..` component is a bug and stops the program rather
    /// than reach outside the host's folder.
    pub fn on_host(&self, host: &Host, path: &str) -> String {
        let root = self.host_root(host);
        let below = Path::new(path.trim_start_matches('/'));
        assert!(
            below.components().all(|c| matches!(c, std::path::Component::Normal(_))),
            "host path {path:?} leaves the host's root"
        );
        if root == Path::new("/") { path.to_string() } else { root.join(below).to_string_lossy().into_owned() }
    }

    /// The daemons `host` runs, in start order.
    pub fn services(&self, host: &Host) -> Vec<Service> {
        let mut out: Vec<Service> = host.roles.iter().flat_map(|r| r.services(self.ha()).iter().copied()).collect();
        out.sort();
        out
    }

    /// Whether `host` needs Hadoop's configuration (it runs a Hadoop or Hive daemon).
    pub fn needs_hadoop(&self, host: &Host) -> bool {
        host.roles.iter().any(|r| {
            matches!(
                r,
                Role::JournalNode
                    | Role::NameNode
                    | Role::DataNode
                    | Role::ResourceManager
                    | Role::NodeManager
                    | Role::HiveMetastore
                    | Role::HiveServer2
            )
        })
    }

    /// The source addresses that connections from `hosts` arrive with, and this machine's. On one
    /// machine (the local transport) every connection to a loopback address comes from
    /// 127.0.0.1; the lxc machines see this machine at their bridge's address.
    pub fn source_addresses<'a>(&self, hosts: impl Iterator<Item = &'a Host>) -> Vec<String> {
        let mut out: Vec<String> = hosts.map(|h| h.address.to_string()).collect();
        match &self.transport {
            Transport::Local => out.push("127.0.0.1".into()),
            Transport::Vagrant { provider: Provider::Lxc, .. } => {
                out.extend(self.hosts.first().map(|h| bridge_address(h.address).to_string()));
            }
            Transport::Vagrant { provider: Provider::Virtualbox, .. } | Transport::Ssh { .. } => {}
        }
        out
    }

    /// The ZooKeeper connect string, `zk1:2181,zk2:2181,...`.
    pub fn zookeeper_quorum(&self) -> String {
        self.with_role(Role::Zookeeper)
            .map(|h| self.endpoint_port(h, h.ports.zookeeper_client))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// fs.defaultFS: the nameservice, or the single NameNode.
    pub fn default_fs(&self) -> String {
        match (&self.hdfs.nameservice, self.one(Role::NameNode)) {
            (Some(ns), _) => format!("hdfs://{ns}"),
            (None, Some(nn)) => format!("hdfs://{}", self.endpoint_port(nn, nn.ports.namenode_rpc)),
            (None, None) => String::new(),
        }
    }

    /// The JAVA_HOME daemons use.
    pub fn java_home(&self) -> String {
        if self.paths.java_home.is_empty() {
            self.os.java_home(self.versions.java)
        } else {
            self.paths.java_home.to_string()
        }
    }

    /// The folder of the PostgreSQL server binaries.
    pub fn postgres_bin(&self) -> String {
        if self.paths.postgres_bin.is_empty() {
            self.os.postgres_bin(self.versions.postgresql)
        } else {
            self.paths.postgres_bin.to_string()
        }
    }
}
