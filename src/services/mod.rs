//! What provision knows about each daemon it runs, whatever the host: one spec per product
//! (its daemons' units, users, ports, folders, launch lines and readiness), which daemons a
//! host runs under provision, and how each is supervised, started and stopped.
//!
//! Adding a daemon means a [`Service`] variant, its [`Spec`] in its product's file and its
//! arm in [`Service::spec`]; the compiler names every other place that must know it.

mod hadoop;
mod hive;
pub mod launch;
mod metastore_db;
mod nifi;
mod postgres;
pub mod probe;
mod zookeeper;

pub use nifi::JVM_OPTIONS as NIFI_JVM_OPTIONS;

use crate::catalog::{Product, ServiceManager};
use crate::engine::steps::{Step, Supervisor};
use crate::model::{Cluster, Host, Port, Service, Transport, UserName, Users, Versions};
pub use launch::Launch;
pub use probe::{Probe, Ready};

/// A folder a daemon needs before it starts, as the host sees it below its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The folder.
    pub path: String,
    /// Its mode.
    pub mode: u32,
    /// Its owner.
    pub owner: UserName,
}

/// Everything provision knows about one daemon.
pub struct Spec {
    /// Its systemd unit's name, without `.service`.
    pub unit: &'static str,
    /// The products whose homes it runs from (Hive's daemons run on Hadoop's jars too).
    pub runs_from: &'static [Product],
    /// The OS user it runs as.
    pub user: fn(&Users) -> &UserName,
    /// The ports it listens on.
    pub ports: fn(&Versions) -> &'static [Port],
    /// Its data and log folders.
    pub folders: fn(&Cluster) -> Vec<Folder>,
    /// How it is launched on a host.
    pub launch: fn(&Cluster, &Host) -> Launch,
    /// When it is ready, on a host.
    pub ready: fn(&Host) -> Ready,
}

impl Service {
    /// Its spec.
    pub fn spec(self) -> &'static Spec {
        match self {
            Service::Zookeeper => &zookeeper::ZOOKEEPER,
            Service::JournalNode => &hadoop::JOURNALNODE,
            Service::NameNode => &hadoop::NAMENODE,
            Service::Zkfc => &hadoop::ZKFC,
            Service::DataNode => &hadoop::DATANODE,
            Service::ResourceManager => &hadoop::RESOURCEMANAGER,
            Service::NodeManager => &hadoop::NODEMANAGER,
            Service::HiveMetastore => &hive::METASTORE,
            Service::HiveServer2 => &hive::HIVESERVER2,
            Service::MetastoreDb => &metastore_db::METASTORE_DB,
            Service::Nifi => &nifi::NIFI,
            Service::Postgres => &postgres::POSTGRES,
        }
    }

    /// The systemd unit name of this daemon.
    pub fn unit_name(self) -> String {
        format!("{}.service", self.spec().unit)
    }

    /// The OS user it runs as.
    pub fn user(self, users: &Users) -> &UserName {
        (self.spec().user)(users)
    }

    /// The ports it listens on.
    pub fn ports(self, versions: &Versions) -> &'static [Port] {
        (self.spec().ports)(versions)
    }
}

/// How `service` is launched on `host`.
pub fn launch(c: &Cluster, host: &Host, service: Service) -> Launch {
    (service.spec().launch)(c, host)
}

/// When `service` on `host` is ready: what the plan waits for, and what `health` checks.
pub fn ready(host: &Host, service: Service) -> Ready {
    (service.spec().ready)(host)
}

/// Where `product` is installed on a host (before the host's root).
pub fn home(c: &Cluster, product: Product) -> &str {
    match product {
        Product::Hadoop => &c.paths.hadoop_home,
        Product::Zookeeper => &c.paths.zookeeper_home,
        Product::Hive => &c.paths.hive_home,
        Product::Nifi => &c.paths.nifi_home,
    }
}

/// A folder of `mode` owned by `owner`.
fn folder(path: &str, mode: u32, owner: &UserName) -> Folder {
    Folder { path: path.to_string(), mode, owner: owner.clone() }
}

/// The daemons `up` starts: every service of the host.
pub fn supervised(c: &Cluster, host: &Host) -> Vec<Service> {
    c.services(host)
}

/// How `service` on `host` is supervised: by the OS's service manager on real hosts, through a
/// pid file on one machine.
pub fn supervisor(c: &Cluster, host: &Host, service: Service) -> Supervisor {
    match c.transport {
        Transport::Local => {
            let l = launch(c, host, service);
            let output = format!("{}/{}.out", c.on_host(host, &c.paths.provision_logs), service.name());
            Supervisor::Pidfile {
                pid_file: format!("{}/{}.pid", c.on_host(host, &c.paths.provision_run), service.name()),
                start: l.shell(Some(&output)),
                marker: l.marker().to_string(),
            }
        }
        Transport::Ssh { .. } | Transport::Vagrant { .. } => match c.os.row().service_manager {
            ServiceManager::Systemd => Supervisor::Systemd,
        },
    }
}

/// `service` running on `host`, restarted when one of its files changed.
pub fn start(c: &Cluster, host: &Host, service: Service) -> Step {
    Step::Service {
        unit: service.unit_name(),
        restart_on: vec![format!("{}/{}", host.name, service.name())],
        supervisor: supervisor(c, host, service),
        running: true,
    }
}

/// `service` stopped on `host`.
pub fn stop(c: &Cluster, host: &Host, service: Service) -> Step {
    Step::Service {
        unit: service.unit_name(),
        restart_on: vec![],
        supervisor: supervisor(c, host, service),
        running: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Service; 12] = [
        Service::Zookeeper,
        Service::JournalNode,
        Service::NameNode,
        Service::Zkfc,
        Service::DataNode,
        Service::ResourceManager,
        Service::NodeManager,
        Service::HiveMetastore,
        Service::HiveServer2,
        Service::MetastoreDb,
        Service::Nifi,
        Service::Postgres,
    ];

    #[test]
    fn every_daemon_has_its_own_unit_and_ports() {
        let versions = crate::inventory::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/inventory/cluster.toml"
        )))
        .unwrap()
        .versions;
        let mut units: Vec<String> = ALL.iter().map(|s| s.unit_name()).collect();
        units.sort();
        units.dedup();
        assert_eq!(units.len(), ALL.len(), "two daemons share a unit");
        let mut ports: Vec<Port> = ALL.iter().flat_map(|s| s.ports(&versions).iter().copied()).collect();
        let n = ports.len();
        ports.sort();
        ports.dedup();
        assert_eq!(ports.len(), n, "two daemons claim one port");
    }
}
