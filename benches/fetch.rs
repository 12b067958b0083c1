//! Release download figures (prints them; not a test): `provision fetch` of the local
//! inventory's three releases from a mirror on loopback (python3 -m http.server), each checked
//! against its published SHA-512 and unpacked into an empty cache, against the same work done
//! by hand (curl the checksum and the archive, sha512sum -c, tar -xzf), side by side. The
//! archives are Apache-style packs of the Maven Central layouts in the cache.
//!
//! Run: `cargo bench --bench fetch`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 3;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{:?}: {}", cmd, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = env!("CARGO_BIN_EXE_provision");
    // The Maven layouts, fetched once into the usual cache if they are not there yet.
    let json = run(Command::new(bin).args(["fetch", "--json", "-i"]).arg(root.join("inventory/local.toml")));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let dirs: Vec<(String, PathBuf)> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap().to_string(), PathBuf::from(a["dir"].as_str().unwrap())))
        .collect();

    let work = tempfile::tempdir().unwrap();
    let mirror = work.path().join("mirror");
    // The launcher scripts Apache's archives have and the Maven layouts lack.
    let scripts = work.path().join("scripts");
    std::fs::create_dir_all(scripts.join("bin")).unwrap();
    for s in ["hdfs", "zkServer.sh", "hive"] {
        std::fs::write(scripts.join("bin").join(s), "#!/bin/sh\n").unwrap();
    }
    let mut archives = Vec::new();
    let mut bytes = 0u64;
    for (name, dir) in &dirs {
        use provision::catalog::Product;
        let (product, version) = match name.as_str() {
            "hadoop" => (Product::Hadoop, "3.5.0"),
            "zookeeper" => (Product::Zookeeper, "3.8.4"),
            "hive" => (Product::Hive, "4.0.1"),
            other => panic!("local.toml fetches no {other}"),
        };
        let release = provision::catalog::apache_release(product, version);
        let (path, top, file) = (release.path.clone(), release.top.clone(), release.file_name().to_string());
        let archive = mirror.join(&path);
        std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
        run(Command::new("tar")
            .arg("-czf")
            .arg(&archive)
            .arg("--exclude=./.provision-manifest")
            .arg(format!("--transform=s,^\\.,{top},"))
            .arg("-C")
            .arg(dir)
            .arg(".")
            .arg("-C")
            .arg(&scripts)
            .arg("."));
        let sum = run(Command::new("sha512sum").arg(&archive));
        std::fs::write(
            mirror.join(format!("{path}.sha512")),
            format!("{}  {file}\n", sum.split_whitespace().next().unwrap()),
        )
        .unwrap();
        bytes += std::fs::metadata(&archive).unwrap().len();
        archives.push((path, file));
    }

    let mut server = Command::new("python3")
        .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
        .arg(&mirror)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let port = first.split(" port ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().to_string();
    let url = format!("http://127.0.0.1:{port}");
    let text = std::fs::read_to_string(root.join("inventory/local.toml")).unwrap();
    let inv = work.path().join("local.toml");
    std::fs::write(
        &inv,
        format!("{text}\n[software]\nsource = \"apache\"\nmirror = \"{url}\"\nchecksums = \"{url}\"\n"),
    )
    .unwrap();

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..RUNS {
        // Side by side, alternating which goes first.
        let order = if i % 2 == 0 { [true, false] } else { [false, true] };
        for provision in order {
            let cache = work.path().join(format!("cache-{i}-{provision}"));
            let started = Instant::now();
            if provision {
                run(Command::new(bin).args(["fetch", "-i"]).arg(&inv).env("PROVISION_CACHE", &cache));
                ours.push(started.elapsed());
            } else {
                std::fs::create_dir_all(&cache).unwrap();
                for (path, file) in &archives {
                    let script = format!(
                        "set -e; cd {c}; curl -sf -o {f}.sha512 {u}/{p}.sha512; curl -sf -o {f} {u}/{p}; sha512sum -c --quiet {f}.sha512; mkdir x-{f}; tar -xzf {f} -C x-{f}; rm {f}",
                        c = cache.display(),
                        f = file,
                        u = url,
                        p = path
                    );
                    run(Command::new("bash").arg("-c").arg(&script));
                }
                theirs.push(started.elapsed());
            }
            std::fs::remove_dir_all(&cache).unwrap();
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let mean = |v: &[Duration]| v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len() as f64;
    let (a, b) = (mean(&ours), mean(&theirs));
    let mib = bytes as f64 / (1 << 20) as f64;
    println!("release archives: {} ({mib:.0} MiB), {RUNS} runs each, side by side", archives.len());
    println!(
        "provision fetch (download, SHA-512/256/1 as it streams, unpack, manifest): {a:.2} s ({:.0} MiB/s)",
        mib / a
    );
    println!(
        "by hand (curl checksum + archive, sha512sum -c, tar -xzf):                {b:.2} s ({:.0} MiB/s)",
        mib / b
    );
    println!("ratio by hand / provision: {:.2}x", b / a);
}
