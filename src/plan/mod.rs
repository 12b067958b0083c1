//! What `up` and `down` do, as phases of steps per host, each naming the phases it comes after,
//! built from the cluster and its rendered files. Pure: nothing here touches a host.
//!
//! `up`'s HDFS chain follows the HA bootstrap order: JournalNodes, format the first NameNode
//! (only when it has no complete image), start it, bootstrap the standby (only when it has
//! none), start it; the ZooKeeper quorum and the failover znode (formatted once) beside them;
//! then both ZKFCs, and HDFS ready once every DataNode is live. YARN, the databases with Hive's
//! metastore, and NiFi are chains of their own beside it. Every action has a guard, so a second
//! `up` changes nothing and an interrupted one completes when run again. `down` is one chain.

mod databases;
mod hdfs;
mod os;
mod software;
mod wait;

use std::time::Duration;

use crate::artifacts::{Archive, Artifact};
use crate::desired::repos::is_package_source;
use crate::desired::{Tree, sh_quote};
use crate::engine::runner::{self, Phase};
use crate::engine::steps::{Content, Step};
use crate::model::{Cluster, Host, Role, Service, Transport};
use crate::services::{start, stop, supervised};
use databases::{mart_db, metastore_db, metastore_schema};
use hdfs::{bootstrap_standby, format_namenode, format_zk};
use os::os;
use software::{cleanup, prepare};
use wait::*;

/// The phases of `up` and what each comes after. `artifacts` are the cached layouts the hosts
/// run; `binary` is the `provision` executable the crawler host of remote hosts gets (None on
/// one machine).
///
/// After the hosts are prepared and configured, four chains run side by side: HDFS in the HA
/// bootstrap order; YARN, which needs nothing of HDFS to start; the databases and Hive's
/// metastore, which reads HDFS only when a table is made; and NiFi, which takes the longest to
/// start (its first start unpacks its bundles). HiveServer2 waits for HDFS and the metastore;
/// the old software is cleaned up last.
pub fn up(c: &Cluster, tree: &Tree, artifacts: &[Artifact], binary: Option<&Archive>) -> Vec<Phase> {
    let remote = c.transport != Transport::Local;
    let nns: Vec<&Host> = c.with_role(Role::NameNode).collect();
    let (first, second) = (nns.first().copied(), nns.get(1).copied().filter(|_| c.ha()));
    let nifi = c.with_role(Role::Nifi).next();
    let mut phases = vec![
        after(if remote { os(c, tree) } else { named("os") }, &[]),
        after(prepare(c, artifacts, binary), &["os"]),
        after(configure(c, tree), &["prepare"]),
        after(on(nifi, "nifi", |n| vec![start(c, n, Service::Nifi)]), &["configure"]),
        // HDFS.
        after(start_and_wait(c, "zookeeper", Role::Zookeeper, Service::Zookeeper), &["configure"]),
        after(
            if c.ha() {
                start_and_wait(c, "journalnodes", Role::JournalNode, Service::JournalNode)
            } else {
                named("journalnodes")
            },
            &["configure"],
        ),
        after(on(first, "format", |nn| vec![format_namenode(c, nn)]), &["journalnodes"]),
        after(
            on(first, "namenode", |nn| vec![start(c, nn, Service::NameNode), ready(c, nn, Service::NameNode)]),
            &["format"],
        ),
        after(
            on(second, "standby-namenode", |nn| {
                vec![bootstrap_standby(c, nn), start(c, nn, Service::NameNode), ready(c, nn, Service::NameNode)]
            }),
            &["namenode"],
        ),
        // The znode must exist before any ZKFC starts, so formatting is a phase of its own.
        after(on(second.and(first), "format-zookeeper", |nn| vec![format_zk(c, nn)]), &["zookeeper"]),
        after(failover_controllers(c, &nns), &["format-zookeeper", "standby-namenode"]),
        // DataNodes wait for a NameNode by themselves.
        after(start_and_wait(c, "datanodes", Role::DataNode, Service::DataNode), &["configure"]),
        after(
            on(first, "hdfs-ready", |nn| {
                let n = c.with_role(Role::DataNode).count();
                vec![wait(&format!("{n} live DataNodes"), &live_datanodes(nn, n)), hdfs::folders(c, &nns)]
            }),
            &["namenode", "failover-controllers", "datanodes"],
        ),
        // YARN.
        after(
            on(c.one(Role::ResourceManager), "resourcemanager", |rm| {
                vec![start(c, rm, Service::ResourceManager), ready(c, rm, Service::ResourceManager)]
            }),
            &["configure"],
        ),
        after(nodemanagers(c), &["resourcemanager"]),
        // The databases and Hive.
        after(databases(c), &["configure"]),
        after(on(c.one(Role::HiveMetastore), "hive-schema", |ms| vec![metastore_schema(c, ms)]), &["databases"]),
        after(
            on(c.one(Role::HiveMetastore), "hive-metastore", |ms| {
                vec![start(c, ms, Service::HiveMetastore), ready(c, ms, Service::HiveMetastore)]
            }),
            &["hive-schema"],
        ),
        after(
            on(c.one(Role::HiveServer2), "hiveserver2", |hs2| {
                vec![start(c, hs2, Service::HiveServer2), ready(c, hs2, Service::HiveServer2)]
            }),
            &["hive-metastore", "hdfs-ready"],
        ),
        // NiFi, waited for last in the list's order: one phase at a time, it starts early and
        // its start overlaps the others.
        after(on(nifi, "nifi-ready", |n| vec![ready_within(c, n, Service::Nifi, NIFI_READY_SECONDS)]), &["nifi"]),
    ];
    let every: Vec<String> = phases.iter().map(|p| p.name.clone()).collect();
    phases.push(Phase { after: every, ..cleanup(c, artifacts) });
    runner::retain(phases, |p| !p.hosts.is_empty())
}

/// `p`, coming after the phases named `names`.
fn after(p: Phase, names: &[&str]) -> Phase {
    Phase { after: names.iter().map(|n| n.to_string()).collect(), ..p }
}

/// A phase of no steps yet.
fn named(name: &str) -> Phase {
    Phase { name: name.into(), ..Phase::default() }
}

/// The phase `name` of `steps` on `host`; empty when there is no such host.
fn on(host: Option<&Host>, name: &str, steps: impl FnOnce(&Host) -> Vec<Step>) -> Phase {
    let mut p = named(name);
    if let Some(h) = host {
        p.hosts.insert(h.name.clone(), steps(h));
    }
    p
}

/// Both ZKFCs started, then one NameNode active (only for an HA pair).
fn failover_controllers(c: &Cluster, nns: &[&Host]) -> Phase {
    let mut p = named("failover-controllers");
    if !c.ha() || nns.len() < 2 {
        return p;
    }
    for nn in nns {
        p.hosts.entry(nn.name.clone()).or_default().push(start(c, nn, Service::Zkfc));
    }
    p.hosts.entry(nns[0].name.clone()).or_default().push(wait("one NameNode active", &one_active(nns)));
    p
}

/// Every NodeManager started, then all of them registered with the ResourceManager.
fn nodemanagers(c: &Cluster) -> Phase {
    let Some(rm) = c.one(Role::ResourceManager) else { return named("nodemanagers") };
    let n = c.with_role(Role::NodeManager).count();
    let metrics = format!("http://{}:{}/ws/v1/cluster/metrics", rm.address, rm.ports.resourcemanager_webapp);
    let mut p = start_and_wait(c, "nodemanagers", Role::NodeManager, Service::NodeManager);
    p.hosts.entry(rm.name.clone()).or_default().push(wait(
        &format!("{n} NodeManagers registered"),
        &at_least(&format!("curl -sf --max-time 2 {}", sh_quote(&metrics)), "activeNodes", n),
    ));
    p
}

/// The metastore's and the mart's databases.
fn databases(c: &Cluster) -> Phase {
    let mut p = named("databases");
    if let Some(db) = c.one(Role::MetastoreDb) {
        p.hosts.insert(db.name.clone(), metastore_db(c, db));
    }
    if let Some(db) = c.one(Role::MartDb) {
        p.hosts.insert(db.name.clone(), mart_db(c, db));
    }
    p
}

/// Seconds NiFi gets to answer after its start.
const NIFI_READY_SECONDS: u32 = 600;

/// The phases of `down`, one after another: every supervised daemon stopped, in the reverse of
/// the start order; with `purge`, every host's state removed too (only where each host is a
/// folder).
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
    runner::retain(runner::in_order(phases), |p| !p.hosts.is_empty())
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
        inventory("local.toml")
    }

    /// The inventory `name` of inventory/, rendered.
    fn inventory(name: &str) -> (Cluster, Tree) {
        let c = crate::inventory::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory").join(name)).unwrap();
        let tree = rendered(&c);
        (c, tree)
    }

    /// The files of `c`.
    fn rendered(c: &Cluster) -> Tree {
        let secrets = Secrets {
            metastore_root_password: "r".into(),
            metastore_password: "a".into(),
            mart_password: "b".into(),
            nifi_sensitive_key: "c".into(),
        };
        crate::desired::render(c, &secrets)
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

    /// Every phase that `name` comes after, directly or not.
    fn ancestors(phases: &[Phase], name: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut todo = vec![name.to_string()];
        while let Some(n) = todo.pop() {
            let p = phases.iter().find(|p| p.name == n).unwrap_or_else(|| panic!("no phase {n}"));
            for a in &p.after {
                if out.insert(a.clone()) {
                    todo.push(a.clone());
                }
            }
        }
        out
    }

    #[test]
    fn phases_follow_the_ha_bootstrap_order_and_independent_chains_do_not_wait_for_each_other() {
        // The eight machines: every phase there is, the os phase and the cleanup included.
        let (c, tree) = inventory("machines.toml");
        let artifacts = crate::artifacts::needed(&c, Path::new("/nonexistent"));
        let phases = up(&c, &tree, &artifacts, None);
        for (i, p) in phases.iter().enumerate() {
            for a in &p.after {
                assert!(phases[..i].iter().any(|q| &q.name == a), "{} comes after {a}, which is not before it", p.name);
            }
        }
        let chain = [
            "os",
            "prepare",
            "configure",
            "journalnodes",
            "format",
            "namenode",
            "standby-namenode",
            "failover-controllers",
            "hdfs-ready",
            "hiveserver2",
        ];
        for w in chain.windows(2) {
            assert!(ancestors(&phases, w[1]).contains(w[0]), "{} does not wait for {}", w[1], w[0]);
        }
        for (phase, needs) in [
            ("failover-controllers", "format-zookeeper"),
            ("format-zookeeper", "zookeeper"),
            ("hdfs-ready", "datanodes"),
            ("nodemanagers", "resourcemanager"),
            ("hive-metastore", "hive-schema"),
            ("hiveserver2", "hdfs-ready"),
            ("hive-schema", "databases"),
            ("nifi-ready", "nifi"),
        ] {
            assert!(ancestors(&phases, phase).contains(needs), "{phase} does not wait for {needs}");
        }
        for (phase, free_of) in [
            ("databases", "namenode"),
            ("hive-schema", "zookeeper"),
            ("resourcemanager", "namenode"),
            ("nodemanagers", "databases"),
            ("nifi", "zookeeper"),
            ("datanodes", "journalnodes"),
            ("hive-metastore", "namenode"),
        ] {
            assert!(!ancestors(&phases, phase).contains(free_of), "{phase} waits for {free_of}");
        }
        let last = phases.last().unwrap();
        assert_eq!(last.name, "cleanup");
        assert_eq!(ancestors(&phases, "cleanup").len(), phases.len() - 1, "cleanup is not last");
    }

    #[test]
    fn a_cluster_without_nifi_keeps_its_order_through_the_phases_it_lacks() {
        let (mut c, _) = local();
        for h in &mut c.hosts {
            h.roles.retain(|r| *r != Role::Nifi);
        }
        let tree = rendered(&c);
        let phases = up(&c, &tree, &[], None);
        assert!(phases.iter().all(|p| !p.name.starts_with("nifi")));
        for p in &phases {
            assert!(!p.after.iter().any(|a| a.starts_with("nifi")), "{} comes after a phase that is gone", p.name);
        }
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
