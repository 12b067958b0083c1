//! The mart's PostgreSQL server from the OS's packages, run from a unit of provision's own on
//! its own cluster and configuration.

use std::collections::BTreeMap;

use super::{Launch, Probe, Ready, Spec, folder};
use crate::model::{Port, Service};

/// The mart's PostgreSQL server.
pub(super) const POSTGRES: Spec = Spec {
    unit: "mart-postgresql",
    runs_from: &[],
    user: |u| &u.postgres,
    ports: |_| &[Port::Postgresql],
    folders: |c| {
        vec![
            folder(&c.paths.postgres_data, 0o700, &c.users.postgres),
            folder(&c.paths.postgres_run, 0o755, &c.users.postgres),
        ]
    },
    launch: |c, host| {
        let conf = c.on_host(host, &c.paths.postgres_conf);
        let data = c.on_host(host, &c.paths.postgres_data);
        Launch {
            service: Service::Postgres,
            host: host.name.clone(),
            description: format!("PostgreSQL {} for the data mart of cluster {}", c.versions.postgresql, c.name),
            user: c.users.postgres.clone(),
            command: vec![
                format!("{}/postgres", c.postgres_bin()),
                "-D".into(),
                data.clone(),
                "-c".into(),
                format!("config_file={conf}/postgresql.conf"),
            ],
            env: BTreeMap::new(),
            workdir: data.clone(),
            log_dir: format!("{data}/log"),
            after: vec![],
        }
    },
    ready: |h| Ready {
        what: "PostgreSQL accepting connections".into(),
        probe: Probe::Postgres { address: format!("{}:{}", h.address, h.ports.postgresql) },
    },
};
