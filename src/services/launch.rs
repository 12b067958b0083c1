//! How a daemon is launched: an explicit command line (java, JVM options, classpath, main
//! class, arguments), its user and environment, and the pieces the products' launch lines
//! share. The systemd units are rendered from these, and the local topology launches daemons
//! from the same values.

use std::collections::BTreeMap;

use crate::model::{Cluster, Host, Service, UserName};

/// JVM options Hadoop's own launcher adds on Java 17 and later so its reflection keeps working.
const HADOOP_JAVA17_OPENS: &[&str] = &[
    "java.io",
    "java.lang",
    "java.lang.reflect",
    "java.math",
    "java.net",
    "java.text",
    "java.util",
    "java.util.concurrent",
    "java.util.zip",
    "sun.security.util",
    "sun.security.x509",
];

/// Packages Hive 4 opens on Java 17 beyond Hadoop's.
const HIVE_JAVA17_OPENS: &[&str] = &["java.nio", "java.util.concurrent.atomic", "java.util.regex"];

/// Everything needed to start one daemon on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The daemon.
    pub service: Service,
    /// The host it runs on.
    pub host: String,
    /// A one-line description.
    pub description: String,
    /// The OS user it runs as.
    pub user: UserName,
    /// The program and its arguments, exactly as executed.
    pub command: Vec<String>,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// The working directory.
    pub workdir: String,
    /// The folder its logs go to.
    pub log_dir: String,
    /// Services on the same host that must be started first.
    pub after: Vec<Service>,
}

impl Launch {
    /// A word of its command line that no other daemon's has, to recognise its process.
    pub fn marker(&self) -> &str {
        self.command
            .iter()
            .find(|a| a.starts_with(SERVICE_PROPERTY))
            .or_else(|| self.command.last())
            .map_or("", String::as_str)
    }

    /// The command as one line of POSIX sh: in its working directory, with exactly its
    /// environment, as its user, its output appended to `output` (or left on the caller's
    /// stdout and stderr when `None`).
    pub fn shell(&self, output: Option<&str>) -> String {
        let q = crate::desired::sh_quote;
        let env: Vec<String> = ["PATH=/usr/local/bin:/usr/bin:/bin".to_string(), "LANG=C.UTF-8".to_string()]
            .into_iter()
            .chain(self.env.iter().map(|(k, v)| format!("{k}={v}")))
            .map(|e| q(&e))
            .collect();
        let command: Vec<String> = self.command.iter().map(|a| q(a)).collect();
        let redirect = output.map_or(String::new(), |o| format!(" >> {} 2>&1", q(o)));
        format!(
            "cd {} && {}{redirect}",
            q(&self.workdir),
            as_user(&self.user, &format!("exec env -i {} {}", env.join(" "), command.join(" ")))
        )
    }
}

impl Launch {
    /// [`Launch::shell`] in a subshell, for a line that goes on after it: the command's own
    /// line ends by exec'ing its program, which would end the whole line there.
    pub fn subshell(&self) -> String {
        format!("( {} )", self.shell(None))
    }
}

/// Runs the shell words `command` as `user`: directly when that is who runs it, else through
/// setpriv (which execs, so the daemon keeps the pid it was started with).
pub fn as_user(user: &str, command: &str) -> String {
    let u = crate::desired::sh_quote(user);
    let switched = command.replacen("exec ", &format!("exec setpriv --reuid={u} --regid={u} --init-groups -- "), 1);
    let switched = if switched == command {
        format!("setpriv --reuid={u} --regid={u} --init-groups -- {command}")
    } else {
        switched
    };
    format!("if [ \"$(id -un)\" = {u} ]; then {command}; else {switched}; fi")
}

/// The JVM system property that names the daemon in every Java command line.
const SERVICE_PROPERTY: &str = "-Dprovision.service=";

/// JVM options that open Java's modules to `packages` (none before Java 17).
fn opens(java: u8, packages: &[&[&str]]) -> Vec<String> {
    if java < 17 {
        return Vec::new();
    }
    let mut out = vec!["-XX:+IgnoreUnrecognizedVMOptions".to_string()];
    for p in packages.iter().flat_map(|list| list.iter()) {
        let opt = format!("--add-opens=java.base/{p}=ALL-UNNAMED");
        if !out.contains(&opt) {
            out.push(opt);
        }
    }
    out
}

/// The JVM options every Hadoop process gets (also written to hadoop-env.sh as HADOOP_OPTS).
pub fn hadoop_jvm_options(c: &Cluster) -> Vec<String> {
    let mut out = vec!["-Djava.net.preferIPv4Stack=true".to_string()];
    out.extend(opens(c.versions.java, &[HADOOP_JAVA17_OPENS]));
    out
}

/// Hadoop's classpath on `host`, in the order `hadoop classpath` prints it.
pub fn hadoop_classpath(c: &Cluster, host: &Host) -> Vec<String> {
    let home = c.on_host(host, &c.paths.hadoop_home);
    let mut out = vec![c.on_host(host, &c.paths.hadoop_conf)];
    for part in
        ["common/lib/*", "common/*", "hdfs", "hdfs/lib/*", "hdfs/*", "mapreduce/*", "yarn", "yarn/lib/*", "yarn/*"]
    {
        out.push(format!("{home}/share/hadoop/{part}"));
    }
    out
}

pub(super) fn service_property(host: &Host, service: Service) -> String {
    format!("{SERVICE_PROPERTY}{}/{}", host.name, service.name())
}

pub(super) fn java(c: &Cluster) -> String {
    format!("{}/bin/java", c.java_home())
}

pub(super) fn env(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// Hive's classpath: its configuration, its jars, the metastore database's JDBC driver when
/// an OS package provides it, then the cluster's Hadoop.
pub(super) fn hive_classpath(c: &Cluster, host: &Host) -> String {
    let home = c.on_host(host, &c.paths.hive_home);
    let driver = c.hive_jdbc_package().map(|(_, jar)| jar.to_string());
    std::iter::once(c.on_host(host, &c.paths.hive_conf))
        .chain(std::iter::once(format!("{home}/lib/*")))
        .chain(driver)
        .chain(hadoop_classpath(c, host))
        .collect::<Vec<_>>()
        .join(":")
}

/// The environment of Hive's daemons and tools (the schema tool finds its scripts below
/// `METASTORE_HOME`).
pub(super) fn hive_env(c: &Cluster, host: &Host) -> BTreeMap<String, String> {
    let at = |p: &str| c.on_host(host, p);
    env(&[
        ("JAVA_HOME", c.java_home()),
        ("HADOOP_HOME", at(&c.paths.hadoop_home)),
        ("HADOOP_CONF_DIR", at(&c.paths.hadoop_conf)),
        ("HIVE_HOME", at(&c.paths.hive_home)),
        ("METASTORE_HOME", at(&c.paths.hive_home)),
        ("HIVE_CONF_DIR", at(&c.paths.hive_conf)),
    ])
}

/// The JVM options of a command-line tool, which runs for seconds: a small heap, and only the
/// quick compiler and the serial collector, which halve the CPU a run of a few seconds takes.
const TOOL_JVM_OPTIONS: [&str; 3] = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"];

/// A Hive command-line tool (a main class with arguments) run on `host` as the Hive user,
/// with the daemons' classpath and JVM options.
pub fn hive_tool(c: &Cluster, host: &Host, class: &str, args: &[&str]) -> Launch {
    let logs = c.on_host(host, &c.paths.hive_logs);
    let mut command = vec![java(c)];
    command.extend(TOOL_JVM_OPTIONS.map(String::from));
    command.extend(hive_jvm_options(c));
    command.extend([format!("-Dhive.log.dir={logs}"), "-cp".into(), hive_classpath(c, host), class.into()]);
    command.extend(args.iter().map(|a| a.to_string()));
    Launch {
        service: Service::HiveMetastore,
        host: host.name.clone(),
        description: format!("{class} on {}", host.name),
        user: c.users.hive.clone(),
        command,
        env: hive_env(c, host),
        workdir: logs.clone(),
        log_dir: logs,
        after: vec![],
    }
}

/// A Hadoop command-line tool (a main class with arguments) run on `host` as the Hadoop user,
/// with the daemons' classpath and JVM options, logging to the console.
pub fn hadoop_tool(c: &Cluster, host: &Host, class: &str, args: &[&str]) -> Launch {
    let at = |p: &str| c.on_host(host, p);
    let mut command = vec![java(c)];
    command.extend(TOOL_JVM_OPTIONS.map(String::from));
    command.extend(hadoop_jvm_options(c));
    command.extend([
        format!("-Dhadoop.log.dir={}", at(&c.paths.hadoop_logs)),
        format!("-Dhadoop.home.dir={}", at(&c.paths.hadoop_home)),
        "-Dhadoop.root.logger=WARN,console".into(),
        "-cp".into(),
        hadoop_classpath(c, host).join(":"),
        class.into(),
    ]);
    command.extend(args.iter().map(|a| a.to_string()));
    Launch {
        service: Service::NameNode,
        host: host.name.clone(),
        description: format!("{class} on {}", host.name),
        user: c.users.hadoop.clone(),
        command,
        env: env(&[
            ("JAVA_HOME", c.java_home()),
            ("HADOOP_HOME", at(&c.paths.hadoop_home)),
            ("HADOOP_CONF_DIR", at(&c.paths.hadoop_conf)),
        ]),
        workdir: at(&c.paths.hadoop_logs),
        log_dir: at(&c.paths.hadoop_logs),
        after: vec![],
    }
}

/// The JVM options of Hive's daemons (Hadoop's, plus Hive's own opens on Java 17).
pub fn hive_jvm_options(c: &Cluster) -> Vec<String> {
    let mut out = vec!["-Djava.net.preferIPv4Stack=true".to_string()];
    out.extend(opens(c.versions.java, &[HADOOP_JAVA17_OPENS, HIVE_JAVA17_OPENS]));
    if c.versions.java >= 17 {
        // DataNucleus reflects into java.sql's timestamps.
        out.push("--add-opens=java.sql/java.sql=ALL-UNNAMED".into());
    }
    out
}

/// What sets one Hadoop daemon's launch apart from the others'.
pub(super) struct HadoopDaemon {
    /// The daemon.
    pub service: Service,
    /// Its `-Dproc_` name, also in its log file's name.
    pub proc_name: &'static str,
    /// Its main class.
    pub class: &'static str,
    /// Its heap in MiB.
    pub heap: u32,
    /// Daemons on the same host started before it.
    pub after: Vec<Service>,
    /// What it is, e.g. `HDFS NameNode`.
    pub description: &'static str,
}

/// How Hadoop daemon `d` is launched on `host`: Hadoop's own launcher's command line, written out.
pub(super) fn hadoop_daemon(c: &Cluster, host: &Host, d: HadoopDaemon) -> Launch {
    let HadoopDaemon { service, proc_name, class, heap, after, description } = d;
    let at = |p: &str| c.on_host(host, p);
    let logs = at(&c.paths.hadoop_logs);
    let home = at(&c.paths.hadoop_home);
    let log_file = format!("hadoop-{}-{proc_name}-{}.log", c.users.hadoop, host.name);
    let mut command =
        vec![java(c), format!("-Dproc_{proc_name}"), service_property(host, service), format!("-Xmx{heap}m")];
    command.extend(hadoop_jvm_options(c));
    command.extend([
        format!("-Dhadoop.log.dir={logs}"),
        format!("-Dhadoop.log.file={log_file}"),
        format!("-Dhadoop.home.dir={home}"),
        format!("-Dhadoop.id.str={}", c.users.hadoop),
        "-Dhadoop.root.logger=INFO,RFA".into(),
        "-Dhadoop.policy.file=hadoop-policy.xml".into(),
        "-Dhadoop.security.logger=INFO,NullAppender".into(),
    ]);
    if matches!(service, Service::ResourceManager | Service::NodeManager) {
        command.extend([
            format!("-Dyarn.log.dir={logs}"),
            format!("-Dyarn.log.file={log_file}"),
            format!("-Dyarn.home.dir={home}"),
            "-Dyarn.root.logger=INFO,RFA".into(),
        ]);
    }
    command.extend(["-cp".into(), hadoop_classpath(c, host).join(":"), class.into()]);
    let mut vars = vec![
        ("JAVA_HOME", c.java_home()),
        ("HADOOP_HOME", home.clone()),
        ("HADOOP_CONF_DIR", at(&c.paths.hadoop_conf)),
        ("HADOOP_LOG_DIR", logs.clone()),
        ("MALLOC_ARENA_MAX", "4".into()),
    ];
    if service == Service::NodeManager {
        // A container gets these from its NodeManager (yarn.nodemanager.env-whitelist): its
        // classpath (yarn.application.classpath, mapreduce.application.classpath) names its
        // jars below them, as Hadoop's own launcher scripts would have set them.
        for var in ["HADOOP_COMMON_HOME", "HADOOP_HDFS_HOME", "HADOOP_YARN_HOME", "HADOOP_MAPRED_HOME"] {
            vars.push((var, home.clone()));
        }
    }
    Launch {
        service,
        host: host.name.clone(),
        description: format!("{description} on {} of cluster {}", host.name, c.name),
        user: c.users.hadoop.clone(),
        command,
        env: env(&vars),
        workdir: logs.clone(),
        log_dir: logs,
        after,
    }
}
