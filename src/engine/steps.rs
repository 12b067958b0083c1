//! The operations an installer needs, each as a step that first reads the host's actual state
//! (its probe) and acts only when that differs from the desired state, then confirms.
//! Steps build the shell they send from their own fields, quoting every value.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use sha2::{Digest, Sha256};

pub use crate::catalog::PackageManager;
use crate::desired::sh_quote;
use crate::engine::transport::{Output, Transport, TransportError};

/// Time allowed to a probe or a small change.
const SHORT: Duration = Duration::from_secs(60);

/// What a file step puts on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Text rendered in memory.
    Text(String),
    /// A file on the controlling machine, sent only when the host's copy has another checksum.
    Local {
        /// The file.
        path: PathBuf,
        /// Its SHA-256, hex.
        sha256: String,
        /// Its size in bytes.
        size: u64,
    },
}

impl Content {
    /// A local file, with its checksum computed now.
    pub fn local(path: PathBuf) -> std::io::Result<Content> {
        let mut f = std::fs::File::open(&path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            hasher.update(&buf[..n]);
        }
        Ok(Content::Local { path, sha256: hex::encode(hasher.finalize()), size })
    }

    fn sha256(&self) -> String {
        match self {
            Content::Text(t) => hex::encode(Sha256::digest(t.as_bytes())),
            Content::Local { sha256, .. } => sha256.clone(),
        }
    }
}

/// What starts, stops and watches a daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Supervisor {
    /// systemd, with the rendered unit.
    Systemd,
    /// A pid file, where there is no systemd (the local topology): the daemon is started in a
    /// session of its own and recognised by a word of its command line.
    Pidfile {
        /// The pid file.
        pid_file: String,
        /// The shell command that runs the daemon in the foreground.
        start: String,
        /// A word of the daemon's command line that no other process has.
        marker: String,
    },
}

impl Supervisor {
    /// Shell that succeeds while the daemon runs, where that can be told from its process (a pid
    /// file); `None` under systemd, whose units restart and activate by themselves.
    pub fn alive_check(&self) -> Option<String> {
        match self {
            Supervisor::Systemd => None,
            Supervisor::Pidfile { pid_file, marker, .. } => Some(format!(
                "p=$(cat {} 2>/dev/null) && kill -0 \"$p\" 2>/dev/null && grep -qaF -e {} /proc/\"$p\"/cmdline",
                sh_quote(pid_file),
                sh_quote(marker)
            )),
        }
    }

    /// Shell that kills the daemon at once (SIGKILL), as a crash would; `unit` names it for systemd.
    pub fn kill_command(&self, unit: &str) -> String {
        match self {
            Supervisor::Systemd => format!("systemctl kill -s KILL {}", sh_quote(unit)),
            Supervisor::Pidfile { pid_file, .. } => format!("kill -9 \"$(cat {})\"", sh_quote(pid_file)),
        }
    }
}

/// Seconds a daemon gets to stop after SIGTERM before SIGKILL.
const STOP_SECONDS: u32 = 30;

/// Shell that stops the daemon of a pid file (SIGTERM, then SIGKILL) and removes the file.
fn stop_pidfile(pid_file: &str, marker: &str) -> String {
    let (p, m) = (sh_quote(pid_file), sh_quote(marker));
    format!(
        "p=$(cat {p} 2>/dev/null || true); \
         if [ -n \"$p\" ] && kill -0 \"$p\" 2>/dev/null && grep -qaF -e {m} /proc/\"$p\"/cmdline; then \
           kill \"$p\"; i=0; while kill -0 \"$p\" 2>/dev/null && [ $i -lt {ticks} ]; do sleep 0.1; i=$((i+1)); done; \
           kill -9 \"$p\" 2>/dev/null || true; \
         fi; rm -f {p}",
        ticks = STOP_SECONDS * 10
    )
}

/// One operation on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A directory exists with this mode (and owner).
    Dir {
        /// Absolute path.
        path: String,
        /// Permission bits.
        mode: u32,
        /// `user` or `user:group`, when it matters.
        owner: Option<String>,
    },
    /// A file has exactly this content and mode (and owner); written atomically.
    File {
        /// Absolute path.
        path: String,
        /// The content.
        content: Content,
        /// Permission bits.
        mode: u32,
        /// `user` or `user:group`, when it matters.
        owner: Option<String>,
        /// Services (`host/service`) a change restarts.
        affects: Vec<String>,
    },
    /// A file contains this exact line.
    Line {
        /// Absolute path.
        path: String,
        /// The line, without its newline.
        line: String,
    },
    /// A package is installed.
    Package {
        /// Its name.
        name: String,
        /// The host's package manager.
        manager: PackageManager,
    },
    /// A daemon is running (restarted when a file it reads changed), or is stopped.
    Service {
        /// Its name, e.g. `hdfs-namenode.service`.
        unit: String,
        /// The `host/service` keys whose change restarts it.
        restart_on: Vec<String>,
        /// What starts and watches it.
        supervisor: Supervisor,
        /// Running (true) or stopped (false).
        running: bool,
    },
    /// A symbolic link points at a target.
    Link {
        /// The link.
        path: String,
        /// What it points at.
        target: String,
        /// Services (`host/service`) a change restarts (the software they run from it).
        affects: Vec<String>,
    },
    /// A command that runs unless its guard says the work is done.
    Run {
        /// What it does, for reports.
        name: String,
        /// The command.
        command: String,
        /// A command whose success means there is nothing to do.
        unless: Option<String>,
        /// Time allowed.
        timeout: Duration,
    },
}

/// How the host differs from what a step wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// Nothing to do.
    InSync,
    /// Something to do.
    Differs {
        /// What differs, e.g. "absent" or "mode 644, wants 600".
        reason: String,
        /// The host's current text, for a diff (text files only).
        old: Option<String>,
    },
}

/// A step that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The host could not be reached.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A command exited non-zero.
    #[error("{host}: {step}: `{}` exited with {code}{}", shorten(command), tail(stderr))]
    Failed {
        /// The host.
        host: String,
        /// The step.
        step: String,
        /// The command.
        command: String,
        /// Its exit code.
        code: i32,
        /// The last lines of its stderr.
        stderr: String,
    },
    /// The step acted but the host still differs.
    #[error("{host}: {step}: still differs after the change ({reason})")]
    NotConverged {
        /// The host.
        host: String,
        /// The step.
        step: String,
        /// What still differs.
        reason: String,
    },
}

/// A command cut to its first 200 characters for a message; the host's log has all of it.
fn shorten(command: &str) -> String {
    match command.char_indices().nth(200) {
        Some((i, _)) => format!("{} ... (the whole command is in the host's log)", &command[..i]),
        None => command.to_string(),
    }
}

fn tail(stderr: &str) -> String {
    if stderr.is_empty() { String::new() } else { format!("; stderr:\n{stderr}") }
}

/// What earlier steps of the same run did, which later steps may depend on.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    /// `host/service` keys of files that changed.
    pub changed: BTreeSet<String>,
}

fn failed(t: &dyn Transport, step: &Step, command: &str, out: &Output) -> StepError {
    StepError::Failed {
        host: t.host().to_string(),
        step: step.describe(),
        command: command.to_string(),
        code: out.code,
        stderr: out.stderr_tail(5),
    }
}

const BEGIN: &str = "\u{1e}provision-fact-begin";
const END: &str = "\u{1e}provision-fact-end";

/// The one script that prints every step's facts between markers.
pub fn facts_script(steps: &[Step]) -> String {
    let mut script = String::new();
    for (i, s) in steps.iter().enumerate() {
        script.push_str(&format!(
            "printf '%s %d\\n' '{BEGIN}' {i}; ( {} ) 2>/dev/null; printf '\\n%s %d\\n' '{END}' $?\n",
            s.fact()
        ));
    }
    script
}

/// Gathers the facts of many steps in one command: for each, its exit code and stdout.
/// One round trip per host instead of one per step, for phases where little changes.
pub fn facts(t: &mut dyn Transport, steps: &[Step]) -> Result<Vec<(i32, String)>, StepError> {
    let script = facts_script(steps);
    // Every fact's own allowance beyond the usual, plus a little per step.
    let beyond: Duration = steps.iter().map(|s| s.probe_timeout().saturating_sub(SHORT)).sum();
    let timeout = SHORT + beyond + Duration::from_millis(200 * steps.len() as u64);
    let out = t.exec(&script, None, timeout)?;
    let text = out.stdout_text();
    let mut results = Vec::with_capacity(steps.len());
    for (i, chunk) in text.split(&format!("{BEGIN} ")).skip(1).enumerate() {
        let Some((head, body)) = chunk.split_once('\n') else { break };
        let Some((stdout, rc)) = body.rsplit_once(&format!("\n{END} ")) else { break };
        if head.trim() != i.to_string() {
            break;
        }
        results.push((rc.trim().parse().unwrap_or(-1), stdout.to_string()));
    }
    if results.len() != steps.len() {
        return Err(StepError::Failed {
            host: t.host().to_string(),
            step: "gathering facts".into(),
            command: format!("({} probes)", steps.len()),
            code: out.code,
            stderr: out.stderr_tail(5),
        });
    }
    Ok(results)
}

/// Runs `command`, failing on a non-zero exit.
fn must(
    t: &mut dyn Transport,
    step: &Step,
    command: &str,
    input: Option<&mut dyn Read>,
    timeout: Duration,
) -> Result<Output, StepError> {
    let out = t.exec(command, input, timeout)?;
    if out.code != 0 {
        return Err(failed(t, step, command, &out));
    }
    Ok(out)
}

fn mode_owner(path: &str) -> String {
    format!("stat -c '%a %U:%G' {}", sh_quote(path))
}

/// Compares `stat` output (`mode user:group`) with the wanted mode and owner.
fn stat_drift(stat: &str, mode: u32, owner: &Option<String>) -> Option<String> {
    let mut parts = stat.split_whitespace();
    let have_mode = parts.next().and_then(|m| u32::from_str_radix(m, 8).ok()).unwrap_or(0);
    let have_owner = parts.next().unwrap_or("");
    if have_mode != mode {
        return Some(format!("mode {have_mode:o}, wants {mode:o}"));
    }
    if let Some(o) = owner {
        let matches = if o.contains(':') { have_owner == o } else { have_owner.split(':').next() == Some(o.as_str()) };
        if !matches {
            return Some(format!("owner {have_owner}, wants {o}"));
        }
    }
    None
}

impl Step {
    /// A short description for reports, e.g. `file /etc/hosts`.
    pub fn describe(&self) -> String {
        match self {
            Step::Dir { path, .. } => format!("directory {path}"),
            Step::File { path, .. } => format!("file {path}"),
            Step::Line { path, line } => format!("line `{line}` in {path}"),
            Step::Package { name, .. } => format!("package {name}"),
            Step::Service { unit, running: true, .. } => format!("service {unit}"),
            Step::Service { unit, running: false, .. } => format!("stopped {unit}"),
            Step::Link { path, target, .. } => format!("link {path} -> {target}"),
            Step::Run { name, .. } => name.clone(),
        }
    }

    /// The text this step wants on the host, for a diff.
    pub fn new_text(&self) -> Option<&str> {
        match self {
            Step::File { content: Content::Text(t), .. } => Some(t),
            _ => None,
        }
    }

    fn timeout(&self) -> Duration {
        match self {
            // At 1 MB/s at worst, plus the fixed cost.
            Step::File { content: Content::Local { size, .. }, .. } => SHORT + Duration::from_secs(size / 1_000_000),
            Step::Package { .. } => Duration::from_secs(600),
            Step::Service { .. } => SHORT + Duration::from_secs(u64::from(STOP_SECONDS)),
            Step::Run { timeout, .. } => *timeout,
            _ => SHORT,
        }
    }

    /// Time allowed to reading this step's facts: a guard of shell may be as heavy as its action
    /// (a JVM that asks a database), so it gets the action's time when that is longer.
    fn probe_timeout(&self) -> Duration {
        match self {
            Step::Run { timeout, .. } => SHORT.max(*timeout),
            _ => SHORT,
        }
    }

    /// The read-only command that gathers this step's facts; its exit code and stdout are
    /// judged by [`Step::judge`].
    pub fn fact(&self) -> String {
        match self {
            Step::Dir { path, .. } => format!("[ -d {p} ] && {}", mode_owner(path), p = sh_quote(path)),
            Step::File { path, .. } => {
                let p = sh_quote(path);
                format!("if [ -f {p} ]; then {}; sha256sum < {p}; else echo absent; fi", mode_owner(path))
            }
            Step::Line { path, line } => format!("grep -qxF -e {} {}", sh_quote(line), sh_quote(path)),
            Step::Package { name, manager: PackageManager::Yum } => format!("rpm -q --quiet {}", sh_quote(name)),
            Step::Package { name, manager: PackageManager::Apt } => {
                format!("dpkg-query -W -f='${{Status}}' {} 2>/dev/null | grep -q 'ok installed'", sh_quote(name))
            }
            // A running unit must also come back at boot by itself: enabled.
            Step::Service { unit, supervisor: Supervisor::Systemd, running: true, .. } => {
                let u = sh_quote(unit);
                format!("systemctl is-active --quiet {u} && systemctl is-enabled --quiet {u}")
            }
            Step::Service { unit, supervisor: Supervisor::Systemd, running: false, .. } => {
                format!("systemctl is-active --quiet {}", sh_quote(unit))
            }
            Step::Service { supervisor: s @ Supervisor::Pidfile { .. }, .. } => {
                s.alive_check().expect("a pid file tells whether its daemon runs")
            }
            Step::Link { path, .. } => format!("readlink {}", sh_quote(path)),
            Step::Run { unless: Some(guard), .. } => guard.clone(),
            Step::Run { unless: None, .. } => "false".into(),
        }
    }

    /// Whether the facts (exit code and stdout of [`Step::fact`]) show anything to do, given
    /// what earlier steps of the run changed.
    pub fn judge(&self, code: i32, stdout: &str, state: &RunState) -> Drift {
        let differs = |reason: &str| Drift::Differs { reason: reason.to_string(), old: None };
        match self {
            Step::Dir { mode, owner, .. } => {
                if code != 0 {
                    return differs("absent");
                }
                stat_drift(stdout, *mode, owner).map_or(Drift::InSync, |r| differs(&r))
            }
            Step::File { content, mode, owner, .. } => {
                let mut lines = stdout.lines();
                let first = lines.next().unwrap_or("");
                if code != 0 || first == "absent" {
                    return differs("absent");
                }
                let sha = lines.next().unwrap_or("").split_whitespace().next().unwrap_or("");
                if sha != content.sha256() {
                    return differs("contents differ");
                }
                stat_drift(first, *mode, owner).map_or(Drift::InSync, |r| differs(&r))
            }
            Step::Line { .. } => {
                if code == 0 {
                    Drift::InSync
                } else {
                    differs("line missing")
                }
            }
            Step::Package { .. } => {
                if code == 0 {
                    Drift::InSync
                } else {
                    differs("not installed")
                }
            }
            Step::Service { running: false, .. } => {
                if code == 0 {
                    differs("running")
                } else {
                    Drift::InSync
                }
            }
            Step::Link { target, .. } => {
                if code == 0 && stdout.trim_end_matches('\n') == target {
                    Drift::InSync
                } else {
                    differs("missing or points elsewhere")
                }
            }
            Step::Service { restart_on, .. } => {
                if code != 0 {
                    differs("not running")
                } else if restart_on.iter().any(|k| state.changed.contains(k)) {
                    differs("configuration changed: restart")
                } else {
                    Drift::InSync
                }
            }
            Step::Run { unless: Some(_), .. } => {
                if code == 0 {
                    Drift::InSync
                } else {
                    differs("guard says not done")
                }
            }
            Step::Run { unless: None, .. } => differs("runs every time"),
        }
    }

    /// Reads the host's state and says whether this step has anything to do. Changes nothing.
    /// For a text file that differs, the host's current text comes along for a diff.
    pub fn probe(&self, t: &mut dyn Transport, state: &RunState) -> Result<Drift, StepError> {
        let out = t.exec(&self.fact(), None, self.probe_timeout())?;
        let drift = self.judge(out.code, &out.stdout_text(), state);
        match (&drift, self) {
            (Drift::Differs { reason, .. }, Step::File { path, content: Content::Text(_), .. })
                if reason == "contents differ" =>
            {
                let out = must(t, self, &format!("head -c 1048576 {}", sh_quote(path)), None, SHORT)?;
                Ok(Drift::Differs {
                    reason: reason.clone(),
                    old: Some(String::from_utf8_lossy(&out.stdout).into_owned()),
                })
            }
            _ => Ok(drift),
        }
    }

    /// The shell command that makes the host match this step (a file's content goes to its
    /// standard input).
    pub fn action(&self) -> String {
        match self {
            Step::Dir { path, mode, owner } => {
                let p = sh_quote(path);
                // Two leading zeros clear a directory's set-group-ID bit too (a package's own
                // folder may have it), which a plain octal mode keeps.
                let mut cmd = format!("mkdir -p {p} && chmod 0{mode:04o} {p}");
                if let Some(o) = owner {
                    cmd.push_str(&format!(" && chown -- {} {p}", sh_quote(o)));
                }
                cmd
            }
            Step::File { path, mode, owner, .. } => {
                // mktemp makes a new file (never an existing one or a link) readable by its
                // owner only, so a secret is never readable by others on its way in.
                let p = sh_quote(path);
                let chown = owner.as_ref().map_or(String::new(), |o| format!("chown -- {} \"$t\"; ", sh_quote(o)));
                format!(
                    "set -e; mkdir -p \"$(dirname {p})\"; t=$(mktemp {p}.provision-tmp.XXXXXX); trap 'rm -f \"$t\"' EXIT; \
                     cat > \"$t\"; chmod {mode:o} \"$t\"; {chown}mv -f \"$t\" {p}"
                )
            }
            Step::Line { path, line } => {
                let p = sh_quote(path);
                format!("mkdir -p \"$(dirname {p})\" && printf '%s\\n' {} >> {p}", sh_quote(line))
            }
            Step::Package { name, manager: PackageManager::Yum } => format!("yum install -y -q {}", sh_quote(name)),
            Step::Package { name, manager: PackageManager::Apt } => {
                format!(
                    "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 {}",
                    sh_quote(name)
                )
            }
            Step::Service { unit, supervisor: Supervisor::Systemd, running, .. } => {
                let u = sh_quote(unit);
                if *running {
                    format!("systemctl daemon-reload && systemctl enable -q {u} && systemctl restart {u}")
                } else {
                    format!("systemctl stop {u}")
                }
            }
            Step::Service { supervisor: Supervisor::Pidfile { pid_file, start, marker }, running, .. } => {
                let stop = stop_pidfile(pid_file, marker);
                if *running {
                    let p = sh_quote(pid_file);
                    format!(
                        "set -e; {stop}; mkdir -p \"$(dirname {p})\"; \
                         setsid sh -c {} < /dev/null > /dev/null 2>&1 & \
                         echo $! > {p}; sleep 0.5; kill -0 \"$(cat {p})\" || {{ echo 'exited at once' >&2; exit 1; }}",
                        sh_quote(start)
                    )
                } else {
                    stop
                }
            }
            Step::Link { path, target, .. } => {
                // A real folder where the link belongs is kept aside, never deleted.
                let p = sh_quote(path);
                format!(
                    "mkdir -p \"$(dirname {p})\" && if [ -d {p} ] && [ ! -L {p} ]; then mv {p} {p}.replaced-\"$(date +%Y%m%d%H%M%S)\"; fi && ln -sfn {} {p}",
                    sh_quote(target)
                )
            }
            Step::Run { command, .. } => command.clone(),
        }
    }

    /// Makes the host match this step. Call only after a probe found a difference.
    pub fn apply(&self, t: &mut dyn Transport) -> Result<(), StepError> {
        let command = self.action();
        match self {
            Step::File { content: Content::Text(text), .. } => {
                must(t, self, &command, Some(&mut text.as_bytes()), self.timeout())?;
            }
            Step::File { content: Content::Local { path: local, .. }, .. } => {
                let mut f = std::fs::File::open(local).map_err(|source| TransportError::Io {
                    host: t.host().to_string(),
                    context: format!("opening {}", local.display()),
                    source,
                })?;
                must(t, self, &command, Some(&mut f), self.timeout())?;
            }
            _ => {
                must(t, self, &command, None, self.timeout())?;
            }
        }
        Ok(())
    }

    /// Whether a probe after applying (with no earlier changes in mind) must find nothing to do:
    /// every step but a command without a guard.
    pub fn converges(&self) -> bool {
        !matches!(self, Step::Run { unless: None, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_drift_compares_mode_then_owner() {
        assert_eq!(stat_drift("644 root:root", 0o644, &None), None);
        assert_eq!(stat_drift("644 root:root", 0o600, &None), Some("mode 644, wants 600".into()));
        assert_eq!(stat_drift("600 hdfs:hadoop", 0o600, &Some("hdfs".into())), None);
        assert_eq!(
            stat_drift("600 root:root", 0o600, &Some("hdfs:hadoop".into())),
            Some("owner root:root, wants hdfs:hadoop".into())
        );
    }

    #[test]
    fn long_commands_are_shortened_in_messages() {
        let long = "x".repeat(500);
        let short = shorten(&long);
        assert!(short.starts_with(&"x".repeat(200)) && short.ends_with("(the whole command is in the host's log)"));
        assert_eq!(shorten("true"), "true");
    }

    #[test]
    fn text_checksum_is_sha256_hex() {
        assert_eq!(
            Content::Text("abc".into()).sha256(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
