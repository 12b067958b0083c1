//! Hadoop's configuration: core-site, hdfs-site, yarn-site and mapred-site as property maps,
//! plus workers, hadoop-env.sh and log4j.properties. Every host running a Hadoop or Hive
//! daemon gets its own copy, with its own bind addresses and NameNode id.

use super::launch::{self, hadoop_jvm_options};
use super::xml::{Properties, props, site_xml};
use super::{Tree, mode};
use crate::context;
use crate::model::{Cluster, Endpoints, Host, Role, Service};

/// Renders Hadoop's files for `host`, if it runs anything that reads them.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
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
    let workers: String = c.with_role(Role::DataNode).map(|h| format!("{}\n", c.endpoint(h))).collect();
    t.add(host, &format!("{conf}/workers"), workers, mode::PUBLIC, &[]);
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

/// yarn-site.xml of `host`.
pub fn yarn_site(c: &Cluster, host: &Host) -> Properties {
    let ip = host.address.to_string();
    let mut p = props([
        ("yarn.nodemanager.aux-services", "mapreduce_shuffle".to_string()),
        ("yarn.nodemanager.vmem-check-enabled", "false".into()),
        ("yarn.nodemanager.resource.memory-mb", c.yarn.nodemanager_memory_mb.to_string()),
        ("yarn.nodemanager.resource.cpu-vcores", c.yarn.nodemanager_vcores.to_string()),
        ("yarn.scheduler.maximum-allocation-mb", c.yarn.nodemanager_memory_mb.to_string()),
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

/// mapred-site.xml of `host`.
pub fn mapred_site(c: &Cluster, host: &Host) -> Properties {
    let env = format!("HADOOP_MAPRED_HOME={}", c.on_host(host, &c.paths.hadoop_home));
    props([
        ("mapreduce.framework.name", "yarn".to_string()),
        ("mapreduce.shuffle.port", host.ports.mapreduce_shuffle.to_string()),
        ("yarn.app.mapreduce.am.env", env.clone()),
        ("mapreduce.map.env", env.clone()),
        ("mapreduce.reduce.env", env),
    ])
}

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
            let heap =
                launch::launch(c, host, *s).command.into_iter().find(|a| a.starts_with("-Xmx")).unwrap_or_default();
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
