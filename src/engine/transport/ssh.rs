//! SSH to a host with libssh2 (the `ssh2` crate): host keys checked against a known_hosts
//! file, key-file and agent authentication, commands with input and a time limit.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use ssh2::{CheckResult, HashType, KnownHostFileKind, Session};

use super::{Output, TIMED_OUT, Transport, TransportError, bounded};

/// Serialises updates of known_hosts files by the connections opened in parallel.
static KNOWN_HOSTS: Mutex<()> = Mutex::new(());

/// How to reach hosts over SSH.
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// The login user.
    pub user: String,
    /// The SSH port.
    pub port: u16,
    /// Private key files to offer, in order; the SSH agent is tried after them.
    pub identities: Vec<PathBuf>,
    /// The known_hosts file that host keys are checked against.
    pub known_hosts: PathBuf,
    /// Record the key of a host that known_hosts does not list yet (never a changed one).
    pub accept_new_host_keys: bool,
    /// How long to wait for the TCP connection and the SSH handshake.
    pub connect_timeout: Duration,
    /// Run every command as root through `sudo -n` (the login user is not root, e.g. Vagrant's
    /// `vagrant`).
    pub sudo: bool,
}

/// An authenticated SSH session to one host.
pub struct Ssh {
    host: String,
    session: Session,
    sudo: bool,
}

fn ms(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

impl Ssh {
    /// Connects to `host` at `address`, checks its host key and logs in.
    pub fn connect(host: &str, address: &str, opts: &SshOptions) -> Result<Ssh, TransportError> {
        let target = format!("{address}:{}", opts.port);
        let connect_err = |source| TransportError::Connect { host: host.into(), address: target.clone(), source };
        let sockaddr: SocketAddr = target.parse().map_err(|_| {
            connect_err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not an IP address and port"))
        })?;
        let tcp = TcpStream::connect_timeout(&sockaddr, opts.connect_timeout).map_err(connect_err)?;
        // Each command is a few small round trips; without this, delayed ACKs add ~40 ms to each.
        tcp.set_nodelay(true).map_err(connect_err)?;
        let ssh_err = |context: &str| {
            let host = host.to_string();
            let context = context.to_string();
            move |source| TransportError::Ssh { host, context, source }
        };
        let mut session = Session::new().map_err(ssh_err("creating an SSH session"))?;
        session.set_tcp_stream(tcp);
        session.set_timeout(ms(opts.connect_timeout));
        session.handshake().map_err(ssh_err(&format!("SSH handshake with {target}")))?;
        check_host_key(host, address, &session, opts)?;
        authenticate(host, &target, &session, opts)?;
        session.set_timeout(0);
        let mut ssh = Ssh { host: host.to_string(), session, sudo: opts.sudo };
        if opts.sudo {
            // Once per connection: a user without passwordless sudo is told so before any step.
            let out = ssh.exec("true", None, Duration::from_secs(30))?;
            if out.code != 0 {
                return Err(TransportError::Sudo {
                    host: host.into(),
                    user: opts.user.clone(),
                    message: out.stderr_tail(3),
                });
            }
        }
        Ok(ssh)
    }
}

fn check_host_key(host: &str, address: &str, session: &Session, opts: &SshOptions) -> Result<(), TransportError> {
    let target = format!("{address}:{}", opts.port);
    let ssh_err = |context: &str| {
        let host = host.to_string();
        let context = context.to_string();
        move |source| TransportError::Ssh { host, context, source }
    };
    let (key, kind) = session.host_key().ok_or_else(|| TransportError::Ssh {
        host: host.into(),
        context: format!("{target} presented no host key"),
        source: ssh2::Error::unknown(),
    })?;
    let fingerprint = session
        .host_key_hash(HashType::Sha256)
        .map(|h| format!("SHA256:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(h)))
        .unwrap_or_else(|| "(no fingerprint)".into());
    let _guard = KNOWN_HOSTS.lock().unwrap_or_else(|e| e.into_inner());
    let mut known = session.known_hosts().map_err(ssh_err("reading known hosts"))?;
    if opts.known_hosts.exists() {
        known
            .read_file(&opts.known_hosts, KnownHostFileKind::OpenSSH)
            .map_err(ssh_err(&format!("reading {}", opts.known_hosts.display())))?;
    }
    match known.check_port(address, opts.port, key) {
        CheckResult::Match => Ok(()),
        CheckResult::Mismatch => Err(TransportError::HostKeyChanged {
            host: host.into(),
            address: target,
            fingerprint,
            known_hosts: opts.known_hosts.clone(),
        }),
        CheckResult::NotFound | CheckResult::Failure if opts.accept_new_host_keys => {
            let entry = if opts.port == 22 { address.to_string() } else { format!("[{address}]:{}", opts.port) };
            known.add(&entry, key, host, kind.into()).map_err(ssh_err("recording the host key"))?;
            if let Some(dir) = opts.known_hosts.parent() {
                std::fs::create_dir_all(dir).map_err(|source| TransportError::Io {
                    host: host.into(),
                    context: format!("creating {}", dir.display()),
                    source,
                })?;
            }
            known
                .write_file(&opts.known_hosts, KnownHostFileKind::OpenSSH)
                .map_err(ssh_err(&format!("writing {}", opts.known_hosts.display())))
        }
        CheckResult::NotFound | CheckResult::Failure => Err(TransportError::HostKeyUnknown {
            host: host.into(),
            address: target,
            fingerprint,
            known_hosts: opts.known_hosts.clone(),
        }),
    }
}

fn authenticate(host: &str, target: &str, session: &Session, opts: &SshOptions) -> Result<(), TransportError> {
    let mut tried = Vec::new();
    for id in &opts.identities {
        tried.push(id.display().to_string());
        if session.userauth_pubkey_file(&opts.user, None, id, None).is_ok() {
            return Ok(());
        }
    }
    if std::env::var_os("SSH_AUTH_SOCK").is_some() {
        tried.push("the SSH agent".into());
        if session.userauth_agent(&opts.user).is_ok() {
            return Ok(());
        }
    }
    if opts.identities.is_empty()
        && let Some(home) = std::env::var_os("HOME")
    {
        for name in ["id_ed25519", "id_ecdsa", "id_rsa"] {
            let id = PathBuf::from(&home).join(".ssh").join(name);
            if id.exists() {
                tried.push(id.display().to_string());
                if session.userauth_pubkey_file(&opts.user, None, &id, None).is_ok() {
                    return Ok(());
                }
            }
        }
    }
    if tried.is_empty() {
        tried.push("no key: none configured, no agent, no ~/.ssh/id_*".into());
    }
    Err(TransportError::Auth {
        host: host.into(),
        user: opts.user.clone(),
        address: target.into(),
        tried: tried.join(", "),
    })
}

impl Transport for Ssh {
    fn host(&self) -> &str {
        &self.host
    }

    fn exec(
        &mut self,
        command: &str,
        stdin: Option<&mut dyn Read>,
        timeout: Duration,
    ) -> Result<Output, TransportError> {
        let host = self.host.clone();
        let ssh_err = |context: &'static str| {
            let host = host.clone();
            move |source| TransportError::Ssh { host, context: context.to_string(), source }
        };
        let io_err = |context: &'static str| {
            let host = host.clone();
            move |source| TransportError::Io { host, context: context.to_string(), source }
        };
        // The host stops the command at `timeout`; this bound is for a connection that hangs.
        let slack = timeout + Duration::from_secs(15);
        let deadline = Instant::now() + slack;
        self.session.set_blocking(true);
        self.session.set_timeout(ms(slack));
        let mut ch = self.session.channel_session().map_err(ssh_err("opening a channel"))?;
        ch.exec(&bounded(command, timeout, self.sudo)).map_err(ssh_err("starting the command"))?;
        if let Some(input) = stdin {
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = input.read(&mut buf).map_err(io_err("reading the input"))?;
                if n == 0 {
                    break;
                }
                if let Err(e) = ch.write_all(&buf[..n]) {
                    // The command may have exited without reading everything; its exit code tells.
                    if ch.eof() {
                        break;
                    }
                    return Err(io_err("sending the input")(e));
                }
            }
        }
        ch.send_eof().map_err(ssh_err("closing the input"))?;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        self.session.set_blocking(false);
        let mut buf = vec![0u8; 64 * 1024];
        let result = 'read: loop {
            let mut progressed = false;
            for (stream, sink) in [(0, &mut stdout), (1, &mut stderr)] {
                match ch.stream(stream).read(&mut buf) {
                    Ok(0) => {}
                    Ok(n) => {
                        sink.extend_from_slice(&buf[..n]);
                        progressed = true;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => break 'read Err(io_err("reading the output")(e)),
                }
            }
            if ch.eof() && !progressed {
                break Ok(());
            }
            if Instant::now() > deadline {
                break Err(TransportError::Timeout {
                    host: host.clone(),
                    command: command.to_string(),
                    seconds: timeout.as_secs(),
                });
            }
            if !progressed {
                std::thread::sleep(Duration::from_millis(2));
            }
        };
        self.session.set_blocking(true);
        result?;
        ch.wait_close().map_err(ssh_err("closing the channel"))?;
        let code = ch.exit_status().map_err(ssh_err("reading the exit status"))?;
        if code == TIMED_OUT {
            return Err(TransportError::Timeout { host, command: command.to_string(), seconds: timeout.as_secs() });
        }
        Ok(Output { code, stdout, stderr })
    }
}
