//! The VMs of a Vagrant inventory: the rendered Vagrantfile in `<state_dir>/vagrant/`,
//! `vagrant up` / `halt` / `destroy` run there, and the SSH endpoints `vagrant ssh-config`
//! reports, recorded once per `up` so every later connection reads them from a file.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::model::{Cluster, Provider, Transport};

/// Where one VM's SSH server is, as `vagrant ssh-config` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The address to connect to (usually 127.0.0.1: a port forwarded by the provider).
    pub address: String,
    /// The port.
    pub port: u16,
    /// The login user (`vagrant`).
    pub user: String,
    /// The private key Vagrant generated for the VM.
    pub identity: PathBuf,
}

/// A failure of a `vagrant` command or of reading what it recorded.
#[derive(Debug, thiserror::Error)]
pub enum VagrantError {
    /// `vagrant` could not be run.
    #[error(
        "`vagrant {verb}` in {dir}: {source}\nhint: install Vagrant and VirtualBox (the VMs need about 24 GiB of RAM), or for the lxc provider Debian's vagrant, vagrant-lxc and lxc"
    )]
    Spawn {
        /// The subcommand.
        verb: String,
        /// Where it ran.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `vagrant` ran and failed; its last lines say why.
    #[error("`vagrant {verb}` in {dir} failed (exit {code}):\n{tail}")]
    Failed {
        /// The subcommand.
        verb: String,
        /// Where it ran.
        dir: PathBuf,
        /// Its exit code.
        code: i32,
        /// Its last lines of output.
        tail: String,
    },
    /// The recorded SSH endpoints are missing or lack a host.
    #[error("{0}")]
    Endpoints(String),
}

/// The folder the Vagrantfile, the VMs' state and the recorded endpoints live in.
pub fn dir(c: &Cluster) -> PathBuf {
    c.state_dir.join("vagrant")
}

/// What runs the cluster's machines (VirtualBox for an inventory of another transport, which
/// has none).
fn provider(c: &Cluster) -> Provider {
    match &c.transport {
        Transport::Vagrant { provider, .. } => *provider,
        Transport::Ssh { .. } | Transport::Local => Provider::Virtualbox,
    }
}

/// The recorded output of `vagrant ssh-config`.
fn ssh_config_file(c: &Cluster) -> PathBuf {
    dir(c).join("ssh-config")
}

/// The folder of the VMs' known_hosts files (removed when they are destroyed).
fn known_hosts_dir(c: &Cluster) -> PathBuf {
    dir(c).join("known_hosts")
}

/// The known_hosts file of VM `host` as it is now: one per VM and per VirtualBox machine id,
/// so a VM recreated outside `provision`, or forwarded to another port, starts a file of its
/// own instead of looking like a changed key.
pub fn known_hosts(c: &Cluster, host: &str) -> PathBuf {
    let id_file = dir(c).join(".vagrant/machines").join(host).join(provider(c).name()).join("id");
    let id = std::fs::read_to_string(id_file).map(|s| s.trim().to_string()).unwrap_or_else(|_| "unknown".into());
    known_hosts_dir(c).join(format!("{host}-{id}"))
}

/// Parses `vagrant ssh-config`: one `Host` block per VM.
pub fn parse_ssh_config(text: &str) -> Result<BTreeMap<String, Endpoint>, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, BTreeMap<String, String>)> = None;
    let mut finish = |block: Option<(String, BTreeMap<String, String>)>| -> Result<(), String> {
        let Some((host, fields)) = block else { return Ok(()) };
        let get = |k: &str| fields.get(k).cloned().ok_or_else(|| format!("vagrant ssh-config: {host} has no {k}"));
        let port = get("port")?;
        let endpoint = Endpoint {
            address: get("hostname")?,
            port: port.parse().map_err(|_| format!("vagrant ssh-config: {host} has port {port:?}"))?,
            user: get("user")?,
            identity: PathBuf::from(get("identityfile")?.trim_matches('"')),
        };
        out.insert(host, endpoint);
        Ok(())
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let (key, value) = (key.to_ascii_lowercase(), value.trim().to_string());
        if key == "host" {
            finish(current.take())?;
            current = Some((value, BTreeMap::new()));
        } else if let Some((_, fields)) = current.as_mut() {
            // The first value of a key counts, as in ssh_config.
            fields.entry(key).or_insert(value);
        }
    }
    finish(current.take())?;
    Ok(out)
}

/// Runs `vagrant <args>` in the VMs' folder, handing each line of its output to `line`.
fn run(c: &Cluster, args: &[&str], line: &mut dyn FnMut(&str)) -> Result<String, VagrantError> {
    let dir = dir(c);
    let verb = args.join(" ");
    let mut child = Command::new("vagrant")
        .args(args)
        .current_dir(&dir)
        .env("VAGRANT_NO_COLOR", "1")
        .env("VAGRANT_DEFAULT_PROVIDER", provider(c).name())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| VagrantError::Spawn { verb: verb.clone(), dir: dir.clone(), source })?;
    let stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || BufReader::new(stderr).lines().map_while(Result::ok).collect::<Vec<_>>());
    let mut output = Vec::new();
    for l in BufReader::new(child.stdout.take().expect("piped")).lines().map_while(Result::ok) {
        line(&l);
        output.push(l);
    }
    let errors = errors.join().unwrap_or_default();
    let status = child.wait().map_err(|source| VagrantError::Spawn { verb: verb.clone(), dir: dir.clone(), source })?;
    if !status.success() {
        let all: Vec<&String> = output.iter().chain(&errors).filter(|l| !l.trim().is_empty()).collect();
        let tail = all[all.len().saturating_sub(8)..].iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n");
        return Err(VagrantError::Failed { verb, dir, code: status.code().unwrap_or(-1), tail });
    }
    Ok(output.join("\n"))
}

/// Writes the Vagrantfile into the VMs' folder (only when it changed).
pub fn write_vagrantfile(c: &Cluster, text: &str) -> std::io::Result<()> {
    let dir = dir(c);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("Vagrantfile");
    if std::fs::read_to_string(&path).is_ok_and(|t| t == text) {
        return Ok(());
    }
    let tmp = dir.join(".Vagrantfile.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)
}

/// Creates or starts the VMs with their provider, then records their SSH endpoints.
pub fn up(c: &Cluster, line: &mut dyn FnMut(&str)) -> Result<BTreeMap<String, Endpoint>, VagrantError> {
    run(c, &["up", "--provider", provider(c).name()], line)?;
    let text = run(c, &["ssh-config"], &mut |_| {})?;
    let endpoints = parse_ssh_config(&text).map_err(VagrantError::Endpoints)?;
    let file = ssh_config_file(c);
    std::fs::write(&file, &text).map_err(|source| VagrantError::Spawn {
        verb: "ssh-config".into(),
        dir: file,
        source,
    })?;
    Ok(endpoints)
}

/// Runs `vagrant <args> <host>` for every host at once (Vagrant itself takes one machine after
/// another for `halt` and `destroy`), handing each line of their output to `line`; the first
/// failure, once all have ended.
fn run_each(c: &Cluster, args: &[&str], line: &mut dyn FnMut(&str)) -> Result<(), VagrantError> {
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::scope(|s| {
        let runs: Vec<_> = c
            .hosts
            .iter()
            .map(|h| {
                let tx = tx.clone();
                let mut args = args.to_vec();
                args.push(&h.name);
                s.spawn(move || run(c, &args, &mut |l| drop(tx.send(l.to_string()))))
            })
            .collect();
        drop(tx);
        for l in rx {
            line(&l);
        }
        runs.into_iter().map(|r| r.join().expect("a vagrant run does not panic")).collect::<Result<Vec<_>, _>>()
    })?;
    Ok(())
}

/// Stops the VMs, keeping their disks.
pub fn halt(c: &Cluster, line: &mut dyn FnMut(&str)) -> Result<(), VagrantError> {
    run_each(c, &["halt"], line)
}

/// Destroys the VMs and forgets their endpoints and host keys.
pub fn destroy(c: &Cluster, line: &mut dyn FnMut(&str)) -> Result<(), VagrantError> {
    run_each(c, &["destroy", "--force"], line)?;
    let _ = std::fs::remove_file(ssh_config_file(c));
    let _ = std::fs::remove_dir_all(known_hosts_dir(c));
    Ok(())
}

/// The SSH endpoint of VM `host`, from the endpoints recorded by the last `up`.
pub fn endpoint(c: &Cluster, host: &str) -> Result<Endpoint, VagrantError> {
    let file = ssh_config_file(c);
    let text = std::fs::read_to_string(&file).map_err(|_| {
        VagrantError::Endpoints(format!(
            "the VMs' SSH endpoints are not recorded ({} is missing)\nhint: run `provision up` to create the VMs",
            file.display()
        ))
    })?;
    let mut all = parse_ssh_config(&text).map_err(VagrantError::Endpoints)?;
    all.remove(host).ok_or_else(|| {
        VagrantError::Endpoints(format!("no VM of that name in {}\nhint: run `provision up`", file.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `vagrant ssh-config` prints for two VirtualBox VMs.
    const SSH_CONFIG: &str = "Host nn01
  HostName 127.0.0.1
  User vagrant
  Port 2222
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /home/u/gmarket/.vagrant/machines/nn01/virtualbox/private_key
  IdentitiesOnly yes
  LogLevel FATAL
  PubkeyAcceptedKeyTypes +ssh-rsa
  HostKeyAlgorithms +ssh-rsa

Host rm01
  HostName 127.0.0.1
  User vagrant
  Port 2200
  IdentityFile \"/home/u/my vms/.vagrant/machines/rm01/virtualbox/private_key\"
  IdentitiesOnly yes
";

    #[test]
    fn ssh_config_gives_each_vm_its_endpoint() {
        let all = parse_ssh_config(SSH_CONFIG).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all["nn01"],
            Endpoint {
                address: "127.0.0.1".into(),
                port: 2222,
                user: "vagrant".into(),
                identity: "/home/u/gmarket/.vagrant/machines/nn01/virtualbox/private_key".into(),
            }
        );
        assert_eq!(all["rm01"].port, 2200);
        assert_eq!(all["rm01"].identity, PathBuf::from("/home/u/my vms/.vagrant/machines/rm01/virtualbox/private_key"));
    }

    #[test]
    fn a_block_without_a_port_is_an_error_naming_the_vm() {
        let err = parse_ssh_config("Host dn01\n  HostName 127.0.0.1\n  User vagrant\n  IdentityFile /k\n").unwrap_err();
        assert_eq!(err, "vagrant ssh-config: dn01 has no port");
        let err = parse_ssh_config("Host dn01\n  HostName h\n  User v\n  Port x\n  IdentityFile /k\n").unwrap_err();
        assert!(err.contains("dn01 has port \"x\""), "{err}");
    }
}
