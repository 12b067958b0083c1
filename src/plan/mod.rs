//! What `up` and `down` do, as ordered phases of steps per host, built from the cluster and its
//! rendered files. Pure: nothing here touches a host.
//!
//! `up` follows the HA bootstrap order: ZooKeeper quorum, JournalNodes, format the first
//! NameNode (only when it has no complete image), start it, bootstrap the standby (only when it
//! has none), start it, format the failover znode (once), start both ZKFCs, then DataNodes,
//! YARN and the databases. Every action has a guard, so a second `up` changes nothing and an
//! interrupted one completes when run again.

mod databases;
mod hdfs;
mod os;
mod software;
mod wait;

use std::time::Duration;

use crate::artifacts::{Archive, Artifact};
use crate::desired::repos::is_package_source;
use crate::desired::{Tree, sh_quote};
use crate::engine::runner::Phase;
use crate::engine::steps::{Content, Step};
use crate::model::{Cluster, Host, Role, Service, Transport};
use crate::services::{start, stop, supervised};
use databases::{mart_db, metastore_db, metastore_schema};
use hdfs::{bootstrap_standby, format_namenode, format_zk};
use os::os;
use software::{cleanup, prepare};
use wait::*;

/// The phases of `up`, in order. `artifacts` are the cached layouts the hosts run; `binary`
/// is the `provision` executable the crawler host of remote hosts gets (None on one machine).
pub fn up(c: &Cluster, tree: &Tree, artifacts: &[Artifact], binary: Option<&Archive>) -> Vec<Phase> {
    let mut phases = Vec::new();
    if c.transport != Transport::Local {
        phases.push(os(c, tree));
    }
    phases.push(prepare(c, artifacts, binary));
    phases.push(configure(c, tree));
    // NiFi needs nothing of the others to start, and takes the longest (its first start unpacks
    // its bundles): it starts first and is waited for last.
    let nifi = c.with_role(Role::Nifi).next();
    if let Some(nifi) = nifi {
        phases.push(single("nifi", nifi, vec![start(c, nifi, Service::Nifi)]));
    }
    let nns: Vec<&Host> = c.with_role(Role::NameNode).collect();
    phases.push(start_and_wait(c, "zookeeper", Role::Zookeeper, Service::Zookeeper));
    if c.ha() {
        phases.push(start_and_wait(c, "journalnodes", Role::JournalNode, Service::JournalNode));
    }
    if let Some(first) = nns.first() {
        phases.push(single("format", first, vec![format_namenode(c, first)]));
        phases.push(single(
            "namenode",
            first,
            vec![start(c, first, Service::NameNode), ready(c, first, Service::NameNode)],
        ));
    }
    if let (true, Some(second)) = (c.ha(), nns.get(1)) {
        phases.push(single(
            "standby-namenode",
            second,
            vec![
                bootstrap_standby(c, second),
                start(c, second, Service::NameNode),
                ready(c, second, Service::NameNode),
            ],
        ));
        // The znode must exist before any ZKFC starts, so formatting is a phase of its own.
        phases.push(single("format-zookeeper", nns[0], vec![format_zk(c, nns[0])]));
        let mut failover = Phase { name: "failover-controllers".into(), ..Phase::default() };
        for nn in &nns {
            failover.hosts.entry(nn.name.clone()).or_default().push(start(c, nn, Service::Zkfc));
        }
        failover.hosts.entry(nns[0].name.clone()).or_default().push(wait("one NameNode active", &one_active(&nns)));
        phases.push(failover);
    }
    phases.push(start_and_wait(c, "datanodes", Role::DataNode, Service::DataNode));
    if let Some(first) = nns.first() {
        let n = c.with_role(Role::DataNode).count();
        phases.push(single(
            "hdfs-ready",
            first,
            vec![wait(&format!("{n} live DataNodes"), &live_datanodes(first, n)), hdfs::folders(c, first)],
        ));
    }
    if let Some(rm) = c.one(Role::ResourceManager) {
        phases.push(single(
            "resourcemanager",
            rm,
            vec![start(c, rm, Service::ResourceManager), ready(c, rm, Service::ResourceManager)],
        ));
        let n = c.with_role(Role::NodeManager).count();
        let metrics = format!("http://{}:{}/ws/v1/cluster/metrics", rm.address, rm.ports.resourcemanager_webapp);
        let mut nms = start_and_wait(c, "nodemanagers", Role::NodeManager, Service::NodeManager);
        nms.hosts.entry(rm.name.clone()).or_default().push(wait(
            &format!("{n} NodeManagers registered"),
            &at_least(&format!("curl -sf --max-time 2 {}", sh_quote(&metrics)), "activeNodes", n),
        ));
        phases.push(nms);
    }
    let mut databases = Phase { name: "databases".into(), ..Phase::default() };
    if let Some(db) = c.one(Role::MetastoreDb) {
        databases.hosts.insert(db.name.clone(), metastore_db(c, db));
    }
    if let Some(db) = c.one(Role::MartDb) {
        databases.hosts.insert(db.name.clone(), mart_db(c, db));
    }
    if !databases.hosts.is_empty() {
        phases.push(databases);
    }
    if let Some(ms) = c.one(Role::HiveMetastore) {
        phases.push(single(
            "hive-metastore",
            ms,
            vec![metastore_schema(c, ms), start(c, ms, Service::HiveMetastore), ready(c, ms, Service::HiveMetastore)],
        ));
    }
    if let Some(hs2) = c.one(Role::HiveServer2) {
        phases.push(single(
            "hiveserver2",
            hs2,
            vec![start(c, hs2, Service::HiveServer2), ready(c, hs2, Service::HiveServer2)],
        ));
    }
    if let Some(nifi) = nifi {
        // Waited for at the end: it started while the phases above ran.
        phases.push(single("nifi-ready", nifi, vec![ready_within(c, nifi, Service::Nifi, NIFI_READY_SECONDS)]));
    }
    phases.push(cleanup(c, artifacts));
    phases.retain(|p| !p.hosts.is_empty());
    phases
}

/// Seconds NiFi gets to answer after its start.
const NIFI_READY_SECONDS: u32 = 600;

/// The phases of `down`: every supervised daemon stopped, in the reverse of the start order;
/// with `purge`, every host's state removed too (only where each host is a folder).
pub fn down(c: &Cluster, purge: bool) -> Vec<Phase> {
    let order = [
        vec![Service::Nifi, Service::HiveServer2],
        vec![
            Service::HiveMetastore,
            Service::NodeManager,
            Service::ResourceManager,
            Service::MetastoreDb,
            Service::Postgres,
        ],
        vec![Service::DataNode],
        vec![Service::Zkfc],
        vec![Service::NameNode],
        vec![Service::JournalNode],
        vec![Service::Zookeeper],
    ];
    let mut phases = Vec::new();
    for (i, group) in order.iter().enumerate() {
        let mut phase = Phase { name: format!("stop-{}", i + 1), ..Phase::default() };
        for h in &c.hosts {
            let steps: Vec<Step> =
                supervised(c, h).into_iter().filter(|s| group.contains(s)).map(|s| stop(c, h, s)).collect();
            if !steps.is_empty() {
                phase.hosts.insert(h.name.clone(), steps);
            }
        }
        phases.push(phase);
    }
    if purge && c.transport == Transport::Local {
        let mut phase = Phase { name: "purge".into(), ..Phase::default() };
        for h in &c.hosts {
            let root = c.host_root(h).display().to_string();
            let marker = c.host_root(h).join(crate::state::MARKER).display().to_string();
            phase.hosts.insert(
                h.name.clone(),
                vec![Step::Run {
                    name: format!("remove {root}"),
                    command: format!("[ -f {} ] && rm -rf {}", sh_quote(&marker), sh_quote(&root)),
                    unless: Some(format!("[ ! -e {} ]", sh_quote(&root))),
                    timeout: Duration::from_secs(120),
                }],
            );
        }
        phases.push(phase);
    }
    phases.retain(|p| !p.hosts.is_empty());
    phases
}

fn single(name: &str, host: &Host, steps: Vec<Step>) -> Phase {
    let mut p = Phase { name: name.into(), ..Phase::default() };
    p.hosts.insert(host.name.clone(), steps);
    p
}

/// A phase that starts `service` on every host with `role` and waits until each is ready.
fn start_and_wait(c: &Cluster, name: &str, role: Role, service: Service) -> Phase {
    let mut p = Phase { name: name.into(), ..Phase::default() };
    for h in c.with_role(role) {
        p.hosts.insert(h.name.clone(), vec![start(c, h, service), ready(c, h, service)]);
    }
    p
}

/// The step that puts rendered file `f` on host `h`.
fn file_step(c: &Cluster, h: &Host, f: &crate::desired::File) -> Step {
    Step::File {
        path: c.on_host(h, &f.path),
        content: Content::Text(f.content.to_string()),
        mode: f.mode,
        owner: f.owner.clone(),
        affects: f.affects.clone(),
    }
}

/// Every rendered file of every host, at its path on that host.
fn configure(c: &Cluster, tree: &Tree) -> Phase {
    let mut phase = Phase { name: "configure".into(), ..Phase::default() };
    for f in tree.files.values() {
        let Some(host) = f.host.as_deref().and_then(|h| c.host(h)) else { continue };
        if c.transport != Transport::Local && is_package_source(&f.path) {
            continue; // already in place: the os phase put it there before the packages
        }
        phase.hosts.entry(host.name.clone()).or_default().push(file_step(c, host, f));
    }
    phase
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::secrets::Secrets;

    fn local() -> (Cluster, Tree) {
        let c =
            crate::inventory::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/local.toml"))).unwrap();
        let secrets = Secrets {
            metastore_root_password: "r".into(),
            metastore_password: "a".into(),
            mart_password: "b".into(),
            nifi_sensitive_key: "c".into(),
        };
        let tree = crate::desired::render(&c, &secrets);
        (c, tree)
    }

    #[test]
    fn every_host_file_is_one_file_step_under_the_host_root() {
        let (c, tree) = local();
        let phases = up(&c, &tree, &[], None);
        let configure = phases.iter().find(|p| p.name == "configure").unwrap();
        let steps: usize = configure.hosts.values().map(Vec::len).sum();
        assert_eq!(steps, tree.files.values().filter(|f| f.host.is_some()).count());
        for (host, steps) in &configure.hosts {
            let root = c.host_root(c.host(host).unwrap());
            for s in steps {
                let Step::File { path, .. } = s else { panic!("not a file step") };
                assert!(Path::new(path).starts_with(&root), "{path} is outside {}", root.display());
            }
        }
    }

    #[test]
    fn phases_follow_the_ha_bootstrap_order() {
        let (c, tree) = local();
        let names: Vec<String> = up(&c, &tree, &[], None).into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            [
                "prepare",
                "configure",
                "nifi",
                "zookeeper",
                "journalnodes",
                "format",
                "namenode",
                "standby-namenode",
                "format-zookeeper",
                "failover-controllers",
                "datanodes",
                "hdfs-ready",
                "resourcemanager",
                "nodemanagers",
                "databases",
                "hive-metastore",
                "hiveserver2",
                "nifi-ready"
            ]
        );
    }

    #[test]
    fn every_action_on_a_daemon_or_its_data_is_guarded() {
        let (c, tree) = local();
        for p in up(&c, &tree, &[], None) {
            for steps in p.hosts.values() {
                for s in steps {
                    if let Step::Run { name, unless, .. } = s {
                        assert!(unless.is_some(), "{name} in {} has no guard", p.name);
                    }
                }
            }
        }
    }

    #[test]
    fn down_stops_every_started_daemon_and_nothing_else() {
        let (c, tree) = local();
        let started: usize = up(&c, &tree, &[], None)
            .iter()
            .flat_map(|p| p.hosts.values())
            .flatten()
            .filter(|s| matches!(s, Step::Service { .. }))
            .count();
        let stopped: Vec<Step> = down(&c, false).into_iter().flat_map(|p| p.hosts.into_values()).flatten().collect();
        assert_eq!(stopped.len(), started);
        assert!(stopped.iter().all(|s| matches!(s, Step::Service { running: false, .. })));
        let purge = down(&c, true);
        assert_eq!(purge.last().unwrap().name, "purge");
    }
}
