//! Apache NiFi, the workflow tool, run from NiFi's home: its `lib/` (an Apache release's, or
//! the layout from Maven Central) with the configuration provision renders.

use super::launch::{env, java, service_property};
use super::{Launch, Probe, Ready, Spec, folder};
use crate::catalog::Product;
use crate::model::{Cluster, Host, Port, Service};

/// The JVM options NiFi's own bootstrap.conf gives it, besides the heap.
pub const JVM_OPTIONS: &[&str] = &[
    "-Dorg.apache.jasper.compiler.disablejsr199=true",
    "-Djava.net.preferIPv4Stack=true",
    "-Dsun.net.http.allowRestrictedHeaders=true",
    "-Djava.protocol.handler.pkgs=sun.net.www.protocol",
    "-Djava.awt.headless=true",
    "-Djava.security.egd=file:/dev/urandom",
    "-Djavax.security.auth.useSubjectCredsOnly=true",
    "-Dzookeeper.admin.enableServer=false",
];

/// NiFi.
pub(super) const NIFI: Spec = Spec {
    unit: "nifi",
    runs_from: &[Product::Nifi],
    user: |u| &u.nifi,
    ports: |_| &[Port::NifiHttp],
    folders: |c| {
        vec![folder(&c.paths.nifi_data, 0o750, &c.users.nifi), folder(&c.paths.nifi_logs, 0o755, &c.users.nifi)]
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
    let heap = c.heaps.nifi;
    // NiFi itself, without its RunNiFi bootstrap (whose control sockets bind loopback on random
    // ports): systemd or the supervisor restarts it, and SIGTERM shuts it down gracefully.
    let mut command =
        vec![java(c), service_property(host, Service::Nifi), format!("-Xms{heap}m"), format!("-Xmx{heap}m")];
    command.extend(JVM_OPTIONS.iter().map(|o| o.to_string()));
    command.extend([
        format!("-Dnifi.properties.file.path={conf}/nifi.properties"),
        format!("-Dorg.apache.nifi.bootstrap.config.log.dir={logs}"),
        "-cp".into(),
        format!("{conf}:{home}/lib/*:{home}/lib/java11/*"),
        "org.apache.nifi.NiFi".into(),
    ]);
    Launch {
        service: Service::Nifi,
        host: host.name.clone(),
        description: format!("Apache NiFi on {} of cluster {}", host.name, c.name),
        user: c.users.nifi.clone(),
        command,
        env: env(&[("JAVA_HOME", c.java_home()), ("NIFI_HOME", home.clone()), ("NIFI_LOG_DIR", logs.clone())]),
        workdir: home,
        log_dir: logs,
        after: vec![],
    }
}
