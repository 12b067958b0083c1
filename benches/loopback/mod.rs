//! What the benchmarks against real sshd on loopback share: the rendered `configure` phase of an
//! inventory with every host's files moved below a folder of its own, one sshd per host, timed
//! runs of the phase through provision's runner and SSH transport, and a check of what a run
//! left on the hosts (every host is this machine, so the check reads the folders directly).

// The tests' sshd harness; the benchmarks use part of it.
#[allow(dead_code)]
#[path = "../../tests/cli/sshd.rs"]
pub mod sshd;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use provision::engine::runner::{self, Mode, Options, Phase, Quiet, Status};
use provision::engine::steps::{Content, Step};
use provision::engine::transport::{Ssh, SshOptions, Transport, TransportError};
use sshd::{ClientKey, PORT, Sshd};

/// One rendered file: its path relative to its host's root, its text and its mode.
pub struct File {
    /// Below the host's root, without a leading `/`.
    pub path: String,
    /// The content.
    pub text: String,
    /// Permission bits.
    pub mode: u32,
}

/// The files of an inventory's `configure` phase (what `up` writes), per host.
pub struct Files {
    /// Each host's files, in the phase's order.
    pub hosts: BTreeMap<String, Vec<File>>,
}

impl Files {
    /// Renders `inventory` with placeholder secrets and takes the files of `up`'s `configure` phase.
    pub fn render(inventory: &Path) -> Files {
        let cluster = provision::inventory::load(inventory).unwrap();
        let secrets = provision::secrets::Secrets {
            metastore_root_password: "r".into(),
            metastore_password: "m".into(),
            mart_password: "p".into(),
            nifi_sensitive_key: "k".repeat(16),
        };
        let tree = provision::desired::render(&cluster, &secrets);
        let phase = provision::plan::up(&cluster, &tree, &[], None)
            .into_iter()
            .find(|p| p.name == "configure")
            .expect("a configure phase");
        let mut hosts = BTreeMap::new();
        for (name, steps) in phase.hosts {
            let root = cluster.host_root(cluster.host(&name).expect("a host of the inventory"));
            let files = steps
                .into_iter()
                .map(|step| match step {
                    Step::File { path, content: Content::Text(text), mode, .. } => {
                        let below = Path::new(&path).strip_prefix(&root).expect("a file below the host's root");
                        File { path: below.display().to_string(), text, mode }
                    }
                    other => panic!("configure holds only rendered files, not {}", other.describe()),
                })
                .collect();
            hosts.insert(name, files);
        }
        Files { hosts }
    }

    /// How many files, and their bytes.
    pub fn count(&self) -> (usize, usize) {
        let all = || self.hosts.values().flatten();
        (all().count(), all().map(|f| f.text.len()).sum())
    }

    /// The `configure` phase writing each host's files below `root/<host>/` instead of its root.
    pub fn below(&self, root: &Path) -> Phase {
        let mut phase = Phase { name: "configure".into(), ..Phase::default() };
        for (host, files) in &self.hosts {
            let steps = files
                .iter()
                .map(|f| Step::File {
                    path: root.join(host).join(&f.path).display().to_string(),
                    content: Content::Text(f.text.clone()),
                    mode: f.mode,
                    owner: None,
                    affects: vec![],
                })
                .collect();
            phase.hosts.insert(host.clone(), steps);
        }
        phase
    }

    /// Asserts that `root` holds every file below `root/<host>/` with its exact bytes and mode,
    /// and no other file; `who` names the tool in the message.
    pub fn check(&self, root: &Path, who: &str) {
        for (host, files) in &self.hosts {
            for f in files {
                let path = root.join(host).join(&f.path);
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{who} did not write {}: {e}", path.display()));
                assert!(bytes == f.text.as_bytes(), "{who} wrote other bytes to {}", path.display());
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
                assert_eq!(mode, f.mode, "{who} gave {} mode {mode:o}, not {:o}", path.display(), f.mode);
            }
        }
        let found = regular_files(root);
        assert_eq!(found, self.count().0, "{who} left {found} files below {}", root.display());
    }
}

/// Regular files below `dir`, at any depth.
fn regular_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let kind = e.file_type().unwrap();
            if kind.is_dir() { regular_files(&e.path()) } else { usize::from(kind.is_file()) }
        })
        .sum()
}

/// One real sshd per host name on loopback, all accepting one client key, and how provision
/// reaches them.
pub struct Servers {
    /// Each host's sshd address (port [`PORT`]).
    pub addresses: BTreeMap<String, String>,
    opts: SshOptions,
    _servers: Vec<Sshd>,
    _dir: tempfile::TempDir,
}

impl Servers {
    /// Starts one sshd per name of `hosts`, on addresses in 127.`net`.0.0/16, accepting `client`.
    pub fn start<'a>(net: u8, client: &ClientKey, hosts: impl IntoIterator<Item = &'a String>) -> Servers {
        let dir = tempfile::tempdir().unwrap();
        let mut servers = Vec::new();
        let mut addresses = BTreeMap::new();
        for host in hosts {
            let server = Sshd::start(net, client);
            addresses.insert(host.clone(), server.address.clone());
            servers.push(server);
        }
        let opts = SshOptions {
            user: sshd::user(),
            port: PORT,
            identities: vec![client.private.clone()],
            known_hosts: dir.path().join("known_hosts"),
            accept_new_host_keys: true,
            connect_timeout: Duration::from_secs(10),
            sudo: false,
        };
        Servers { addresses, opts, _servers: servers, _dir: dir }
    }

    /// Runs `phase` over these servers with provision's runner, `parallel` hosts at once: the
    /// time it took, and how many steps changed (or, probing, would change). Panics if a step
    /// failed.
    pub fn run(&self, phase: &Phase, mode: Mode, parallel: usize, log: &Path) -> (Duration, usize) {
        let connect = |h: &str| -> Result<Box<dyn Transport>, TransportError> {
            Ok(Box::new(Ssh::connect(h, &self.addresses[h], &self.opts)?))
        };
        let started = Instant::now();
        let report = runner::run(
            std::slice::from_ref(phase),
            &connect,
            &Options { parallel, log_dir: log.to_path_buf(), mode },
            &Quiet,
        );
        let elapsed = started.elapsed();
        let failed: Vec<_> = report.outcomes.iter().filter(|o| matches!(o.status, Status::Failed(_))).collect();
        assert!(report.ok(), "{failed:?}");
        (elapsed, report.per_host().values().map(|c| c.0).sum())
    }
}

/// The median of `values` (sorted here).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
