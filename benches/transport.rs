//! Transport figures against real sshd on loopback (prints figures; not a test):
//! pushing a 200 MB file to 7 hosts in parallel against one after another, and a no-op re-run
//! of the rendered files of inventory/local.toml on 8 hosts.
//!
//! Run: `cargo bench --bench transport`.

// What the benchmarks against sshd share; this one uses part of it.
#[allow(dead_code)]
mod loopback;

use std::path::Path;

use loopback::sshd::ClientKey;
use loopback::{Files, Servers};
use provision::engine::runner::{Mode, Phase};
use provision::engine::steps::{Content, Step};

fn main() {
    let files = Files::render(&Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/local.toml"));
    let hosts: Vec<&String> = files.hosts.keys().collect();
    assert_eq!(hosts.len(), 8, "local.toml has 8 hosts");
    let key = ClientKey::new();
    let servers = Servers::start(12, &key, hosts.iter().copied());
    let work = tempfile::tempdir().unwrap();
    let run =
        |phase: &Phase, parallel: usize, log: &str| servers.run(phase, Mode::Apply, parallel, &work.path().join(log));

    // 1. 200 MB to 7 hosts: parallel against serial, each into a fresh folder.
    let big = work.path().join("big.bin");
    let data: Vec<u8> = (0..200u32 * 1024 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(&big, data).unwrap();
    let content = Content::local(big).unwrap();
    let push = |tag: &str| -> Phase {
        let mut p = Phase { name: "push".into(), ..Phase::default() };
        for h in hosts.iter().take(7) {
            let path = work.path().join(format!("{tag}/{h}/big.bin")).display().to_string();
            p.hosts.insert(
                h.to_string(),
                vec![Step::File { path, content: content.clone(), mode: 0o644, owner: None, affects: vec![] }],
            );
        }
        p
    };
    let (serial, _) = run(&push("serial"), 1, "log1");
    let (parallel, changed) = run(&push("parallel"), 7, "log2");
    assert_eq!(changed, 7);
    println!(
        "push 200 MB to 7 hosts: one after another {:.2}s, in parallel {:.2}s, ratio {:.2}x",
        serial.as_secs_f64(),
        parallel.as_secs_f64(),
        serial.as_secs_f64() / parallel.as_secs_f64()
    );

    // 2. The rendered files of the local topology on 8 hosts, applied once, then re-run.
    let phase = files.below(&work.path().join("noop"));
    let steps: usize = phase.hosts.values().map(Vec::len).sum();
    let (cold, changed) = run(&phase, 8, "log3");
    let (noop, unchanged_run) = run(&phase, 8, "log4");
    assert_eq!((changed, unchanged_run), (steps, 0));
    println!(
        "configure phase, {steps} files on 8 hosts: first run {:.2}s, no-op re-run {:.2}s",
        cold.as_secs_f64(),
        noop.as_secs_f64()
    );
}
