//! What `up` and `down` do, as ordered phases of steps per host, built from the cluster and its
//! rendered files. Pure: nothing here touches a host.
//!
//! `up` follows the HA bootstrap order: ZooKeeper quorum, JournalNodes, format the first
//! NameNode (only when it has no complete image), start it, bootstrap the standby (only when it
//! has none), start it, format the failover znode (once), start both ZKFCs, then DataNodes,
//! YARN and the databases. Every action has a guard, so a second `up` changes nothing and an
//! interrupted one completes when run again.

use std::time::Duration;

use crate::apply::Phase;
use crate::artifacts::{Archive, Artifact};
use crate::catalog::MetastoreDbKind;
use crate::desired::escape::{mysql_str, pg_ident, sql_quote};
use crate::desired::launch::{self, as_user, hadoop_tool};
use crate::desired::{Tree, sh_quote};
use crate::model::{Cluster, Host, Role, Service, Transport};
use crate::steps::{Content, PackageManager, Step, Supervisor};

/// Seconds a daemon gets to become ready.
const READY_SECONDS: u32 = 120;

/// The daemons `up` starts: every service of the host, but NiFi on one machine (there
/// provision's own pipeline stands in for NiFi's flow, and no NiFi release can be fetched
/// from Maven Central).
pub fn supervised(c: &Cluster, host: &Host) -> Vec<Service> {
    c.services(host).into_iter().filter(|s| *s != Service::Nifi || c.transport != Transport::Local).collect()
}

/// The phases of `up`, in order. `artifacts` are the cached layouts the hosts run; `binary`
/// is the `provision` executable the crawler host of remote hosts gets (None on one machine).
pub fn up(c: &Cluster, tree: &Tree, artifacts: &[Artifact], binary: Option<&Archive>) -> Vec<Phase> {
    let mut phases = Vec::new();
    if c.transport != Transport::Local {
        phases.push(os(c, tree));
    }
    phases.push(prepare(c, artifacts, binary));
    phases.push(configure(c, tree));
    let nns: Vec<&Host> = c.with_role(Role::NameNode).collect();
    phases.push(start_and_wait(c, "zookeeper", Role::Zookeeper, Service::Zookeeper, |c, h| {
        wait("ZooKeeper in the quorum", &zookeeper_in_quorum(c, h))
    }));
    if c.ha() {
        phases.push(start_and_wait(c, "journalnodes", Role::JournalNode, Service::JournalNode, |_, h| {
            wait("JournalNode answering", &http_ok(&format!("http://{}:{}/jmx", h.address, h.ports.journalnode_http)))
        }));
    }
    if let Some(first) = nns.first() {
        phases.push(single("format", first, vec![format_namenode(c, first)]));
        phases.push(single("namenode", first, vec![start(c, first, Service::NameNode), wait_namenode(first)]));
    }
    if let (true, Some(second)) = (c.ha(), nns.get(1)) {
        phases.push(single(
            "standby-namenode",
            second,
            vec![bootstrap_standby(c, second), start(c, second, Service::NameNode), wait_namenode(second)],
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
    phases.push(start_and_wait(c, "datanodes", Role::DataNode, Service::DataNode, |_, h| {
        wait("DataNode answering", &http_ok(&format!("http://{}:{}/jmx", h.address, h.ports.datanode_http)))
    }));
    if let Some(first) = nns.first() {
        let n = c.with_role(Role::DataNode).count();
        phases.push(single("hdfs-ready", first, vec![wait(&format!("{n} live DataNodes"), &live_datanodes(first, n))]));
    }
    if let Some(rm) = c.one(Role::ResourceManager) {
        let url = format!("http://{}:{}/ws/v1/cluster", rm.address, rm.ports.resourcemanager_webapp);
        phases.push(single(
            "resourcemanager",
            rm,
            vec![
                start(c, rm, Service::ResourceManager),
                wait(
                    "ResourceManager started",
                    &format!("curl -sf --max-time 2 {}/info | grep -q '\"state\":\"STARTED\"'", sh_quote(&url)),
                ),
            ],
        ));
        let n = c.with_role(Role::NodeManager).count();
        let mut nms = start_and_wait(c, "nodemanagers", Role::NodeManager, Service::NodeManager, |_, h| {
            wait(
                "NodeManager answering",
                &http_ok(&format!("http://{}:{}/ws/v1/node/info", h.address, h.ports.nodemanager_webapp)),
            )
        });
        nms.hosts.entry(rm.name.clone()).or_default().push(wait(
            &format!("{n} NodeManagers registered"),
            &at_least(&format!("curl -sf --max-time 2 {}/metrics", sh_quote(&url)), "activeNodes", n),
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
            vec![
                metastore_schema(c, ms),
                start(c, ms, Service::HiveMetastore),
                wait("Hive metastore listening", &tcp_open(&ms.address.to_string(), ms.ports.hive_metastore)),
            ],
        ));
    }
    if let Some(hs2) = c.one(Role::HiveServer2) {
        phases.push(single(
            "hiveserver2",
            hs2,
            vec![
                start(c, hs2, Service::HiveServer2),
                wait("HiveServer2 listening", &tcp_open(&hs2.address.to_string(), hs2.ports.hiveserver2)),
            ],
        ));
    }
    if let Some(nifi) = c.with_role(Role::Nifi).find(|h| supervised(c, h).contains(&Service::Nifi)) {
        let url = format!("http://{}:{}/nifi-api/flow/about", nifi.address, nifi.ports.nifi_http);
        // NiFi unpacks its bundles on a first start, which takes minutes on a small VM.
        phases.push(single(
            "nifi",
            nifi,
            vec![start(c, nifi, Service::Nifi), wait_for("NiFi answering", &http_ok(&url), NIFI_READY_SECONDS)],
        ));
    }
    phases.push(cleanup(c, artifacts));
    phases.retain(|p| !p.hosts.is_empty());
    phases
}

/// Seconds NiFi gets to answer after a start.
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

fn start_and_wait(
    c: &Cluster,
    name: &str,
    role: Role,
    service: Service,
    ready: impl Fn(&Cluster, &Host) -> Step,
) -> Phase {
    let mut p = Phase { name: name.into(), ..Phase::default() };
    for h in c.with_role(role) {
        p.hosts.insert(h.name.clone(), vec![start(c, h, service), ready(c, h)]);
    }
    p
}

/// How `service` on `host` is supervised: systemd on real hosts, a pid file on one machine.
pub fn supervisor(c: &Cluster, host: &Host, service: Service) -> Supervisor {
    match c.transport {
        Transport::Local => {
            let l = launch::launch(c, host, service);
            let output = format!("{}/{}.out", c.on_host(host, &c.paths.provision_logs), service.name());
            Supervisor::Pidfile {
                pid_file: format!("{}/{}.pid", c.on_host(host, &c.paths.provision_run), service.name()),
                start: l.shell(Some(&output)),
                marker: l.marker().to_string(),
            }
        }
        _ => Supervisor::Systemd,
    }
}

/// `service` running on `host`, restarted when one of its files changed.
pub fn start(c: &Cluster, host: &Host, service: Service) -> Step {
    Step::Service {
        unit: service.unit_name(),
        restart_on: vec![format!("{}/{}", host.name, service.name())],
        supervisor: supervisor(c, host, service),
        running: true,
    }
}

/// `service` stopped on `host`.
pub fn stop(c: &Cluster, host: &Host, service: Service) -> Step {
    Step::Service {
        unit: service.unit_name(),
        restart_on: vec![],
        supervisor: supervisor(c, host, service),
        running: false,
    }
}

/// A step that polls `check` until it succeeds (failing after [`READY_SECONDS`]); nothing to do
/// when it already succeeds.
fn wait(what: &str, check: &str) -> Step {
    wait_for(what, check, READY_SECONDS)
}

/// [`wait`] with a limit of `seconds`.
fn wait_for(what: &str, check: &str, seconds: u32) -> Step {
    let ticks = seconds * 2;
    Step::Run {
        name: format!("wait: {what}"),
        command: format!(
            "i=0; until {{ {check}; }}; do i=$((i+1)); if [ $i -ge {ticks} ]; then echo {} >&2; exit 1; fi; sleep 0.5; done",
            sh_quote(&format!("not ready after {seconds}s: {what}"))
        ),
        unless: Some(check.to_string()),
        timeout: Duration::from_secs(u64::from(seconds) + 30),
    }
}

/// Something accepts TCP connections at `address`:`port`.
fn tcp_open(address: &str, port: u16) -> String {
    format!("bash -c 'exec 3<>/dev/tcp/{address}/{port}' 2>/dev/null")
}

fn http_ok(url: &str) -> String {
    format!("curl -sf -o /dev/null --max-time 2 {}", sh_quote(url))
}

/// `json_source` prints JSON whose integer `field` is at least `n`.
fn at_least(json_source: &str, field: &str, n: usize) -> String {
    format!("v=$({json_source} | sed -n 's/.*\"{field}\" *: *\\([0-9]*\\).*/\\1/p'); [ \"${{v:-0}}\" -ge {n} ]")
}

fn zookeeper_in_quorum(_c: &Cluster, h: &Host) -> String {
    format!(
        "bash -c 'exec 3<>/dev/tcp/{}/{} && printf srvr >&3 && cat <&3' 2>/dev/null | grep -Eq '^Mode: (leader|follower|standalone)'",
        h.address, h.ports.zookeeper_client
    )
}

fn namenode_state_url(nn: &Host) -> String {
    format!("http://{}:{}/jmx?qry=Hadoop:service=NameNode,name=NameNodeStatus", nn.address, nn.ports.namenode_http)
}

fn wait_namenode(nn: &Host) -> Step {
    wait(
        &format!("NameNode {} answering", nn.name),
        &format!(
            "curl -sf --max-time 2 {} | grep -Eq '\"State\" *: *\"(active|standby)\"'",
            sh_quote(&namenode_state_url(nn))
        ),
    )
}

fn one_active(nns: &[&Host]) -> String {
    let urls: Vec<String> = nns.iter().map(|n| sh_quote(&namenode_state_url(n))).collect();
    format!(
        "a=''; for u in {}; do curl -sf --max-time 2 \"$u\" | grep -Eq '\"State\" *: *\"active\"' && a=1; done; [ -n \"$a\" ]",
        urls.join(" ")
    )
}

fn live_datanodes(nn: &Host, n: usize) -> String {
    let url = format!(
        "http://{}:{}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState",
        nn.address, nn.ports.namenode_http
    );
    at_least(&format!("curl -sf --max-time 2 {}", sh_quote(&url)), "NumLiveDataNodes", n)
}

/// The NameNode's metadata is complete: a VERSION and an image (an interrupted format leaves
/// VERSION without an image, and must be formatted again).
fn has_image(c: &Cluster, nn: &Host) -> String {
    let dir = sh_quote(&format!("{}/current", c.on_host(nn, &c.paths.namenode_dir)));
    format!("[ -f {dir}/VERSION ] && ls {dir}/fsimage_* > /dev/null 2>&1")
}

fn format_namenode(c: &Cluster, nn: &Host) -> Step {
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

fn bootstrap_standby(c: &Cluster, nn: &Host) -> Step {
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
fn format_zk(c: &Cluster, nn: &Host) -> Step {
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

/// The metastore's schema, created by Hive's schema tool once: `-info` succeeds as soon as the
/// schema and its version are there.
fn metastore_schema(c: &Cluster, ms: &Host) -> Step {
    let tool = |action: &str| launch::hive_tool(c, ms, c.versions.hive.schema_tool, &["-dbType", "mysql", action]);
    Step::Run {
        name: "create the Hive metastore schema".into(),
        command: tool("-initSchema").shell(None),
        unless: Some(format!("{} > /dev/null 2>&1", tool("-info").shell(None))),
        timeout: Duration::from_secs(300),
    }
}

fn metastore_db(c: &Cluster, db: &Host) -> Vec<Step> {
    let at = |p: &str| c.on_host(db, p);
    let cnf = sh_quote(&format!("{}/my.cnf", at(&c.paths.metastore_db_conf)));
    let data = sh_quote(&at(&c.paths.metastore_db_data));
    let (init, client, admin) = match c.versions.metastore_db.kind {
        MetastoreDbKind::Mariadb => (
            format!(
                "mariadb-install-db --defaults-file={cnf} --auth-root-authentication-method=socket --skip-test-db > /dev/null"
            ),
            "mariadb",
            "mariadb-admin",
        ),
        MetastoreDbKind::Mysql => {
            (format!("mysqld --defaults-file={cnf} --initialize-insecure"), "mysql", "mysqladmin")
        }
    };
    let sql = sh_quote(&format!("{}/create-metastore.sql", at(&c.paths.metastore_db_conf)));
    let query = format!(
        "SELECT (SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name={}) * (SELECT COUNT(*) FROM mysql.user WHERE user={})",
        mysql_str(&c.metastore.name),
        mysql_str(&c.metastore.user)
    );
    // MySQL's root logs in with the kept password (root.cnf), MariaDB's through its socket.
    let mysql = c.versions.metastore_db.kind == MetastoreDbKind::Mysql;
    let root_cnf = sh_quote(&format!("{}/root.cnf", at(&c.paths.metastore_db_conf)));
    let login = if mysql { format!("--defaults-file={root_cnf}") } else { format!("--defaults-file={cnf} -uroot") };
    let mut steps = vec![
        Step::Run {
            name: "initialise the metastore database server".into(),
            command: init,
            unless: Some(format!("[ -d {data}/mysql ]")),
            timeout: Duration::from_secs(300),
        },
        start(c, db, Service::MetastoreDb),
        wait("metastore database answering", &format!("{admin} --defaults-file={cnf} -uroot ping > /dev/null 2>&1")),
    ];
    if mysql {
        let set = sh_quote(&format!("{}/set-root-password.sql", at(&c.paths.metastore_db_conf)));
        steps.push(Step::Run {
            name: "give the metastore database server's root its password".into(),
            command: format!("{client} --defaults-file={cnf} -uroot < {set}"),
            unless: Some(format!("{client} {login} -e 'SELECT 1' > /dev/null 2>&1")),
            timeout: Duration::from_secs(60),
        });
    }
    steps.push(Step::Run {
        name: format!("create database {} and user {}", c.metastore.name, c.metastore.user),
        command: format!("{client} {login} < {sql}"),
        unless: Some(format!("{client} {login} -N -e {} | grep -qv '^0$'", sh_quote(&query))),
        timeout: Duration::from_secs(60),
    });
    steps
}

fn mart_db(c: &Cluster, db: &Host) -> Vec<Step> {
    let at = |p: &str| c.on_host(db, p);
    let bin = c.postgres_bin();
    let tool = |name: &str| sh_quote(&format!("{bin}/{name}"));
    let pg = &c.users.postgres;
    let data = sh_quote(&at(&c.paths.postgres_data));
    let socket = format!("-h {} -p {}", sh_quote(&at(&c.paths.postgres_run)), db.ports.postgresql);
    let conf = at(&c.paths.postgres_conf);
    let psql = |database: &str, rest: &str| {
        as_user(pg, &format!("{} {socket} -d {} -v ON_ERROR_STOP=1 -q {rest}", tool("psql"), sh_quote(database)))
    };
    let exists = format!(
        "SELECT 1 FROM pg_database d, pg_roles r WHERE d.datname = {} AND r.rolname = {}",
        sql_quote(&c.mart.name),
        sql_quote(&c.mart.user)
    );
    let schema_done = format!(
        "SELECT (SELECT count(*) FROM category_kind) = {} AND to_regclass('dm_gmarket') IS NOT NULL AND to_regclass('pipeline_runs') IS NOT NULL",
        c.categories.len()
    );
    vec![
        Step::Run {
            name: "initialise the mart's PostgreSQL cluster".into(),
            command: as_user(
                pg,
                &format!(
                    "{} -D {data} -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 > /dev/null",
                    tool("initdb")
                ),
            ),
            unless: Some(format!("[ -f {data}/PG_VERSION ]")),
            timeout: Duration::from_secs(300),
        },
        start(c, db, Service::Postgres),
        wait("PostgreSQL accepting connections", &format!("{} -q {socket}", tool("pg_isready"))),
        Step::Run {
            name: format!("create database {} and user {}", c.mart.name, c.mart.user),
            command: format!("{} < {}", psql("postgres", ""), sh_quote(&format!("{conf}/mart-database.sql"))),
            unless: Some(format!("{} | grep -q 1", psql("postgres", &format!("-tAc {}", sh_quote(&exists))))),
            timeout: Duration::from_secs(60),
        },
        Step::Run {
            name: "create the mart schema".into(),
            command: psql(
                &c.mart.name,
                &format!(
                    "-c {} -f {}",
                    sh_quote(&format!("SET ROLE {}", pg_ident(&c.mart.user).expect("a checked SQL name"))),
                    sh_quote(&format!("{conf}/mart-schema.sql"))
                ),
            ),
            unless: Some(format!("{} | grep -q t", psql(&c.mart.name, &format!("-tAc {}", sh_quote(&schema_done))))),
            timeout: Duration::from_secs(60),
        },
    ]
}

/// The ports `host`'s daemons listen on.
fn listening_ports(c: &Cluster, host: &Host) -> Vec<u16> {
    let mut ports: Vec<u16> = c
        .services(host)
        .iter()
        .flat_map(|s| s.port_names(&c.versions))
        .filter_map(|name| host.ports.get(name))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// The operating system of a real host, made ready for the services: package sources (CentOS 7
/// is end of life: its repositories now live on vault.centos.org; the database servers come
/// from their vendors' repositories), Java and the database servers, the service users,
/// SELinux permissive, and the services' ports open in firewalld.
fn os(c: &Cluster, tree: &Tree) -> Phase {
    let mut phase = Phase { name: "os".into(), ..Phase::default() };
    for h in &c.hosts {
        let mut steps = Vec::new();
        if c.os == crate::catalog::Os::Centos7 {
            let repo = "/etc/yum.repos.d/CentOS-Base.repo";
            steps.push(Step::Run {
                name: "CentOS 7 repositories from vault.centos.org 7.9.2009".into(),
                command: "sed -i -e 's/^mirrorlist=/#mirrorlist=/' -e 's|^#\\{0,1\\}baseurl=http://mirror.centos.org/centos/$releasever|baseurl=http://vault.centos.org/7.9.2009|' /etc/yum.repos.d/CentOS-*.repo && yum clean all -q".into(),
                unless: Some(format!("! grep -q '^mirrorlist=' {repo} && grep -q 'vault.centos.org/7.9.2009' {repo}")),
                timeout: Duration::from_secs(120),
            });
        }
        steps.extend(package_sources(c, h, tree));
        let services = c.services(h);
        if services.iter().any(|s| !matches!(s, Service::MetastoreDb | Service::Postgres)) {
            steps.push(Step::Package { name: c.os.java_package(c.versions.java), manager: package_manager(c) });
        }
        for name in packages(c, h) {
            steps.push(Step::Package { name, manager: package_manager(c) });
        }
        steps.extend(packaged_units_off(c, h));
        // The databases' packages create their own users.
        let mut users: Vec<&str> = Vec::new();
        for s in services.iter().filter(|s| !matches!(s, Service::MetastoreDb | Service::Postgres)) {
            if !users.contains(&c.user_of(*s)) {
                users.push(c.user_of(*s));
            }
        }
        if h.has(Role::Crawler) {
            users.push(&c.users.crawler);
        }
        for user in users {
            let u = sh_quote(user);
            steps.push(Step::Run {
                name: format!("service user {user}"),
                command: format!("useradd --system --create-home --shell /bin/bash -- {u}"),
                unless: Some(format!("id -u -- {u} > /dev/null 2>&1")),
                timeout: Duration::from_secs(30),
            });
        }
        if matches!(c.os, crate::catalog::Os::Centos7 | crate::catalog::Os::Rocky9) {
            steps.push(Step::Run {
                name: "SELinux permissive".into(),
                command: "setenforce 0 || true; sed -i 's/^SELINUX=.*/SELINUX=permissive/' /etc/selinux/config".into(),
                unless: Some("[ \"$(getenforce 2>/dev/null)\" != Enforcing ] && grep -q '^SELINUX=permissive' /etc/selinux/config".into()),
                timeout: Duration::from_secs(30),
            });
            let ports: Vec<String> = listening_ports(c, h).iter().map(|p| format!("{p}/tcp")).collect();
            if !ports.is_empty() {
                let add: Vec<String> =
                    ports.iter().map(|p| format!("firewall-cmd -q --permanent --add-port={p}")).collect();
                let query: Vec<String> = ports.iter().map(|p| format!("firewall-cmd -q --query-port={p}")).collect();
                steps.push(Step::Run {
                    name: format!("firewalld opens {}", ports.join(" ")),
                    command: format!("{} && firewall-cmd -q --reload", add.join(" && ")),
                    unless: Some(format!("! systemctl is-active -q firewalld || {{ {}; }}", query.join(" && "))),
                    timeout: Duration::from_secs(60),
                });
            }
        }
        if !steps.is_empty() {
            phase.hosts.insert(h.name.clone(), steps);
        }
    }
    phase
}

/// The database packages' own units on `h` disabled and stopped: provision runs the servers
/// from units of its own, on their own configuration, and a packaged unit starting at boot
/// would take their port or data folder. (A cluster Debian's package started on install is
/// stopped; it is started at boot only through the disabled unit.)
fn packaged_units_off(c: &Cluster, h: &Host) -> Option<Step> {
    let services = supervised(c, h);
    let mut enabled = Vec::new();
    let mut running = Vec::new();
    if services.contains(&Service::MetastoreDb) {
        enabled.push(c.versions.metastore_db.packaged_unit(c.os).to_string());
    }
    if services.contains(&Service::Postgres) {
        let (unit, cluster) = c.os.postgres_packaged_units(c.versions.postgresql);
        enabled.push(unit);
        running.extend(cluster);
    }
    if enabled.is_empty() {
        return None;
    }
    let mut off = Vec::new();
    let mut act = Vec::new();
    for u in &enabled {
        let q = sh_quote(u);
        off.push(format!("! systemctl is-enabled -q {q} 2>/dev/null && ! systemctl is-active -q {q}"));
        act.push(format!(
            "{{ if systemctl is-enabled -q {q} 2>/dev/null || systemctl is-active -q {q}; then systemctl disable --now {q}; fi; }}"
        ));
    }
    for u in &running {
        let q = sh_quote(u);
        off.push(format!("! systemctl is-active -q {q}"));
        act.push(format!("{{ if systemctl is-active -q {q}; then systemctl stop {q}; fi; }}"));
    }
    let names: Vec<&str> = enabled.iter().chain(&running).map(String::as_str).collect();
    Some(Step::Run {
        name: format!("packaged {} off", names.join(" ")),
        command: act.join(" && "),
        unless: Some(off.join(" && ")),
        timeout: Duration::from_secs(120),
    })
}

/// The rendered package-source files of `h` (the database servers' yum repositories), which
/// its packages need before the rest of its files.
fn package_sources(c: &Cluster, h: &Host, tree: &Tree) -> Vec<Step> {
    tree.files
        .values()
        .filter(|f| f.host.as_deref() == Some(h.name.as_str()) && is_package_source(&f.path))
        .map(|f| file_step(c, h, f))
        .collect()
}

fn is_package_source(path: &str) -> bool {
    path.starts_with(crate::desired::repos::REPOS_DIR)
}

/// The step that puts rendered file `f` on host `h`.
fn file_step(c: &Cluster, h: &Host, f: &crate::desired::File) -> Step {
    Step::File {
        path: c.on_host(h, &f.path),
        content: Content::Text(f.content.clone()),
        mode: f.mode,
        owner: f.owner.clone(),
        affects: f.affects.clone(),
    }
}

/// Where packed software is kept on a remote host.
const ARCHIVES: &str = "/opt/provision";

/// The file in a folder provision unpacked software into, holding the archive's checksum.
const UNPACKED_MARKER: &str = ".provision-archive";

/// `leaf` in the folder that holds `home`: where software is unpacked for that home.
fn beside_home(home: &str, leaf: &str) -> String {
    let parent = std::path::Path::new(home).parent().map_or("/".to_string(), |p| p.display().to_string());
    format!("{}/{leaf}", parent.trim_end_matches('/'))
}

/// A remote host's copy of artifact `a` at `home`: the packed layout sent (only when its
/// checksum differs), unpacked beside `home` in a folder named like its cache entry and the
/// archive's checksum (so other software, or the same software packed anew, gets another
/// folder and a running installation is never replaced in place), readable by the daemons'
/// users, and `home` linked to it; a new link restarts `affects`.
fn unpacked(c: &Cluster, h: &Host, a: &Artifact, home: &str, affects: Vec<String>) -> Vec<Step> {
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

/// Where artifact `name` lives on `h`, if `h` runs anything from it.
fn home_of<'c>(c: &'c Cluster, h: &Host, name: &str) -> Option<&'c str> {
    match name {
        "hadoop" if c.needs_hadoop(h) => Some(&c.paths.hadoop_home),
        "zookeeper" if h.has(Role::Zookeeper) => Some(&c.paths.zookeeper_home),
        "hive" if h.runs_hive() => Some(&c.paths.hive_home),
        "nifi" if supervised(c, h).contains(&Service::Nifi) => Some(&c.paths.nifi_home),
        _ => None,
    }
}

/// Software folders a remote host no longer runs from, removed once every daemon has been
/// (re)started from the folders the links name: only folders provision unpacked (they hold
/// its marker), beside each home, other than the one its link names.
fn cleanup(c: &Cluster, artifacts: &[Artifact]) -> Phase {
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
                    beside = sh_quote(&beside_home(&home, name)),
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

/// The services on `h` that run from artifact `name`'s home, as `host/service` (Hive runs on
/// Hadoop's jars too).
fn users_of(c: &Cluster, h: &Host, name: &str) -> Vec<String> {
    c.services(h)
        .into_iter()
        .filter(|s| match name {
            "hadoop" => s.is_hadoop() || s.is_hive(),
            "zookeeper" => *s == Service::Zookeeper,
            "hive" => s.is_hive(),
            "nifi" => *s == Service::Nifi,
            _ => false,
        })
        .map(|s| format!("{}/{}", h.name, s.name()))
        .collect()
}

/// The folder of a host on one machine, made with the marker that lets `down --purge` remove it.
fn host_folder(c: &Cluster, h: &Host) -> Step {
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
fn prepare(c: &Cluster, artifacts: &[Artifact], binary: Option<&Archive>) -> Phase {
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
        if !services.is_empty() {
            dir(&c.paths.provision_run, 0o755, "root");
            dir(&c.paths.provision_logs, 0o755, "root");
            dir(&c.paths.provision_state, 0o755, "root");
        }
        let hadoop = &c.users.hadoop;
        for s in &services {
            match s {
                Service::Zookeeper => {
                    dir(&c.paths.zookeeper_data, 0o750, &c.users.zookeeper);
                    dir(&c.paths.zookeeper_logs, 0o755, &c.users.zookeeper);
                }
                Service::JournalNode => dir(&c.paths.journalnode_dir, 0o750, hadoop),
                Service::NameNode => dir(&c.paths.namenode_dir, 0o750, hadoop),
                Service::DataNode => dir(&c.paths.datanode_dir, 0o700, hadoop),
                Service::NodeManager => {
                    dir(&c.paths.yarn_local, 0o755, hadoop);
                    dir(&c.paths.yarn_logs, 0o755, hadoop);
                }
                Service::MetastoreDb => {
                    dir(&c.paths.metastore_db_data, 0o750, &c.users.mysql);
                    dir(&c.paths.metastore_db_run, 0o755, &c.users.mysql);
                }
                Service::HiveMetastore | Service::HiveServer2 => dir(&c.paths.hive_logs, 0o755, &c.users.hive),
                Service::Postgres => {
                    dir(&c.paths.postgres_data, 0o700, &c.users.postgres);
                    dir(&c.paths.postgres_run, 0o755, &c.users.postgres);
                }
                Service::Nifi => {
                    dir(&c.paths.nifi_data, 0o750, &c.users.nifi);
                    dir(&format!("{}/run", c.paths.nifi_data), 0o755, &c.users.nifi);
                    dir(&c.paths.nifi_logs, 0o755, &c.users.nifi);
                }
                _ => {}
            }
        }
        if services.iter().any(|s| s.is_hadoop()) {
            dir(&c.paths.hadoop_logs, 0o755, hadoop);
            dir(&c.paths.hadoop_tmp, 0o755, hadoop);
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
        if let (Some(b), true, false) = (binary, h.has(Role::Crawler), local) {
            // The pipeline's own binary, for the hourly cron run.
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

fn package_manager(c: &Cluster) -> PackageManager {
    match c.os {
        crate::catalog::Os::Debian12 => PackageManager::Apt,
        _ => PackageManager::Yum,
    }
}

/// The OS packages `host` needs besides Java: curl (the readiness checks use it), the
/// database servers it runs, and the JDBC driver its Hive needs when Hive's files lack one.
fn packages(c: &Cluster, h: &Host) -> Vec<String> {
    let mut out = Vec::new();
    let services = supervised(c, h);
    if !services.is_empty() {
        out.push("curl".to_string());
    }
    if services.contains(&Service::MetastoreDb) {
        out.push(c.versions.metastore_db.package(c.os).into());
    }
    if services.iter().any(|s| s.is_hive())
        && let Some((package, _)) = c.hive_jdbc_package()
    {
        out.push(package.into());
    }
    if services.contains(&Service::Postgres) {
        out.push(c.os.postgres_package(c.versions.postgresql));
    }
    out
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
                "hiveserver2"
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
