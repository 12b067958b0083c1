//! The Debian 12 box of the lxc machines, built here from Debian's packages with debootstrap
//! (there is no box registry to download one from), cached, and added to Vagrant once.

use std::path::{Path, PathBuf};

use super::{MachinesError, io, run};

/// The Debian mirror the box's system comes from (and, through the proxy, its packages).
pub const MIRROR: &str = "http://deb.debian.org/debian";

/// Where Vagrant's own package keeps the insecure public key it replaces on a first `up`.
const VAGRANT_KEYS: &str = "/usr/share/rubygems-integration/all/gems";

/// What the box's system is made of besides debootstrap's minimal base.
const PACKAGES: &str = "systemd,systemd-sysv,dbus,openssh-server,iproute2,sudo";

/// The box file of `name` in the cache `dir`.
pub fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.box", name.replace('/', "-")))
}

/// Whether Vagrant has box `name` for the lxc provider.
pub fn added(name: &str) -> Result<bool, MachinesError> {
    let list = run("vagrant", &["box", "list", "--machine-readable"], "apt-get install vagrant vagrant-lxc")?;
    let mut found = false;
    let mut current = String::new();
    for line in list.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        match fields.get(2..4) {
            Some(["box-name", n]) => current = (*n).to_string(),
            Some(["box-provider", "lxc"]) if current == name => found = true,
            _ => {}
        }
    }
    Ok(found)
}

/// Makes box `name` available to Vagrant: added already, or added from the cached file, or
/// built into `dir` first, telling `progress` what it does.
pub fn ensure(name: &str, dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<(), MachinesError> {
    if added(name)? {
        return Ok(());
    }
    let boxfile = file(dir, name);
    if !boxfile.exists() {
        build(&boxfile, progress)?;
    }
    progress(&format!("adding {} to Vagrant as {name}", boxfile.display()));
    let path = boxfile.display().to_string();
    run("vagrant", &["box", "add", "--force", "--name", name, &path], "apt-get install vagrant vagrant-lxc")?;
    Ok(())
}

/// Vagrant's insecure public key, which the box's user `vagrant` accepts until the first `up`.
fn insecure_key() -> Result<String, MachinesError> {
    let gems = Path::new(VAGRANT_KEYS);
    let entries = std::fs::read_dir(gems).map_err(io(gems))?;
    for e in entries.flatten() {
        let key = e.path().join("keys/vagrant.pub");
        if e.file_name().to_string_lossy().starts_with("vagrant-") && key.exists() {
            return std::fs::read_to_string(&key).map_err(io(&key));
        }
    }
    Err(MachinesError::Network(format!("no keys/vagrant.pub below {}\nhint: apt-get install vagrant", gems.display())))
}

/// Builds the box file `boxfile`: a Debian 12 system from debootstrap, made a Vagrant machine
/// (SSH host keys made at first boot, no machine id, systemd-networkd without its wait for
/// links it does not manage, since LXC gives the address; user `vagrant` with Vagrant's key and
/// sudo), packed with its metadata and LXC configuration.
fn build(boxfile: &Path, progress: &mut dyn FnMut(&str)) -> Result<(), MachinesError> {
    let parent = boxfile.parent().expect("a box file has a folder");
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let work = tempfile::Builder::new().prefix(".box-").tempdir_in(parent).map_err(io(parent))?;
    let rootfs = work.path().join("rootfs");
    let root = rootfs.display().to_string();
    progress(&format!("building the Debian 12 box with debootstrap from {MIRROR} (about a minute, once)"));
    run(
        "debootstrap",
        &["--variant=minbase", &format!("--include={PACKAGES}"), "bookworm", &root, MIRROR],
        "apt-get install debootstrap",
    )?;
    progress("making it a Vagrant machine");
    let key = insecure_key()?;
    let script = format!(
        "set -e; r={root}
rm -f \"$r\"/etc/ssh/ssh_host_* \"$r\"/etc/hostname
: > \"$r\"/etc/machine-id
mkdir -p \"$r\"/etc/systemd/system/ssh.service.d
printf '[Service]\\nExecStartPre=\\nExecStartPre=/usr/bin/ssh-keygen -A\\nExecStartPre=/usr/sbin/sshd -t\\n' > \"$r\"/etc/systemd/system/ssh.service.d/host-keys.conf
chroot \"$r\" systemctl enable -q systemd-networkd
chroot \"$r\" systemctl mask -q systemd-networkd-wait-online.service
chroot \"$r\" useradd --create-home --shell /bin/bash vagrant
mkdir -p \"$r\"/home/vagrant/.ssh
printf '%s\\n' {key} > \"$r\"/home/vagrant/.ssh/authorized_keys
chroot \"$r\" chown -R vagrant:vagrant /home/vagrant/.ssh
chmod 700 \"$r\"/home/vagrant/.ssh; chmod 600 \"$r\"/home/vagrant/.ssh/authorized_keys
printf 'vagrant ALL=(ALL) NOPASSWD:ALL\\n' > \"$r\"/etc/sudoers.d/vagrant; chmod 440 \"$r\"/etc/sudoers.d/vagrant
chroot \"$r\" apt-get clean
rm -rf \"$r\"/var/lib/apt/lists/*",
        root = crate::desired::sh_quote(&root),
        key = crate::desired::sh_quote(key.trim()),
    );
    run("sh", &["-c", &script], "a POSIX shell")?;
    progress("packing the box");
    let w = work.path();
    let write = |name: &str, text: String| {
        let p = w.join(name);
        std::fs::write(&p, text).map_err(io(&p))
    };
    write(
        "metadata.json",
        format!(
            "{{\"provider\":\"lxc\",\"version\":\"1.0.0\",\"built-on\":\"{}\"}}\n",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        ),
    )?;
    write("lxc-config", "lxc.include = /usr/share/lxc/config/common.conf\nlxc.arch = amd64\n".into())?;
    let dir = w.display().to_string();
    run(
        "tar",
        &["--numeric-owner", "-C", &dir, "-czf", &format!("{dir}/rootfs.tar.gz"), "./rootfs"],
        "apt-get install tar gzip",
    )?;
    let tmp = boxfile.with_extension("box.tmp");
    let out = tmp.display().to_string();
    run("tar", &["-C", &dir, "-czf", &out, "metadata.json", "lxc-config", "rootfs.tar.gz"], "apt-get install tar")?;
    std::fs::rename(&tmp, boxfile).map_err(io(boxfile))
}
