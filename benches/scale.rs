//! How validating and rendering grow with the cluster (prints figures; not a test): inventories
//! of 8, 32, 64, 128 and 1,000 hosts generated from inventory/local.toml (the extra hosts are
//! DataNodes and NodeManagers, each with its own address and ports), each validated (`env`)
//! and rendered in memory and compared with nothing on disk (`render --check --json`, which
//! validates first) three times by the release binary, timed here and under `/usr/bin/time`
//! for its peak memory; then written once (`render -o`, to a tmpfs where there is one) and counted.
//!
//! Then, for 8, 32, 64 and 128 hosts, one real sshd per host on loopback (127.14.x.y) and over
//! them, through provision's runner and SSH transport (8 hosts at once, `up`'s default), the
//! inventory's rendered `configure` phase with each host's files below a folder of its own: a
//! probe run (what `provision plan` does) of empty hosts, the first apply, a probe run of the
//! converged hosts and a no-op apply (both the median of three), with the cost per host and how
//! it grows from 8 to 128 hosts. That part is skipped, saying so, where /usr/sbin/sshd is missing.
//!
//! Run: `cargo bench --bench scale`.

mod loopback;

use std::path::{Path, PathBuf};
use std::process::Command;

use loopback::sshd::ClientKey;
use loopback::{Files, Servers};
use provision::engine::runner::Mode;

/// The cluster sizes measured.
const SIZES: [usize; 5] = [8, 32, 64, 128, 1000];

/// Runs of each measurement; the median is printed.
const RUNS: usize = 3;

/// The cluster sizes measured over real sshd, one per host.
const SSHD_SIZES: [usize; 4] = [8, 32, 64, 128];

/// The sshd addresses of this bench: 127.14.x.y.
const NET: u8 = 14;

/// Hosts worked on at once: `up`'s default `--parallel`.
const PARALLEL: usize = 8;

/// `inventory/local.toml` with `hosts - 8` extra DataNode/NodeManager hosts, its state in `dir`.
fn inventory(dir: &Path, hosts: usize) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut text = std::fs::read_to_string(root.join("inventory/local.toml")).unwrap();
    text = text.replace("root = \"../.provision/local/hosts/{host}\"", "root = \"state/hosts/{host}\"");
    assert!(text.contains("root = \"state/hosts/{host}\""), "local.toml's host root moved");
    for n in 1..=hosts.saturating_sub(8) {
        let k = 10 + n;
        let base = 20000 + 10 * n;
        text.push_str(&format!(
            "\n[[hosts]]\nname = \"dw{n:04}\"\naddress = \"127.1.{}.{}\"\nroles = [\"datanode\", \"nodemanager\"]\n\
             ports = {{ mapreduce_shuffle = {base}, datanode = {}, datanode_http = {}, datanode_ipc = {} }}\n",
            k / 250,
            k % 250 + 1,
            base + 1,
            base + 2,
            base + 3
        ));
    }
    let path = dir.join(format!("scale{hosts}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// One run of `provision ARGS -i INV`: wall seconds, peak resident MiB (from `/usr/bin/time`),
/// standard output.
fn measure(inv: &Path, args: &[&str]) -> (f64, f64, String) {
    let started = std::time::Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(env!("CARGO_BIN_EXE_provision"))
        .args(args)
        .arg("-i")
        .arg(inv)
        .output()
        .expect("/usr/bin/time (Debian's time package)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let mut figures = last.split_whitespace().map(|f| f.parse::<f64>());
    let seconds = started.elapsed().as_secs_f64();
    let (Some(Ok(_)), Some(Ok(kib))) = (figures.next(), figures.next()) else {
        panic!("provision {args:?} on {}: {stderr}", inv.display())
    };
    (seconds, kib / 1024.0, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The median of `RUNS` runs: seconds, MiB, and the last run's output.
fn median(inv: &Path, args: &[&str]) -> (f64, f64, String) {
    let mut runs: Vec<(f64, f64, String)> = (0..RUNS).map(|_| measure(inv, args)).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs.swap_remove(RUNS / 2)
}

/// Files and bytes below `dir`.
fn size_of(dir: &Path) -> (u64, u64) {
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            let (files, bytes) = size_of(&entry.path());
            total = (total.0 + files, total.1 + bytes);
        } else {
            total = (total.0 + 1, total.1 + meta.len());
        }
    }
    total
}

/// A fresh folder in memory where there is a tmpfs, so the disk's speed does not count.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap()
}

/// The `configure` phase of the inventories of [`SSHD_SIZES`] hosts (generated in `dir`) over
/// one real sshd per host: probe, apply, probe again and re-apply, timed and counted.
fn over_sshd(dir: &Path) {
    if !Path::new("/usr/sbin/sshd").exists() {
        println!("over sshd: skipped, no /usr/sbin/sshd here (apt-get install openssh-server)");
        return;
    }
    let largest = SSHD_SIZES[SSHD_SIZES.len() - 1];
    let client = ClientKey::new();
    // The larger inventories list the smaller ones' hosts, so one server per host of the largest serves all.
    let servers = Servers::start(NET, &client, Files::render(&inventory(dir, largest)).hosts.keys());
    let work = scratch();
    println!("\nconfigure phase over real sshd on 127.{NET}.x.y, {PARALLEL} hosts at once; seconds, then ms per host");
    println!(
        "hosts  files/host  probe empty s  apply s  probe converged s  no-op s  | ms/host: probe  apply  probe  no-op"
    );
    let mut rows = Vec::new();
    for hosts in SSHD_SIZES {
        let files = Files::render(&inventory(dir, hosts));
        let (count, _) = files.count();
        let root = work.path().join(format!("hosts{hosts}"));
        let phase = files.below(&root);
        let log = |run: &str| work.path().join(format!("logs{hosts}-{run}"));
        let (empty, would) = servers.run(&phase, Mode::Probe, PARALLEL, &log("probe"));
        assert_eq!(would, count, "every file would be written");
        let (apply, changed) = servers.run(&phase, Mode::Apply, PARALLEL, &log("apply"));
        assert_eq!(changed, count, "every file written");
        files.check(&root, "the first apply");
        let again = |mode: Mode, run: &str| {
            let mut runs: Vec<f64> = (0..RUNS)
                .map(|i| {
                    let (took, changed) = servers.run(&phase, mode, PARALLEL, &log(&format!("{run}{i}")));
                    assert_eq!(changed, 0, "{run}: nothing to change");
                    took.as_secs_f64()
                })
                .collect();
            loopback::median(&mut runs)
        };
        let probe = again(Mode::Probe, "converged");
        let noop = again(Mode::Apply, "noop");
        files.check(&root, "the no-op apply");
        let seconds = [empty.as_secs_f64(), apply.as_secs_f64(), probe, noop];
        let per_host = seconds.map(|s| s * 1000.0 / hosts as f64);
        println!(
            "{hosts:>5} {:>11.1} {:>14.2} {:>8.2} {:>18.2} {:>8.2}  | {:>14.1} {:>6.1} {:>6.1} {:>6.1}",
            count as f64 / hosts as f64,
            seconds[0],
            seconds[1],
            seconds[2],
            seconds[3],
            per_host[0],
            per_host[1],
            per_host[2],
            per_host[3]
        );
        rows.push((hosts, per_host));
        std::fs::remove_dir_all(&root).unwrap();
    }
    let ((few, small), (many, large)) = (rows[0], rows[rows.len() - 1]);
    let growth = |i: usize| large[i] / small[i];
    println!(
        "cost per host at {many} against {few} hosts: probe of empty hosts {:.2}x, first apply {:.2}x, \
         probe of converged hosts {:.2}x, no-op apply {:.2}x (1.0x: linear in the hosts)",
        growth(0),
        growth(1),
        growth(2),
        growth(3)
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let written = scratch();
    println!("hosts  validate s  MiB  render s  MiB  written s    files      MB  ms/host  KiB/host");
    let mut rows = Vec::new();
    for hosts in SIZES {
        let inv = inventory(dir.path(), hosts);
        let (validate, validate_mib, _) = median(&inv, &["env"]);
        let (render, render_mib, out) = median(&inv, &["render", "--check", "--json"]);
        let report: serde_json::Value = serde_json::from_str(&out).expect("render --check --json");
        let folder = written.path().join(hosts.to_string());
        let folder_arg = folder.display().to_string();
        let (write, _, _) = measure(&inv, &["render", "-o", &folder_arg]);
        let (files, bytes) = size_of(&folder);
        assert_eq!(Some(files - 1), report["files"].as_u64(), "every file written, and the marker");
        println!(
            "{hosts:>5} {validate:>10.3} {validate_mib:>4.0} {render:>9.3} {render_mib:>4.0} {write:>10.2} {files:>8} {:>7.1} {:>8.2} {:>9.1}",
            bytes as f64 / 1e6,
            render * 1000.0 / hosts as f64,
            render_mib * 1024.0 / hosts as f64
        );
        rows.push((hosts, render, render_mib, bytes));
        std::fs::remove_dir_all(&folder).unwrap();
    }
    let (small, large) = (rows[rows.len() - 2], rows[rows.len() - 1]);
    println!(
        "from {} to {} hosts ({:.1}x): render time {:.1}x, peak memory {:.1}x, bytes rendered {:.1}x \
         (/etc/hosts and workers list every host on every host: their bytes grow with the square)",
        small.0,
        large.0,
        large.0 as f64 / small.0 as f64,
        large.1 / small.1,
        large.2 / small.2,
        large.3 as f64 / small.3 as f64
    );
    println!(
        "1,000 hosts: validate + render {:.2} s (goal under 1 s), peak {:.0} MiB (goal under 150 MB)",
        large.1, large.2
    );
    over_sshd(dir.path());
}
