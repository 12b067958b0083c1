//! Hadoop's daemons: HDFS (JournalNode, NameNode, its failover controller, DataNode) and YARN
//! (ResourceManager, NodeManager), all run as the Hadoop user from Hadoop's home.

use super::launch::{HadoopDaemon, hadoop_daemon};
use super::{Folder, Probe, Ready, Spec, folder};
use crate::catalog::Product;
use crate::model::{Cluster, Port, Service};

/// No folders of its own (Hadoop's logs and temporary folder are made for every Hadoop daemon).
fn none(_: &Cluster) -> Vec<Folder> {
    Vec::new()
}

/// An HDFS JournalNode.
pub(super) const JOURNALNODE: Spec = Spec {
    unit: "hdfs-journalnode",
    runs_from: &[Product::Hadoop],
    user: |u| &u.hadoop,
    ports: |_| &[Port::JournalnodeRpc, Port::JournalnodeHttp],
    folders: |c| vec![folder(&c.paths.journalnode_dir, 0o750, &c.users.hadoop)],
    launch: |c, h| {
        let d = HadoopDaemon {
            service: Service::JournalNode,
            proc_name: "journalnode",
            class: "org.apache.hadoop.hdfs.qjournal.server.JournalNode",
            heap: c.heaps.journalnode,
            after: vec![],
            description: "HDFS JournalNode",
        };
        hadoop_daemon(c, h, d)
    },
    ready: |h| Ready {
        what: "JournalNode answering".into(),
        probe: Probe::Jmx {
            address: format!("{}:{}", h.address, h.ports.journalnode_http),
            bean: "Hadoop:service=JournalNode,name=JvmMetrics",
        },
    },
};

/// An HDFS NameNode.
pub(super) const NAMENODE: Spec = Spec {
    unit: "hdfs-namenode",
    runs_from: &[Product::Hadoop],
    user: |u| &u.hadoop,
    ports: |_| &[Port::NamenodeRpc, Port::NamenodeHttp],
    folders: |c| vec![folder(&c.paths.namenode_dir, 0o750, &c.users.hadoop)],
    launch: |c, h| {
        let d = HadoopDaemon {
            service: Service::NameNode,
            proc_name: "namenode",
            class: "org.apache.hadoop.hdfs.server.namenode.NameNode",
            heap: c.heaps.namenode,
            after: vec![],
            description: "HDFS NameNode",
        };
        hadoop_daemon(c, h, d)
    },
    ready: |h| Ready {
        what: format!("NameNode {} answering", h.name),
        probe: Probe::NameNode { address: format!("{}:{}", h.address, h.ports.namenode_http) },
    },
};

/// The ZKFailoverController beside each NameNode of an HA pair.
pub(super) const ZKFC: Spec = Spec {
    unit: "hdfs-zkfc",
    runs_from: &[Product::Hadoop],
    user: |u| &u.hadoop,
    ports: |_| &[Port::Zkfc],
    folders: none,
    launch: |c, h| {
        let d = HadoopDaemon {
            service: Service::Zkfc,
            proc_name: "zkfc",
            class: "org.apache.hadoop.hdfs.tools.DFSZKFailoverController",
            heap: c.heaps.zkfc,
            after: vec![Service::NameNode],
            description: "HDFS ZKFailoverController",
        };
        hadoop_daemon(c, h, d)
    },
    ready: |h| Ready {
        what: "ZKFC listening".into(),
        probe: Probe::Listening { address: format!("{}:{}", h.address, h.ports.zkfc) },
    },
};

/// An HDFS DataNode.
pub(super) const DATANODE: Spec = Spec {
    unit: "hdfs-datanode",
    runs_from: &[Product::Hadoop],
    user: |u| &u.hadoop,
    ports: |_| &[Port::Datanode, Port::DatanodeHttp, Port::DatanodeIpc],
    folders: |c| vec![folder(&c.paths.datanode_dir, 0o700, &c.users.hadoop)],
    launch: |c, h| {
        let d = HadoopDaemon {
            service: Service::DataNode,
            proc_name: "datanode",
            class: "org.apache.hadoop.hdfs.server.datanode.DataNode",
            heap: c.heaps.datanode,
            after: vec![],
            description: "HDFS DataNode",
        };
        hadoop_daemon(c, h, d)
    },
    ready: |h| Ready {
        what: "DataNode answering".into(),
        probe: Probe::Jmx {
            address: format!("{}:{}", h.address, h.ports.datanode_http),
            bean: "Hadoop:service=DataNode,name=DataNodeInfo",
        },
    },
};

/// The YARN ResourceManager.
pub(super) const RESOURCEMANAGER: Spec = Spec {
    unit: "yarn-resourcemanager",
    runs_from: &[Product::Hadoop],
    user: |u| &u.hadoop,
    ports: |_| {
        &[
            Port::Resourcemanager,
            Port::ResourcemanagerScheduler,
            Port::ResourcemanagerTracker,
            Port::ResourcemanagerAdmin,
            Port::ResourcemanagerWebapp,
        ]
    },
    folders: none,
    launch: |c, h| {
        let d = HadoopDaemon {
            service: Service::ResourceManager,
            proc_name: "resourcemanager",
            class: "org.apache.hadoop.yarn.server.resourcemanager.ResourceManager",
            heap: c.heaps.resourcemanager,
            after: vec![],
            description: "YARN ResourceManager",
        };
        hadoop_daemon(c, h, d)
    },
    ready: |h| Ready {
        what: "ResourceManager started".into(),
        probe: Probe::ResourceManager { address: format!("{}:{}", h.address, h.ports.resourcemanager_webapp) },
    },
};

/// A YARN NodeManager.
pub(super) const NODEMANAGER: Spec = Spec {
    unit: "yarn-nodemanager",
    runs_from: &[Product::Hadoop],
    user: |u| &u.hadoop,
    ports: |_| &[Port::Nodemanager, Port::NodemanagerLocalizer, Port::NodemanagerWebapp, Port::MapreduceShuffle],
    folders: |c| {
        vec![folder(&c.paths.yarn_local, 0o755, &c.users.hadoop), folder(&c.paths.yarn_logs, 0o755, &c.users.hadoop)]
    },
    launch: |c, h| {
        let d = HadoopDaemon {
            service: Service::NodeManager,
            proc_name: "nodemanager",
            class: "org.apache.hadoop.yarn.server.nodemanager.NodeManager",
            heap: c.heaps.nodemanager,
            after: vec![],
            description: "YARN NodeManager",
        };
        hadoop_daemon(c, h, d)
    },
    ready: |h| Ready {
        what: "NodeManager answering".into(),
        probe: Probe::NodeManager { address: format!("{}:{}", h.address, h.ports.nodemanager_webapp) },
    },
};
