//! Transport figures against real sshd on loopback (prints figures; not a test):
//! pushing a 200 MB file to 7 hosts in parallel against one after another, and a no-op re-run
//! of the rendered files of inventory/local.toml on 8 hosts.
//!
//! Run: `cargo bench --bench transport`.

// The tests' sshd harness; the benchmark uses part of it.
#[allow(dead_code)]
#[path = "../tests/cli/sshd.rs"]
mod sshd;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use provision::engine::runner::{self, Mode, Observer, Options, Outcome, Phase};
use provision::engine::steps::{Content, Step};
use provision::engine::transport::{Ssh, SshOptions, Transport, TransportError};
use sshd::{ClientKey, PORT, Sshd};

struct Quiet;

impl Observer for Quiet {
    fn phase_started(&self, _: &str, _: &BTreeMap<String, usize>) {}
    fn step_done(&self, _: &Outcome) {}
    fn phase_done(&self, _: &str, _: bool) {}
}

fn run(
    phases: &[Phase],
    servers: &BTreeMap<String, String>,
    opts: &SshOptions,
    parallel: usize,
    log: &Path,
) -> (Duration, usize) {
    let connect =
        |h: &str| -> Result<Box<dyn Transport>, TransportError> { Ok(Box::new(Ssh::connect(h, &servers[h], opts)?)) };
    let started = Instant::now();
    let report =
        runner::run(phases, &connect, &Options { parallel, log_dir: log.to_path_buf(), mode: Mode::Apply }, &Quiet);
    assert!(
        report.ok(),
        "{:?}",
        report.outcomes.iter().filter(|o| matches!(o.status, runner::Status::Failed(_))).collect::<Vec<_>>()
    );
    (started.elapsed(), report.per_host().values().map(|c| c.0).sum())
}

fn main() {
    let key = ClientKey::new();
    let servers: Vec<Sshd> = (0..8).map(|_| Sshd::start(12, &key)).collect();
    let work = tempfile::tempdir().unwrap();
    let opts = SshOptions {
        user: sshd::user(),
        port: PORT,
        identities: vec![key.private.clone()],
        known_hosts: work.path().join("known_hosts"),
        accept_new_host_keys: true,
        connect_timeout: Duration::from_secs(5),
        sudo: false,
    };
    let addresses: BTreeMap<String, String> =
        servers.iter().enumerate().map(|(i, s)| (format!("h{i}"), s.address.clone())).collect();

    // 1. 200 MB to 7 hosts: parallel against serial, each into a fresh folder.
    let big = work.path().join("big.bin");
    let data: Vec<u8> = (0..200u32 * 1024 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&big, data).unwrap();
    let content = Content::local(big).unwrap();
    let push = |tag: &str| -> Vec<Phase> {
        let mut p = Phase { name: "push".into(), ..Phase::default() };
        for h in addresses.keys().take(7) {
            let path = work.path().join(format!("{tag}/{h}/big.bin")).display().to_string();
            p.hosts.insert(
                h.clone(),
                vec![Step::File { path, content: content.clone(), mode: 0o644, owner: None, affects: vec![] }],
            );
        }
        vec![p]
    };
    let (serial, _) = run(&push("serial"), &addresses, &opts, 1, &work.path().join("log1"));
    let (parallel, changed) = run(&push("parallel"), &addresses, &opts, 7, &work.path().join("log2"));
    assert_eq!(changed, 7);
    println!(
        "push 200 MB to 7 hosts: one after another {:.2}s, in parallel {:.2}s, ratio {:.2}x",
        serial.as_secs_f64(),
        parallel.as_secs_f64(),
        serial.as_secs_f64() / parallel.as_secs_f64()
    );

    // 2. The rendered files of the local topology on 8 hosts, applied once, then re-run.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cluster = provision::inventory::load(&root.join("inventory/local.toml")).unwrap();
    let secrets = provision::secrets::Secrets {
        metastore_root_password: "r".into(),
        metastore_password: "m".into(),
        mart_password: "p".into(),
        nifi_sensitive_key: "k".repeat(16),
    };
    let tree = provision::desired::render(&cluster, &secrets);
    let mut phase = provision::plan::up(&cluster, &tree, &[], None)
        .into_iter()
        .find(|p| p.name == "configure")
        .expect("a configure phase");
    let mut renamed = BTreeMap::new();
    for (i, (_, mut steps)) in std::mem::take(&mut phase.hosts).into_iter().enumerate() {
        for s in &mut steps {
            if let Step::File { path, .. } = s {
                *path = work.path().join(format!("noop/h{i}{path}")).display().to_string();
            }
        }
        renamed.insert(format!("h{i}"), steps);
    }
    phase.hosts = renamed;
    let steps: usize = phase.hosts.values().map(Vec::len).sum();
    let phases = vec![phase];
    let (cold, changed) = run(&phases, &addresses, &opts, 8, &work.path().join("log3"));
    let (noop, unchanged_run) = run(&phases, &addresses, &opts, 8, &work.path().join("log4"));
    assert_eq!((changed, unchanged_run), (steps, 0));
    println!(
        "configure phase, {steps} files on 8 hosts: first run {:.2}s, no-op re-run {:.2}s",
        cold.as_secs_f64(),
        noop.as_secs_f64()
    );
}
