//! Apache NiFi, the workflow tool, run from NiFi's home through its bootstrap.

use super::launch::{env, java, service_property};
use super::{Launch, Probe, Ready, Spec, folder};
use crate::catalog::Product;
use crate::model::{Cluster, Host, Port, Service};

/// NiFi.
pub(super) const NIFI: Spec = Spec {
    unit: "nifi",
    runs_from: &[Product::Nifi],
    user: |u| &u.nifi,
    ports: |_| &[Port::NifiHttp],
    folders: |c| {
        vec![
            folder(&c.paths.nifi_data, 0o750, &c.users.nifi),
            folder(&format!("{}/run", c.paths.nifi_data), 0o755, &c.users.nifi),
            folder(&c.paths.nifi_logs, 0o755, &c.users.nifi),
        ]
    },
    launch,
    ready: |h| Ready {
        what: "NiFi answering".into(),
        probe: Probe::Nifi { address: format!("{}:{}", h.address, h.ports.nifi_http) },
    },
};

fn launch(c: &Cluster, host: &Host) -> Launch {
    let at = |p: &str| c.on_host(host, p);
    let home = at(&c.paths.nifi_home);
    let conf = at(&c.paths.nifi_conf);
    let logs = at(&c.paths.nifi_logs);
    let run = format!("{}/run", at(&c.paths.nifi_data));
    let command = vec![
        java(c),
        service_property(host, Service::Nifi),
        "-Xms48m".into(),
        "-Xmx48m".into(),
        format!("-Dorg.apache.nifi.bootstrap.config.log.dir={logs}"),
        format!("-Dorg.apache.nifi.bootstrap.config.pid.dir={run}"),
        format!("-Dorg.apache.nifi.bootstrap.config.file={conf}/bootstrap.conf"),
        "-cp".into(),
        format!("{conf}:{home}/lib/bootstrap/*"),
        "org.apache.nifi.bootstrap.RunNiFi".into(),
        "run".into(),
    ];
    Launch {
        service: Service::Nifi,
        host: host.name.clone(),
        description: format!("Apache NiFi on {} of cluster {}", host.name, c.name),
        user: c.users.nifi.clone(),
        command,
        env: env(&[
            ("JAVA_HOME", c.java_home()),
            ("NIFI_HOME", home.clone()),
            ("NIFI_LOG_DIR", logs.clone()),
            ("NIFI_PID_DIR", run),
        ]),
        workdir: home,
        log_dir: logs,
        after: vec![],
    }
}
