//! The crawler's hourly schedule: a cron file on the crawler host.

use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Host, Role};

/// Renders the cron file for `host`, if it is the crawler.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
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
            "inventory" => c.on_host(host, &format!("{}/inventory.toml", c.paths.provision_conf)),
            "logs" => c.on_host(host, &c.paths.provision_logs),
        },
    );
    t.add(host, &format!("{}/provision-pipeline", c.paths.cron_d), text, mode::PUBLIC, &[]);
}
