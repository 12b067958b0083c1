//! The Hive metastore's database server, MySQL or MariaDB from the OS's packages, run from a
//! unit of provision's own on its own configuration.

use std::collections::BTreeMap;

use super::{Launch, Probe, Ready, Spec, folder};
use crate::model::{Port, Service};

/// The metastore's MySQL or MariaDB server.
pub(super) const METASTORE_DB: Spec = Spec {
    unit: "metastore-db",
    runs_from: &[],
    user: |u| &u.mysql,
    ports: |_| &[Port::MetastoreDb],
    folders: |c| {
        vec![
            folder(&c.paths.metastore_db_data, 0o750, &c.users.mysql),
            folder(&c.paths.metastore_db_run, 0o755, &c.users.mysql),
        ]
    },
    launch: |c, host| {
        let at = |p: &str| c.on_host(host, p);
        let conf = at(&c.paths.metastore_db_conf);
        Launch {
            service: Service::MetastoreDb,
            host: host.name.clone(),
            description: format!("{} for the Hive metastore of cluster {}", c.versions.metastore_db.name, c.name),
            user: c.users.mysql.clone(),
            command: vec![c.versions.metastore_db.server_binary.into(), format!("--defaults-file={conf}/my.cnf")],
            env: BTreeMap::new(),
            workdir: at(&c.paths.metastore_db_data),
            log_dir: at(&c.paths.metastore_db_data),
            after: vec![],
        }
    },
    ready: |h| Ready {
        what: "metastore database answering".into(),
        probe: Probe::Mysql { address: format!("{}:{}", h.address, h.ports.metastore_db) },
    },
};
