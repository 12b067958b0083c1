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
            "{}; rc=$?; if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then mkdir -p \"$(dirname {marker})\" && touch {marker}; else exit $rc; fi",
            tool.subshell()
        ),
        unless: Some(format!("[ -f {marker} ]")),
        timeout: Duration::from_secs(180),
    }
}

/// The folders of HDFS its users write to, owned by them: `/tmp` and MapReduce's staging root
/// for everyone (sticky: Hive's scratch folder and every user's jobs need them), Hive's
/// warehouse, and the landing root the pipeline writes as the crawler's user; made once, as
/// HDFS's superuser (the NameNodes' user), through the active NameNode's WebHDFS: a few HTTP
/// requests where HDFS's shell would start a JVM for each command.
pub(super) fn folders(c: &Cluster, nns: &[&Host]) -> Step {
    let (hive, crawler, hadoop): (&str, &str, &str) = (&c.users.hive, &c.users.crawler, &c.users.hadoop);
    let (warehouse, landing) = ("/user/hive", crate::dataset::LANDING_ROOT);
    // MapReduce's staging root, where each user's job client makes its own folder.
    let staging = "/tmp/hadoop-yarn/staging";
    let op = |path: &str, query: &str| {
        format!(
            "curl -sSf --max-time 20 -X PUT -o /dev/null \"$a\"{}",
            sh_quote(&format!("/webhdfs/v1{path}?user.name={hadoop}&{query}"))
        )
    };
    let mut command = vec![active_namenode(nns)];
    command.extend([staging, warehouse, landing].map(|p| op(p, "op=MKDIRS")));
    command.extend(["/tmp", staging].map(|p| op(p, "op=SETPERMISSION&permission=1777")));
    command.push(op(warehouse, &format!("op=SETOWNER&owner={hive}")));
    command.push(op(landing, &format!("op=SETOWNER&owner={crawler}")));
    let stat = |path: &str| {
        let url = sh_quote(&format!("/webhdfs/v1{path}?user.name={hadoop}&op=GETFILESTATUS"));
        let field = |name: &str| format!("sed -n 's/.*\"{name}\" *: *\"\\([^\"]*\\)\".*/\\1/p'");
        format!(
            "s=$(curl -sf --max-time 10 \"$a\"{url}) && echo \"$(echo \"$s\" | {}) $(echo \"$s\" | {})\"",
            field("owner"),
            field("permission")
        )
    };
    let got: Vec<String> = ["/tmp", staging, warehouse, landing].iter().map(|p| stat(p)).collect();
    let want = format!("{hadoop} 1777\n{hadoop} 1777\n{hive} 755\n{crawler} 755");
    Step::Run {
        name: format!("HDFS folders /tmp, {warehouse} ({hive}) and {landing} ({crawler})"),
        command: command.join(" && "),
        unless: Some(format!(
            "{} && [ \"$( {{ {}; }} 2>/dev/null)\" = \"$(printf {})\" ]",
            active_namenode(nns),
            got.join("; "),
            sh_quote(&want)
        )),
        timeout: Duration::from_secs(180),
    }
}

/// Shell that sets `$a` to the web address of the active NameNode among `nns`, or fails.
fn active_namenode(nns: &[&Host]) -> String {
    format!("{{ {}; }} || {{ echo 'no NameNode is active' >&2; exit 1; }}", super::wait::one_active(nns))
}
