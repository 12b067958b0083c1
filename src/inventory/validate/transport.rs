//! The transport pass: `[transport]`'s kind and the keys that kind takes, then whether the
//! endpoint style of `[cluster]` works over it.

use std::ops::Range;
use std::path::Path;

use super::{checked, resolve};
use crate::catalog::Os;
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::{ClusterSection, HostEntry, Str, TransportSection};
use crate::model::values::{self, Reach};
use crate::model::{BoxName, Endpoints, Provider, Transport, UserName};

/// The box the lxc provider's machines come from, built by provision when it is missing.
pub const LXC_BOX: &str = "provision/debian12";

/// How the hosts are reached.
pub(super) struct Link {
    /// The checked transport; `None` where a problem was reported.
    pub transport: Option<Transport>,
    /// Which host addresses the written kind allows (SSH's rules when the kind is unknown).
    pub reach: Reach,
}

/// Checks `[transport]`; `os` picks the default box and `state_dir` holds the default known_hosts.
pub(super) fn check(
    section: &TransportSection,
    os: Option<Os>,
    dir: &Path,
    state_dir: Option<&Path>,
    sink: &mut Sink,
) -> Link {
    let reach = match section.kind.as_ref().map(|k| k.value.as_str()) {
        Some("local") => Reach::Local,
        Some("vagrant") => Reach::Vagrant,
        _ => Reach::Ssh,
    };
    Link { transport: transport(section, os, dir, state_dir, sink), reach }
}

/// Reads the transport of the written kind, reporting keys that do not apply to it.
fn transport(
    section: &TransportSection,
    os: Option<Os>,
    dir: &Path,
    state_dir: Option<&Path>,
    sink: &mut Sink,
) -> Option<Transport> {
    let TransportSection { span, kind, box_name, provider, user, port, identity, known_hosts } = section;
    let Some(kind) = kind else {
        if span.is_empty() {
            sink.push(
                Diagnostic::new("transport", 0..0, "missing table [transport]")
                    .hint("add [transport] with kind = \"vagrant\", \"ssh\" or \"local\""),
            );
        }
        return None;
    };
    let misplaced = |sink: &mut Sink, key: &str, span: &Range<usize>| {
        sink.push(
            Diagnostic::new(
                format!("transport.{key}"),
                span.clone(),
                format!("`{key}` does not apply to kind = \"{}\"", kind.value),
            )
            .hint("remove it"),
        );
    };
    if kind.value != "vagrant"
        && let Some(p) = provider
    {
        misplaced(sink, "provider", &p.span);
    }
    if kind.value != "ssh" {
        for (key, v) in [("identity", identity), ("known_hosts", known_hosts)] {
            if let Some(v) = v {
                misplaced(sink, key, &v.span);
            }
        }
    }
    match kind.value.as_str() {
        "vagrant" => {
            if let Some(u) = user {
                misplaced(sink, "user", &u.span)
            }
            if let Some(p) = port {
                misplaced(sink, "port", &p.span)
            }
            let provider_written = provider.as_ref();
            let provider = match provider_written.map(|p| (p, p.value.as_str())) {
                None | Some((_, "virtualbox")) => Some(Provider::Virtualbox),
                Some((_, "lxc")) => Some(Provider::Lxc),
                Some((p, other)) => {
                    sink.push(
                        Diagnostic::new("transport.provider", p.span.clone(), format!("unknown provider \"{other}\""))
                            .hint("use \"virtualbox\" or \"lxc\""),
                    );
                    None
                }
            };
            if let (Some(Provider::Lxc), Some(os), Some(written)) = (provider.as_ref(), os, provider_written)
                && os != Os::Debian12
            {
                sink.push(
                    Diagnostic::new(
                        "transport.provider",
                        written.span.clone(),
                        format!("the lxc provider runs Debian 12 machines, and cluster.os is \"{}\"", os.name()),
                    )
                    .hint("set cluster.os = \"debian12\""),
                );
            }
            let box_name = match box_name {
                Some(b) => {
                    checked(sink, "transport.box", b, "a box name is owner/name, e.g. \"centos/7\"", BoxName::parse)
                }
                None if provider == Some(Provider::Lxc) => Some(BoxName::from(LXC_BOX)),
                None => Some(BoxName::from(os?.row().default_box)),
            };
            Some(Transport::Vagrant { box_name: box_name?, provider: provider? })
        }
        "ssh" => {
            if let Some(b) = box_name {
                misplaced(sink, "box", &b.span)
            }
            let port = match port {
                None => 22,
                Some(p) => match u16::try_from(p.value).ok().filter(|p| *p > 0) {
                    Some(p) => p,
                    None => {
                        sink.push(Diagnostic::new(
                            "transport.port",
                            p.span.clone(),
                            format!("{} is not a TCP port", p.value),
                        ));
                        return None;
                    }
                },
            };
            let user = match user {
                Some(u) => {
                    checked(sink, "transport.user", u, "a login name, e.g. \"root\" or \"vagrant\"", UserName::parse)
                }
                None => Some(UserName::from("root")),
            };
            let mut file = |key: &str, v: &Str| {
                checked(sink, format!("transport.{key}"), v, "name a file on this machine", |s| {
                    match s.chars().find(|c| c.is_control()) {
                        Some(c) => Err(format!("holds {}", values::describe(c))),
                        None if s.is_empty() => Err("is empty".into()),
                        None => Ok(resolve(dir, s)),
                    }
                })
            };
            // Both files are checked before either may end the transport, so both are reported.
            let identity = identity.as_ref().map(|i| file("identity", i));
            let known_hosts = match known_hosts {
                Some(k) => file("known_hosts", k),
                None => state_dir.map(|d| d.join("known_hosts")),
            };
            let identity = match identity {
                Some(checked) => Some(checked?),
                None => None,
            };
            Some(Transport::Ssh { user: user?, port, identity, known_hosts: known_hosts? })
        }
        "local" => {
            for (key, span) in [("box", box_name.as_ref().map(|b| &b.span)), ("user", user.as_ref().map(|u| &u.span))] {
                if let Some(span) = span {
                    misplaced(sink, key, span)
                }
            }
            if let Some(p) = port {
                misplaced(sink, "port", &p.span)
            }
            Some(Transport::Local)
        }
        other => {
            sink.push(
                Diagnostic::new("transport.kind", kind.span.clone(), format!("unknown transport \"{other}\""))
                    .hint("use \"vagrant\", \"ssh\" or \"local\""),
            );
            None
        }
    }
}

/// Cross-check: on the local transport the host names do not resolve, so endpoints must be
/// addresses; reported at `endpoints` as written, or at `[cluster]` when it is left out.
pub(super) fn check_endpoints(
    transport: Option<&Transport>,
    endpoints: Option<Endpoints>,
    cluster: &ClusterSection,
    sink: &mut Sink,
) {
    if let (Some(Transport::Local), Some(Endpoints::Hostname)) = (transport, endpoints) {
        let span = cluster.endpoints.as_ref().map_or(cluster.span.clone(), |e| e.span.clone());
        sink.push(
            Diagnostic::new("cluster.endpoints", span, "the local transport needs endpoints = \"address\"")
                .hint("on one machine the host names do not resolve; set endpoints = \"address\" in [cluster]"),
        );
    }
}

/// Checks that the lxc machines fit one host-only /24 that leaves its first address to this
/// machine (the bridge's), reporting each host that does not at its address. Whether the
/// machines' network is whole.
pub(super) fn check_lxc_network(hosts: &[HostEntry], sink: &mut Sink) -> bool {
    let addressed: Vec<(&HostEntry, &Str, std::net::Ipv4Addr)> =
        hosts.iter().filter_map(|h| h.address.as_ref().and_then(|a| Some((h, a, a.value.parse().ok()?)))).collect();
    let Some((first, _, first_address)) = addressed.first() else { return true };
    let [a, b, n, _] = first_address.octets();
    let network = format!("{a}.{b}.{n}.0/24");
    let bridge = crate::model::bridge_address(*first_address);
    let name = |h: &HostEntry| h.name.as_ref().map_or_else(|| h.path.clone(), |n| n.value.clone());
    let mut whole = true;
    for (h, written, address) in &addressed {
        let [ha, hb, hn, _] = address.octets();
        let problem = if (ha, hb, hn) != (a, b, n) {
            Diagnostic::new(
                format!("{}.address", h.path),
                written.span.clone(),
                format!(
                    "host {} ({address}) is not in {network} with host {} ({first_address}): the lxc machines share one host-only network",
                    name(h),
                    name(first)
                ),
            )
            .hint(format!("give every host an address in {network}"))
        } else if *address == bridge {
            Diagnostic::new(
                format!("{}.address", h.path),
                written.span.clone(),
                format!("host {} has {bridge}, this machine's address on the machines' network", name(h)),
            )
            .hint(format!("give it another address in {network}"))
        } else {
            continue;
        };
        sink.push(problem);
        whole = false;
    }
    whole
}
