//! ZooKeeper: the quorum the NameNodes' failover controllers elect through.

use super::launch::{env, java, service_property};
use super::{Folder, Launch, Probe, Ready, Spec, folder};
use crate::catalog::Product;
use crate::model::{Cluster, Host, Port, Service, Versions};

/// A ZooKeeper server.
pub(super) const ZOOKEEPER: Spec = Spec {
    unit: "zookeeper",
    runs_from: &[Product::Zookeeper],
    user: |u| &u.zookeeper,
    ports,
    folders,
    launch,
    ready: |h| Ready {
        what: "ZooKeeper in the quorum".into(),
        probe: Probe::Zookeeper { address: format!("{}:{}", h.address, h.ports.zookeeper_client) },
    },
};

/// Its ports; the admin server's from 3.5 on.
fn ports(versions: &Versions) -> &'static [Port] {
    if versions.zookeeper.admin_server {
        &[Port::ZookeeperClient, Port::ZookeeperPeer, Port::ZookeeperElection, Port::ZookeeperAdmin]
    } else {
        &[Port::ZookeeperClient, Port::ZookeeperPeer, Port::ZookeeperElection]
    }
}

fn folders(c: &Cluster) -> Vec<Folder> {
    vec![
        folder(&c.paths.zookeeper_data, 0o750, &c.users.zookeeper),
        folder(&c.paths.zookeeper_logs, 0o755, &c.users.zookeeper),
    ]
}

fn launch(c: &Cluster, host: &Host) -> Launch {
    let at = |p: &str| c.on_host(host, p);
    let home = at(&c.paths.zookeeper_home);
    let conf = at(&c.paths.zookeeper_conf);
    let logs = at(&c.paths.zookeeper_logs);
    let mut command = vec![java(c), service_property(host, Service::Zookeeper), format!("-Xmx{}m", c.heaps.zookeeper)];
    command.extend([
        format!("-Dzookeeper.log.dir={logs}"),
        format!("-Dzookeeper.log.file=zookeeper-{}.log", host.name),
        "-Dzookeeper.root.logger=INFO,ROLLINGFILE".into(),
        "-cp".into(),
        format!("{conf}:{home}/lib/*:{home}/*"),
        "org.apache.zookeeper.server.quorum.QuorumPeerMain".into(),
        format!("{conf}/zoo.cfg"),
    ]);
    Launch {
        service: Service::Zookeeper,
        host: host.name.clone(),
        description: format!("ZooKeeper server {} of cluster {}", host.name, c.name),
        user: c.users.zookeeper.clone(),
        command,
        env: env(&[("JAVA_HOME", c.java_home()), ("ZOO_LOG_DIR", logs.clone())]),
        workdir: at(&c.paths.zookeeper_data),
        log_dir: logs,
        after: vec![],
    }
}
