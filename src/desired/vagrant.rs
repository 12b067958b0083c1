//! The Vagrantfile that creates the VMs, from the same hosts as everything else.

use super::Tree;
use crate::context;
use crate::model::{Cluster, Transport};

/// Where the Vagrantfile goes inside a render folder (and in the repository).
pub const VAGRANTFILE: &str = "vagrant/Vagrantfile";

/// Renders the Vagrantfile when the cluster's hosts are Vagrant VMs.
pub fn render(c: &Cluster, t: &mut Tree) {
    let Transport::Vagrant { box_name } = &c.transport else { return };
    #[derive(serde::Serialize)]
    struct Vm<'a> {
        name: &'a str,
        vm_name: String,
        address: String,
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
            memory_mb: h.memory_mb,
            cpus: h.cpus,
        })
        .collect();
    let text =
        super::templates::render("Vagrantfile", &context! {"cluster" => c.name, "box" => box_name, "hosts" => hosts});
    t.add_controller(VAGRANTFILE, text);
}
