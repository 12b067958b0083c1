//! The HA bootstrap's one-time actions: format the first NameNode, bootstrap the standby from
//! it, and format the failover znode in ZooKeeper, each guarded so it runs once.

use std::time::Duration;

use crate::desired::sh_quote;
use crate::engine::steps::Step;
use crate::model::{Cluster, Host};
use crate::services::launch::hadoop_tool;

/// The NameNode's metadata is complete: a VERSION and an image (an interrupted format leaves
/// VERSION without an image, and must be formatted again).
pub(super) fn has_image(c: &Cluster, nn: &Host) -> String {
    let dir = sh_quote(&format!("{}/current", c.on_host(nn, &c.paths.namenode_dir)));
    format!("[ -f {dir}/VERSION ] && ls {dir}/fsimage_* > /dev/null 2>&1")
}

pub(super) fn format_namenode(c: &Cluster, nn: &Host) -> Step {
    let tool = hadoop_tool(
        c,
        nn,
        "org.apache.hadoop.hdfs.server.namenode.NameNode",
        &["-format", "-nonInteractive", "-force", "-clusterId", &c.name],
    );
    let current = sh_quote(&format!("{}/current", c.on_host(nn, &c.paths.namenode_dir)));
    Step::Run {
        name: format!("format NameNode {}", nn.name),
        command: format!("rm -rf {current} && {}", tool.shell(None)),
        unless: Some(has_image(c, nn)),
        timeout: Duration::from_secs(180),
    }
}

pub(super) fn bootstrap_standby(c: &Cluster, nn: &Host) -> Step {
    let tool = hadoop_tool(
        c,
        nn,
        "org.apache.hadoop.hdfs.server.namenode.NameNode",
        &["-bootstrapStandby", "-nonInteractive", "-force"],
    );
    let current = sh_quote(&format!("{}/current", c.on_host(nn, &c.paths.namenode_dir)));
    Step::Run {
        name: format!("bootstrap standby NameNode {}", nn.name),
        command: format!("rm -rf {current} && {}", tool.shell(None)),
        unless: Some(has_image(c, nn)),
        timeout: Duration::from_secs(180),
    }
}

/// `zkfc -formatZK -nonInteractive` once; exit 2 means ZooKeeper already has the znode.
pub(super) fn format_zk(c: &Cluster, nn: &Host) -> Step {
    let tool =
        hadoop_tool(c, nn, "org.apache.hadoop.hdfs.tools.DFSZKFailoverController", &["-formatZK", "-nonInteractive"]);
    let marker = sh_quote(&format!("{}/zkfc-formatted", c.on_host(nn, &c.paths.provision_state)));
    Step::Run {
        name: "format the failover znode in ZooKeeper".into(),
        command: format!(
            "( {} ); rc=$?; if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then mkdir -p \"$(dirname {marker})\" && touch {marker}; else exit $rc; fi",
            tool.shell(None)
        ),
        unless: Some(format!("[ -f {marker} ]")),
        timeout: Duration::from_secs(180),
    }
}
