//! The transports, steps and runner against real OpenSSH servers on loopback addresses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use provision::engine::runner::{self, Mode, Options, Phase, Quiet, Status};
use provision::engine::steps::{Content, RunState, Step};
use provision::engine::transport::{Local, Ssh, SshOptions, Transport, TransportError};

use crate::sshd::{ClientKey, PORT, Sshd, user};

const NET: u8 = 11;

fn options(key: &ClientKey, known_hosts: &Path, accept: bool) -> SshOptions {
    SshOptions {
        user: user(),
        port: PORT,
        identities: vec![key.private.clone()],
        known_hosts: known_hosts.to_path_buf(),
        accept_new_host_keys: accept,
        connect_timeout: Duration::from_secs(5),
        sudo: false,
    }
}

/// A client key, a server that accepts it and a known_hosts file that already lists it.
fn trusted() -> (ClientKey, Sshd, tempfile::TempDir, SshOptions) {
    let key = ClientKey::new();
    let sshd = Sshd::start(NET, &key);
    let state = tempfile::tempdir().unwrap();
    let opts = options(&key, &state.path().join("known_hosts"), true);
    drop(Ssh::connect("first", &sshd.address, &opts).unwrap_or_else(|e| panic!("{e}\n{}", sshd.log())));
    (key, sshd, state, SshOptions { accept_new_host_keys: false, ..opts })
}

#[test]
fn exec_returns_exit_code_stdout_and_stderr() {
    let (_k, sshd, _s, opts) = trusted();
    let mut t = Ssh::connect("h1", &sshd.address, &opts).unwrap();
    let out = t.exec("echo out; echo err >&2; exit 3", None, Duration::from_secs(10)).unwrap();
    assert_eq!((out.code, out.stdout_text().as_str(), out.stderr_tail(1).as_str()), (3, "out\n", "err"));
    let mut input: &[u8] = b"fed through stdin";
    let out = t.exec("cat", Some(&mut input), Duration::from_secs(10)).unwrap();
    assert_eq!(out.stdout_text(), "fed through stdin");
}

#[test]
fn a_command_that_runs_too_long_is_stopped_on_the_host() {
    let (_k, sshd, _s, opts) = trusted();
    let mut t = Ssh::connect("h1", &sshd.address, &opts).unwrap();
    let started = Instant::now();
    let err = t.exec("sleep 31.25; echo never", None, Duration::from_secs(1)).unwrap_err();
    assert!(matches!(err, TransportError::Timeout { .. }), "{err}");
    assert!(err.to_string().starts_with("h1: `sleep 31.25; echo never` did not finish within 1s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let left = t.exec("pgrep -f 'sleep 31[.]25' || true", None, Duration::from_secs(5)).unwrap();
    assert_eq!(left.stdout_text(), "", "the timed-out command still runs");
}

#[test]
fn uploads_small_and_large_files_only_when_they_differ() {
    let (_k, sshd, state, opts) = trusted();
    let mut t = Ssh::connect("h1", &sshd.address, &opts).unwrap();
    let remote = state.path().join("remote");
    let small_text: String = (0..1024).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let small = Step::File {
        path: remote.join("etc/small.conf").display().to_string(),
        content: Content::Text(small_text.clone()),
        mode: 0o600,
        owner: None,
        affects: vec![],
    };
    let big_local = state.path().join("big.bin");
    write_pseudo_random(&big_local, 200 * 1024 * 1024);
    let big = Step::File {
        path: remote.join("opt/big.bin").display().to_string(),
        content: Content::local(big_local.clone()).unwrap(),
        mode: 0o644,
        owner: None,
        affects: vec![],
    };
    let phase = Phase {
        name: "push".into(),
        hosts: [("h1".to_string(), vec![small.clone(), big.clone()])].into(),
        after: vec![],
    };
    let opts2 = opts.clone();
    let address = sshd.address.clone();
    let connect = move |h: &str| -> Result<Box<dyn Transport>, TransportError> {
        Ok(Box::new(Ssh::connect(h, &address, &opts2)?))
    };
    let run = |dir: &str| {
        let o = Options { parallel: 4, log_dir: state.path().join(dir), mode: Mode::Apply };
        let started = Instant::now();
        let report = runner::run(std::slice::from_ref(&phase), &connect, &o, &Quiet);
        (report, started.elapsed())
    };
    let (first, first_time) = run("run1");
    assert!(first.ok(), "{:?}", first.outcomes);
    assert_eq!(first.per_host()["h1"], (2, 0, 0));
    assert_eq!(std::fs::read_to_string(remote.join("etc/small.conf")).unwrap(), small_text);
    let sum = t
        .exec(&format!("sha256sum < {}", remote.join("opt/big.bin").display()), None, Duration::from_secs(60))
        .unwrap();
    let Content::Local { sha256, .. } = Content::local(big_local).unwrap() else { unreachable!() };
    assert!(sum.stdout_text().starts_with(&sha256));
    let mode = t
        .exec(&format!("stat -c %a {}", remote.join("etc/small.conf").display()), None, Duration::from_secs(5))
        .unwrap();
    assert_eq!(mode.stdout_text().trim(), "600");

    let (second, second_time) = run("run2");
    assert_eq!(second.per_host()["h1"], (0, 2, 0), "a second run must change nothing");
    eprintln!("200 MB + 1 KB: first push {first_time:?}, checksum-only second run {second_time:?}");
    assert!(std::fs::read_to_string(state.path().join("run2/h1.log")).unwrap().contains("sha256sum"));
}

fn write_pseudo_random(path: &Path, len: usize) {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut buf = Vec::with_capacity(len);
    while buf.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(path, &buf[..len]).unwrap();
}

#[test]
fn a_key_the_host_does_not_accept_is_refused_naming_host_and_user() {
    let (_k, sshd, state, opts) = trusted();
    let stranger = ClientKey::new();
    let opts = SshOptions { identities: vec![stranger.private.clone()], ..opts };
    let err = Ssh::connect("dn02", &sshd.address, &opts).err().expect("refused");
    assert!(matches!(err, TransportError::Auth { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("dn02: {}@{}:{PORT} refused every key offered", user(), sshd.address)), "{msg}");
    assert!(msg.contains(&stranger.private.display().to_string()));
    drop(state);
}

#[test]
fn an_unknown_host_key_needs_consent_then_is_recorded() {
    let key = ClientKey::new();
    let sshd = Sshd::start(NET, &key);
    let state = tempfile::tempdir().unwrap();
    let known = state.path().join("sub/known_hosts");
    let err = Ssh::connect("nn01", &sshd.address, &options(&key, &known, false)).err().expect("refused");
    assert!(matches!(err, TransportError::HostKeyUnknown { .. }), "{err}");
    assert!(err.to_string().contains("--accept-new-host-keys"));
    assert!(!known.exists(), "nothing may be recorded without consent");
    Ssh::connect("nn01", &sshd.address, &options(&key, &known, true)).unwrap();
    let recorded = std::fs::read_to_string(&known).unwrap();
    assert!(recorded.starts_with(&format!("[{}]:{PORT} ssh-ed25519 ", sshd.address)), "{recorded}");
    Ssh::connect("nn01", &sshd.address, &options(&key, &known, false)).expect("the recorded key is trusted");
}

#[test]
fn a_changed_host_key_is_always_refused() {
    let (key, mut sshd, state, _) = trusted();
    sshd.change_host_key();
    let known = state.path().join("known_hosts");
    let before = std::fs::read_to_string(&known).unwrap();
    for accept in [false, true] {
        let err = Ssh::connect("rm01", &sshd.address, &options(&key, &known, accept)).err().expect("refused");
        assert!(matches!(err, TransportError::HostKeyChanged { .. }), "{err}");
        assert!(err.to_string().starts_with(&format!("rm01: HOST KEY CHANGED at {}:{PORT}", sshd.address)));
    }
    assert_eq!(std::fs::read_to_string(&known).unwrap(), before, "the recorded key must stay");
}

#[test]
fn a_port_with_nothing_listening_names_host_and_address() {
    let key = ClientKey::new();
    let state = tempfile::tempdir().unwrap();
    let address = crate::sshd::next_address(NET);
    let err = Ssh::connect("jn01", &address, &options(&key, &state.path().join("k"), true)).err().expect("refused");
    assert!(matches!(err, TransportError::Connect { .. }), "{err}");
    assert!(err.to_string().starts_with(&format!("jn01: cannot connect to {address}:{PORT}: ")), "{err}");
}

fn file_step(dir: &Path, name: &str, text: &str) -> Step {
    Step::File {
        path: dir.join(name).display().to_string(),
        content: Content::Text(text.into()),
        mode: 0o644,
        owner: None,
        affects: vec![],
    }
}

#[test]
fn a_failure_stops_the_run_before_the_next_phase_and_a_rerun_continues() {
    let key = ClientKey::new();
    let servers: Vec<Sshd> = (0..3).map(|_| Sshd::start(NET, &key)).collect();
    let state = tempfile::tempdir().unwrap();
    let root = state.path().join("hosts");
    let marker = state.path().join("fixed");
    let hosts = ["a", "b", "c"];
    let addresses: BTreeMap<String, String> =
        hosts.iter().zip(&servers).map(|(h, s)| (h.to_string(), s.address.clone())).collect();
    let phase = |name: &str, b_step: Option<Step>| {
        let mut p = Phase { name: name.into(), ..Phase::default() };
        for h in hosts {
            let mut steps = vec![file_step(&root.join(h), &format!("{name}.txt"), name)];
            if h == "b"
                && let Some(s) = b_step.clone()
            {
                steps.insert(0, s);
            }
            p.hosts.insert(h.to_string(), steps);
        }
        p
    };
    let guarded = Step::Run {
        name: "needs the fix".into(),
        command: format!("test -e {} && touch {}.done", marker.display(), marker.display()),
        unless: Some(format!("test -e {}.done", marker.display())),
        timeout: Duration::from_secs(10),
    };
    let phases = runner::in_order(vec![phase("one", None), phase("two", Some(guarded)), phase("three", None)]);
    let opts = options(&key, &state.path().join("known_hosts"), true);
    let connect = |h: &str| -> Result<Box<dyn Transport>, TransportError> {
        Ok(Box::new(Ssh::connect(h, &addresses[h], &opts)?))
    };
    let run = |dir: &str| {
        runner::run(
            &phases,
            &connect,
            &Options { parallel: 3, log_dir: state.path().join(dir), mode: Mode::Apply },
            &Quiet,
        )
    };

    let first = run("run1");
    assert_eq!(first.failed_phase.as_deref(), Some("two"));
    assert_eq!(first.phases_done, vec!["one"]);
    assert!(first.outcomes.iter().all(|o| o.phase != "three"), "phase three must not start");
    assert!(root.join("a/two.txt").exists() && root.join("c/two.txt").exists(), "the other hosts finish their phase");
    assert!(!root.join("b/two.txt").exists(), "b stops at its failed step");
    let failure = first
        .outcomes
        .iter()
        .find_map(|o| match &o.status {
            Status::Failed(m) => Some(m.clone()),
            _ => None,
        })
        .unwrap();
    assert!(failure.starts_with("b: needs the fix: `test -e"), "{failure}");
    assert!(failure.contains("exited with 1"), "{failure}");
    for h in hosts {
        assert!(state.path().join(format!("run1/{h}.log")).exists());
    }

    std::fs::write(&marker, "").unwrap();
    let second = run("run2");
    assert!(second.ok(), "{:?}", second.outcomes);
    let changed: Vec<(String, String)> = second
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Changed)
        .map(|o| (o.host.clone(), o.step.clone()))
        .collect();
    let expect_changed = |h: &str, step: &str| changed.contains(&(h.to_string(), step.to_string()));
    assert!(expect_changed("b", "needs the fix"));
    assert!(expect_changed("b", &format!("file {}", root.join("b/two.txt").display())));
    assert_eq!(changed.len(), 2 + 3, "only b's unfinished steps and phase three change: {changed:?}");
    let third = run("run3");
    assert_eq!(third.per_host().values().map(|c| c.0).sum::<usize>(), 0, "a third run changes nothing");
}

#[test]
fn the_local_transport_runs_feeds_and_times_out() {
    let mut t = Local::new("here");
    let mut input: &[u8] = b"abc";
    let out = t.exec("cat; echo e >&2; exit 4", Some(&mut input), Duration::from_secs(5)).unwrap();
    assert_eq!((out.code, out.stdout_text().as_str(), out.stderr_tail(1).as_str()), (4, "abc", "e"));
    let err = t.exec("sleep 20", None, Duration::from_secs(1)).unwrap_err();
    assert!(matches!(err, TransportError::Timeout { .. }), "{err}");
    let mut state = RunState::default();
    state.changed.insert("here/x".into());
    let dir = tempfile::tempdir().unwrap();
    let step = file_step(dir.path(), "a/b.txt", "hello\n");
    assert!(matches!(step.probe(&mut t, &state).unwrap(), provision::engine::steps::Drift::Differs { .. }));
    step.apply(&mut t).unwrap();
    assert_eq!(step.probe(&mut t, &state).unwrap(), provision::engine::steps::Drift::InSync);
}

/// A small non-HA inventory whose hosts are the given sshd servers, with every host's files
/// below `root/<host>`. The crawler's files belong to `nobody` (no crawler user here).
fn ssh_inventory(dir: &Path, key: &ClientKey, servers: &[Sshd]) -> PathBuf {
    let roles = [r#"["namenode", "datanode"]"#, r#"["mart-db"]"#, r#"["crawler"]"#];
    let mut text = format!(
        "[cluster]\nname = \"sshtest\"\nos = \"debian12\"\nendpoints = \"address\"\nroot = \"hosts/{{host}}\"\nstate_dir = \"state\"\n\n\
         [transport]\nkind = \"ssh\"\nuser = \"{}\"\nport = {PORT}\nidentity = \"{}\"\n\n\
         [versions]\njava = \"17\"\nhadoop = \"3.5.0\"\nzookeeper = \"3.8.4\"\nhive = \"4.1.0\"\n\
         metastore_db = \"mariadb-10.11\"\nnifi = \"1.28.1\"\npostgresql = \"15\"\n\n[hdfs]\nreplication = 1\n\n\
         [users]\ncrawler = \"nobody\"\n",
        user(),
        key.private.display()
    );
    for (i, (s, roles)) in servers.iter().zip(roles).enumerate() {
        text.push_str(&format!("\n[[hosts]]\nname = \"h{i}\"\naddress = \"{}\"\nroles = {roles}\n", s.address));
    }
    let path = dir.join("ssh.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn plan_then_up_then_plan_over_ssh_from_the_command_line() {
    let key = ClientKey::new();
    let servers: Vec<Sshd> = (0..3).map(|_| Sshd::start(NET, &key)).collect();
    let dir = tempfile::tempdir().unwrap();
    let inv = ssh_inventory(dir.path(), &key, &servers);
    let provision = |args: &[&str]| {
        let out = crate::support::bin().args(args).arg("-i").arg(&inv).current_dir(dir.path()).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (code, _, err) = provision(&["plan", "--only", "bogus"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("there is no phase `bogus`") && err.contains("configure"), "{err}");

    // The hosts have no systemd and no service users: this drives the configure phase alone.
    let (code, _, err) = provision(&["plan", "--only", "configure"]);
    assert_eq!(code, Some(1), "unknown host keys must stop the plan");
    assert!(err.contains("unknown host key SHA256:"), "{err}");

    let (code, out, err) = provision(&["plan", "--only", "configure", "--accept-new-host-keys"]);
    assert_eq!(code, Some(0), "{err}");
    let hdfs = dir.path().join("hosts/h0/opt/hadoop/etc/hadoop/hdfs-site.xml");
    assert!(out.contains(&format!("h0: file {} (absent)", hdfs.display())), "{out}");
    assert!(out.contains("+    <name>fs.defaultFS</name>"), "{out}");
    assert!(!dir.path().join("hosts").exists(), "plan must change nothing on the hosts");

    let (code, out, err) = provision(&["up", "--only", "configure"]);
    assert_eq!(code, Some(0), "{err}");
    let total: Vec<&str> = out.lines().find(|l| l.starts_with("total")).unwrap().split_whitespace().collect();
    assert!(total[1].parse::<u32>().unwrap() > 10 && total[3] == "0", "{out}");
    assert!(hdfs.exists());
    let mart_sql = dir.path().join("hosts/h1/etc/provision/postgresql/mart-database.sql");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&mart_sql).unwrap().permissions().mode() & 0o777, 0o600);

    let (code, out, _) = provision(&["up", "--only", "configure", "--json"]);
    assert_eq!(code, Some(0));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    for h in ["h0", "h1", "h2"] {
        assert_eq!(doc["hosts"][h]["changed"], 0, "second up changed something on {h}: {out}");
        assert!(doc["hosts"][h]["unchanged"].as_u64().unwrap() > 0);
    }

    let (_, out, _) = provision(&["plan", "--only", "configure"]);
    assert!(out.contains("nothing to change on 3 hosts"), "{out}");

    std::fs::write(&mart_sql, "edited by hand\n").unwrap();
    std::fs::write(&hdfs, "edited by hand\n").unwrap();
    let (_, out, _) = provision(&["plan", "--only", "configure"]);
    assert!(out.contains("(contents differ)") && out.contains("-edited by hand"), "{out}");
    // A file holding a secret is only counted, whatever either side holds.
    let masked = out.lines().skip_while(|l| !l.contains("mart-database.sql (contents differ)")).nth(1);
    assert!(masked.is_some_and(|l| l.trim_start().starts_with("(secret file, ")), "{out}");
    let secrets = std::fs::read_to_string(dir.path().join("state/secrets.toml")).unwrap();
    for line in secrets.lines() {
        let value = line.split_once(" = ").unwrap().1.trim_matches('"');
        assert!(!out.contains(value), "plan printed a secret");
    }
}

#[test]
fn facts_of_many_steps_come_back_in_one_command_and_judge_like_single_probes() {
    let dir = tempfile::tempdir().unwrap();
    let present = file_step(dir.path(), "present.txt", "same\n");
    let mut t = Local::new("here");
    present.apply(&mut t).unwrap();
    let steps = vec![
        present.clone(),
        file_step(dir.path(), "absent.txt", "x"),
        Step::Run {
            name: "guarded".into(),
            command: "true".into(),
            unless: Some("echo 'odd\u{1e} output'; exit 3".into()),
            timeout: Duration::from_secs(5),
        },
        Step::Dir { path: dir.path().display().to_string(), mode: 0o700, owner: None },
    ];
    let facts = provision::engine::steps::facts(&mut t, &steps).unwrap();
    assert_eq!(facts.len(), 4);
    let state = RunState::default();
    for (step, (code, stdout)) in steps.iter().zip(&facts) {
        let single = step.probe(&mut t, &state).unwrap();
        let batched = step.judge(*code, stdout, &state);
        let strip = |d: provision::engine::steps::Drift| match d {
            provision::engine::steps::Drift::Differs { reason, .. } => Some(reason),
            provision::engine::steps::Drift::InSync => None,
        };
        assert_eq!(strip(single), strip(batched), "{}", step.describe());
    }
    assert_eq!(facts[2].0, 3);
    assert_eq!(steps[0].judge(facts[0].0, &facts[0].1, &state), provision::engine::steps::Drift::InSync);
}

/// A login user of this machine that the test sshd accepts (every user's authorized keys are the
/// server's file; the password field `*` is not a locked account).
fn login_user(name: &str) {
    let exists = std::process::Command::new("id").arg(name).output().unwrap().status.success();
    if !exists {
        let ok =
            std::process::Command::new("useradd").args(["--create-home", "--shell", "/bin/sh", name]).status().unwrap();
        assert!(ok.success(), "useradd {name}");
    }
    let ok = std::process::Command::new("usermod").args(["-p", "*", name]).status().unwrap();
    assert!(ok.success(), "usermod {name}");
}

/// Removes the sudoers file however the test ends.
struct Sudoers(PathBuf);

impl Drop for Sudoers {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_login_user_that_is_not_root_works_through_sudo_and_is_told_when_it_cannot() {
    let (key, sshd, state, _) = trusted();
    login_user("provision-sudo");
    login_user("provision-nosudo");
    let sudoers = Sudoers(PathBuf::from("/etc/sudoers.d/provision-test"));
    std::fs::write(&sudoers.0, "provision-sudo ALL=(ALL) NOPASSWD: ALL\n").unwrap();
    let as_user = |user: &str| SshOptions {
        user: user.into(),
        sudo: true,
        ..options(&key, &state.path().join("known_hosts"), false)
    };

    let mut t =
        Ssh::connect("h1", &sshd.address, &as_user("provision-sudo")).unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
    let out = t.exec("id -u; echo \"$SUDO_USER\"", None, Duration::from_secs(10)).unwrap();
    assert_eq!(out.stdout_text(), "0\nprovision-sudo\n");
    // Input reaches the command through sudo: a root-owned file written from stdin.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("owned-by-root");
    let step = Step::File {
        path: path.display().to_string(),
        content: Content::Text("written through sudo\n".into()),
        mode: 0o600,
        owner: Some("root".into()),
        affects: vec![],
    };
    step.apply(&mut t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "written through sudo\n");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&path).unwrap().uid(), 0);

    let err = Ssh::connect("h2", &sshd.address, &as_user("provision-nosudo")).err().expect("no sudo rights");
    let text = err.to_string();
    assert!(text.starts_with("h2: provision-nosudo cannot run commands as root through sudo"), "{text}");
    assert!(text.contains("NOPASSWD"), "{text}");
}

/// Hosts other than this machine get the software packed once on the controller, sent over
/// SSH, unpacked beside its home and linked; a second run sends and unpacks nothing.
#[test]
fn the_software_is_packed_sent_unpacked_and_linked_once() {
    let key = ClientKey::new();
    let servers: Vec<Sshd> = (0..3).map(|_| Sshd::start(NET, &key)).collect();
    let dir = tempfile::tempdir().unwrap();
    let inv = ssh_inventory(dir.path(), &key, &servers);
    // The service users come with the os phase on real hosts; here the folders are root's.
    let text = std::fs::read_to_string(&inv).unwrap().replacen("\n[users]\n", "\n[users]\nhadoop = \"root\"\n", 1);
    std::fs::write(&inv, text).unwrap();
    let provision = |args: &[&str]| {
        let out = crate::support::bin().args(args).arg("-i").arg(&inv).current_dir(dir.path()).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = provision(&["up", "--only", "prepare", "--accept-new-host-keys", "--json"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    let h0 = dir.path().join("hosts/h0");
    let home = h0.join("opt/hadoop");
    let target = std::fs::read_link(&home).unwrap();
    let entry = target.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(target.parent(), Some(h0.join("opt").as_path()));
    assert!(entry.starts_with("hadoop-3.5.0-"), "named like its cache entry: {entry}");
    assert!(home.join("share/hadoop/common/lib/hadoop-hdfs-3.5.0.jar").exists());
    let archive = h0.join("opt/provision/hadoop-3.5.0.tar.gz");
    let sha = std::fs::read_to_string(home.join(".provision-archive")).unwrap();
    let sent = std::process::Command::new("sha256sum").arg(&archive).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&sent.stdout).split_whitespace().next(), Some(sha.trim()));
    assert!(!dir.path().join("hosts/h1/opt/provision").exists(), "h1 runs no Hadoop daemon");

    // The crawler host gets this very binary, which runs there.
    let binary = dir.path().join("hosts/h2/usr/local/bin/provision");
    let ran = std::process::Command::new(&binary).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), format!("provision {}", env!("CARGO_PKG_VERSION")));

    let (code, out, err) = provision(&["up", "--only", "prepare", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    for h in ["h0", "h1"] {
        assert_eq!(doc["hosts"][h]["changed"], 0, "the second run changed something on {h}: {out}");
    }
    assert!(doc["hosts"]["h0"]["unchanged"].as_u64().unwrap() >= 4, "{out}");
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let jar = std::fs::metadata(home.join("share/hadoop/common/lib/hadoop-hdfs-3.5.0.jar")).unwrap();
    assert_eq!(jar.permissions().mode() & 0o044, 0o044, "the daemons' users cannot read the software");

    // Folders an earlier pack left are removed once the daemons run from the linked one: only
    // folders provision unpacked (its marker), never the linked one nor anything else.
    let old = h0.join("opt/hadoop-3.4.1-0123456789");
    std::fs::create_dir_all(old.join("lib")).unwrap();
    std::fs::write(old.join(".provision-archive"), "0123\n").unwrap();
    let foreign = h0.join("opt/hadoop-notes");
    std::fs::create_dir_all(&foreign).unwrap();
    let (code, _, err) = provision(&["up", "--only", "cleanup"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!old.exists(), "a folder no link names was kept");
    assert!(foreign.exists(), "a folder provision did not unpack was removed");
    assert!(home.join("share/hadoop/common/lib/hadoop-hdfs-3.5.0.jar").exists());
    let (code, out, err) = provision(&["up", "--only", "cleanup", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["hosts"]["h0"]["changed"], 0, "{out}");

    // Its inventory copy and the secrets, which only the crawler's user reads.
    let (code, _, err) = provision(&["up", "--only", "configure"]);
    assert_eq!(code, Some(0), "{err}");
    let h2 = dir.path().join("hosts/h2");
    assert_eq!(
        std::fs::read_to_string(h2.join("etc/provision/inventory.toml")).unwrap(),
        std::fs::read_to_string(&inv).unwrap()
    );
    let secrets = h2.join("var/lib/provision/secrets.toml");
    let meta = std::fs::metadata(&secrets).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let nobody = std::process::Command::new("id").args(["-u", "nobody"]).output().unwrap();
    assert_eq!(meta.uid().to_string(), String::from_utf8_lossy(&nobody.stdout).trim());
    let kept: provision::secrets::Secrets =
        toml::from_str(&std::fs::read_to_string(dir.path().join("state/secrets.toml")).unwrap()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&secrets).unwrap(),
        kept.crawler_toml(),
        "the crawler host gets the mart's password only"
    );
    let cron = std::fs::read_to_string(h2.join("etc/cron.d/provision-pipeline")).unwrap();
    assert!(cron.contains(&format!("PROVISION_STATE_DIR=\"{}\"\n", h2.join("var/lib/provision").display())), "{cron}");
}
