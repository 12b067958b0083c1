//! The crawler's hourly schedule: a cron file on the crawler host, and on a host other than
//! this machine what `provision pipeline run` reads there: a copy of the inventory, and the
//! mart's password in the host's state folder (readable by the crawler's user only), which the cron
//! line names with `PROVISION_STATE_DIR`. The NiFi host gets the same two for its flow.

use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Host, Role, Transport};
use crate::secrets::Secrets;

/// Renders the crawler's files for `host`, if it is the crawler; on the NiFi host, what its
/// flow's `provision pipeline accept` reads (the same copy of the inventory and the mart's
/// password, readable by NiFi's user).
pub fn render(c: &Cluster, host: &Host, secrets: &Secrets, t: &mut Tree) {
    let runs_provision = host.has(Role::Crawler) || host.has(Role::Nifi);
    let inventory = c.inventory_copy();
    if runs_provision && c.transport != Transport::Local {
        t.add(host, &inventory, c.source.clone(), mode::PUBLIC, &[]);
        let path = Secrets::path(std::path::Path::new(&c.paths.provision_state)).display().to_string();
        let reader = if host.has(Role::Crawler) { &c.users.crawler } else { &c.users.nifi };
        t.add_secret(host, &path, secrets.crawler_toml(), reader, &[]);
    }
    if !host.has(Role::Crawler) {
        return;
    }
    let text = super::templates::render(
        "crontab",
        &context! {
            "host" => host.name,
            "cluster" => c.name,
            "schedule" => c.pipeline.schedule,
            "user" => c.users.crawler,
            "binary" => c.on_host(host, &c.paths.provision_bin),
            "inventory" => c.on_host(host, &inventory),
            "log" => format!("{}/pipeline.log", c.on_host(host, &c.paths.provision_logs)),
            "lock" => format!("{}/pipeline.lock", c.on_host(host, &c.paths.provision_logs)),
            "state" => c.on_host(host, &c.paths.provision_state),
        },
    );
    t.add(host, &format!("{}/provision-pipeline", c.paths.cron_d), text, mode::PUBLIC, &[]);
}
