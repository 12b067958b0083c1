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

/// Renders a unit for every daemon of `host`, and for the daemons' folders below `/run` (a
/// memory file system, empty after every boot) a tmpfiles.d entry that makes them at boot,
/// before the daemons start.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
    let mut runtime = Vec::new();
    for service in c.services(host) {
        let l = launch(c, host, service);
        let path = format!("{}/{}", c.paths.systemd_units, service.unit_name());
        t.add(host, &path, unit(c, &l), mode::PUBLIC, &[service]);
        for f in (service.spec().folders)(c) {
            if f.path.starts_with("/run/") || f.path.starts_with("/var/run/") {
                runtime.push(format!("d {} {:04o} {} {} -", f.path, f.mode, f.owner, f.owner));
            }
        }
    }
    if !runtime.is_empty() {
        let text = format!(
            "# Rendered by provision for {} of cluster {}; edit the inventory, not this file.\n# The daemons' folders below /run, made again at every boot.\n{}\n",
            host.name,
            c.name,
            runtime.join("\n")
        );
        t.add(host, TMPFILES, text, mode::PUBLIC, &[]);
    }
}

/// The tmpfiles.d entry of the daemons' runtime folders.
const TMPFILES: &str = "/etc/tmpfiles.d/provision.conf";
