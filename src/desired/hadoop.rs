//! Hadoop's configuration: core-site, hdfs-site, yarn-site and mapred-site as property maps,
//! plus workers, hadoop-env.sh and log4j.properties. Every host running a Hadoop or Hive
//! daemon gets its own copy, with its own bind addresses and NameNode id.

use super::xml::{Properties, props, site_xml};
use super::{Shared, Tree, mode};
use crate::context;
use crate::model::{Cluster, Endpoints, Host, Role, Service};
use crate::services::launch::{hadoop_jvm_options, hive_jvm_options};

/// Hadoop's workers file: every DataNode's endpoint, one a line (the same on every host).
pub(super) fn workers(c: &Cluster) -> String {
    c.with_role(Role::DataNode).map(|h| format!("{}\n", c.endpoint(h))).collect()
}

/// Renders Hadoop's files for `host`, if it runs anything that reads them.
pub(super) fn render(c: &Cluster, host: &Host, shared: &Shared, t: &mut Tree) {
    if !c.needs_hadoop(host) {
        return;
    }
    let conf = &c.paths.hadoop_conf;
    let services = c.services(host);
    let hadoop_services: Vec<Service> = services.iter().copied().filter(|s| s.is_hadoop()).collect();
    let readers: Vec<Service> = services.iter().copied().filter(|s| s.is_hadoop() || s.is_hive()).collect();
    t.add(host, &format!("{conf}/core-site.xml"), site_xml(&core_site(c, host)), mode::PUBLIC, &readers);
    t.add(host, &format!("{conf}/hdfs-site.xml"), site_xml(&hdfs_site(c, host)), mode::PUBLIC, &readers);
    t.add(host, &format!("{conf}/yarn-site.xml"), site_xml(&yarn_site(c, host)), mode::PUBLIC, &readers);
    t.add(host, &format!("{conf}/mapred-site.xml"), site_xml(&mapred_site(c, host)), mode::PUBLIC, &readers);
    t.add(host, &format!("{conf}/workers"), shared.workers.clone(), mode::PUBLIC, &[]);
    t.add(host, &format!("{conf}/hadoop-env.sh"), hadoop_env(c, host), mode::PUBLIC, &hadoop_services);
    if host.has(Role::ResourceManager) {
        let path = format!("{conf}/capacity-scheduler.xml");
        t.add(host, &path, site_xml(&capacity_scheduler()), mode::PUBLIC, &[Service::ResourceManager]);
    }
    let log4j = super::templates::render("log4j.properties", &context! {"host" => host.name, "cluster" => c.name});
    t.add(host, &format!("{conf}/log4j.properties"), log4j, mode::PUBLIC, &readers);
}

/// core-site.xml of `host`.
pub fn core_site(c: &Cluster, host: &Host) -> Properties {
    let mut p = props([
        ("fs.defaultFS", c.default_fs()),
        ("hadoop.tmp.dir", c.on_host(host, &c.paths.hadoop_tmp)),
        (&*format!("hadoop.proxyuser.{}.hosts", c.users.hive), "*".to_string()),
        (&*format!("hadoop.proxyuser.{}.groups", c.users.hive), "*".to_string()),
    ]);
    if c.ha() {
        p.insert("ha.zookeeper.quorum".into(), c.zookeeper_quorum());
    }
    p
}

/// hdfs-site.xml of `host`: the cluster-wide HA keys, then what only this host binds.
pub fn hdfs_site(c: &Cluster, host: &Host) -> Properties {
    let ip = host.address.to_string();
    let mut p = props([
        ("dfs.replication", c.hdfs.replication.to_string()),
        ("dfs.client.use.datanode.hostname", "true".into()),
        ("dfs.datanode.use.datanode.hostname", "true".into()),
        ("dfs.permissions.superusergroup", c.users.hadoop.to_string()),
    ]);
    if c.endpoints == Endpoints::Address {
        p.insert("dfs.namenode.datanode.registration.ip-hostname-check".into(), "false".into());
    }
    match &c.hdfs.nameservice {
        Some(ns) => {
            let namenodes: Vec<&Host> = c.with_role(Role::NameNode).collect();
            let ids: Vec<&str> = namenodes.iter().map(|h| h.name.as_str()).collect();
            p.insert("dfs.nameservices".into(), ns.clone());
            p.insert(format!("dfs.ha.namenodes.{ns}"), ids.join(","));
            for nn in &namenodes {
                p.insert(
                    format!("dfs.namenode.rpc-address.{ns}.{}", nn.name),
                    c.endpoint_port(nn, nn.ports.namenode_rpc),
                );
                p.insert(
                    format!("dfs.namenode.http-address.{ns}.{}", nn.name),
                    c.endpoint_port(nn, nn.ports.namenode_http),
                );
            }
            let journals: Vec<String> =
                c.with_role(Role::JournalNode).map(|h| c.endpoint_port(h, h.ports.journalnode_rpc)).collect();
            p.insert("dfs.namenode.shared.edits.dir".into(), format!("qjournal://{}/{ns}", journals.join(";")));
            p.insert(
                format!("dfs.client.failover.proxy.provider.{ns}"),
                "org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider".into(),
            );
            p.insert("dfs.ha.fencing.methods".into(), c.hdfs.fencing.join("\n"));
            p.insert("dfs.ha.automatic-failover.enabled".into(), "true".into());
            p.insert("dfs.ha.zkfc.port".into(), host.ports.zkfc.to_string());
            if host.has(Role::NameNode) {
                p.insert("dfs.ha.namenode.id".into(), host.name.clone());
            }
        }
        None => {
            if let Some(nn) = c.one(Role::NameNode) {
                p.insert("dfs.namenode.rpc-address".into(), c.endpoint_port(nn, nn.ports.namenode_rpc));
                p.insert("dfs.namenode.http-address".into(), c.endpoint_port(nn, nn.ports.namenode_http));
            }
        }
    }
    if host.has(Role::NameNode) {
        p.insert("dfs.namenode.name.dir".into(), format!("file://{}", c.on_host(host, &c.paths.namenode_dir)));
        p.insert("dfs.namenode.rpc-bind-host".into(), ip.clone());
        p.insert("dfs.namenode.http-bind-host".into(), ip.clone());
    }
    if host.has(Role::JournalNode) {
        p.insert("dfs.journalnode.edits.dir".into(), c.on_host(host, &c.paths.journalnode_dir));
        p.insert("dfs.journalnode.rpc-address".into(), format!("{ip}:{}", host.ports.journalnode_rpc));
        p.insert("dfs.journalnode.http-address".into(), format!("{ip}:{}", host.ports.journalnode_http));
    }
    if host.has(Role::DataNode) {
        p.insert("dfs.datanode.data.dir".into(), format!("file://{}", c.on_host(host, &c.paths.datanode_dir)));
        p.insert("dfs.datanode.address".into(), format!("{ip}:{}", host.ports.datanode));
        p.insert("dfs.datanode.http.address".into(), format!("{ip}:{}", host.ports.datanode_http));
        p.insert("dfs.datanode.ipc.address".into(), format!("{ip}:{}", host.ports.datanode_ipc));
        p.insert("dfs.datanode.hostname".into(), c.endpoint(host));
    }
    p
}

/// How YARN's containers are sized on a cluster whose NodeManagers each offer `memory_mb` and
/// `vcores`: Hadoop's defaults (an ApplicationMaster of 1536 MB, tasks of 1024 MB, containers
/// granted in steps of 1024 MB) ask for more than a small NodeManager has, so every size is
/// derived from one NodeManager, with the ApplicationMaster and a map task fitting in it
/// together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerSizes {
    /// The smallest container the scheduler grants, and the step it rounds requests up to (MB).
    pub minimum_mb: u32,
    /// The largest container: one whole NodeManager (MB).
    pub maximum_mb: u32,
    /// The most vcores a container may ask for: one NodeManager's.
    pub maximum_vcores: u32,
    /// The MapReduce ApplicationMaster's container (MB).
    pub am_mb: u32,
    /// A map task's container (MB).
    pub map_mb: u32,
    /// A reduce task's container (MB).
    pub reduce_mb: u32,
}

impl ContainerSizes {
    /// The sizes for NodeManagers of `memory_mb` and `vcores`.
    pub fn of(memory_mb: u32, vcores: u32) -> ContainerSizes {
        // An eighth of a NodeManager in whole 128 MB, from 128 MB to 512 MB (so that Hadoop's
        // 1536 MB ApplicationMaster of a large NodeManager is still a whole number of steps).
        let minimum_mb = (memory_mb / 8 / 128 * 128).clamp(128, 512);
        let step = |mb: u32| (mb / minimum_mb * minimum_mb).max(minimum_mb);
        // Half a NodeManager, at most Hadoop's 1536 MB; a task three eighths, at most its 1024 MB:
        // together seven eighths of one NodeManager, whatever its size.
        let am_mb = step((memory_mb / 2).min(1536));
        let map_mb = step((memory_mb * 3 / 8).min(1024));
        ContainerSizes { minimum_mb, maximum_mb: memory_mb, maximum_vcores: vcores, am_mb, map_mb, reduce_mb: map_mb }
    }

    /// The Java heap of a container of `container_mb`: 80%, the rest for the JVM's own memory
    /// (metaspace, threads, buffers), which the NodeManager counts too.
    pub fn heap_mb(container_mb: u32) -> u32 {
        container_mb * 4 / 5
    }

    /// The map side's sort buffer, which lives in the map task's heap: Hadoop's 100 MB, or
    /// half the heap when that is less.
    pub fn sort_mb(&self) -> u32 {
        (Self::heap_mb(self.map_mb) / 2).min(100)
    }
}

/// The sizes of `c`'s containers.
pub fn container_sizes(c: &Cluster) -> ContainerSizes {
    ContainerSizes::of(c.yarn.nodemanager_memory_mb, c.yarn.nodemanager_vcores)
}

/// yarn-site.xml of `host`.
pub fn yarn_site(c: &Cluster, host: &Host) -> Properties {
    let ip = host.address.to_string();
    let sizes = container_sizes(c);
    let mut p = props([
        ("yarn.nodemanager.aux-services", "mapreduce_shuffle".to_string()),
        ("yarn.nodemanager.vmem-check-enabled", "false".into()),
        ("yarn.nodemanager.resource.memory-mb", c.yarn.nodemanager_memory_mb.to_string()),
        ("yarn.nodemanager.resource.cpu-vcores", c.yarn.nodemanager_vcores.to_string()),
        // Requests are rounded up to multiples of the minimum: Hadoop's 1024 MB would make every
        // container of a small NodeManager a whole one.
        ("yarn.scheduler.minimum-allocation-mb", sizes.minimum_mb.to_string()),
        // No container larger than one NodeManager (Hadoop's 8192 MB could never be placed).
        ("yarn.scheduler.maximum-allocation-mb", sizes.maximum_mb.to_string()),
        ("yarn.scheduler.minimum-allocation-vcores", "1".into()),
        // No container with more vcores than one NodeManager has (Hadoop's is 4).
        ("yarn.scheduler.maximum-allocation-vcores", sizes.maximum_vcores.to_string()),
        (
            "yarn.nodemanager.env-whitelist",
            "JAVA_HOME,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_CONF_DIR,CLASSPATH_PREPEND_DISTCACHE,HADOOP_YARN_HOME,HADOOP_HOME,PATH,LANG,TZ,HADOOP_MAPRED_HOME".into(),
        ),
    ]);
    if let Some(rm) = c.one(Role::ResourceManager) {
        p.insert("yarn.resourcemanager.hostname".into(), c.endpoint(rm));
        for (key, port) in [
            ("address", rm.ports.resourcemanager),
            ("scheduler.address", rm.ports.resourcemanager_scheduler),
            ("resource-tracker.address", rm.ports.resourcemanager_tracker),
            ("admin.address", rm.ports.resourcemanager_admin),
            ("webapp.address", rm.ports.resourcemanager_webapp),
        ] {
            p.insert(format!("yarn.resourcemanager.{key}"), c.endpoint_port(rm, port));
        }
    }
    if host.has(Role::ResourceManager) {
        p.insert("yarn.resourcemanager.bind-host".into(), ip.clone());
    }
    if host.has(Role::NodeManager) {
        p.insert("yarn.nodemanager.hostname".into(), c.endpoint(host));
        p.insert("yarn.nodemanager.bind-host".into(), ip.clone());
        p.insert("yarn.nodemanager.address".into(), c.endpoint_port(host, host.ports.nodemanager));
        p.insert("yarn.nodemanager.localizer.address".into(), c.endpoint_port(host, host.ports.nodemanager_localizer));
        p.insert("yarn.nodemanager.webapp.address".into(), c.endpoint_port(host, host.ports.nodemanager_webapp));
        p.insert("yarn.nodemanager.local-dirs".into(), c.on_host(host, &c.paths.yarn_local));
        p.insert("yarn.nodemanager.log-dirs".into(), c.on_host(host, &c.paths.yarn_logs));
    }
    p
}

/// capacity-scheduler.xml: one queue, `default`, with the whole cluster.
pub fn capacity_scheduler() -> Properties {
    props([
        ("yarn.scheduler.capacity.root.queues", "default"),
        ("yarn.scheduler.capacity.root.default.capacity", "100"),
        ("yarn.scheduler.capacity.root.default.maximum-capacity", "100"),
        ("yarn.scheduler.capacity.root.default.state", "RUNNING"),
        ("yarn.scheduler.capacity.maximum-am-resource-percent", "0.5"),
        (
            "yarn.scheduler.capacity.resource-calculator",
            "org.apache.hadoop.yarn.util.resource.DefaultResourceCalculator",
        ),
    ])
}

/// mapred-site.xml of `host`: the MapReduce client's settings (the job's containers run
/// with what the submitting host's copy says).
pub fn mapred_site(c: &Cluster, host: &Host) -> Properties {
    let sizes = container_sizes(c);
    // Hadoop's own JVM options (on Java 17 the same --add-opens as the daemons'; Hive's, whose
    // tasks deserialise their plan by reflection, where Hive submits them) with a heap of 80%
    // of the container.
    let options = if host.runs_hive() { hive_jvm_options(c) } else { hadoop_jvm_options(c) };
    let java = |container_mb: u32| {
        std::iter::once(format!("-Xmx{}m", ContainerSizes::heap_mb(container_mb)))
            .chain(options.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    props([
        ("mapreduce.framework.name", "yarn".to_string()),
        ("mapreduce.shuffle.port", host.ports.mapreduce_shuffle.to_string()),
        // The framework's jars as a container finds them: below the HADOOP_MAPRED_HOME of the
        // NodeManager it runs on (passed on through yarn.nodemanager.env-whitelist), where
        // Hadoop's layout keeps them. Hadoop's default names no folder at all.
        ("mapreduce.application.classpath", MAPREDUCE_CLASSPATH.into()),
        // Hadoop's 1536 MB ApplicationMaster and 1024 MB tasks do not fit a small NodeManager.
        ("yarn.app.mapreduce.am.resource.mb", sizes.am_mb.to_string()),
        ("yarn.app.mapreduce.am.command-opts", java(sizes.am_mb)),
        ("mapreduce.map.memory.mb", sizes.map_mb.to_string()),
        ("mapreduce.map.java.opts", java(sizes.map_mb)),
        ("mapreduce.reduce.memory.mb", sizes.reduce_mb.to_string()),
        ("mapreduce.reduce.java.opts", java(sizes.reduce_mb)),
        // The sort buffer is allocated in the map's heap, which may be smaller than Hadoop's 100 MB.
        ("mapreduce.task.io.sort.mb", sizes.sort_mb().to_string()),
    ])
}

/// Where a container finds the MapReduce framework, in Hadoop's layout.
const MAPREDUCE_CLASSPATH: &str =
    "$HADOOP_MAPRED_HOME/share/hadoop/mapreduce/*,$HADOOP_MAPRED_HOME/share/hadoop/mapreduce/lib/*";

/// hadoop-env.sh of `host`: the same JVM options and heaps as the service units.
fn hadoop_env(c: &Cluster, host: &Host) -> String {
    #[derive(serde::Serialize)]
    struct Daemon {
        var: &'static str,
        opts: String,
    }
    let vars = [
        (Service::NameNode, "HDFS_NAMENODE_OPTS"),
        (Service::Zkfc, "HDFS_ZKFC_OPTS"),
        (Service::JournalNode, "HDFS_JOURNALNODE_OPTS"),
        (Service::DataNode, "HDFS_DATANODE_OPTS"),
        (Service::ResourceManager, "YARN_RESOURCEMANAGER_OPTS"),
        (Service::NodeManager, "YARN_NODEMANAGER_OPTS"),
    ];
    let services = c.services(host);
    let daemons: Vec<Daemon> = vars
        .iter()
        .filter(|(s, _)| services.contains(s))
        .map(|(s, var)| {
            let heap = crate::services::launch(c, host, *s)
                .command
                .into_iter()
                .find(|a| a.starts_with("-Xmx"))
                .unwrap_or_default();
            Daemon { var, opts: heap }
        })
        .collect();
    super::templates::render(
        "hadoop-env.sh",
        &context! {
            "host" => host.name,
            "cluster" => c.name,
            "java_home" => c.java_home(),
            "hadoop_home" => c.on_host(host, &c.paths.hadoop_home),
            "hadoop_conf" => c.on_host(host, &c.paths.hadoop_conf),
            "hadoop_logs" => c.on_host(host, &c.paths.hadoop_logs),
            "hadoop_pids" => c.on_host(host, &format!("{}/run", c.paths.hadoop_logs)),
            "hadoop_opts" => hadoop_jvm_options(c).join(" "),
            "daemons" => daemons,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_master_and_a_map_task_fit_in_one_nodemanager() {
        for (memory, vcores) in [(512, 1), (1024, 1), (2048, 2), (3000, 2), (4096, 4), (8192, 8), (65536, 32)] {
            let s = ContainerSizes::of(memory, vcores);
            assert!(s.am_mb + s.map_mb <= memory, "{memory} MB: {s:?}");
            assert_eq!(s.maximum_mb, memory);
            assert_eq!(s.maximum_vcores, vcores);
            for mb in [s.am_mb, s.map_mb, s.reduce_mb] {
                assert!(mb >= s.minimum_mb && mb % s.minimum_mb == 0, "{memory} MB: {mb} is no step of {s:?}");
                assert!(mb <= s.maximum_mb, "{memory} MB: {s:?}");
            }
            assert!(ContainerSizes::heap_mb(s.map_mb) > s.sort_mb(), "{memory} MB: {s:?}");
        }
    }

    #[test]
    fn small_nodemanagers_get_small_containers_and_large_ones_hadoops_defaults() {
        let at = |memory| {
            let s = ContainerSizes::of(memory, 1);
            (s.minimum_mb, s.am_mb, s.map_mb)
        };
        assert_eq!(at(1024), (128, 512, 384));
        assert_eq!(at(2048), (256, 1024, 768));
        assert_eq!(at(8192), (512, 1536, 1024));
        assert_eq!(ContainerSizes::heap_mb(512), 409);
        assert_eq!(ContainerSizes::of(8192, 1).sort_mb(), 100);
    }

    #[test]
    fn the_client_configuration_asks_for_what_the_nodemanagers_offer() {
        let c =
            crate::inventory::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/local.toml")))
                .unwrap();
        let nm = c.one(Role::NodeManager).unwrap();
        let rm = c.one(Role::ResourceManager).unwrap();
        let yarn = yarn_site(&c, nm);
        let mapred = mapred_site(&c, rm);
        let mb = |p: &Properties, k: &str| p[k].parse::<u32>().unwrap();
        let offered = mb(&yarn, "yarn.nodemanager.resource.memory-mb");
        assert_eq!(offered, 1024);
        assert!(mb(&mapred, "yarn.app.mapreduce.am.resource.mb") + mb(&mapred, "mapreduce.map.memory.mb") <= offered);
        assert!(mb(&mapred, "mapreduce.reduce.memory.mb") <= mb(&yarn, "yarn.scheduler.maximum-allocation-mb"));
        assert_eq!(yarn["yarn.scheduler.maximum-allocation-vcores"], "1");
        let am_opts = &mapred["yarn.app.mapreduce.am.command-opts"];
        assert!(am_opts.starts_with("-Xmx409m ") && am_opts.contains("--add-opens=java.base/java.lang=ALL-UNNAMED"));
        assert!(mapred["mapreduce.map.java.opts"].starts_with("-Xmx307m "));
        assert!(mapred["mapreduce.application.classpath"].contains("$HADOOP_MAPRED_HOME/share/hadoop/mapreduce/*"));
    }
}
