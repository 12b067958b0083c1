//! Provision beside the tools users would pick instead (prints figures; not a test): the rendered
//! files of inventory/local.toml (the `configure` phase of `up`) pushed to 8 real sshd on
//! loopback, each host's files below a folder of its own, by provision's runner over its SSH
//! transport (8 hosts at once, `up`'s default `--parallel`), by Ansible (ansible-core 2.17.7:
//! one play of `file` and `copy` tasks with per-host variables, with its default 5 forks, with 8,
//! and with 8 and pipelining) and by pyinfra (3.10.0: `files.directory` and `files.put`, its
//! default parallelism). Each tool's cycle is a first run into fresh folders, then three no-op
//! runs (their median); the cycle runs up to three times while it fits the tool's time budget,
//! and the medians are printed. After every run each file is compared byte for byte and by mode,
//! and the files below the folder are counted, so a tool that did nothing fails the bench.
//!
//! The test sshd offers no SFTP subsystem, so Ansible sends files through its `piped` transfer
//! method and pyinfra through SCP; Ansible runs modules with the hosts' /usr/bin/python3. Both
//! are installed on first use into a virtualenv, `target/peers-venv`.
//!
//! Run: `cargo bench --bench peers`.

mod loopback;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use loopback::sshd::{self, ClientKey, PORT};
use loopback::{Files, Servers, median};
use provision::engine::runner::Mode;
use serde_json::json;

/// The sshd addresses of this bench: 127.13.x.y.
const NET: u8 = 13;

/// Hosts provision works on at once: `up`'s default `--parallel`.
const PARALLEL: usize = 8;

/// Cycles (a first run and its no-op runs) at most per tool; the median is printed.
const CYCLES: usize = 3;

/// No-op runs after each first run; their median is the cycle's no-op figure.
const NOOPS: usize = 3;

/// A tool starts another cycle only while its cycles so far and one more fit in this.
const BUDGET: Duration = Duration::from_secs(200);

/// The versions compared, installed into the virtualenv.
const PINS: [&str; 2] = ["ansible-core==2.17.7", "pyinfra==3.10.0"];

/// The Ansible play: every host's folders, then its files, from per-host variables.
const PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: folders
      ansible.builtin.file:
        path: "{{ base }}/{{ inventory_hostname }}/{{ item }}"
        state: directory
      loop: "{{ folders }}"
    - name: files
      ansible.builtin.copy:
        src: "{{ item.src }}"
        dest: "{{ base }}/{{ inventory_hostname }}/{{ item.path }}"
        mode: "{{ item.mode }}"
      loop: "{{ files }}"
      loop_control:
        label: "{{ item.path }}"
"#;

/// The pyinfra deploy: every host's folders, then its files, from the host's data.
const DEPLOY: &str = r#"from pyinfra import host
from pyinfra.operations import files

base = host.data.base + "/" + host.name
for folder in host.data.folders:
    files.directory(name="folder " + folder, path=base + "/" + folder)
for f in host.data.files:
    files.put(name="file " + f["path"], src=f["src"], dest=base + "/" + f["path"], mode=f["mode"])
"#;

/// A way of pushing the files.
enum Tool {
    /// Provision's runner over its SSH transport.
    Provision,
    /// `ansible-playbook`, with `-f forks` when given, and pipelining on or off.
    Ansible { forks: Option<usize>, pipelining: bool },
    /// `pyinfra -y`.
    Pyinfra,
}

impl Tool {
    /// The row's name.
    fn name(&self) -> String {
        match self {
            Tool::Provision => format!("provision (parallel {PARALLEL})"),
            Tool::Ansible { forks, pipelining } => format!(
                "ansible {} ({})",
                forks.map_or("5 forks, default".to_string(), |f| format!("-f {f}")),
                if *pipelining { "pipelining on" } else { "pipelining off, default" }
            ),
            Tool::Pyinfra => "pyinfra (default parallelism)".to_string(),
        }
    }
}

/// Ansible's SSH master connections (ControlPersist) in one folder: closed when dropped, so
/// none outlives the bench, even when it panics.
struct Masters(PathBuf);

impl Drop for Masters {
    fn drop(&mut self) {
        for socket in std::fs::read_dir(&self.0).into_iter().flatten().flatten() {
            let _ = Command::new("ssh")
                .arg("-o")
                .arg(format!("ControlPath={}", socket.path().display()))
                .args(["-O", "exit", "master"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Everything the runs share: the files, the servers, and the tools' generated inputs.
struct Bench {
    /// The rendered files.
    files: Files,
    /// One sshd per host.
    servers: Servers,
    /// The bench's scratch folder.
    work: PathBuf,
    /// The virtualenv's `bin`.
    bin: PathBuf,
}

impl Bench {
    /// Writes each file to a local staging folder (Ansible's and pyinfra's sources) and the
    /// tools' inventories and plays, all in `work`.
    fn prepare(&self, key: &Path) {
        let user = sshd::user();
        let mut ansible = serde_json::Map::new();
        let mut pyinfra = Vec::new();
        for (host, files) in &self.files.hosts {
            let mut sources = Vec::new();
            for f in files {
                let src = self.work.join("staging").join(host).join(&f.path);
                std::fs::create_dir_all(src.parent().unwrap()).unwrap();
                std::fs::write(&src, &f.text).unwrap();
                sources.push((src.display().to_string(), f));
            }
            let folders = folders(&self.files, host);
            let listing = |mode: &dyn Fn(u32) -> String| -> Vec<serde_json::Value> {
                sources.iter().map(|(src, f)| json!({"src": src, "path": f.path, "mode": mode(f.mode)})).collect()
            };
            let known_hosts = |tool: &str| self.work.join(format!("known_hosts.{tool}")).display().to_string();
            let address = &self.servers.addresses[host];
            ansible.insert(
                host.clone(),
                json!({
                    "ansible_host": address,
                    "ansible_port": PORT,
                    "ansible_user": user,
                    "ansible_ssh_private_key_file": key,
                    "ansible_ssh_common_args": format!(
                        "-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={}", known_hosts("ansible")
                    ),
                    "ansible_ssh_transfer_method": "piped",
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "folders": folders,
                    "files": listing(&|m| format!("0{m:o}")),
                }),
            );
            pyinfra.push(json!([host, {
                "ssh_hostname": address,
                "ssh_port": PORT,
                "ssh_user": user,
                "ssh_key": key,
                "ssh_known_hosts_file": known_hosts("pyinfra"),
                "ssh_strict_host_key_checking": "accept-new",
                "ssh_file_transfer_protocol": "scp",
                "folders": folders,
                "files": listing(&|m| format!("{m:o}")),
            }]));
        }
        let write = |name: &str, text: String| std::fs::write(self.work.join(name), text).unwrap();
        write("inventory.json", json!({"all": {"hosts": ansible}}).to_string());
        write("playbook.yml", PLAYBOOK.to_string());
        write("hosts.json", serde_json::Value::Array(pyinfra).to_string());
        let hosts = serde_json::to_string(&self.work.join("hosts.json")).unwrap();
        write(
            "inventory.py",
            format!("import json as _json\n\nhosts = [tuple(h) for h in _json.load(open({hosts}))]\n"),
        );
        write("deploy.py", DEPLOY.to_string());
    }

    /// One run of `tool` putting every host's files below `root/<host>/`: its wall time. Panics
    /// unless it succeeded on every host and, for a no-op run (`first` false), changed nothing.
    fn run(&self, tool: &Tool, root: &Path, masters: &Path, first: bool) -> f64 {
        let started = Instant::now();
        match tool {
            Tool::Provision => {
                let log = self.work.join("logs").join(root.file_name().unwrap());
                let (_, changed) = self.servers.run(&self.files.below(root), Mode::Apply, PARALLEL, &log);
                assert_eq!(changed, if first { self.files.count().0 } else { 0 }, "provision's changed steps");
            }
            Tool::Ansible { forks, pipelining } => {
                let mut cmd = Command::new(self.bin.join("ansible-playbook"));
                cmd.args(["-i", "inventory.json", "playbook.yml", "-e"])
                    .arg(json!({ "base": root }).to_string())
                    .args(forks.map(|f| format!("-f{f}")))
                    .env("ANSIBLE_HOME", self.work.join("ansible-home"))
                    .env("ANSIBLE_LOCAL_TEMP", self.work.join("ansible-local"))
                    .env("ANSIBLE_REMOTE_TMP", self.work.join("ansible-remote"))
                    .env("ANSIBLE_SSH_CONTROL_PATH_DIR", masters)
                    // Host keys are checked; our ssh options accept a new host's key only.
                    .env("ANSIBLE_HOST_KEY_CHECKING", "True")
                    .env("ANSIBLE_RETRY_FILES_ENABLED", "False")
                    .env("ANSIBLE_PIPELINING", if *pipelining { "True" } else { "False" })
                    .env("ANSIBLE_NOCOLOR", "1");
                let out = output(&mut cmd, &self.work);
                let recap: Vec<(usize, usize)> = out
                    .lines()
                    .filter(|l| l.contains(" : ok="))
                    .map(|l| (count(l, "changed="), count(l, "unreachable=") + count(l, "failed=")))
                    .collect();
                assert_eq!(recap.len(), self.files.hosts.len(), "a recap line per host:\n{out}");
                for (changed, failed) in recap {
                    assert!(failed == 0 && (changed > 0) == first, "ansible's recap:\n{out}");
                }
            }
            Tool::Pyinfra => {
                let mut cmd = Command::new(self.bin.join("pyinfra"));
                cmd.arg("-y").arg(format!("--data=base={}", root.display())).args(["inventory.py", "deploy.py"]);
                let out = output(&mut cmd, &self.work);
                let total: Vec<&str> = out
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("Grand total"))
                    .unwrap_or_else(|| panic!("pyinfra's results:\n{out}"))
                    .split_whitespace()
                    .collect();
                // Hosts, Success (changed), Error, No Change.
                assert!(total.len() == 4 && total[2] == "-" && (total[1] != "-") == first, "pyinfra's results:\n{out}");
            }
        }
        started.elapsed().as_secs_f64()
    }

    /// Cycles of a first run and its no-op runs, each cycle into fresh folders, checked after
    /// every run: the medians of the first runs and of the cycles' no-op medians, and the cycles run.
    fn measure(&self, tool: &Tool, slug: &str) -> (f64, f64, usize) {
        let (mut firsts, mut noops) = (Vec::new(), Vec::new());
        let started = Instant::now();
        while firsts.len() < CYCLES
            && (firsts.is_empty() || started.elapsed() * (firsts.len() as u32 + 1) / firsts.len() as u32 <= BUDGET)
        {
            let cycle = firsts.len();
            let root = self.work.join("hosts").join(format!("{slug}-{cycle}"));
            let masters = Masters(self.work.join(format!("cp-{slug}-{cycle}")));
            firsts.push(self.run(tool, &root, &masters.0, true));
            self.files.check(&root, slug);
            let mut runs: Vec<f64> = (0..NOOPS).map(|_| self.run(tool, &root, &masters.0, false)).collect();
            self.files.check(&root, slug);
            noops.push(median(&mut runs));
        }
        let cycles = firsts.len();
        (median(&mut firsts), median(&mut noops), cycles)
    }
}

/// The folders that hold a file of `host`, relative to its root, parents first.
fn folders(files: &Files, host: &str) -> BTreeSet<String> {
    files.hosts[host]
        .iter()
        .filter_map(|f| Path::new(&f.path).parent().map(|p| p.display().to_string()))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The number after `key` in an Ansible recap line.
fn count(line: &str, key: &str) -> usize {
    line.split_whitespace().find_map(|w| w.strip_prefix(key)).and_then(|n| n.parse().ok()).expect("a recap count")
}

/// Runs `cmd` in `dir` with nothing on its standard input: its standard output and error.
/// Panics when it fails.
fn output(cmd: &mut Command, dir: &Path) -> String {
    let out = cmd.current_dir(dir).stdin(Stdio::null()).output().expect("running a tool of the virtualenv");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed ({}):\n{text}", out.status);
    text
}

/// The virtualenv with the pinned tools, created (or remade) when it lacks them: its `bin`.
fn virtualenv() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from);
    let venv = target.join("peers-venv");
    let marker = venv.join("provision-pins.txt");
    let pins = PINS.join("\n");
    if std::fs::read_to_string(&marker).is_ok_and(|p| p == pins) {
        return venv.join("bin");
    }
    println!("installing {} into {}", PINS.join(" and "), venv.display());
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    output(Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv), here);
    output(Command::new(venv.join("bin/pip")).args(["install", "-q"]).args(PINS), here);
    std::fs::write(&marker, pins).unwrap();
    venv.join("bin")
}

fn main() {
    let bin = virtualenv();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = Files::render(&root.join("inventory/local.toml"));
    let client = ClientKey::new();
    let servers = Servers::start(NET, &client, files.hosts.keys());
    let work = tempfile::tempdir().unwrap();
    let bench = Bench { files, servers, work: work.path().to_path_buf(), bin };
    bench.prepare(&client.private);
    let (count, bytes) = bench.files.count();
    println!(
        "{count} files, {bytes} bytes, on {} hosts (real sshd on 127.{NET}.x.y); each row: a first run into fresh \
         folders, then {NOOPS} no-op runs (median), the cycle up to {CYCLES} times (median)",
        bench.files.hosts.len()
    );
    let tools = [
        ("provision", Tool::Provision),
        ("ansible-f5", Tool::Ansible { forks: None, pipelining: false }),
        ("ansible-f8", Tool::Ansible { forks: Some(8), pipelining: false }),
        ("ansible-f8-pipelining", Tool::Ansible { forks: Some(8), pipelining: true }),
        ("pyinfra", Tool::Pyinfra),
    ];
    println!(
        "{:<50} {:>6} {:>11} {:>9} {:>9} {:>9}",
        "tool", "cycles", "first run s", "no-op s", "first /p", "no-op /p"
    );
    let mut baseline = None;
    let mut ansible_noops = Vec::new();
    for (slug, tool) in &tools {
        let (first, noop, cycles) = bench.measure(tool, slug);
        let (p_first, p_noop) = *baseline.get_or_insert((first, noop));
        if matches!(tool, Tool::Ansible { .. }) {
            ansible_noops.push((noop, tool.name()));
        }
        println!(
            "{:<50} {cycles:>6} {first:>11.2} {noop:>9.3} {:>8.1}x {:>8.1}x",
            tool.name(),
            first / p_first,
            noop / p_noop
        );
    }
    let p_noop = baseline.expect("provision ran").1;
    let (fastest, name) = ansible_noops.iter().min_by(|a, b| a.0.total_cmp(&b.0)).expect("ansible ran");
    let ratio = fastest / p_noop;
    println!(
        "goal: provision's no-op at least 10x faster than Ansible's: {ratio:.1}x against the fastest Ansible row \
         ({name}) — {}",
        if ratio >= 10.0 { "met" } else { "NOT met" }
    );
}
