//! The eight-host local topology for real: ZooKeeper, JournalNodes, HA NameNodes with ZKFCs,
//! DataNodes, YARN, MariaDB and PostgreSQL on 127.0.10.1-8 of this machine, driven through the
//! `provision` binary as a user would. Needs Java 17, Maven (Maven Central), mariadb-server,
//! postgresql-15 and curl; `.ci/run` installs them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{bin, root};

/// A copy of inventory/local.toml whose hosts and state live in `dir`.
fn inventory(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("inventory/local.toml")).unwrap();
    let text = text
        .replace("root = \"../.provision/local/hosts/{host}\"", "root = \"state/hosts/{host}\"")
        .replace("state_dir = \"../.provision/local\"", "state_dir = \"state\"");
    assert!(text.contains("root = \"state/hosts/{host}\"") && text.contains("state_dir = \"state\""));
    let path = dir.join("local.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn provision(inv: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).arg("-i").arg(inv).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn changed(report: &serde_json::Value) -> u64 {
    report["hosts"].as_object().unwrap().values().map(|h| h["changed"].as_u64().unwrap()).sum()
}

#[test]
fn the_local_topology_comes_up_survives_failover_and_goes_down() {
    assert!(
        std::net::TcpStream::connect_timeout(&"127.0.10.1:2181".parse().unwrap(), Duration::from_millis(300)).is_err(),
        "something already listens on 127.0.10.1:2181: stop the other local topology first (provision down -i inventory/local.toml)"
    );
    let dir = tempfile::tempdir().unwrap();
    let inv = inventory(dir.path());
    let state = dir.path().join("state");

    // A first `up`, killed in the middle of the HA bootstrap (right after the first NameNode
    // started), then run again to completion.
    let started = Instant::now();
    let mut child = bin().args(["up", "-i"]).arg(&inv).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.starts_with("[standby-namenode]") {
            break;
        }
        assert!(!line.contains("FAILED"), "the first up failed:\n{}", seen.join("\n"));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.iter().any(|l| l.starts_with("[standby-namenode]")), "up ended before the standby phase:\n{}", seen.join("\n"));
    let (code, out, err) = provision(&inv, &["up", "--json"]);
    assert_eq!(code, 0, "up after an interruption failed:\n{out}\n{err}");
    let cold = started.elapsed();
    assert!(changed(&json(&out)) > 0, "the second up had the rest of the bootstrap to do");

    // A second `up` changes nothing.
    let noop_started = Instant::now();
    let (code, out, err) = provision(&inv, &["up", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(changed(&json(&out)), 0, "a second up changed something: {out}");
    let noop = noop_started.elapsed();

    let (code, out, _) = provision(&inv, &["status", "--json"]);
    let status = json(&out);
    assert_eq!(code, 0, "not healthy: {out}");
    assert_eq!(status["checks"].as_array().unwrap().len(), 19);
    let modes: Vec<&str> = status["checks"].as_array().unwrap().iter().filter(|c| c["service"] == "zookeeper").map(|c| c["detail"].as_str().unwrap()).collect();
    assert_eq!(modes.iter().filter(|m| **m == "leader").count(), 1, "{modes:?}");

    let version = state.join("hosts/nn01/data/hadoop/namenode/current/VERSION");
    let cluster_id = std::fs::read_to_string(&version).unwrap();

    let (code, out, err) = provision(&inv, &["verify", "--failover", "--json"]);
    assert_eq!(code, 0, "verify --failover failed:\n{out}\n{err}");
    let drill = json(&out)["failover"].clone();
    assert!(drill["failover_seconds"].as_f64().unwrap() > 0.0);
    assert!(drill["writes"].as_u64().unwrap() > 0);
    let (code, out, _) = provision(&inv, &["status"]);
    assert_eq!(code, 0, "not healthy after the drill:\n{out}");

    let (code, _, err) = provision(&inv, &["down"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = provision(&inv, &["status", "--json"]);
    assert_eq!(code, 1);
    assert!(json(&out)["checks"].as_array().unwrap().iter().all(|c| c["up"] == false), "daemons still up after down: {out}");

    // Up again from stopped daemons: nothing is formatted again.
    let warm_started = Instant::now();
    let (code, out, err) = provision(&inv, &["up"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let warm = warm_started.elapsed();
    assert_eq!(std::fs::read_to_string(&version).unwrap(), cluster_id, "the NameNode was formatted again");
    let (code, out, _) = provision(&inv, &["status"]);
    assert_eq!(code, 0, "not healthy after a restart:\n{out}");

    let (code, _, err) = provision(&inv, &["down", "--purge"]);
    assert_eq!(code, 0, "{err}");
    assert!(!state.exists(), "down --purge left {}", state.display());
    eprintln!(
        "local topology: cold up (interrupted once) {:.0}s, no-op up {:.2}s, up after down {:.0}s, failover {:.2}s",
        cold.as_secs_f64(),
        noop.as_secs_f64(),
        warm.as_secs_f64(),
        drill["failover_seconds"].as_f64().unwrap()
    );
}
