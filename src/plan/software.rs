//! The software on each host: its folders, the cached layouts linked (one machine) or packed,
//! sent and unpacked beside each home (remote hosts), the crawler's binary, and the folders no
//! link names any more removed at the end.

use std::time::Duration;

use super::os::{package_manager, packages};
use crate::artifacts::{Archive, Artifact};
use crate::catalog::Product;
use crate::desired::sh_quote;
use crate::engine::runner::Phase;
use crate::engine::steps::{Content, Step};
use crate::model::{Cluster, Host, Role, Service, Transport};
use crate::services::{self, supervised};

/// Where packed software is kept on a remote host.
pub(super) const ARCHIVES: &str = "/opt/provision";

/// The file in a folder provision unpacked software into, holding the archive's checksum.
pub(super) const UNPACKED_MARKER: &str = ".provision-archive";

/// `leaf` in the folder that holds `home`: where software is unpacked for that home.
pub(super) fn beside_home(home: &str, leaf: &str) -> String {
    let parent = std::path::Path::new(home).parent().map_or("/".to_string(), |p| p.display().to_string());
    format!("{}/{leaf}", parent.trim_end_matches('/'))
}

/// A remote host's copy of artifact `a` at `home`: the packed layout sent (only when its
/// checksum differs), unpacked beside `home` in a folder named like its cache entry and the
/// archive's checksum (so other software, or the same software packed anew, gets another
/// folder and a running installation is never replaced in place), readable by the daemons'
/// users, and `home` linked to it; a new link restarts `affects`.
pub(super) fn unpacked(c: &Cluster, h: &Host, a: &Artifact, home: &str, affects: Vec<String>) -> Vec<Step> {
    let at = |p: &str| c.on_host(h, p);
    let file = at(&format!("{ARCHIVES}/{}-{}.tar.gz", a.name, a.version));
    let mut entry: String =
        a.dir.file_name().map_or_else(|| format!("{}-{}", a.name, a.version), |n| n.to_string_lossy().into());
    if let Some(x) = &a.archive {
        entry = format!("{entry}-{}", &x.sha256[..10.min(x.sha256.len())]);
    }
    let dir = at(&beside_home(home, &entry));
    // Without an archive (a dry run, a plan before the first fetch) the steps are named but
    // their checksum is unknown.
    let (content, sha) = match &a.archive {
        Some(x) => (Content::Local { path: x.path.clone(), sha256: x.sha256.clone(), size: x.size }, x.sha256.clone()),
        None => (Content::Local { path: a.dir.clone(), sha256: String::new(), size: 0 }, String::new()),
    };
    let (q_file, q_dir, q_tmp) = (sh_quote(&file), sh_quote(&dir), sh_quote(&format!("{dir}.tmp")));
    let marker = sh_quote(&format!("{dir}/{UNPACKED_MARKER}"));
    vec![
        Step::File { path: file.clone(), content, mode: 0o644, owner: Some("root".into()), affects: vec![] },
        Step::Run {
            name: format!("unpack {} {} into {dir}", a.name, a.version),
            command: format!(
                "rm -rf {q_tmp} && mkdir -p {q_tmp} && tar --no-same-owner -xzf {q_file} -C {q_tmp} && chmod -R a+rX,go-w {q_tmp} && echo {sha} > {q_tmp}/{UNPACKED_MARKER} && rm -rf {q_dir} && mv {q_tmp} {q_dir}"
            ),
            unless: Some(format!("[ \"$(cat {marker} 2>/dev/null)\" = {} ]", sh_quote(&sha))),
            timeout: Duration::from_secs(900),
        },
        Step::Link { path: at(home), target: dir, affects },
    ]
}

/// Where `product` lives on `h`, if `h` runs anything from it.
fn home_of<'c>(c: &'c Cluster, h: &Host, product: Product) -> Option<&'c str> {
    let runs = match product {
        Product::Hadoop => c.needs_hadoop(h),
        Product::Zookeeper => h.has(Role::Zookeeper),
        Product::Hive => h.runs_hive(),
        Product::Nifi => supervised(c, h).contains(&Service::Nifi),
    };
    runs.then(|| services::home(c, product))
}

/// Software folders a remote host no longer runs from, removed once every daemon has been
/// (re)started from the folders the links name: only folders provision unpacked (they hold
/// its marker), beside each home, other than the one its link names.
pub(super) fn cleanup(c: &Cluster, artifacts: &[Artifact]) -> Phase {
    let mut phase = Phase { name: "cleanup".into(), ..Phase::default() };
    if c.transport == Transport::Local {
        return phase;
    }
    for h in &c.hosts {
        let steps: Vec<Step> = artifacts
            .iter()
            .filter_map(|a| Some((a.name, home_of(c, h, a.name)?)))
            .map(|(name, home)| {
                let home = c.on_host(h, home);
                // Unpacked folders are named after the artifact, beside the home (see `unpacked`).
                let stale = format!(
                    "cur=$(readlink -f {q}); for d in {beside}-*/; do d=${{d%/}}; if [ -f \"$d/{UNPACKED_MARKER}\" ] && [ \"$d\" != \"$cur\" ]; then echo \"$d\"; fi; done",
                    q = sh_quote(&home),
                    beside = sh_quote(&beside_home(&home, name.name())),
                );
                Step::Run {
                    name: format!("remove {name} folders {home} no longer names"),
                    command: format!("{stale} | while read -r d; do rm -rf \"$d\"; done"),
                    unless: Some(format!("[ -z \"$({stale})\" ]")),
                    timeout: Duration::from_secs(300),
                }
            })
            .collect();
        if !steps.is_empty() {
            phase.hosts.insert(h.name.clone(), steps);
        }
    }
    phase
}

/// The services on `h` that run from `product`'s home, as `host/service`.
fn users_of(c: &Cluster, h: &Host, product: Product) -> Vec<String> {
    c.services(h)
        .into_iter()
        .filter(|s| s.spec().runs_from.contains(&product))
        .map(|s| format!("{}/{}", h.name, s.name()))
        .collect()
}

/// The folder of a host on one machine, made with the marker that lets `down --purge` remove it.
pub(super) fn host_folder(c: &Cluster, h: &Host) -> Step {
    let root = c.host_root(h);
    let (q_root, marker) = (sh_quote(&root.display().to_string()), root.join(crate::state::MARKER));
    Step::Run {
        name: format!("create the host folder {}", root.display()),
        command: format!(
            "mkdir -p \"$(dirname {q_root})\" && mkdir {q_root} && touch {}",
            sh_quote(&marker.display().to_string())
        ),
        unless: Some(format!("[ -d {q_root} ]")),
        timeout: Duration::from_secs(10),
    }
}

/// Folders, links to the cached software, and packages every host needs before its files.
pub(super) fn prepare(c: &Cluster, artifacts: &[Artifact], binary: Option<&Archive>) -> Phase {
    let mut phase = Phase { name: "prepare".into(), ..Phase::default() };
    let local = c.transport == Transport::Local;
    for h in &c.hosts {
        let at = |p: &str| c.on_host(h, p);
        let mut steps = if local { vec![host_folder(c, h)] } else { Vec::new() };
        let mut dir = |path: &str, mode: u32, owner: &str| {
            let path = at(path);
            if !steps.iter().any(|s| matches!(s, Step::Dir { path: p, .. } if *p == path)) {
                steps.push(Step::Dir { path, mode, owner: Some(owner.to_string()) });
            }
        };
        let services = supervised(c, h);
        if local && !services.is_empty() {
            // The supervisor's pid files.
            dir(&c.paths.provision_run, 0o755, "root");
        }
        if !services.is_empty() {
            dir(&c.paths.provision_logs, 0o755, "root");
            dir(&c.paths.provision_state, 0o755, "root");
        }
        for s in &services {
            for f in (s.spec().folders)(c) {
                dir(&f.path, f.mode, &f.owner);
            }
        }
        if services.iter().any(|s| s.is_hadoop()) {
            dir(&c.paths.hadoop_logs, 0o755, &c.users.hadoop);
            dir(&c.paths.hadoop_tmp, 0o755, &c.users.hadoop);
        }
        if binary.is_some() && h.has(Role::Crawler) && !local {
            // The folder the hourly run logs into, as the crawler's user.
            dir(&c.paths.provision_logs, 0o755, &c.users.crawler);
        }
        for a in artifacts {
            let Some(home) = home_of(c, h, a.name) else { continue };
            let affects = users_of(c, h, a.name);
            if local {
                steps.push(Step::Link { path: at(home), target: a.dir.display().to_string(), affects });
            } else {
                if !steps.iter().any(|s| matches!(s, Step::Dir { path, .. } if *path == at(ARCHIVES))) {
                    steps.push(Step::Dir { path: at(ARCHIVES), mode: 0o755, owner: Some("root".into()) });
                }
                steps.extend(unpacked(c, h, a, home, affects));
            }
        }
        if let (Some(b), true, false) = (binary, h.has(Role::Crawler) || h.has(Role::Nifi), local) {
            // The pipeline's own binary, for the hourly cron run and for NiFi's flow.
            let content = Content::Local { path: b.path.clone(), sha256: b.sha256.clone(), size: b.size };
            steps.push(Step::File {
                path: at(&c.paths.provision_bin),
                content,
                mode: 0o755,
                owner: Some("root".into()),
                affects: vec![],
            });
        }
        if local {
            for name in packages(c, h) {
                steps.push(Step::Package { name, manager: package_manager(c) });
            }
        }
        if !steps.is_empty() {
            phase.hosts.insert(h.name.clone(), steps);
        }
    }
    phase
}
