//! The host-only network of the lxc machines: a bridge holding the network's first address,
//! and before it any address, a fallback route that keeps the network's traffic on this machine
//! if the bridge goes away. There is never IP forwarding or NAT: the machines reach this
//! machine and each other, nothing else.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use super::{MachinesError, io, run};
use crate::model::{Host, bridge_address};

/// The metric of the fallback route, above any route a bridge's address adds.
const FALLBACK_METRIC: &str = "4000";

/// How to install `ip`.
const IP_HINT: &str = "apt-get install iproute2";

/// One /24 network of machines on a bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// The bridge's name, e.g. `vbr56` for 192.168.56.0/24.
    pub bridge: String,
    /// The network, e.g. 192.168.56.0.
    pub network: Ipv4Addr,
    /// This machine's address on the bridge, the network's first (192.168.56.1): the machines
    /// reach the package proxy and the tests' servers there.
    pub address: Ipv4Addr,
}

impl Network {
    /// The network as `a.b.c.0/24`.
    pub fn cidr(&self) -> String {
        format!("{}/24", self.network)
    }
}

/// The network `hosts` share: every host in one /24 that leaves its first address to this
/// machine.
pub fn of(hosts: &[Host]) -> Result<Network, MachinesError> {
    let first = hosts.first().ok_or_else(|| MachinesError::Network("the inventory has no hosts".into()))?;
    let [a, b, n, _] = first.address.octets();
    let network = Ipv4Addr::new(a, b, n, 0);
    let address = bridge_address(first.address);
    for h in hosts {
        let [ha, hb, hn, _] = h.address.octets();
        if (ha, hb, hn) != (a, b, n) {
            return Err(MachinesError::Network(format!(
                "host {} ({}) is not in {network}/24 with host {} ({}): the lxc machines share one host-only network",
                h.name, h.address, first.name, first.address
            )));
        }
        if h.address == address {
            return Err(MachinesError::Network(format!(
                "host {} has {address}, this machine's address on the machines' network\nhint: give it another address in {network}/24",
                h.name
            )));
        }
    }
    Ok(Network { bridge: format!("vbr{n}"), network, address })
}

/// The record that provision made the network, so `down --destroy` removes only what it made.
fn record(state: &Path) -> PathBuf {
    state.join("network")
}

/// Whether the bridge exists.
fn bridge_exists(n: &Network) -> bool {
    Path::new("/sys/class/net").join(&n.bridge).exists()
}

/// Makes the network, each part only when it is missing: the fallback route first, then the
/// bridge, its address, and the bridge up. Refuses while this machine forwards IP packets.
pub fn ensure(n: &Network, state: &Path) -> Result<(), MachinesError> {
    let forwarding = std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap_or_default();
    if forwarding.trim() == "1" {
        return Err(MachinesError::Network(
            "this machine forwards IP packets (net.ipv4.ip_forward = 1), which would route the machines' network beyond it\nhint: sysctl -w net.ipv4.ip_forward=0".into(),
        ));
    }
    std::fs::create_dir_all(state).map_err(io(state))?;
    std::fs::write(record(state), format!("{} {}\n", n.bridge, n.cidr())).map_err(io(&record(state)))?;
    let cidr = n.cidr();
    run("ip", &["route", "replace", "unreachable", &cidr, "metric", FALLBACK_METRIC], IP_HINT)?;
    if !bridge_exists(n) {
        run("ip", &["link", "add", &n.bridge, "type", "bridge"], IP_HINT)?;
    }
    let addresses = run("ip", &["-4", "-o", "addr", "show", "dev", &n.bridge], IP_HINT)?;
    let with_prefix = format!("{}/24", n.address);
    if !addresses.split_whitespace().any(|w| w == with_prefix) {
        run("ip", &["addr", "add", &with_prefix, "dev", &n.bridge], IP_HINT)?;
    }
    run("ip", &["link", "set", &n.bridge, "up"], IP_HINT)?;
    Ok(())
}

/// Removes what [`ensure`] made: the bridge, then the fallback route last. Nothing when the
/// record says provision did not make them.
pub fn remove(n: &Network, state: &Path) -> Result<(), MachinesError> {
    if !record(state).exists() {
        return Ok(());
    }
    if bridge_exists(n) {
        run("ip", &["link", "del", &n.bridge], IP_HINT)?;
    }
    let routes = run("ip", &["route", "show", "type", "unreachable", &n.cidr()], IP_HINT)?;
    if !routes.trim().is_empty() {
        run("ip", &["route", "del", "unreachable", &n.cidr(), "metric", FALLBACK_METRIC], IP_HINT)?;
    }
    std::fs::remove_file(record(state)).map_err(io(&record(state)))
}
