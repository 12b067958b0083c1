//! What provision knows about each daemon it runs, whatever the host: which daemons a host runs
//! under provision, and how each is supervised, started and stopped.

use crate::desired::launch;
use crate::engine::steps::{Step, Supervisor};
use crate::model::{Cluster, Host, Service, Transport};

/// The daemons `up` starts: every service of the host, but NiFi on one machine (there
/// provision's own pipeline stands in for NiFi's flow, and no NiFi release can be fetched
/// from Maven Central).
pub fn supervised(c: &Cluster, host: &Host) -> Vec<Service> {
    c.services(host).into_iter().filter(|s| *s != Service::Nifi || c.transport != Transport::Local).collect()
}

/// How `service` on `host` is supervised: systemd on real hosts, a pid file on one machine.
pub fn supervisor(c: &Cluster, host: &Host, service: Service) -> Supervisor {
    match c.transport {
        Transport::Local => {
            let l = launch::launch(c, host, service);
            let output = format!("{}/{}.out", c.on_host(host, &c.paths.provision_logs), service.name());
            Supervisor::Pidfile {
                pid_file: format!("{}/{}.pid", c.on_host(host, &c.paths.provision_run), service.name()),
                start: l.shell(Some(&output)),
                marker: l.marker().to_string(),
            }
        }
        _ => Supervisor::Systemd,
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
