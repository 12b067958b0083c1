//! Operating-system files: /etc/hosts, and on real hosts the service users' limits.

use std::fmt::Write as _;

use super::{Shared, Tree, mode};
use crate::context;
use crate::model::{Cluster, Host, Transport};

/// The lines of /etc/hosts that list every host of the cluster at its cluster address, the
/// same on every host: `<address> <name>`.
pub(super) fn host_entries(c: &Cluster) -> String {
    let mut out = String::with_capacity(c.hosts.len() * 32);
    for h in &c.hosts {
        let _ = writeln!(out, "{} {}", h.address, h.name);
    }
    out
}

/// Renders /etc/hosts for `host`, listing every host of the cluster at its cluster address.
pub(super) fn render(c: &Cluster, host: &Host, shared: &Shared, t: &mut Tree) {
    let text = super::templates::render(
        "hosts",
        &context! {"host" => host.name, "cluster" => c.name, "entries" => shared.host_entries},
    );
    let services = c.services(host);
    t.add(host, "/etc/hosts", text, mode::PUBLIC, &services);
}

/// Renders the open-files and processes limits of `host`'s service users (real hosts only:
/// systemd units carry their own; this covers commands run as those users).
pub fn render_limits(c: &Cluster, host: &Host, t: &mut Tree) {
    if c.transport == Transport::Local {
        return;
    }
    let mut users: Vec<&str> = Vec::new();
    for s in c.services(host) {
        if !users.contains(&&**s.user(&c.users)) {
            users.push(&**s.user(&c.users));
        }
    }
    if users.is_empty() {
        return;
    }
    let mut text = format!(
        "# Rendered by provision for {} of cluster {}; edit the inventory, not this file.\n",
        host.name, c.name
    );
    for u in users {
        text.push_str(&format!("{u} - nofile 65536\n{u} - nproc 65536\n"));
    }
    t.add(host, "/etc/security/limits.d/90-provision.conf", text, mode::PUBLIC, &[]);
}
