//! ZooKeeper: zoo.cfg and myid for each server.

use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Host, Role, Service};

/// The server id of each ZooKeeper host: its 1-based position among them in the inventory.
pub fn server_id(c: &Cluster, host: &Host) -> Option<usize> {
    c.with_role(Role::Zookeeper).position(|h| h.name == host.name).map(|i| i + 1)
}

/// Renders zoo.cfg and myid for `host`, if it is a ZooKeeper server.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
    let Some(id) = server_id(c, host) else { return };
    #[derive(serde::Serialize)]
    struct Server {
        id: usize,
        endpoint: String,
    }
    let servers: Vec<Server> =
        c.with_role(Role::Zookeeper).enumerate().map(|(i, h)| Server { id: i + 1, endpoint: c.endpoint(h) }).collect();
    let zk = c.versions.zookeeper;
    let text = super::templates::render(
        "zoo.cfg",
        &context! {
            "host" => host.name,
            "cluster" => c.name,
            "data_dir" => c.on_host(host, &c.paths.zookeeper_data),
            "client_port" => host.ports.zookeeper_client,
            "peer_port" => host.ports.zookeeper_peer,
            "election_port" => host.ports.zookeeper_election,
            "admin_port" => host.ports.zookeeper_admin,
            "address" => host.address.to_string(),
            "servers" => servers,
            "four_letter_whitelist" => zk.four_letter_whitelist,
            "admin_server" => zk.admin_server,
        },
    );
    t.add(host, &format!("{}/zoo.cfg", c.paths.zookeeper_conf), text, mode::PUBLIC, &[Service::Zookeeper]);
    if zk.logback {
        let logback = super::templates::render("logback.xml", &context! {"host" => host.name, "cluster" => c.name});
        t.add(host, &format!("{}/logback.xml", c.paths.zookeeper_conf), logback, mode::PUBLIC, &[Service::Zookeeper]);
    }
    t.add(host, &format!("{}/myid", c.paths.zookeeper_data), format!("{id}\n"), mode::PUBLIC, &[Service::Zookeeper]);
}
