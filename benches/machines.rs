//! Figures of the eight lxc machines of inventory/machines.toml (prints them; not a test): the
//! Debian 12 box built from nothing, a cold `up` with the box cached (its phases, then
//! `verify`), a no-op `up`, rm01 halted and started back to all healthy, `down --destroy`, and
//! the resident memory of the eight machines. Needs what the machines test needs (root, lxc,
//! vagrant, vagrant-lxc, debootstrap, apt-cacher-ng; `scripts/setup.sh test`).
//!
//! Run: `cargo bench --bench machines`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The box name the build is timed under, removed from Vagrant afterwards.
const BENCH_BOX: &str = "provision/bench-debian12";

fn provision(inv: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_provision")).args(args).arg("-i").arg(inv).output().unwrap();
    if !out.status.success() {
        eprintln!("provision {args:?}:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn vagrant(dir: &Path, args: &[&str]) {
    let ok = Command::new("vagrant")
        .args(args)
        .current_dir(dir)
        .env("VAGRANT_DEFAULT_PROVIDER", "lxc")
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "vagrant {args:?} failed");
}

/// Seconds `f` takes.
fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// Destroys the machines however the bench ends.
struct Machines(PathBuf);

impl Drop for Machines {
    fn drop(&mut self) {
        let _ = provision(&self.0, &["down", "--destroy"]);
    }
}

/// The resident and total (with page cache) memory, in MiB, of the containers named
/// `<cluster>-*`, from their memory cgroups.
fn memory_mib(cluster: &str) -> (f64, f64) {
    let (mut rss, mut usage) = (0u64, 0u64);
    let prefix = format!("lxc.payload.{cluster}-");
    for root in ["/sys/fs/cgroup/memory", "/sys/fs/cgroup"] {
        let Ok(entries) = std::fs::read_dir(root) else { continue };
        for e in entries.flatten() {
            if !e.file_name().to_string_lossy().starts_with(&prefix) {
                continue;
            }
            let stat = std::fs::read_to_string(e.path().join("memory.stat")).unwrap_or_default();
            let field = |name: &str| {
                stat.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse::<u64>().ok())).unwrap_or(0)
            };
            // cgroup v1 names the sums total_rss; v2 names the resident part anon.
            rss += field("total_rss ").max(field("anon "));
            let current = ["memory.usage_in_bytes", "memory.current"]
                .iter()
                .find_map(|f| std::fs::read_to_string(e.path().join(f)).ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
            usage += current;
        }
        if rss > 0 {
            break;
        }
    }
    (rss as f64 / 1048576.0, usage as f64 / 1048576.0)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/machines.toml"))
        .unwrap()
        .replace("state_dir = \"../.provision/machines\"", "state_dir = \"state\"");
    let inv = dir.path().join("machines.toml");
    std::fs::write(&inv, text).unwrap();
    let cluster = provision::inventory::load(&inv).unwrap();
    let vagrant_dir = dir.path().join("state/vagrant");

    // The box from nothing, under a name of its own, into a cache of its own.
    let cache = tempfile::tempdir().unwrap();
    let build = timed(|| {
        provision::machines::image::ensure(BENCH_BOX, cache.path(), &mut |line| eprintln!("box: {line}")).unwrap()
    });
    let box_mib =
        std::fs::metadata(provision::machines::image::file(cache.path(), BENCH_BOX)).unwrap().len() as f64 / 1048576.0;
    let _ = Command::new("vagrant").args(["box", "remove", "--force", "--provider", "lxc", BENCH_BOX]).output();
    drop(cache);

    let machines = Machines(inv.clone());
    let (ok, report) = {
        let t = Instant::now();
        let (ok, out) = provision(&inv, &["up", "--no-verify", "--json"]);
        (ok, (out, t.elapsed().as_secs_f64()))
    };
    assert!(ok, "cold up failed");
    let (report, cold) = report;
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let verify = timed(|| assert!(provision(&inv, &["verify"]).0, "verify failed"));
    let noop = timed(|| assert!(provision(&inv, &["up", "--no-verify"]).0));
    let (rss, usage) = memory_mib(&cluster.name);

    let back = timed(|| {
        vagrant(&vagrant_dir, &["halt", "rm01"]);
        vagrant(&vagrant_dir, &["up", "rm01"]);
        let started = Instant::now();
        while !provision(&inv, &["status"]).0 {
            assert!(started.elapsed() < Duration::from_secs(300), "not healthy 5 minutes after rm01 came back");
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let destroy = timed(|| assert!(provision(&inv, &["down", "--destroy"]).0));
    drop(machines);

    println!("box build from nothing (debootstrap, pack, add): {build:.1}s, {box_mib:.0} MiB");
    println!(
        "cold up of 8 machines, box cached, to all healthy: {cold:.1}s; verify {verify:.1}s; together {:.1}s (goal under 300s)",
        cold + verify
    );
    if let Some(timings) = report["timings"].as_array() {
        let each: Vec<String> = timings
            .iter()
            .map(|t| format!("{} {:.1}s", t["phase"].as_str().unwrap_or("?"), t["seconds"].as_f64().unwrap_or(0.0)))
            .collect();
        let phases: f64 = timings.iter().filter_map(|t| t["seconds"].as_f64()).sum();
        println!("  phases {phases:.1}s (the rest is the network, proxy and vagrant up): {}", each.join(", "));
    }
    println!("no-op up: {noop:.2}s");
    println!("vagrant halt + up rm01 back to all healthy: {back:.1}s");
    println!("down --destroy: {destroy:.1}s");
    println!("memory of the 8 machines: {rss:.0} MiB resident, {usage:.0} MiB with page cache");
}
