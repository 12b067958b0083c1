//! Software from Apache's release archives: `provision fetch` against a real HTTP server on
//! loopback laid out like archive.apache.org/dist, serving release archives with their
//! checksum files in the forms Apache published.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use sha2::Digest;

use crate::support::{bin, root, tempdir};

/// `python3 -m http.server` serving `dir`; its request log is collected.
struct Mirror {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Mirror {
    fn serve(dir: &Path) -> Mirror {
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port: u16 =
            first.split(" port ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap().parse().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Mirror { child, url: format!("http://127.0.0.1:{port}"), log }
    }

    /// How many times an archive (not a checksum file) was requested.
    fn archive_gets(&self) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("\"GET ") && (l.contains(".tar.gz ") || l.contains(".zip ")))
            .count()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A release archive at `path` below `mirror` unpacking to `top` with `files`; returns its bytes' SHA-512 and SHA-256.
fn release(mirror: &Path, path: &str, top: &str, files: &[(&str, &str)]) -> (String, String) {
    let work = tempdir();
    for (rel, text) in files {
        let p = work.path().join(top).join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    let archive = mirror.join(path);
    std::fs::create_dir_all(archive.parent().unwrap()).unwrap();
    let ok = Command::new("tar").arg("-czf").arg(&archive).arg("-C").arg(work.path()).arg(top).status().unwrap();
    assert!(ok.success());
    let bytes = std::fs::read(&archive).unwrap();
    (hex::encode(sha2::Sha512::digest(&bytes)), hex::encode(sha2::Sha256::digest(&bytes)))
}

/// inventory/local.toml without NiFi, with its software from `mirror` (and `extra` lines in [software]).
fn inventory(dir: &Path, mirror: &str, extra: &str) -> PathBuf {
    let path = inventory_of("inventory/local.toml", dir, mirror, extra);
    // Without NiFi: the mirror holds the other three releases.
    let text = std::fs::read_to_string(&path).unwrap().replace("\"nifi\", ", "");
    std::fs::write(&path, text).unwrap();
    path
}

/// The repository's inventory `rel`, copied into `dir`, with its software from `mirror`.
fn inventory_of(rel: &str, dir: &Path, mirror: &str, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let path = dir.join(Path::new(rel).file_name().unwrap());
    std::fs::write(
        &path,
        format!("{text}\n[software]\nsource = \"apache\"\nmirror = \"{mirror}\"\nchecksums = \"{mirror}\"\n{extra}"),
    )
    .unwrap();
    path
}

fn fetch(inventory: &Path, cache: &Path) -> std::process::Output {
    bin().args(["fetch", "--json", "-i"]).arg(inventory).env("PROVISION_CACHE", cache).output().unwrap()
}

const HADOOP: &str = "hadoop/common/hadoop-3.5.0/hadoop-3.5.0.tar.gz";
const ZOOKEEPER: &str = "zookeeper/zookeeper-3.8.4/apache-zookeeper-3.8.4-bin.tar.gz";
const HIVE: &str = "hive/hive-4.0.1/apache-hive-4.0.1-bin.tar.gz";

/// The three releases local.toml runs, each with the checksum file form of its era: a
/// sha512sum line, a BSD-style line, and (Hive) only a `.sha256`.
fn lay_out(m: &Path) {
    let (sha512, _) = release(m, HADOOP, "hadoop-3.5.0", &[("bin/hdfs", "#!/bin/sh\n"), ("NOTICE.txt", "hadoop\n")]);
    std::fs::write(m.join(format!("{HADOOP}.sha512")), format!("{sha512}  hadoop-3.5.0.tar.gz\n")).unwrap();
    let (sha512, _) = release(m, ZOOKEEPER, "apache-zookeeper-3.8.4-bin", &[("bin/zkServer.sh", "#!/bin/sh\n")]);
    std::fs::write(
        m.join(format!("{ZOOKEEPER}.sha512")),
        format!("SHA512 (apache-zookeeper-3.8.4-bin.tar.gz) = {sha512}\n"),
    )
    .unwrap();
    let (_, sha256) =
        release(m, HIVE, "apache-hive-4.0.1-bin", &[("bin/hive", "#!/bin/sh\n"), ("lib/README", "hive\n")]);
    std::fs::write(m.join(format!("{HIVE}.sha256")), format!("{sha256} *apache-hive-4.0.1-bin.tar.gz\n")).unwrap();
}

#[test]
fn releases_are_downloaded_once_checked_against_their_published_checksums_and_cached() {
    let dir = tempdir();
    let m = dir.path().join("mirror");
    lay_out(&m);
    let mirror = Mirror::serve(&m);
    let inv = inventory(dir.path(), &mirror.url, "");
    let cache = dir.path().join("cache");

    let out = fetch(&inv, &cache);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("fetching hadoop 3.5.0 from {}/{HADOOP}", mirror.url)), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = json["artifacts"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["hadoop", "zookeeper", "hive"]);
    assert!(items.iter().all(|a| a["cached"] == true), "{json}");
    assert_eq!(std::fs::read_to_string(cache.join("hadoop-3.5.0-apache/NOTICE.txt")).unwrap(), "hadoop\n");
    assert!(!cache.join("apache-zookeeper-3.8.4-bin").exists(), "the top folder is not kept apart");
    assert!(cache.join("zookeeper-3.8.4-apache/bin/zkServer.sh").exists());
    assert_eq!(std::fs::read_to_string(cache.join("hive-4.0.1-apache/lib/README")).unwrap(), "hive\n");
    assert_eq!(mirror.archive_gets(), 3);

    // A second fetch finds everything cached and downloads nothing.
    let again = fetch(&inv, &cache);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(!String::from_utf8_lossy(&again.stderr).contains("fetching"));
    assert_eq!(mirror.archive_gets(), 3);

    // A digest pinned afterwards, in another algorithm than the published one, is checked
    // against the digests recorded at download: a true pin needs no new download...
    let sha256 = hex::encode(sha2::Sha256::digest(std::fs::read(m.join(HADOOP)).unwrap()));
    let right = format!("[software.digests]\n\"hadoop-3.5.0.tar.gz\" = \"sha256:{sha256}\"\n");
    let out = fetch(&inventory(dir.path(), &mirror.url, &right), &cache);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mirror.archive_gets(), 3);
    // ...a pin the cached copy does not match makes it be fetched again, and refused; the
    // cached copy stays as it was.
    let wrong = format!("[software.digests]\n\"hadoop-3.5.0.tar.gz\" = \"sha512:{}\"\n", "0".repeat(128));
    let pinned = inventory(dir.path(), &mirror.url, &wrong);
    let out = fetch(&pinned, &cache);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("expected sha512:{}", "0".repeat(128))), "{stderr}");
    assert_eq!(mirror.archive_gets(), 4);
    assert_eq!(std::fs::read_to_string(cache.join("hadoop-3.5.0-apache/NOTICE.txt")).unwrap(), "hadoop\n");
}

#[test]
fn an_archive_that_differs_from_its_checksum_is_refused_and_nothing_of_it_is_kept() {
    let dir = tempdir();
    let m = dir.path().join("mirror");
    lay_out(&m);
    // ZooKeeper's checksum file is gone but the inventory pins its digest; Hive's archive is
    // replaced after its checksum was published.
    let zk = std::fs::read(m.join(ZOOKEEPER)).unwrap();
    std::fs::remove_file(m.join(format!("{ZOOKEEPER}.sha512"))).unwrap();
    let pin = format!(
        "[software.digests]\n\"apache-zookeeper-3.8.4-bin.tar.gz\" = \"sha512:{}\"\n",
        hex::encode(sha2::Sha512::digest(&zk))
    );
    release(&m, HIVE, "apache-hive-4.0.1-bin", &[("bin/hive", "#!/bin/sh\necho tampered\n")]);
    let mirror = Mirror::serve(&m);
    let inv = inventory(dir.path(), &mirror.url, &pin);
    let cache = dir.path().join("cache");

    let out = fetch(&inv, &cache);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{}/{HIVE} does not match its checksum: expected sha256:", mirror.url)),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was kept"), "{stderr}");
    assert!(cache.join("zookeeper-3.8.4-apache/bin/zkServer.sh").exists(), "the pinned archive was not taken");
    assert!(!cache.join("hive-4.0.1-apache").exists());
    let leftovers: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".fetch-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A mirror that is down is named with what was being fetched.
    drop(mirror);
    let down = inventory(dir.path(), "http://127.0.0.1:9", "");
    let out = fetch(&down, &dir.path().join("cache2"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("downloading http://127.0.0.1:9/{HADOOP}.sha512 failed")), "{stderr}");
}

#[test]
fn remote_hosts_get_every_release_packed_once_nifi_from_its_zip() {
    let dir = tempdir();
    let m = dir.path().join("mirror");
    lay_out(&m);
    // NiFi's newer releases are zip archives only; its launcher script must stay executable.
    let nifi = "nifi/1.28.1/nifi-1.28.1-bin.zip";
    let zip_path = m.join(nifi);
    std::fs::create_dir_all(zip_path.parent().unwrap()).unwrap();
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let exec = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        zip.start_file("nifi-1.28.1/bin/nifi.sh", exec).unwrap();
        std::io::Write::write_all(&mut zip, b"#!/bin/sh\n").unwrap();
        zip.start_file("nifi-1.28.1/lib/README", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, b"nifi\n").unwrap();
        zip.finish().unwrap();
    }
    let sha512 = hex::encode(sha2::Sha512::digest(std::fs::read(&zip_path).unwrap()));
    std::fs::write(m.join(format!("{nifi}.sha512")), format!("{sha512}  nifi-1.28.1-bin.zip\n")).unwrap();
    let mirror = Mirror::serve(&m);
    // The eight VMs of modern.toml (no VM is needed to fetch).
    let inv = inventory_of("inventory/modern.toml", dir.path(), &mirror.url, "");
    let cache = dir.path().join("cache");

    let out = fetch(&inv, &cache);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = json["artifacts"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["hadoop", "zookeeper", "hive", "nifi"]);
    let script = cache.join("nifi-1.28.1-apache/bin/nifi.sh");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o111, 0o111, "nifi.sh lost its x bits");
    let packed: Vec<(String, String)> = items
        .iter()
        .map(|a| {
            (a["packed"]["path"].as_str().unwrap().to_string(), a["packed"]["sha256"].as_str().unwrap().to_string())
        })
        .collect();
    for (path, sha) in &packed {
        assert_eq!(&hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap())), sha, "{path}");
    }
    let listing = Command::new("tar").arg("-tzf").arg(&packed[3].0).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.lines().any(|l| l == "./bin/nifi.sh"),
        "the pack holds the release's contents at its root: {listing}"
    );

    // A second fetch neither downloads nor packs again (the packs are the same files).
    let stamps = |paths: &[(String, String)]| -> Vec<std::time::SystemTime> {
        paths.iter().map(|(p, _)| std::fs::metadata(p).unwrap().modified().unwrap()).collect()
    };
    let before = stamps(&packed);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again = fetch(&inv, &cache);
    assert!(again.status.success());
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let again: Vec<String> = json["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["packed"]["sha256"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(again, packed.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>());
    assert_eq!(stamps(&packed), before, "packed again");
    assert_eq!(mirror.archive_gets(), 4);
}
