//! Real OpenSSH servers for the tests and benchmarks: each on its own loopback address, with
//! host and client keys generated here. Needs Debian's openssh-server (/usr/sbin/sshd).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The port every test sshd listens on (each on its own address).
pub const PORT: u16 = 2222;

/// A fresh loopback address in 127.<net>.0.0/16, unique within this process.
pub fn next_address(net: u8) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    format!("127.{net}.{}.{}", n / 250, n % 250 + 1)
}

/// The user the tests log in as: whoever runs them.
pub fn user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Generates an ed25519 key pair at `path` (and `path.pub`).
pub fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "provision-test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
}

/// A client key pair in its own folder.
pub struct ClientKey {
    _dir: tempfile::TempDir,
    /// The private key.
    pub private: PathBuf,
    /// The public key.
    pub public: PathBuf,
}

impl ClientKey {
    /// Generates a new key pair.
    pub fn new() -> ClientKey {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("id_ed25519");
        keygen(&private);
        let public = dir.path().join("id_ed25519.pub");
        ClientKey { _dir: dir, private, public }
    }
}

/// One running sshd.
pub struct Sshd {
    /// Its address.
    pub address: String,
    /// Its folder (config, keys, log).
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Sshd {
    /// Starts sshd on a new loopback address, accepting `client`'s key.
    pub fn start(net: u8, client: &ClientKey) -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        keygen(&dir.path().join("host_ed25519"));
        std::fs::copy(&client.public, dir.path().join("authorized_keys")).unwrap();
        let mut s = Sshd { address: next_address(net), dir, child: None };
        s.launch();
        s
    }

    /// Restarts it with a newly generated host key (a rebuilt, or impersonated, host).
    pub fn change_host_key(&mut self) {
        self.stop();
        let key = self.dir.path().join("host_ed25519");
        std::fs::remove_file(&key).unwrap();
        std::fs::remove_file(key.with_extension("pub")).unwrap();
        keygen(&key);
        self.launch();
    }

    fn launch(&mut self) {
        std::fs::create_dir_all("/run/sshd").expect("creating /run/sshd");
        let d = self.dir.path().display();
        let config = format!(
            "ListenAddress {addr}:{PORT}\nHostKey {d}/host_ed25519\nPidFile {d}/sshd.pid\n\
             AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
             MaxStartups 100\nMaxSessions 100\nPrintMotd no\nLogLevel VERBOSE\n",
            addr = self.address
        );
        std::fs::write(self.dir.path().join("sshd_config"), config).unwrap();
        let log = std::fs::File::create(self.dir.path().join("sshd.log")).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting /usr/sbin/sshd (apt-get install openssh-server)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = format!("{}:{PORT}", self.address).parse().unwrap();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "sshd on {} did not start: {}", self.address, self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What sshd logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}
