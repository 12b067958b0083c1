//! The port cross-check: no two services on one host listen on the same port.

use std::collections::BTreeMap;

use super::settings::Written;
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::HostEntry;
use crate::model::{Host, Versions};

/// Checks every checked host's services (as `versions` and `ha` run them) for a shared port,
/// reported at the written entry in `entries`, at the clashing number where it was `written`.
pub(super) fn check_clashes(
    entries: &[HostEntry],
    hosts: &[Host],
    versions: &Versions,
    written: &Written,
    ha: bool,
    sink: &mut Sink,
) {
    for host in hosts {
        let Some(entry) = entries.iter().find(|e| e.name.as_ref().is_some_and(|n| n.value == host.name)) else {
            continue;
        };
        let mut taken: BTreeMap<u16, (&'static str, &'static str)> = BTreeMap::new();
        for role in &host.roles {
            for service in role.services(ha) {
                for key in service.ports(versions) {
                    let (port_name, port) = (key.name(), host.ports.of(*key));
                    match taken.get(&port) {
                        Some((other_service, other_port)) if *other_service != service.name() => {
                            let span = [
                                format!("{}.ports.{port_name}", entry.path),
                                format!("{}.ports.{other_port}", entry.path),
                                format!("ports.{port_name}"),
                                format!("ports.{other_port}"),
                            ]
                            .iter()
                            .find_map(|k| written.get(k))
                            .cloned()
                            .unwrap_or_else(|| entry.roles.as_ref().map_or(entry.span.clone(), |r| r.span.clone()));
                            sink.push(
                                Diagnostic::new(
                                    format!("{}.roles", entry.path),
                                    span,
                                    format!(
                                        "on host {} ({}), {} and {} would both listen on port {port}",
                                        host.name,
                                        host.address,
                                        other_service,
                                        service.name()
                                    ),
                                )
                                .hint(format!(
                                    "give ports.{port_name} or ports.{other_port} another number in [ports]"
                                )),
                            );
                        }
                        _ => {
                            taken.insert(port, (service.name(), port_name));
                        }
                    }
                }
            }
        }
    }
}
