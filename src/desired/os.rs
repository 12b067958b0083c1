//! Operating-system files: /etc/hosts.

use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Host};

/// Renders /etc/hosts for `host`, listing every host of the cluster at its cluster address.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
    #[derive(serde::Serialize)]
    struct Entry<'a> {
        name: &'a str,
        address: String,
    }
    let hosts: Vec<Entry> = c.hosts.iter().map(|h| Entry { name: &h.name, address: h.address.to_string() }).collect();
    let text = super::templates::render("hosts", &context! {"host" => host.name, "cluster" => c.name, "hosts" => hosts});
    let services = c.services(host);
    t.add(host, "/etc/hosts", text, mode::PUBLIC, &services);
}
