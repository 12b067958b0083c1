//! The crawler's hourly schedule: a cron file on the crawler host, and on a host other than
//! this machine what `provision pipeline run` reads there: a copy of the inventory, and the
//! mart's password in the host's state folder (readable by the crawler's user only), which the cron
//! line names with `PROVISION_STATE_DIR`. The NiFi host gets the same two for its flow, the
//! password readable by NiFi's user (in a folder of its own when the host is the crawler too).

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
        let secret = |dir: &str| Secrets::path(std::path::Path::new(dir)).display().to_string();
        if host.has(Role::Crawler) {
            t.add_secret(host, &secret(&c.paths.provision_state), secrets.crawler_toml(), &c.users.crawler, &[]);
        }
        if host.has(Role::Nifi) {
            t.add_secret(host, &secret(&c.flow_state_dir(host)), secrets.crawler_toml(), &c.users.nifi, &[]);
        }
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The secrets files of `host` in the rendered `tree`: path and owner.
    fn secrets_of(tree: &Tree, host: &str) -> Vec<(String, String)> {
        let files = tree.files.values().filter(|f| f.host.as_deref() == Some(host) && f.is_secret());
        files
            .filter(|f| f.path.starts_with("/var/lib/provision/"))
            .map(|f| (f.path.clone(), f.owner.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn each_user_that_runs_provision_on_a_host_reads_a_password_file_of_its_own() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let secrets: Secrets =
            toml::from_str(&std::fs::read_to_string(root.join("tests/fixtures/secrets.toml")).unwrap()).unwrap();
        let source = std::fs::read_to_string(root.join("inventory/machines.toml")).unwrap();
        let apart = crate::inventory::parse(Path::new("machines.toml"), &source).unwrap();
        let tree = super::super::render(&apart, &secrets);
        assert_eq!(secrets_of(&tree, "getdataserver"), [("/var/lib/provision/secrets.toml".into(), "crawler".into())]);
        assert_eq!(secrets_of(&tree, "nn01"), [("/var/lib/provision/secrets.toml".into(), "nifi".into())]);
        assert_eq!(apart.flow_state_dir(apart.host("nn01").unwrap()), "/var/lib/provision");

        // The crawler on NiFi's host: the crawler's file stays the crawler's, NiFi gets its own.
        let together = source
            .replace(r#""nifi", "hive-metastore""#, r#""nifi", "crawler", "hive-metastore""#)
            .replace(r#"roles = ["crawler"]"#, r#"roles = ["datanode", "nodemanager"]"#);
        let together = crate::inventory::parse(Path::new("machines.toml"), &together).unwrap();
        let tree = super::super::render(&together, &secrets);
        assert_eq!(
            secrets_of(&tree, "nn01"),
            [
                ("/var/lib/provision/nifi/secrets.toml".into(), "nifi".into()),
                ("/var/lib/provision/secrets.toml".into(), "crawler".into())
            ]
        );
        assert_eq!(together.flow_state_dir(together.host("nn01").unwrap()), "/var/lib/provision/nifi");
    }
}
