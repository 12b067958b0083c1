//! The crawler's hourly schedule: a cron file on the crawler host, and on a host other than
//! this machine what `provision pipeline run` reads there: a copy of the inventory, and the
//! mart's password in the host's state folder (readable by the crawler's user only), which the cron
//! line names with `PROVISION_STATE_DIR`.

use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Host, Role, Transport};
use crate::secrets::Secrets;

/// Renders the crawler's files for `host`, if it is the crawler.
pub fn render(c: &Cluster, host: &Host, secrets: &Secrets, t: &mut Tree) {
    if !host.has(Role::Crawler) {
        return;
    }
    let inventory = format!("{}/inventory.toml", c.paths.provision_conf);
    if c.transport != Transport::Local {
        t.add(host, &inventory, c.source.clone(), mode::PUBLIC, &[]);
        let path = Secrets::path(std::path::Path::new(&c.paths.provision_state)).display().to_string();
        t.add_secret(host, &path, secrets.crawler_toml(), &c.users.crawler, &[]);
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
