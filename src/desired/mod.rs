//! The desired state: every file every host needs, rendered from the validated cluster by
//! pure functions, one module per product. Nothing here touches a disk or a host except
//! `tree`, which writes a rendered tree to a folder or compares it with one.

pub mod escape;
mod hadoop;
mod hive;
mod nifi;
mod os;
mod postgres;
pub mod repos;
mod schedule;
mod templates;
pub mod tree;
mod units;
pub mod vagrant;
pub mod xml;
mod zookeeper;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{Cluster, Host, Service};
use crate::secrets::Secrets;

pub use escape::{sh_quote, sql_quote};

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The host it belongs to; `None` for files of the controlling machine (the Vagrantfile).
    pub host: Option<String>,
    /// Its path below the host's root (absolute, e.g. `/etc/hosts`), or relative for controller files.
    pub path: String,
    /// Its contents, shared: a comparison's or a plan's copy of a file costs no second copy
    /// of its text.
    pub content: Arc<str>,
    /// Its permission bits; 0600 when it holds a secret.
    pub mode: u32,
    /// The user that owns it on the host, when not root.
    pub owner: Option<String>,
    /// The services a change of this file restarts, as `host/service`.
    pub affects: Vec<String>,
}

impl File {
    /// Whether it holds a secret: every file that does is rendered 0600 (by [`Tree::add_secret`]
    /// or with [`mode::SECRET`]), and none of its lines is ever shown.
    pub fn is_secret(&self) -> bool {
        self.mode == mode::SECRET
    }

    /// Where the file goes inside a render folder: `<host>/<path>` or the controller path.
    pub fn rel_path(&self) -> String {
        match &self.host {
            Some(h) => format!("{h}/{}", self.path.trim_start_matches('/')),
            None => self.path.clone(),
        }
    }
}

/// Every rendered file, keyed by its path inside a render folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// The files.
    pub files: BTreeMap<String, File>,
}

/// File modes used by the renderers.
pub mod mode {
    /// An ordinary file.
    pub const PUBLIC: u32 = 0o644;
    /// A file holding a secret.
    pub const SECRET: u32 = 0o600;
}

impl Tree {
    /// Adds a file of `host` at `path`, affecting `services` of that host.
    pub fn add(&mut self, host: &Host, path: &str, content: String, mode: u32, services: &[Service]) {
        self.add_host_file(host, path, content, mode, None, services);
    }

    /// Adds a secret file (0600) of `host` that `owner` owns: the user of the `services` that
    /// read it and that a change of it restarts, or of the program that alone reads it.
    pub fn add_secret(&mut self, host: &Host, path: &str, content: String, owner: &str, services: &[Service]) {
        self.add_host_file(host, path, content, mode::SECRET, Some(owner), services);
    }

    fn add_host_file(
        &mut self,
        host: &Host,
        path: &str,
        content: String,
        mode: u32,
        owner: Option<&str>,
        services: &[Service],
    ) {
        self.insert(File {
            host: Some(host.name.clone()),
            path: path.to_string(),
            content: content.into(),
            mode,
            owner: owner.map(str::to_string),
            affects: services.iter().map(|s| format!("{}/{}", host.name, s.name())).collect(),
        });
    }

    /// Adds a file of the controlling machine.
    pub fn add_controller(&mut self, path: &str, content: String) {
        self.insert(File {
            host: None,
            path: path.to_string(),
            content: content.into(),
            mode: mode::PUBLIC,
            owner: None,
            affects: vec![],
        });
    }

    fn insert(&mut self, f: File) {
        let key = f.rel_path();
        assert!(!self.files.contains_key(&key), "two renderers wrote {key}");
        self.files.insert(key, f);
    }
}

/// The parts of files that are the same on every host and list every host (or every
/// DataNode): built once per render, not once per host, so a host's file costs one copy.
struct Shared {
    /// The /etc/hosts lines of the cluster's hosts.
    host_entries: String,
    /// Hadoop's workers file.
    workers: String,
}

/// Renders every file of every host of `c`.
pub fn render(c: &Cluster, secrets: &Secrets) -> Tree {
    let mut t = Tree::default();
    let shared = Shared { host_entries: os::host_entries(c), workers: hadoop::workers(c) };
    for host in &c.hosts {
        os::render(c, host, &shared, &mut t);
        os::render_limits(c, host, &mut t);
        repos::render(c, host, &mut t);
        repos::render_proxy(c, host, &mut t);
        hadoop::render(c, host, &shared, &mut t);
        zookeeper::render(c, host, &mut t);
        hive::render(c, host, secrets, &mut t);
        nifi::render(c, host, secrets, &mut t);
        postgres::render(c, host, secrets, &mut t);
        schedule::render(c, host, secrets, &mut t);
        units::render(c, host, &mut t);
    }
    vagrant::render(c, &mut t);
    t
}
