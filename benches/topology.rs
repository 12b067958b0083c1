//! Figures of the local topology (prints them; not a test): a cold `up` to all healthy with its
//! phases one at a time and then as a graph (the ratio of the two, measured in the same run), a
//! no-op `up` (all without the closing verification), each check of `verify --failover` with
//! its time, and the memory of the whole topology (the sum of the daemons' resident sizes).
//! Needs what the topology test needs.
//!
//! Run: `cargo bench --bench topology`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn provision(inv: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_provision")).args(args).arg("-i").arg(inv).output().unwrap();
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The resident memory, in MiB, of every process whose command line names a daemon of `root`.
fn resident_mib(root: &Path) -> f64 {
    let marker = root.display().to_string();
    let mut kib = 0u64;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if !String::from_utf8_lossy(&cmdline).contains(&marker) {
            continue;
        }
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        if let Some(line) = status.lines().find(|l| l.starts_with("VmRSS:")) {
            kib += line.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    kib as f64 / 1024.0
}

/// A cold `up --no-verify` with `extra` arguments: its seconds, and the seconds from the start of
/// its first phase to the end of its last (its report's timings).
fn cold_up(inv: &Path, extra: &[&str]) -> (f64, f64) {
    let t = Instant::now();
    let (ok, out) = provision(inv, &[&["up", "--no-verify", "--json"], extra].concat());
    let seconds = t.elapsed().as_secs_f64();
    assert!(ok, "cold up {extra:?} failed");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ended = report["timings"].as_array().unwrap().iter().filter_map(|t| t["ended"].as_f64()).fold(0.0, f64::max);
    (seconds, ended)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/local.toml"))
        .unwrap()
        .replace("root = \"../.provision/local/hosts/{host}\"", "root = \"state/hosts/{host}\"")
        .replace("state_dir = \"../.provision/local\"", "state_dir = \"state\"");
    let inv = dir.path().join("local.toml");
    std::fs::write(&inv, text).unwrap();

    let (serial, serial_phases) = cold_up(&inv, &["--one-phase-at-a-time"]);
    assert!(provision(&inv, &["down", "--purge"]).0);
    let (cold, cold_phases) = cold_up(&inv, &[]);
    assert!(provision(&inv, &["status"]).0, "not healthy after up");
    let t = Instant::now();
    assert!(provision(&inv, &["up", "--no-verify"]).0);
    let noop = t.elapsed().as_secs_f64();
    let memory = resident_mib(&dir.path().join("state"));
    let (ok, out) = provision(&inv, &["verify", "--failover", "--json"]);
    assert!(ok, "verify --failover failed");
    let drill: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(provision(&inv, &["down", "--purge"]).0);

    println!(
        "cold up to all healthy, phases one at a time: {serial:.1}s (phases {serial_phases:.1}s); \
         as a graph: {cold:.1}s (phases {cold_phases:.1}s, goal under 60s); ratio {:.2}x",
        serial / cold
    );
    println!("no-op up: {noop:.2}s (goal under 5s)");
    for k in drill["checks"].as_array().unwrap() {
        println!(
            "verify {}: {:.1}s: {}",
            k["name"].as_str().unwrap(),
            k["seconds"].as_f64().unwrap(),
            k["figure"].as_str().unwrap()
        );
    }
    let failover = &drill["checks"][3]["data"]["drill"];
    println!(
        "failover: {:.2}s (goal under 10s); {} writes during the drill, slowest {:.2}s",
        failover["failover_seconds"].as_f64().unwrap_or(f64::NAN),
        failover["writes"],
        failover["slowest_write_seconds"].as_f64().unwrap_or(f64::NAN)
    );
    println!("memory of the topology: {memory:.0} MiB resident");
}
