//! Hive's daemons: the metastore (on its MySQL or MariaDB database) and HiveServer2, run as
//! the Hive user from Hive's home on Hadoop's jars.

use super::launch::{hive_classpath, hive_env, hive_jvm_options, java, service_property};
use super::{Folder, Launch, Probe, Ready, Spec, folder};
use crate::catalog::Product;
use crate::model::{Cluster, Host, Port, Service};

fn logs(c: &Cluster) -> Vec<Folder> {
    vec![folder(&c.paths.hive_logs, 0o755, &c.users.hive)]
}

/// The Hive metastore.
pub(super) const METASTORE: Spec = Spec {
    unit: "hive-metastore",
    runs_from: &[Product::Hive, Product::Hadoop],
    user: |u| &u.hive,
    ports: |_| &[Port::HiveMetastore],
    folders: logs,
    launch: |c, h| {
        let d = HiveDaemon {
            service: Service::HiveMetastore,
            name: "metastore",
            class: "org.apache.hadoop.hive.metastore.HiveMetaStore",
            heap: c.heaps.hive_metastore,
            after: vec![],
        };
        hive_daemon(c, h, d)
    },
    ready: |h| Ready {
        what: "Hive metastore listening".into(),
        probe: Probe::Listening { address: format!("{}:{}", h.address, h.ports.hive_metastore) },
    },
};

/// HiveServer2.
pub(super) const HIVESERVER2: Spec = Spec {
    unit: "hive-server2",
    runs_from: &[Product::Hive, Product::Hadoop],
    user: |u| &u.hive,
    ports: |_| &[Port::Hiveserver2, Port::Hiveserver2Webui],
    folders: logs,
    launch: |c, h| {
        let d = HiveDaemon {
            service: Service::HiveServer2,
            name: "hiveserver2",
            class: "org.apache.hive.service.server.HiveServer2",
            heap: c.heaps.hiveserver2,
            after: vec![Service::HiveMetastore],
        };
        hive_daemon(c, h, d)
    },
    ready: |h| Ready {
        what: "HiveServer2 listening".into(),
        probe: Probe::HiveServer2 { address: format!("{}:{}", h.address, h.ports.hiveserver2) },
    },
};

/// What sets one Hive daemon's launch apart from the other's.
struct HiveDaemon {
    service: Service,
    name: &'static str,
    class: &'static str,
    heap: u32,
    after: Vec<Service>,
}

fn hive_daemon(c: &Cluster, host: &Host, d: HiveDaemon) -> Launch {
    let HiveDaemon { service, name, class, heap, after } = d;
    let logs = c.on_host(host, &c.paths.hive_logs);
    let mut command = vec![java(c), format!("-Dproc_{name}"), service_property(host, service), format!("-Xmx{heap}m")];
    command.extend(hive_jvm_options(c));
    command.extend([
        format!("-Dhive.log.dir={logs}"),
        format!("-Dhive.log.file=hive-{name}-{}.log", host.name),
        "-cp".into(),
        hive_classpath(c, host),
        class.into(),
    ]);
    Launch {
        service,
        host: host.name.clone(),
        description: format!("Hive {name} on {} of cluster {}", host.name, c.name),
        user: c.users.hive.clone(),
        command,
        env: hive_env(c, host),
        workdir: logs.clone(),
        log_dir: logs,
        after,
    }
}
