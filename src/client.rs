//! The cluster's own clients, each with the cluster's client configuration: Hadoop's `hdfs`,
//! `yarn` and `mapred` commands and ZooKeeper's `zkCli` run from the layouts on a host that
//! has them (the hosts carry no launcher scripts, so the Java command line is built here as
//! for the daemons); `psql` to the mart runs on this machine. Pure: what to run, not running it.

use std::collections::BTreeMap;

use crate::model::{Cluster, Host, Role, Service};
use crate::services::launch::{Launch, hadoop_tool};

/// A client program `provision client` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tool {
    /// HDFS: dfs, haadmin, dfsadmin, fsck, getconf, version.
    Hdfs,
    /// YARN: application, applicationattempt, container, node, logs, rmadmin.
    Yarn,
    /// MapReduce: job.
    Mapred,
    /// ZooKeeper's command-line client, connected to the quorum.
    #[value(name = "zkCli")]
    ZkCli,
    /// Hive SQL through HiveServer2: statements from `-e SQL` or standard input.
    Hive,
    /// PostgreSQL's psql, connected to the mart as its user.
    Psql,
}

/// Why a client command could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The tool needs a subcommand it does not have.
    #[error("{tool} has no subcommand `{given}`\nhint: use one of: {known}")]
    Subcommand {
        /// The tool.
        tool: &'static str,
        /// What was given.
        given: String,
        /// The subcommands it has.
        known: String,
    },
    /// The cluster has no host for the tool.
    #[error("{tool} needs a host with the role \"{role}\", and this inventory has none")]
    NoHost {
        /// The tool.
        tool: &'static str,
        /// The role.
        role: &'static str,
    },
}

/// How one client runs.
#[derive(Debug, Clone)]
pub enum Invocation {
    /// A Java tool on a host of the cluster.
    OnHost {
        /// The host it runs on.
        host: String,
        /// How it runs there.
        launch: Launch,
    },
    /// Hive SQL sent from this machine to HiveServer2 at `address:port`.
    Hive {
        /// HiveServer2's `address:port`.
        address: String,
    },
    /// `psql` on this machine: the program and its arguments (the password goes in
    /// `PGPASSWORD`, never on the command line).
    Psql(Vec<String>),
}

/// `hdfs` subcommands and their main classes, as Hadoop's own `hdfs` script maps them.
const HDFS: &[(&str, &str)] = &[
    ("dfs", "org.apache.hadoop.fs.FsShell"),
    ("haadmin", "org.apache.hadoop.hdfs.tools.DFSHAAdmin"),
    ("dfsadmin", "org.apache.hadoop.hdfs.tools.DFSAdmin"),
    ("fsck", "org.apache.hadoop.hdfs.tools.DFSck"),
    ("getconf", "org.apache.hadoop.hdfs.tools.GetConf"),
    ("version", "org.apache.hadoop.util.VersionInfo"),
];

/// `yarn` subcommands, their main classes, and whether the class reads the subcommand as its
/// first argument (as Hadoop's `yarn` script passes it).
const YARN: &[(&str, &str, bool)] = &[
    ("application", "org.apache.hadoop.yarn.client.cli.ApplicationCLI", true),
    ("applicationattempt", "org.apache.hadoop.yarn.client.cli.ApplicationCLI", true),
    ("container", "org.apache.hadoop.yarn.client.cli.ApplicationCLI", true),
    ("node", "org.apache.hadoop.yarn.client.cli.NodeCLI", false),
    ("logs", "org.apache.hadoop.yarn.client.cli.LogsCLI", false),
    ("rmadmin", "org.apache.hadoop.yarn.client.cli.RMAdminCLI", false),
];

/// `mapred` subcommands and their main classes.
const MAPRED: &[(&str, &str)] = &[("job", "org.apache.hadoop.mapred.JobClient")];

fn pick<'a, T>(
    tool: &'static str,
    table: &'a [T],
    given: Option<&str>,
    name: fn(&T) -> &str,
) -> Result<&'a T, ClientError> {
    let known = || table.iter().map(name).collect::<Vec<_>>().join(", ");
    let given = given.unwrap_or("");
    table.iter().find(|t| name(t) == given).ok_or_else(|| ClientError::Subcommand {
        tool,
        given: given.to_string(),
        known: known(),
    })
}

/// The host Hadoop's clients run on: the first NameNode's (it has Hadoop's configuration).
fn hadoop_host<'a>(c: &'a Cluster, tool: &'static str) -> Result<&'a Host, ClientError> {
    c.one(Role::NameNode).ok_or(ClientError::NoHost { tool, role: "namenode" })
}

/// How `tool` with `args` runs.
pub fn invocation(c: &Cluster, tool: Tool, args: &[String]) -> Result<Invocation, ClientError> {
    let first = args.first().map(String::as_str);
    let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let (host, launch) = match tool {
        Tool::Hdfs => {
            let (_, class) = pick("hdfs", HDFS, first, |t| t.0)?;
            let host = hadoop_host(c, "hdfs")?;
            (host, hadoop_tool(c, host, class, &rest))
        }
        Tool::Yarn => {
            let (sub, class, passes) = pick("yarn", YARN, first, |t| t.0)?;
            let host = hadoop_host(c, "yarn")?;
            let all: Vec<&str> = if *passes { std::iter::once(*sub).chain(rest).collect() } else { rest };
            (host, hadoop_tool(c, host, class, &all))
        }
        Tool::Mapred => {
            let (_, class) = pick("mapred", MAPRED, first, |t| t.0)?;
            let host = hadoop_host(c, "mapred")?;
            (host, hadoop_tool(c, host, class, &rest))
        }
        Tool::ZkCli => {
            let host = c.one(Role::Zookeeper).ok_or(ClientError::NoHost { tool: "zkCli", role: "zookeeper" })?;
            (host, zookeeper_cli(c, host, args))
        }
        Tool::Hive => return Ok(Invocation::Hive { address: hiveserver2(c)? }),
        Tool::Psql => return Ok(Invocation::Psql(psql(c, args)?)),
    };
    Ok(Invocation::OnHost { host: host.name.clone(), launch })
}

/// ZooKeeper's client on `host`, connected to the whole quorum.
fn zookeeper_cli(c: &Cluster, host: &Host, args: &[String]) -> Launch {
    let at = |p: &str| c.on_host(host, p);
    let (home, conf, logs) = (at(&c.paths.zookeeper_home), at(&c.paths.zookeeper_conf), at(&c.paths.zookeeper_logs));
    let mut command = vec![
        format!("{}/bin/java", c.java_home()),
        "-Xmx128m".to_string(),
        "-Dzookeeper.root.logger=WARN,CONSOLE".to_string(),
        "-cp".to_string(),
        format!("{conf}:{home}/lib/*:{home}/*"),
        "org.apache.zookeeper.ZooKeeperMain".to_string(),
        "-server".to_string(),
        c.zookeeper_quorum(),
    ];
    command.extend(args.iter().cloned());
    Launch {
        service: Service::Zookeeper,
        host: host.name.clone(),
        description: format!("ZooKeeper's client on {}", host.name),
        user: c.users.zookeeper.clone(),
        command,
        env: BTreeMap::from([("JAVA_HOME".to_string(), c.java_home())]),
        workdir: logs.clone(),
        log_dir: logs,
        after: vec![],
    }
}

/// `psql` to the mart: the server's own `psql` on the local topology, else the one on `PATH`.
fn psql(c: &Cluster, args: &[String]) -> Result<Vec<String>, ClientError> {
    let db = c.one(Role::MartDb).ok_or(ClientError::NoHost { tool: "psql", role: "mart-db" })?;
    let program = match c.transport {
        crate::model::Transport::Local => format!("{}/psql", c.postgres_bin()),
        _ => "psql".to_string(),
    };
    let mut out = vec![
        program,
        "-h".into(),
        db.address.to_string(),
        "-p".into(),
        db.ports.postgresql.to_string(),
        "-U".into(),
        c.mart.user.to_string(),
        "-d".into(),
        c.mart.name.to_string(),
    ];
    out.extend(args.iter().cloned());
    Ok(out)
}

/// HiveServer2's `address:port`.
fn hiveserver2(c: &Cluster) -> Result<String, ClientError> {
    let h = c.one(Role::HiveServer2).ok_or(ClientError::NoHost { tool: "hive", role: "hiveserver2" })?;
    Ok(format!("{}:{}", h.address, h.ports.hiveserver2))
}

/// Splits SQL text into statements at `;` outside quotes, dropping empty ones and `--`
/// comment lines.
pub fn statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for line in text.lines() {
        if quote.is_none() && line.trim_start().starts_with("--") {
            continue;
        }
        for ch in line.chars() {
            match (quote, ch) {
                (None, '\'' | '"' | '`') => quote = Some(ch),
                (Some(q), c) if c == q => quote = None,
                (None, ';') => {
                    out.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(ch);
        }
        current.push('\n');
    }
    out.push(current);
    out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// What `provision env` gives a shell: the exports, and the launchers it puts on `PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// Variables to export, in order (`PATH` last, with the launchers' folder first).
    pub exports: Vec<(String, String)>,
    /// The launchers' folder.
    pub bin: std::path::PathBuf,
    /// Each launcher's file name and script.
    pub launchers: Vec<(String, String)>,
}

/// The environment for a shell on this machine: the launchers (one per [`Tool`], each running
/// `binary client -i inventory TOOL`) in `<state_dir>/client/bin`, and on the local topology
/// the Java and Hadoop folders and configuration of the first NameNode's host, so Hadoop tools
/// of the user's own find the cluster too. `path` is the `PATH` to extend.
pub fn environment(c: &Cluster, binary: &str, inventory: &str, path: &str) -> Environment {
    use crate::desired::sh_quote;
    let bin = c.state_dir.join("client/bin");
    let mut exports = Vec::new();
    if let (crate::model::Transport::Local, Some(nn)) = (&c.transport, c.one(Role::NameNode)) {
        exports.push(("JAVA_HOME".to_string(), c.java_home()));
        exports.push(("HADOOP_HOME".to_string(), c.on_host(nn, &c.paths.hadoop_home)));
        exports.push(("HADOOP_CONF_DIR".to_string(), c.on_host(nn, &c.paths.hadoop_conf)));
    }
    let dir = bin.display().to_string();
    exports.push(("PATH".to_string(), if path.is_empty() { dir } else { format!("{dir}:{path}") }));
    let launchers = [
        (Tool::Hdfs, "hdfs"),
        (Tool::Yarn, "yarn"),
        (Tool::Mapred, "mapred"),
        (Tool::ZkCli, "zkCli"),
        (Tool::Hive, "hive"),
        (Tool::Psql, "psql-mart"),
    ]
    .into_iter()
    .map(|(tool, file)| {
        let name = clap::ValueEnum::to_possible_value(&tool).expect("a named tool").get_name().to_string();
        let script = format!(
            "#!/bin/sh\n# Written by `provision env` for cluster {}: the cluster's {name}.\nexec {} client -i {} {} \"$@\"\n",
            c.name,
            sh_quote(binary),
            sh_quote(inventory),
            sh_quote(&name)
        );
        (file.to_string(), script)
    })
    .collect();
    Environment { exports, bin, launchers }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Cluster {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/local.toml");
        crate::inventory::load(&path).unwrap()
    }

    fn words(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The host and Java command line of a tool that runs on a host.
    fn remote(c: &Cluster, tool: Tool, args: &[String]) -> Result<(String, Launch), ClientError> {
        match invocation(c, tool, args)? {
            Invocation::OnHost { host, launch } => Ok((host, launch)),
            other => panic!("{tool:?} runs on this machine: {other:?}"),
        }
    }

    #[test]
    fn hadoop_tools_map_subcommands_to_their_classes() {
        let c = local();
        let r = remote(&c, Tool::Hdfs, &words(&["dfs", "-ls", "/"])).unwrap();
        assert_eq!(r.0, "nn01");
        let cmd = &r.1.command;
        let at = cmd.iter().position(|a| a == "org.apache.hadoop.fs.FsShell").expect("FsShell");
        assert_eq!(&cmd[at + 1..], ["-ls", "/"]);
        let r = remote(&c, Tool::Yarn, &words(&["application", "-list"])).unwrap();
        assert!(r.1.command.ends_with(&words(&[
            "org.apache.hadoop.yarn.client.cli.ApplicationCLI",
            "application",
            "-list"
        ])));
        let r = remote(&c, Tool::Yarn, &words(&["node", "-list"])).unwrap();
        assert!(r.1.command.ends_with(&words(&["org.apache.hadoop.yarn.client.cli.NodeCLI", "-list"])));
        let e = remote(&c, Tool::Hdfs, &words(&["rm", "-r", "/"])).unwrap_err();
        assert!(e.to_string().contains("hdfs has no subcommand `rm`"), "{e}");
        assert!(remote(&c, Tool::Mapred, &[]).is_err());
    }

    #[test]
    fn zkcli_connects_to_the_whole_quorum() {
        let c = local();
        let r = remote(&c, Tool::ZkCli, &words(&["ls", "/"])).unwrap();
        assert!(r.1.command.ends_with(&words(&["-server", &c.zookeeper_quorum(), "ls", "/"])));
    }

    #[test]
    fn psql_never_carries_the_password() {
        let c = local();
        let Invocation::Psql(cmd) = invocation(&c, Tool::Psql, &words(&["-c", "SELECT 1"])).unwrap() else {
            panic!("psql runs on this machine")
        };
        assert!(cmd[0].ends_with("/psql"));
        assert!(cmd.windows(2).any(|w| w == ["-U", "dm_admin"]), "{cmd:?}");
        assert!(!cmd.iter().any(|a| a.to_lowercase().contains("password")), "{cmd:?}");
    }

    #[test]
    fn the_environment_puts_the_launchers_first_on_the_path() {
        let c = local();
        let env = environment(&c, "/usr/bin/provision", "/x/local.toml", "/usr/bin:/bin");
        let get = |k: &str| env.exports.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("PATH"), format!("{}:/usr/bin:/bin", env.bin.display()));
        assert!(get("HADOOP_CONF_DIR").ends_with("hosts/nn01/etc/hadoop"), "{}", get("HADOOP_CONF_DIR"));
        let (_, hdfs) = env.launchers.iter().find(|(n, _)| n == "hdfs").unwrap();
        assert!(hdfs.ends_with("exec '/usr/bin/provision' client -i '/x/local.toml' 'hdfs' \"$@\"\n"), "{hdfs}");
        assert_eq!(env.launchers.len(), 6);
    }

    #[test]
    fn statements_split_outside_quotes() {
        let sql = "-- a comment\nSHOW DATABASES;\nSELECT 'a;b', \"c;d\" FROM t;\n\n;SELECT 1";
        assert_eq!(statements(sql), ["SHOW DATABASES", "SELECT 'a;b', \"c;d\" FROM t", "SELECT 1"]);
        assert!(statements("  \n-- only\n").is_empty());
    }
}
