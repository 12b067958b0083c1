//! The platform on eight real Debian 12 machines: Vagrant's lxc provider on this host, a
//! host-only bridge provision makes, systemd in every machine, everything over SSH. Needs root,
//! lxc, vagrant, vagrant-lxc, debootstrap and apt-cacher-ng (`scripts/setup.sh test` installs
//! them).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Inventory, bin, copy_inventory, heavy, tempdir};

/// The machines' network, as inventory/machines.toml has it.
const NETWORK: &str = "192.168.56.0/24";
const BRIDGE: &str = "vbr56";

/// Runs `provision args -i inv`, returning its exit code, stdout and stderr.
fn provision(inv: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).arg("-i").arg(inv).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// `provision args` that must succeed; its stdout.
fn ok(inv: &Path, args: &[&str]) -> String {
    let (code, out, err) = provision(inv, args);
    assert_eq!(code, 0, "provision {args:?} failed:\n{out}\n{err}");
    out
}

/// Runs `vagrant args` in the machines' folder.
fn vagrant(dir: &Path, args: &[&str]) {
    let out = Command::new("vagrant")
        .args(args)
        .current_dir(dir)
        .env("VAGRANT_DEFAULT_PROVIDER", "lxc")
        .output()
        .expect("vagrant");
    assert!(out.status.success(), "vagrant {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Destroys the machines however the test ends.
struct Machines {
    inventory: PathBuf,
}

impl Drop for Machines {
    fn drop(&mut self) {
        let _ = provision(&self.inventory, &["down", "--destroy"]);
    }
}

/// `provision status --json` until healthy, within `limit`; the last document.
fn healthy_within(inv: &Path, limit: Duration) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let (code, out, _) = provision(inv, &["status", "--json"]);
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        if code == 0 || started.elapsed() > limit {
            return doc;
        }
        std::thread::sleep(Duration::from_secs(5));
    }
}

/// Whether `status` reports `service` on `host` up, and its detail.
fn state<'d>(doc: &'d serde_json::Value, host: &str, service: &str) -> (bool, &'d str) {
    let check = doc["checks"]
        .as_array()
        .and_then(|all| all.iter().find(|k| k["host"] == host && k["service"] == service))
        .unwrap_or_else(|| panic!("no {service} on {host} in {doc}"));
    (check["up"] == true, check["detail"].as_str().unwrap_or("?"))
}

/// What this machine has of the machines' surroundings: containers of the cluster, the bridge,
/// the fallback route.
fn surroundings() -> (usize, bool, bool) {
    let ls = Command::new("lxc-ls").args(["-P", "/var/lib/lxc"]).output().unwrap();
    let containers =
        String::from_utf8_lossy(&ls.stdout).split_whitespace().filter(|n| n.starts_with("gmarket-machines-")).count();
    let bridge = Path::new("/sys/class/net").join(BRIDGE).exists();
    let routes = Command::new("ip").args(["route", "show", "type", "unreachable", NETWORK]).output().unwrap();
    (containers, bridge, !String::from_utf8_lossy(&routes.stdout).trim().is_empty())
}

#[test]
fn eight_machines_come_up_survive_their_drills_and_go_leaving_nothing() {
    let _heavy = heavy();
    let dir = tempdir();
    let inv = copy_inventory("inventory/machines.toml", dir.path());
    let machines = Machines { inventory: inv.clone() };
    let vagrant_dir = dir.path().join("state/vagrant");

    // Cold `up`: the box (built once), the network, the proxy, the machines, every phase, verify.
    let (code, out, err) = provision(&inv, &["up"]);
    assert_eq!(code, 0, "up failed:\n{out}\n{err}");
    assert!(err.contains("verified: every check passed"), "{err}");
    assert_eq!(surroundings(), (8, true, true));
    let forwarding = std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").unwrap();
    assert_eq!(forwarding.trim(), "0", "the machines' network is never routed beyond this machine");

    // A second `up` changes nothing.
    let again: serde_json::Value = serde_json::from_str(&ok(&inv, &["up", "--no-verify", "--json"])).unwrap();
    for (host, counts) in again["hosts"].as_object().unwrap() {
        assert_eq!(counts["changed"], 0, "{host} changed on a second up: {again}");
    }

    // The NameNode failover drill, over SSH, with systemd restarting the killed NameNode.
    let verified = ok(&inv, &["verify", "--failover", "--json"]);
    assert!(verified.contains("\"failover\""), "{verified}");

    // rm01 halted: the standby NameNode, a ZooKeeper server, a JournalNode and the
    // ResourceManager gone; HDFS still writes and reads, ZooKeeper keeps its quorum.
    vagrant(&vagrant_dir, &["halt", "rm01"]);
    let cluster = provision::inventory::load(&inv).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = provision::hdfs::client(&cluster).unwrap();
        let data = bytes::Bytes::from("written while rm01 is halted\n".repeat(100));
        provision::hdfs::write_all(&client, "/tmp/machines-drill", data.clone()).await.unwrap();
        assert_eq!(provision::hdfs::read_all(&client, "/tmp/machines-drill").await.unwrap(), data);
        let mut modes = Vec::new();
        for h in ["nn01", "jn01"] {
            let h = cluster.host(h).unwrap();
            modes.push(
                provision::health::zookeeper_mode(&format!("{}:{}", h.address, h.ports.zookeeper_client))
                    .await
                    .unwrap(),
            );
        }
        modes.sort();
        assert_eq!(modes, ["follower", "leader"], "two of three servers keep the quorum");
    });

    // rm01 started again: every unit comes back by itself (enabled, not started by provision),
    // and its NameNode rejoins as standby.
    vagrant(&vagrant_dir, &["up", "rm01"]);
    let doc = healthy_within(&inv, Duration::from_secs(180));
    assert_eq!(doc["problems"].as_array().map(Vec::len), Some(0), "{doc}");
    let (nn, detail) = state(&doc, "rm01", "namenode");
    assert!(nn, "{doc}");
    assert!(detail.starts_with("standby"), "rm01's NameNode rejoins as standby: {detail}");

    // A DataNode machine rebooted from inside: its units come back at boot, three DataNodes live.
    let reboot = Command::new("lxc-attach")
        .args(["-P", "/var/lib/lxc", "-n", "gmarket-machines-dn02", "--", "systemctl", "reboot"])
        .status()
        .unwrap();
    assert!(reboot.success());
    std::thread::sleep(Duration::from_secs(10));
    let doc = healthy_within(&inv, Duration::from_secs(180));
    assert_eq!(doc["problems"].as_array().map(Vec::len), Some(0), "{doc}");
    let (_, active) =
        state(&doc, if state(&doc, "nn01", "namenode").1.starts_with("active") { "nn01" } else { "rm01" }, "namenode");
    assert!(active.ends_with(", 3 live DataNodes"), "{active}");

    // The schedule fires: with a one-minute schedule and the sample site on the bridge, the
    // crawler host's cron (not this test) crawls and hands the hour to NiFi's flow, and the
    // ledger records the success NiFi made on nn01 within three minutes.
    let bridge = provision::model::bridge_address(cluster.host("getdataserver").unwrap().address);
    let site = rt.block_on(provision::crawl::sample::start_on(bridge)).unwrap();
    let mut every_minute = Inventory::read(&inv).text();
    every_minute.push_str("\n[pipeline]\nschedule = \"* * * * *\"\n");
    for c in provision::model::original_categories() {
        every_minute.push_str(&format!(
            "\n[[categories]]\ncode = \"{}\"\nname = \"{}\"\nurl = \"{}/Best/Category?code={}\"\n",
            c.code, c.name, site.base, c.code
        ));
    }
    std::fs::write(&inv, every_minute).unwrap();
    let rescheduled: serde_json::Value = serde_json::from_str(&ok(&inv, &["up", "--no-verify", "--json"])).unwrap();
    for (host, counts) in rescheduled["hosts"].as_object().unwrap() {
        // The crawler's inventory copy and cron file, and the NiFi host's inventory copy.
        let expected = match host.as_str() {
            "getdataserver" => 2,
            "nn01" => 1,
            _ => 0,
        };
        assert_eq!(
            counts["changed"], expected,
            "{host}: only the inventory copies and the cron file change: {rescheduled}"
        );
    }
    let started = Instant::now();
    let fired = loop {
        let runs: serde_json::Value = serde_json::from_str(&ok(&inv, &["runs", "--json"])).unwrap();
        let by_cron = runs
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ran_on"] == "nn01" && r["status"] == "succeeded" && r["stages"].get("hand").is_some());
        match by_cron {
            Some(run) => break run.clone(),
            _ if started.elapsed() > Duration::from_secs(180) => {
                panic!("no scheduled run succeeded in 3 minutes: {runs}")
            }
            _ => std::thread::sleep(Duration::from_secs(10)),
        }
    };
    let rows: u64 = fired["rows"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(rows, 1200, "twelve categories of 100 from the sample site: {fired}");
    drop(site);

    // `down --destroy`: no container, bridge, route or proxy left.
    ok(&inv, &["down", "--destroy"]);
    drop(machines);
    assert_eq!(surroundings(), (0, false, false));
    assert!(!vagrant_dir.join("proxy/apt-cacher-ng.pid").exists());
}
