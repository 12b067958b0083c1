//! systemd units, one per daemon per host, from the launch specifications.

use super::escape::{systemd_env_word, systemd_exec_word};
use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Host};
use crate::services::{Launch, launch};

fn unit(c: &Cluster, l: &Launch) -> String {
    let exec: Vec<String> = l.command.iter().map(|a| systemd_exec_word(a)).collect();
    let env: Vec<String> = l.env.iter().map(|(k, v)| systemd_env_word(&format!("{k}={v}"))).collect();
    let after: Vec<String> = l.after.iter().map(|s| s.unit_name()).collect();
    super::templates::render(
        "unit.service",
        &context! {
            "host" => l.host,
            "cluster" => c.name,
            "description" => l.description,
            "user" => l.user,
            "workdir" => l.workdir,
            "env" => env,
            "exec" => exec.join(" "),
            "after" => after,
        },
    )
}

/// Renders a unit for every daemon of `host`.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
    for service in c.services(host) {
        let l = launch(c, host, service);
        let path = format!("{}/{}", c.paths.systemd_units, service.unit_name());
        t.add(host, &path, unit(c, &l), mode::PUBLIC, &[service]);
    }
}
