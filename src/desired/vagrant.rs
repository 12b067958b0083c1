//! The Vagrantfile that creates the VMs, from the same hosts as everything else.

use super::Tree;
use crate::context;
use crate::model::{Cluster, Provider, Transport};

/// Where the Vagrantfile goes inside a render folder (and in the repository).
pub const VAGRANTFILE: &str = "vagrant/Vagrantfile";

/// A fixed MAC for the machine at `address`, locally administered: a machine restarted with
/// another MAC leaves a stale neighbour entry that delays its SSH by half a minute.
fn mac(address: std::net::Ipv4Addr) -> String {
    let [a, b, c, d] = address.octets();
    format!("02:00:{a:02x}:{b:02x}:{c:02x}:{d:02x}")
}

/// Renders the Vagrantfile when the cluster's hosts are Vagrant VMs.
pub fn render(c: &Cluster, t: &mut Tree) {
    let Transport::Vagrant { box_name, provider } = &c.transport else { return };
    #[derive(serde::Serialize)]
    struct Vm<'a> {
        name: &'a str,
        vm_name: String,
        address: String,
        cidr: String,
        mac: String,
        memory_mb: u32,
        cpus: u32,
    }
    let hosts: Vec<Vm> = c
        .hosts
        .iter()
        .map(|h| Vm {
            name: &h.name,
            vm_name: format!("{}-{}", c.name, h.name),
            address: h.address.to_string(),
            cidr: format!("{}/24", h.address),
            mac: mac(h.address),
            memory_mb: h.memory_mb,
            cpus: h.cpus,
        })
        .collect();
    let lxc = *provider == Provider::Lxc;
    let bridge = crate::machines::network::of(&c.hosts).map(|n| n.bridge).unwrap_or_default();
    let text = super::templates::render(
        "Vagrantfile",
        &context! {"cluster" => c.name, "box" => box_name, "hosts" => hosts, "lxc" => lxc, "bridge" => bridge},
    );
    t.add_controller(VAGRANTFILE, text);
}
