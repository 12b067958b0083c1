//! Software the hosts run, fetched once on the controlling machine into a cache and reused:
//! Hadoop, ZooKeeper and Hive either from Maven Central, through the Maven projects in
//! `artifacts/`, laid out like Apache's binary distributions (Maven checks every download
//! against its published checksum, `-C`), or as Apache's release archives from a mirror,
//! checked against the checksum Apache published (see [`release`]); NiFi only the latter way.
//! A manifest of every file's size and SHA-256 then lets later runs verify the cached copy
//! instead of fetching it again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::catalog::Product;
use crate::model::{Cluster, Host, Role, SoftwareSource};

pub mod glibc;
pub mod release;

const HADOOP_POM: &str = include_str!("../../artifacts/hadoop/pom.xml");
const ZOOKEEPER_POM: &str = include_str!("../../artifacts/zookeeper/pom.xml");
const HIVE_POM: &str = include_str!("../../artifacts/hive/pom.xml");
const NIFI_POM: &str = include_str!("../../artifacts/nifi/pom.xml");

/// The manifest file in every cached layout.
const MANIFEST: &str = ".provision-manifest";

/// The record, in a layout unpacked from a release archive, of the archive's digests (every
/// algorithm) and its URL.
const RELEASE_RECORD: &str = ".provision-release";

/// One product version laid out in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The product.
    pub name: Product,
    /// Its version.
    pub version: String,
    /// The folder it is laid out in.
    pub dir: PathBuf,
    /// A file whose presence shows the layout is complete.
    pub probe: String,
    /// The layout packed for hosts other than this machine, once packed.
    pub archive: Option<Archive>,
    /// Where it comes from.
    pub source: Source,
}

/// Where an artifact comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Laid out from Maven Central by a Maven project.
    Maven {
        /// The project.
        pom: &'static str,
        /// The property that takes the version.
        version_property: &'static str,
    },
    /// Apache's release archive, downloaded from a mirror.
    Release(release::Release),
}

/// A file sent to remote hosts (once per host, then only when its checksum changes): a cached
/// layout packed as one `.tar.gz`, or the `provision` binary itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// The file on the controlling machine.
    pub path: PathBuf,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

impl Archive {
    /// The file at `path` with its checksum and size.
    pub fn of(path: &Path) -> Result<Archive, ArtifactError> {
        let (size, sha256) = sha256_of(path)?;
        Ok(Archive { path: path.to_path_buf(), sha256, size })
    }
}

/// The size and SHA-256 (hex) of the file at `path`.
fn sha256_of(path: &Path) -> Result<(u64, String), ArtifactError> {
    let mut file = std::fs::File::open(path).map_err(io(path))?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher).map_err(io(path))?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// Why an artifact could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// A download failed.
    #[error("downloading {url} failed: {message}\nhint: check [software] mirror and checksums in the inventory")]
    Download {
        /// What was being downloaded.
        url: String,
        /// Why it failed.
        message: String,
    },
    /// A downloaded archive is not the one Apache published.
    #[error(
        "{url} does not match its checksum: expected {expected}, found {found}; nothing was kept\nhint: a broken or tampered mirror; try another mirror"
    )]
    Checksum {
        /// The archive.
        url: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        found: String,
    },
    /// Maven failed or could not be run.
    #[error(
        "fetching {name} {version} with Maven failed: {message}\nhint: Maven Central must be reachable, and `mvn` on the PATH"
    )]
    Maven {
        /// The product.
        name: String,
        /// Its version.
        version: String,
        /// What went wrong (Maven's last lines).
        message: String,
    },
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl ArtifactError {
    /// A problem with the file at `path` that is no I/O error of the system's.
    pub(crate) fn other(path: &Path, message: impl Into<String>) -> ArtifactError {
        ArtifactError::Io { path: path.to_path_buf(), source: std::io::Error::other(message.into()) }
    }
}

/// Where artifacts are cached: `$PROVISION_CACHE`, else `$XDG_CACHE_HOME/provision`, else
/// `~/.cache/provision`.
pub fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PROVISION_CACHE") {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("provision")
}

/// The cache folder of `name` `version` laid out by `pom`: a change of the Maven project
/// makes a new entry rather than reusing one laid out differently.
fn entry(cache: &Path, name: &str, version: &str, pom: &str) -> PathBuf {
    let digest = hex::encode(Sha256::digest(pom.as_bytes()));
    cache.join(format!("{name}-{version}-{}", &digest[..10]))
}

/// The artifacts the hosts run: Hadoop, ZooKeeper, and Hive and NiFi when a host runs them.
/// The local topology launches them from the cache; other hosts get them packed.
pub fn needed(c: &Cluster, cache: &Path) -> Vec<Artifact> {
    let v = &c.versions;
    let hive = c.hosts.iter().any(Host::runs_hive);
    let nifi = c.hosts.iter().any(|h| h.has(Role::Nifi));
    let mut out = vec![
        artifact(c, cache, Product::Hadoop, v.hadoop.version, HADOOP_POM, "hadoop.version"),
        artifact(c, cache, Product::Zookeeper, v.zookeeper.version, ZOOKEEPER_POM, "zookeeper.version"),
    ];
    if hive {
        out.push(artifact(c, cache, Product::Hive, v.hive.version, HIVE_POM, "hive.version"));
    }
    if nifi {
        // Only 1.18.0 can be laid out from Maven Central; other releases come from Apache's archive.
        let pom = if v.nifi.maven_layout() { NIFI_POM } else { "" };
        out.push(artifact(c, cache, Product::Nifi, v.nifi.version, pom, "nifi.version"));
    }
    out
}

/// Artifact `name` `version`: from Maven Central through `pom` when the inventory says so and
/// `pom` is given, else Apache's release archive.
fn artifact(
    c: &Cluster,
    cache: &Path,
    name: Product,
    version: &str,
    pom: &'static str,
    version_property: &'static str,
) -> Artifact {
    if c.software.source == SoftwareSource::Maven && !pom.is_empty() {
        return Artifact {
            name,
            version: version.to_string(),
            dir: entry(cache, name.name(), version, pom),
            probe: match name {
                // The MapReduce framework in Hadoop's own place: a layout of an earlier
                // project, without it, is never taken for this one.
                Product::Hadoop => format!("share/hadoop/mapreduce/hadoop-mapreduce-client-app-{version}.jar"),
                Product::Zookeeper => format!("lib/zookeeper-{version}.jar"),
                Product::Hive => format!("lib/hive-exec-{version}.jar"),
                Product::Nifi => format!("lib/nifi-runtime-{version}.jar"),
            },
            archive: None,
            source: Source::Maven { pom, version_property },
        };
    }
    let archive = crate::catalog::apache_release(name, version);
    let pinned = c.software.digests.get(archive.file_name()).cloned();
    Artifact {
        name,
        version: version.to_string(),
        dir: cache.join(format!("{name}-{version}-apache")),
        // Every release archive has its launcher scripts.
        probe: match name {
            Product::Hadoop => "bin/hdfs",
            Product::Zookeeper => "bin/zkServer.sh",
            Product::Hive => "bin/hive",
            Product::Nifi => "bin/nifi.sh",
        }
        .to_string(),
        archive: None,
        source: Source::Release(release::Release {
            archive,
            mirror: c.software.mirror.to_string(),
            checksums: c.software.checksums.to_string(),
            pinned,
        }),
    }
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError::Io { path: path.to_path_buf(), source }
}

/// Every regular file below `dir` (but the manifest) with its size and SHA-256.
fn inventory(dir: &Path) -> Result<BTreeMap<String, (u64, String)>, ArtifactError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let path = entry.map_err(io(&d))?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(dir).expect("below").to_string_lossy().into_owned();
            if rel == MANIFEST {
                continue;
            }
            out.insert(rel, sha256_of(&path)?);
        }
    }
    Ok(out)
}

fn read_manifest(dir: &Path) -> Option<BTreeMap<String, (u64, String)>> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    text.lines()
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let sha = parts.next()?.to_string();
            let size = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_string(), (size, sha)))
        })
        .collect()
}

impl Artifact {
    /// Whether the cached layout is complete: its manifest lists exactly the files present,
    /// with their sizes. (Contents were checked when the manifest was written.)
    pub fn is_cached(&self) -> bool {
        let Some(manifest) = read_manifest(&self.dir) else { return false };
        if !self.dir.join(&self.probe).exists() {
            return false;
        }
        // A digest pinned since the release was fetched must be the one it was checked against.
        if let Source::Release(release::Release { pinned: Some(pin), .. }) = &self.source {
            let recorded = std::fs::read_to_string(self.dir.join(RELEASE_RECORD)).unwrap_or_default();
            if !recorded.split_whitespace().any(|d| d == pin.to_string()) {
                return false;
            }
        }
        manifest.iter().all(|(rel, (size, _))| std::fs::metadata(self.dir.join(rel)).is_ok_and(|m| m.len() == *size))
    }

    /// A file beside the cache entry: `<entry>.<suffix>` (the entry's name has dots of its own).
    fn beside(&self, suffix: &str) -> PathBuf {
        PathBuf::from(format!("{}.{suffix}", self.dir.display()))
    }

    /// Holds the cache entry's lock file until the returned file is dropped: one `provision`
    /// at a time fetches or packs an entry.
    fn lock(&self) -> Result<std::fs::File, ArtifactError> {
        let parent = self.dir.parent().expect("cache entry has a parent");
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let lock_path = self.beside("lock");
        let lock = std::fs::File::create(&lock_path).map_err(io(&lock_path))?;
        // SAFETY: flock on a file descriptor owned by `lock`; released when it closes.
        if unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) } != 0 {
            return Err(ArtifactError::Io { path: lock_path, source: std::io::Error::last_os_error() });
        }
        Ok(lock)
    }

    /// Packs the cached layout as `<entry>.tar.gz` beside it (once) and records it with its
    /// checksum in `archive`.
    pub fn pack(&mut self) -> Result<(), ArtifactError> {
        let path = self.beside("tar.gz");
        let _lock = self.lock()?;
        if !path.exists() {
            let parent = self.dir.parent().expect("cache entry has a parent");
            let tmp =
                tempfile::Builder::new().prefix(".pack-").tempfile_in(parent).map_err(io(parent))?.into_temp_path();
            let out = Command::new("tar")
                .args(["--owner=0", "--group=0", "--numeric-owner", "-czf"])
                .arg(&tmp)
                .arg("-C")
                .arg(&self.dir)
                .arg(".")
                .output()
                .map_err(io(&tmp))?;
            if !out.status.success() {
                return Err(ArtifactError::other(&path, String::from_utf8_lossy(&out.stderr).trim()));
            }
            tmp.persist(&path).map_err(|e| ArtifactError::Io { path: path.clone(), source: e.error })?;
        }
        self.archive = Some(Archive::of(&path)?);
        Ok(())
    }

    /// Where the artifact comes from, for messages: Maven Central, or the archive's URL.
    pub fn origin(&self) -> String {
        match &self.source {
            Source::Maven { .. } => "Maven Central".into(),
            Source::Release(r) => r.url(),
        }
    }

    /// Fetches the layout into a folder beside the cache entry, writes its manifest and moves
    /// it into place; a failure leaves no partial entry behind. Another `provision` fetching
    /// the same entry is waited for (a lock file), and its result reused. `progress` hears
    /// the bytes of a download (so far, total when known).
    pub fn fetch(&self, progress: &mut dyn FnMut(u64, Option<u64>)) -> Result<(), ArtifactError> {
        let parent = self.dir.parent().expect("cache entry has a parent");
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let _lock = self.lock()?;
        if self.is_cached() {
            return Ok(());
        }
        // Work folders of this entry left by an interrupted fetch (others' are not ours to touch).
        let prefix =
            format!(".fetch-{}-", self.dir.file_name().map_or_else(String::new, |n| n.to_string_lossy().into()));
        for stale in std::fs::read_dir(parent).map_err(io(parent))?.flatten() {
            if stale.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(stale.path());
            }
        }
        let work = tempfile::Builder::new().prefix(&prefix).tempdir_in(parent).map_err(io(parent))?;
        let layout = match &self.source {
            Source::Maven { pom, version_property } => self.maven(work.path(), pom, version_property)?,
            Source::Release(r) => {
                let expected = release::expected(r)?;
                let archive = work.path().join(r.file_name());
                let digests = release::download(r, &expected, &archive, progress)?;
                let unpacked = work.path().join("unpacked");
                std::fs::create_dir(&unpacked).map_err(io(&unpacked))?;
                let layout = release::unpack(&archive, &r.archive.top, &unpacked)?;
                if !layout.join(&self.probe).exists() {
                    return Err(ArtifactError::other(&archive, format!("no {} in the unpacked release", self.probe)));
                }
                let record = layout.join(RELEASE_RECORD);
                let digests: Vec<String> = digests.iter().map(ToString::to_string).collect();
                std::fs::write(&record, format!("{} {}\n", digests.join(" "), r.url())).map_err(io(&record))?;
                layout
            }
        };
        let files = inventory(&layout)?;
        let manifest: String = files.iter().map(|(rel, (size, sha))| format!("{sha} {size} {rel}\n")).collect();
        std::fs::write(layout.join(MANIFEST), manifest).map_err(io(&layout))?;
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(io(&self.dir))?;
        }
        // A pack of the layout this one replaces is not this layout's.
        let packed = self.beside("tar.gz");
        if packed.exists() {
            std::fs::remove_file(&packed).map_err(io(&packed))?;
        }
        std::fs::rename(&layout, &self.dir).map_err(io(&self.dir))
    }

    /// Lays the artifact out in `work/layout` with Maven project `pom`.
    fn maven(&self, work: &Path, pom: &str, version_property: &str) -> Result<PathBuf, ArtifactError> {
        let pom_path = work.join("pom.xml");
        std::fs::write(&pom_path, pom).map_err(io(&pom_path))?;
        let layout = work.join("layout");
        let out = Command::new("mvn")
            .args(["-B", "-q", "-C", "-f"])
            .arg(&pom_path)
            .arg("package")
            .arg(format!("-D{version_property}={}", self.version))
            .arg(format!("-Dlayout.dir={}", layout.display()))
            .output()
            .map_err(|e| ArtifactError::Maven {
                name: self.name.to_string(),
                version: self.version.clone(),
                message: e.to_string(),
            })?;
        if !out.status.success() || !layout.join(&self.probe).exists() {
            let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            let message = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
            return Err(ArtifactError::Maven { name: self.name.to_string(), version: self.version.clone(), message });
        }
        Ok(layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hadoop(cache: &Path) -> Artifact {
        let c =
            crate::inventory::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/local.toml"))).unwrap();
        needed(&c, cache).into_iter().find(|a| a.name == Product::Hadoop).unwrap()
    }

    fn lay_out(dir: &Path, files: &[&str]) {
        let mut manifest = String::new();
        for rel in files {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "jar").unwrap();
            manifest.push_str(&format!("{} 3 {rel}\n", hex::encode(Sha256::digest(b"jar"))));
        }
        std::fs::write(dir.join(MANIFEST), manifest).unwrap();
    }

    #[test]
    fn a_hadoop_layout_is_reused_only_when_laid_out_by_this_project_with_the_mapreduce_framework() {
        let cache = tempfile::tempdir().unwrap();
        let a = hadoop(cache.path());
        // The entry is named by the project's digest: a layout of another project is elsewhere.
        assert_eq!(a.dir, entry(cache.path(), "hadoop", "3.5.0", HADOOP_POM));
        let older = HADOOP_POM.replace("hadoop-mapreduce-client-app", "");
        assert_ne!(a.dir, entry(cache.path(), "hadoop", "3.5.0", &older));
        assert_eq!(a.probe, "share/hadoop/mapreduce/hadoop-mapreduce-client-app-3.5.0.jar");
        // A complete-looking layout without the framework, in its place all the same, is fetched again.
        lay_out(&a.dir, &["share/hadoop/common/lib/hadoop-hdfs-3.5.0.jar"]);
        assert!(!a.is_cached());
        lay_out(&a.dir, &["share/hadoop/common/lib/hadoop-hdfs-3.5.0.jar", &a.probe]);
        assert!(a.is_cached());
    }
}
