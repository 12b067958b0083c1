//! The package proxy of the lxc machines: Debian's apt-cacher-ng on this machine, listening on
//! the bridge address only, fetching from the mirrors this machine reaches and keeping what it
//! fetched, so a second machine (or a second run) gets its packages from here.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use super::{MachinesError, io, run};

/// The port apt-cacher-ng listens on.
pub const PORT: u16 = 3142;

/// How to install the proxy.
const HINT: &str = "apt-get install apt-cacher-ng";

/// The proxy's URL for the machines.
pub fn url(address: Ipv4Addr) -> String {
    format!("http://{address}:{PORT}")
}

/// The proxy's pid file below `state`.
fn pid_file(state: &Path) -> PathBuf {
    state.join("proxy/apt-cacher-ng.pid")
}

/// The pid of the proxy provision started, when it still runs.
fn running(state: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(pid_file(state)).ok()?.trim().parse().ok()?;
    Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
}

/// Starts the proxy on `address` unless it runs; its cache is `cache`, its logs and pid file
/// below `state`.
pub fn ensure(address: Ipv4Addr, cache: &Path, state: &Path) -> Result<(), MachinesError> {
    if running(state).is_some() {
        return Ok(());
    }
    let logs = state.join("proxy");
    // A configuration of its own: the package's remaps send Debian's requests to mirrors of
    // its choosing, which this machine may not reach; without them the proxy fetches from the
    // mirror each request names, the one the box was built from.
    let conf = logs.join("conf");
    for dir in [cache, logs.as_path(), conf.as_path()] {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let conf_file = conf.join("acng.conf");
    std::fs::write(&conf_file, "# Written by provision: apt-cacher-ng's defaults, no remapping.\n")
        .map_err(io(&conf_file))?;
    let setting = |k: &str, v: &dyn std::fmt::Display| format!("{k}={v}");
    let args = [
        "-c".to_string(),
        conf.display().to_string(),
        setting("ForeGround", &0),
        setting("BindAddress", &address),
        setting("Port", &PORT),
        setting("CacheDir", &cache.display()),
        setting("LogDir", &logs.display()),
        setting("PidFile", &pid_file(state).display()),
        setting("SocketPath", &logs.join("socket").display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("apt-cacher-ng", &args, HINT)?;
    for _ in 0..50 {
        if std::net::TcpStream::connect((address, PORT)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(MachinesError::Network(format!(
        "apt-cacher-ng did not listen on {address}:{PORT} within 5s\nhint: see {}",
        logs.join("apt-cacher.err").display()
    )))
}

/// Stops the proxy provision started, if it runs.
pub fn stop(state: &Path) -> Result<(), MachinesError> {
    if let Some(pid) = running(state) {
        run("kill", &[&pid.to_string()], HINT)?;
        for _ in 0..50 {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let _ = std::fs::remove_file(pid_file(state));
    Ok(())
}
