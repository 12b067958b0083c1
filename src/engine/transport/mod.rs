//! Reaching a host: run a command there (with input, a timeout, its exit code and output).
//! SSH for real hosts, plain processes for the machine `provision` runs on. This is the only
//! code that touches a host; every error names the host.

mod local;
mod ssh;

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

pub use local::Local;
pub use ssh::{Ssh, SshOptions};

use crate::model::{self, Cluster};

/// What a finished command gave back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// The exit code.
    pub code: i32,
    /// Everything it printed on stdout.
    pub stdout: Vec<u8>,
    /// Everything it printed on stderr.
    pub stderr: Vec<u8>,
}

impl Output {
    /// Stdout as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The last `n` lines of stderr, for error messages.
    pub fn stderr_tail(&self, n: usize) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// Why a host could not be reached or a command not run there.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Nothing answered, or the connection broke.
    #[error("{host}: cannot connect to {address}: {source}")]
    Connect {
        /// The host.
        host: String,
        /// `address:port`.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The host presented a key that the known_hosts file does not list.
    #[error(
        "{host}: unknown host key {fingerprint} at {address} (not in {known_hosts})\nhint: if that is the host's key, run again with --accept-new-host-keys to record it"
    )]
    HostKeyUnknown {
        /// The host.
        host: String,
        /// `address:port`.
        address: String,
        /// The presented key's SHA256 fingerprint.
        fingerprint: String,
        /// The known_hosts file checked.
        known_hosts: PathBuf,
    },
    /// The host presented a key other than the one recorded: refused, always.
    #[error(
        "{host}: HOST KEY CHANGED at {address}: it presented {fingerprint}, which is not the key recorded in {known_hosts}\nhint: someone may be intercepting the connection; if the host was rebuilt, remove its line from {known_hosts} and connect again with --accept-new-host-keys"
    )]
    HostKeyChanged {
        /// The host.
        host: String,
        /// `address:port`.
        address: String,
        /// The presented key's SHA256 fingerprint.
        fingerprint: String,
        /// The known_hosts file checked.
        known_hosts: PathBuf,
    },
    /// No offered key was accepted.
    #[error(
        "{host}: {user}@{address} refused every key offered ({tried})\nhint: add the public key to the host's authorized_keys, or set [transport] identity in the inventory"
    )]
    Auth {
        /// The host.
        host: String,
        /// The login user.
        user: String,
        /// `address:port`.
        address: String,
        /// The keys and agent tried.
        tried: String,
    },
    /// The login user may not run commands as root without a password.
    #[error(
        "{host}: {user} cannot run commands as root through sudo: {message}\nhint: give {user} passwordless sudo (a line `{user} ALL=(ALL) NOPASSWD: ALL` in /etc/sudoers.d/), or log in as root"
    )]
    Sudo {
        /// The host.
        host: String,
        /// The login user.
        user: String,
        /// What sudo said.
        message: String,
    },
    /// The command ran longer than allowed and was stopped.
    #[error("{host}: `{command}` did not finish within {seconds}s and was stopped")]
    Timeout {
        /// The host.
        host: String,
        /// The command.
        command: String,
        /// The limit.
        seconds: u64,
    },
    /// The SSH session failed.
    #[error("{host}: {context}: {source}")]
    Ssh {
        /// The host.
        host: String,
        /// What was being done.
        context: String,
        /// The libssh2 error.
        source: ssh2::Error,
    },
    /// The inventory's transport cannot run commands yet.
    #[error("{host}: {message}")]
    Unsupported {
        /// The host.
        host: String,
        /// What is missing.
        message: String,
    },
    /// A local I/O error.
    #[error("{host}: {context}: {source}")]
    Io {
        /// The host.
        host: String,
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

/// A connection to one host.
pub trait Transport: Send {
    /// The host's name.
    fn host(&self) -> &str;

    /// Runs `command` with `sh -c`, feeding it `stdin` when given; stops it after `timeout`.
    fn exec(
        &mut self,
        command: &str,
        stdin: Option<&mut dyn Read>,
        timeout: Duration,
    ) -> Result<Output, TransportError>;
}

/// Opens a connection to the host `name` of `cluster`, the way its inventory says.
pub fn open(cluster: &Cluster, name: &str, accept_new_host_keys: bool) -> Result<Box<dyn Transport>, TransportError> {
    let host = cluster.host(name).ok_or_else(|| TransportError::Unsupported {
        host: name.to_string(),
        message: "no such host in the inventory".into(),
    })?;
    match &cluster.transport {
        model::Transport::Local => Ok(Box::new(Local::new(name))),
        model::Transport::Ssh { user, port, identity, known_hosts } => {
            let opts = SshOptions {
                user: user.to_string(),
                port: *port,
                identities: identity.iter().cloned().collect(),
                known_hosts: known_hosts.clone(),
                accept_new_host_keys,
                connect_timeout: Duration::from_secs(10),
                sudo: user != "root",
            };
            Ok(Box::new(Ssh::connect(name, &host.address.to_string(), &opts)?))
        }
        model::Transport::Vagrant { .. } => {
            let ep = crate::vagrant::endpoint(cluster, name)
                .map_err(|e| TransportError::Unsupported { host: name.to_string(), message: e.to_string() })?;
            let opts = SshOptions {
                sudo: ep.user != "root",
                user: ep.user,
                port: ep.port,
                identities: vec![ep.identity],
                known_hosts: crate::vagrant::known_hosts(cluster, name),
                // Vagrant made these VMs; their keys are trusted on first contact, per VM and
                // machine id. A key that changes under a live VM is still refused.
                accept_new_host_keys: true,
                connect_timeout: Duration::from_secs(10),
            };
            Ok(Box::new(Ssh::connect(name, &ep.address, &opts)?))
        }
    }
}

/// Wraps `command` so the host itself kills it after `timeout` (exit 124), whatever becomes of
/// the connection; as root through `sudo -n` (never asking for a password) when `sudo`.
fn bounded(command: &str, timeout: Duration, sudo: bool) -> String {
    let quoted = crate::desired::sh_quote(command);
    let sudo = if sudo { "sudo -n " } else { "" };
    format!("exec {sudo}timeout -k 5 {} sh -c {quoted}", timeout.as_secs().max(1))
}

/// The exit code `timeout` gives a command it stopped.
const TIMED_OUT: i32 = 124;
