//! The hosts pass: each `[[hosts]]` entry's name, address, roles, size and port overrides,
//! with names and addresses unique across the hosts.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::ops::Range;

use super::positive;
use super::settings::{Written, read_ports};
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::HostEntry;
use crate::model::values::{self, Reach};
use crate::model::{Host, Ports, Role};

/// Names of hosts that would collide with folders `render` writes beside the hosts' folders.
const RESERVED_HOST_NAMES: &[&str] = &["vagrant"];

/// Checks every host, its addresses as `reach` allows; each host's ports start from
/// `cluster_ports`, and where its overrides were written is added to `written`. Only hosts
/// without a problem in name, address, memory or CPUs are returned.
pub(super) fn check(
    entries: &[HostEntry],
    reach: Reach,
    cluster_ports: &Ports,
    written: &mut Written,
    sink: &mut Sink,
) -> Vec<Host> {
    if entries.is_empty() {
        sink.push(Diagnostic::new("hosts", 0..0, "no hosts").hint("add a [[hosts]] table for each machine"));
    }
    let mut names: BTreeMap<String, Range<usize>> = BTreeMap::new();
    let mut addresses: BTreeMap<Ipv4Addr, (String, Range<usize>)> = BTreeMap::new();
    let mut out = Vec::new();
    for HostEntry {
        path,
        span,
        name: written_name,
        address,
        roles: written_roles,
        memory_mb,
        cpus,
        ports: overrides,
    } in entries
    {
        let name = written_name.as_ref().and_then(|n| {
            if let Err(reason) = values::check_host_name(&n.value) {
                sink.push(
                    Diagnostic::new(
                        format!("{path}.name"),
                        n.span.clone(),
                        format!("{:?} is not a valid host name: it {reason}", n.value),
                    )
                    .hint("use lowercase letters, digits and '-', not starting or ending with '-'"),
                );
                return None;
            }
            if RESERVED_HOST_NAMES.contains(&n.value.as_str()) {
                sink.push(
                    Diagnostic::new(format!("{path}.name"), n.span.clone(), format!("\"{}\" is reserved", n.value))
                        .hint("render writes the Vagrantfile in a folder of that name; pick another host name"),
                );
                return None;
            }
            if names.contains_key(&n.value) {
                sink.push(
                    Diagnostic::new(
                        format!("{path}.name"),
                        n.span.clone(),
                        format!("duplicate host name \"{}\"", n.value),
                    )
                    .hint("every host needs its own name"),
                );
                return None;
            }
            names.insert(n.value.clone(), n.span.clone());
            Some(n.value.clone())
        });
        let address = address.as_ref().and_then(|a| match a.value.parse::<Ipv4Addr>() {
            Err(_) => {
                sink.push(
                    Diagnostic::new(
                        format!("{path}.address"),
                        a.span.clone(),
                        format!("{:?} is not an IPv4 address", a.value),
                    )
                    .hint("write it as four numbers, e.g. \"192.168.56.100\""),
                );
                None
            }
            Ok(ip) => {
                if let Err(reason) = values::check_host_address(ip, reach) {
                    sink.push(
                        Diagnostic::new(format!("{path}.address"), a.span.clone(), format!("{ip} {reason}")).hint(
                            if reach == Reach::Local {
                                "give each host its own address in 127.0.0.0/8, e.g. \"127.0.10.1\""
                            } else {
                                "give each host its own unicast address, e.g. \"192.168.56.100\""
                            },
                        ),
                    );
                    return None;
                }
                if let Some((other, _)) = addresses.get(&ip) {
                    sink.push(
                        Diagnostic::new(
                            format!("{path}.address"),
                            a.span.clone(),
                            format!("address {ip} is already {other}'s"),
                        )
                        .hint("every host needs its own address"),
                    );
                    return None;
                }
                addresses.insert(ip, (written_name.as_ref().map_or("?".into(), |n| n.value.clone()), a.span.clone()));
                Some(ip)
            }
        });
        let mut roles = Vec::new();
        match written_roles {
            None => sink.push(
                Diagnostic::new(format!("{path}.roles"), span.clone(), "missing required key `roles`")
                    .hint("list what the host does, e.g. roles = [\"datanode\", \"nodemanager\"]"),
            ),
            Some(list) => {
                for (i, r) in list.value.iter().enumerate() {
                    match Role::parse(&r.value) {
                        None => {
                            let known: Vec<&str> = Role::ALL.iter().map(|(_, n)| *n).collect();
                            sink.push(
                                Diagnostic::new(
                                    format!("{path}.roles[{i}]"),
                                    r.span.clone(),
                                    format!("unknown role \"{}\"", r.value),
                                )
                                .hint(format!("known roles: {}", known.join(", "))),
                            );
                        }
                        Some(role) if roles.contains(&role) => {
                            sink.push(
                                Diagnostic::new(
                                    format!("{path}.roles[{i}]"),
                                    r.span.clone(),
                                    format!("role \"{}\" is listed twice", r.value),
                                )
                                .hint("list each role once"),
                            );
                        }
                        Some(role) => roles.push(role),
                    }
                }
            }
        }
        let memory_mb = positive(sink, &format!("{path}.memory_mb"), memory_mb, 2048);
        let cpus = positive(sink, &format!("{path}.cpus"), cpus, 1);
        let mut ports = cluster_ports.clone();
        read_ports(sink, &format!("{path}.ports"), overrides, &mut ports, written);
        if let (Some(name), Some(address), Some(memory_mb), Some(cpus)) = (name, address, memory_mb, cpus) {
            out.push(Host { name, address, roles, memory_mb, cpus, ports });
        }
    }
    out
}
