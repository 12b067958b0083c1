//! The rendered files agree with each other and with the inventory, for every inventory.

use std::collections::{BTreeMap, BTreeSet};

use provision::desired::Tree;
use provision::model::{Cluster, Host, Role, Service, Transport};

use crate::support::{file, fixture_secrets, key_values, render, root, site};

/// Every inventory shipped in inventory/, sorted.
fn inventories() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(root().join("inventory"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("inventory/{n}"))
        .collect();
    found.sort();
    assert!(found.len() >= 3, "only {found:?} in inventory/");
    found
}

/// `check` on every shipped inventory, rendered; a failure names the inventory.
fn each(check: impl Fn(&Cluster, &Tree)) {
    each_where(|_| true, check);
}

/// `check` on every shipped inventory that `keep`s, rendered (at least one).
fn each_where(keep: impl Fn(&Cluster) -> bool, check: impl Fn(&Cluster, &Tree)) {
    let mut kept = 0;
    for inv in inventories() {
        let (c, t) = render(&inv);
        if !keep(&c) {
            continue;
        }
        kept += 1;
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&c, &t)));
        if let Err(e) = checked {
            let why = e.downcast_ref::<String>().map(String::as_str).or(e.downcast_ref::<&str>().copied());
            panic!("{inv}: {}", why.unwrap_or("(no message)"));
        }
    }
    assert!(kept > 0, "no inventory to check");
}

/// The address a host's /etc/hosts gives for `name` (or `name` itself when it is an address).
fn resolve(t: &Tree, host: &Host, name: &str) -> String {
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return name.to_string();
    }
    let hosts = file(t, &format!("{}/etc/hosts", host.name));
    hosts
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let mut parts = l.split_whitespace();
            let addr = parts.next()?;
            parts.any(|n| n == name).then(|| addr.to_string())
        })
        .unwrap_or_else(|| panic!("{name} does not resolve in {}'s /etc/hosts", host.name))
}

/// The path in a render folder of file `name` in folder `dir` of `host`.
fn conf_path(host: &Host, dir: &str, name: &str) -> String {
    format!("{}/{}/{}", host.name, dir.trim_matches('/'), name)
}

fn hdfs_site(c: &Cluster, t: &Tree, h: &Host) -> BTreeMap<String, String> {
    site(file(t, &conf_path(h, &c.paths.hadoop_conf, "hdfs-site.xml")))
}

#[test]
fn every_xml_file_parses() {
    each(|_, t| {
        let mut n = 0;
        for (rel, f) in &t.files {
            if rel.ends_with(".xml") {
                roxmltree::Document::parse(&f.content).unwrap_or_else(|e| panic!("{rel}: {e}"));
                n += 1;
            }
        }
        assert!(n >= 20, "only {n} XML files");
    });
}

#[test]
fn zookeeper_servers_ids_and_quorum_agree() {
    each(|c, t| {
        let zk: Vec<&Host> = c.with_role(Role::Zookeeper).collect();
        let mut client_ports = BTreeSet::new();
        for (i, h) in zk.iter().enumerate() {
            let cfg = key_values(file(t, &conf_path(h, &c.paths.zookeeper_conf, "zoo.cfg")));
            let myid = file(t, &conf_path(h, &c.paths.zookeeper_data, "myid")).trim().to_string();
            assert_eq!(myid, (i + 1).to_string(), "{}'s myid", h.name);
            let own = &cfg[&format!("server.{myid}")];
            let own_host = own.split(':').next().unwrap();
            assert_eq!(resolve(t, h, own_host), h.address.to_string(), "server.{myid} is not {}", h.name);
            assert_eq!(cfg["clientPortAddress"], h.address.to_string());
            let servers: Vec<&String> = cfg.keys().filter(|k| k.starts_with("server.")).collect();
            assert_eq!(servers.len(), zk.len(), "{}'s zoo.cfg lists {} servers", h.name, servers.len());
            client_ports.insert(cfg["clientPort"].clone());
        }
        assert_eq!(client_ports.len(), 1);
        let port = client_ports.into_iter().next().unwrap();
        for h in c.hosts.iter().filter(|h| c.needs_hadoop(h)) {
            let core = site(file(t, &conf_path(h, &c.paths.hadoop_conf, "core-site.xml")));
            let quorum: Vec<String> = core["ha.zookeeper.quorum"]
                .split(',')
                .map(|e| {
                    let (host, p) = e.split_once(':').unwrap();
                    assert_eq!(p, port, "quorum port in {}'s core-site", h.name);
                    resolve(t, h, host)
                })
                .collect();
            let expected: Vec<String> = zk.iter().map(|z| z.address.to_string()).collect();
            assert_eq!(quorum, expected, "{}'s ha.zookeeper.quorum", h.name);
        }
    });
}

#[test]
fn journalnode_uri_names_every_journalnode_where_it_listens() {
    each(|c, t| {
        let jn: Vec<&Host> = c.with_role(Role::JournalNode).collect();
        let listens: BTreeMap<String, String> = jn
            .iter()
            .map(|h| (h.address.to_string(), hdfs_site(c, t, h)["dfs.journalnode.rpc-address"].clone()))
            .collect();
        for h in c.hosts.iter().filter(|h| c.needs_hadoop(h)) {
            let hs = hdfs_site(c, t, h);
            let ns = &hs["dfs.nameservices"];
            let uri = &hs["dfs.namenode.shared.edits.dir"];
            let body = uri.strip_prefix("qjournal://").unwrap().strip_suffix(&format!("/{ns}")).unwrap();
            let got: BTreeSet<String> = body
                .split(';')
                .map(|e| {
                    let (host, port) = e.split_once(':').unwrap();
                    format!("{}:{port}", resolve(t, h, host))
                })
                .collect();
            let want: BTreeSet<String> = listens.values().cloned().collect();
            assert_eq!(got, want, "{}'s shared.edits.dir", h.name);
        }
    });
}

#[test]
fn nameservice_keys_name_both_namenodes_and_each_knows_itself() {
    each(|c, t| {
        let ns = c.hdfs.nameservice.clone().unwrap();
        let nns: Vec<&Host> = c.with_role(Role::NameNode).collect();
        assert_eq!(nns.len(), 2);
        for h in c.hosts.iter().filter(|h| c.needs_hadoop(h)) {
            let hs = hdfs_site(c, t, h);
            let core = site(file(t, &conf_path(h, &c.paths.hadoop_conf, "core-site.xml")));
            assert_eq!(core["fs.defaultFS"], format!("hdfs://{ns}"));
            assert_eq!(hs["dfs.nameservices"], ns);
            let ids: Vec<&str> = hs[&format!("dfs.ha.namenodes.{ns}")].split(',').collect();
            assert_eq!(ids.len(), 2);
            for (id, nn) in ids.iter().zip(&nns) {
                let rpc = &hs[&format!("dfs.namenode.rpc-address.{ns}.{id}")];
                assert!(hs.contains_key(&format!("dfs.namenode.http-address.{ns}.{id}")));
                let (host, _) = rpc.split_once(':').unwrap();
                assert_eq!(resolve(t, h, host), nn.address.to_string(), "{id}'s rpc-address in {}'s hdfs-site", h.name);
            }
            assert!(hs.contains_key(&format!("dfs.client.failover.proxy.provider.{ns}")));
            if h.has(Role::NameNode) {
                assert_eq!(hs["dfs.ha.namenode.id"], h.name);
                assert_eq!(hs["dfs.namenode.rpc-bind-host"], h.address.to_string());
            } else {
                assert!(!hs.contains_key("dfs.ha.namenode.id"));
            }
            if h.has(Role::DataNode) {
                assert_eq!(resolve(t, h, &hs["dfs.datanode.hostname"]), h.address.to_string());
                assert!(hs["dfs.datanode.address"].starts_with(&format!("{}:", h.address)));
            }
        }
    });
}

#[test]
fn hive_reaches_the_metastore_database_where_it_listens() {
    each(|c, t| {
        let db = c.one(Role::MetastoreDb).unwrap();
        let cnf = key_values(file(t, &conf_path(db, &c.paths.metastore_db_conf, "my.cnf")));
        let sql = file(t, &conf_path(db, &c.paths.metastore_db_conf, "create-metastore.sql"));
        for h in c.hosts.iter().filter(|h| h.has(Role::HiveMetastore) || h.has(Role::HiveServer2)) {
            let hive = site(file(t, &conf_path(h, &c.paths.hive_conf, "hive-site.xml")));
            let url = &hive["javax.jdo.option.ConnectionURL"];
            let rest = url.split_once("://").unwrap().1;
            let (hostport, dbname) = rest.split_once('/').unwrap();
            let (host, port) = hostport.split_once(':').unwrap();
            assert_eq!(resolve(t, h, host), cnf["bind-address"], "{}'s metastore URL host", h.name);
            assert_eq!(port, cnf["port"]);
            let dbname = dbname.split('?').next().unwrap();
            assert!(sql.contains(&format!("CREATE DATABASE IF NOT EXISTS `{dbname}`")));
            let user = &hive["javax.jdo.option.ConnectionUserName"];
            assert!(sql.contains(&format!("'{user}'@'{}'", h.address)), "no metastore grant for {}", h.name);
            assert_eq!(hive["javax.jdo.option.ConnectionPassword"], fixture_secrets().metastore_password);
        }
    });
}

#[test]
fn the_mart_admits_exactly_the_cluster_addresses() {
    each(|c, t| {
        let db = c.one(Role::MartDb).unwrap();
        let hba = file(t, &conf_path(db, &c.paths.postgres_conf, "pg_hba.conf"));
        let admitted: BTreeSet<String> = hba
            .lines()
            .filter(|l| l.starts_with("host"))
            .map(|l| l.split_whitespace().nth(3).unwrap().trim_end_matches("/32").to_string())
            .collect();
        let cluster: BTreeSet<String> = c.hosts.iter().map(|h| h.address.to_string()).collect();
        let extra: Vec<&String> = admitted.difference(&cluster).collect();
        assert!(cluster.is_subset(&admitted), "pg_hba.conf misses cluster addresses");
        // Besides the cluster, only this machine where it reaches the mart: from 127.0.0.1 on
        // one machine, from the bridge's first address on the lxc machines' network.
        let controller: Vec<&str> = match &c.transport {
            provision::model::Transport::Local => vec!["127.0.0.1"],
            provision::model::Transport::Vagrant { provider: provision::model::Provider::Lxc, .. } => {
                vec!["192.168.56.1"]
            }
            _ => vec![],
        };
        assert_eq!(extra, controller, "pg_hba.conf admits more than the cluster");
        let conf = key_values(file(t, &conf_path(db, &c.paths.postgres_conf, "postgresql.conf")));
        assert_eq!(conf["listen_addresses"], format!("'{}'", db.address));
        let schema = file(t, &conf_path(db, &c.paths.postgres_conf, "mart-schema.sql"));
        for cat in &c.categories {
            assert!(schema.contains(&format!("('{}', '{}')", cat.code, cat.name)), "category {} missing", cat.code);
        }
        assert!(schema.contains("category text NOT NULL REFERENCES category_kind (ca_name)"));
    });
}

#[test]
fn every_daemon_has_a_unit_with_an_explicit_java_command() {
    each(|c, t| {
        for h in &c.hosts {
            for s in c.services(h) {
                let unit = file(t, &conf_path(h, &c.paths.systemd_units, &s.unit_name()));
                let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
                let program = exec.split(' ').next().unwrap();
                assert!(program.starts_with('/'), "{} on {}: {program} is not an absolute path", s.name(), h.name);
                if program.ends_with("/bin/java") {
                    assert!(program.starts_with(&c.java_home()));
                    assert!(exec.contains(" -cp "), "{} on {} has no classpath", s.name(), h.name);
                    assert!(exec.contains(" -Xmx"), "{} on {} has no heap", s.name(), h.name);
                    let reflective = !matches!(s, Service::Zookeeper | Service::Nifi);
                    assert_eq!(
                        exec.contains("--add-opens"),
                        reflective && c.versions.java >= 17,
                        "{} on {}",
                        s.name(),
                        h.name
                    );
                }
            }
        }
    });
}

#[test]
fn secrets_are_only_in_owner_only_files() {
    each(|_, t| {
        let s = fixture_secrets();
        for (rel, f) in &t.files {
            let holds = s.values().iter().any(|v| f.content.contains(v));
            assert_eq!(holds, f.mode == 0o600, "{rel}: holds a secret = {holds}, mode {:o}", f.mode);
        }
        let holders: Vec<&String> = t.files.iter().filter(|(_, f)| f.mode == 0o600).map(|(k, _)| k).collect();
        assert!(holders.len() >= 4, "{holders:?}");
    });
}

#[test]
fn local_hosts_keep_every_path_in_their_own_folder() {
    let (c, t) = render("inventory/local.toml");
    for h in &c.hosts {
        let root = c.host_root(h).to_string_lossy().into_owned();
        for (rel, f) in t.files.iter().filter(|(_, f)| f.host.as_deref() == Some(&h.name)) {
            for word in f.content.split(|ch: char| ch.is_whitespace() || "=,'\"<>:".contains(ch)) {
                let word = format!("/{}", word.trim_start_matches('/'));
                if word.contains("/.provision/local/hosts/") {
                    assert!(word.starts_with(&root), "{rel} points into another host's folder: {word}");
                }
            }
        }
    }
}

#[test]
fn database_servers_come_from_their_vendors_repositories_before_they_are_installed() {
    // Every Enterprise Linux inventory, and modern.toml (Hive from Maven Central, its MariaDB
    // driver inside) with Apache's archives too (the driver from the OS).
    let modern = std::fs::read_to_string(root().join("inventory/modern.toml")).unwrap();
    let archives = provision::inventory::parse(
        std::path::Path::new("inventory/modern-apache.toml"),
        &format!("{modern}\n[software]\nsource = \"apache\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut cases: Vec<(String, Cluster)> = inventories()
        .into_iter()
        .map(|inv| {
            let c = crate::support::cluster(&inv);
            (inv, c)
        })
        .filter(|(_, c)| c.os.el_release().is_some())
        .collect();
    cases.push(("modern.toml with source = apache".to_string(), archives));
    let mut drivers = Vec::new();
    for (inv, c) in cases {
        let t = provision::desired::render(&c, &fixture_secrets());
        let el = c.os.el_release().expect("the VM inventories run Enterprise Linux");
        let release = c.versions.metastore_db.name.split_once('-').unwrap().1;
        let pg = c.versions.postgresql;
        let expected = [
            (Role::MetastoreDb, c.versions.metastore_db.package(c.os).to_string(), release.to_string()),
            (Role::MartDb, c.os.postgres_package(pg), format!("/{pg}/redhat/rhel-{el}")),
        ];
        let phases = provision::plan::up(&c, &t, &[], None);
        let os = phases.iter().find(|p| p.name == "os").unwrap();
        for h in &c.hosts {
            let repos: Vec<&str> = t
                .files
                .values()
                .filter(|f| f.host.as_deref() == Some(&h.name) && f.path.starts_with("/etc/yum.repos.d/"))
                .map(|f| &*f.content)
                .collect();
            let wanted: Vec<&(Role, String, String)> = expected.iter().filter(|(r, _, _)| h.has(*r)).collect();
            let hive = h.has(Role::HiveMetastore) || h.has(Role::HiveServer2);
            if wanted.is_empty() && !hive {
                assert!(repos.is_empty(), "{inv}: {} has repository files but no database", h.name);
            }
            let steps: Vec<String> =
                os.hosts.get(&h.name).map(|s| s.iter().map(|s| s.describe()).collect()).unwrap_or_default();
            for (role, package, in_url) in wanted {
                let repo = repos
                    .iter()
                    .find(|r| r.contains(in_url.as_str()))
                    .unwrap_or_else(|| panic!("{inv}: no repository of {in_url} on {}", h.name));
                let baseurl = repo.lines().find_map(|l| l.strip_prefix("baseurl=")).unwrap();
                assert!(baseurl.starts_with("https://") && baseurl.contains(&format!("{el}")), "{inv}: {baseurl}");
                assert!(repo.contains("gpgcheck=1"), "{inv}: {role:?} packages unchecked");
                let file_at = steps.iter().position(|s| s.starts_with("file /etc/yum.repos.d/")).unwrap();
                let package_at = steps
                    .iter()
                    .position(|s| *s == format!("package {package}"))
                    .unwrap_or_else(|| panic!("{inv}: {} never installs {package}: {steps:?}", h.name));
                assert!(file_at < package_at, "{inv}: {package} installed before its repository on {}", h.name);
            }
            // A driver Hive's own files lack comes from the OS, its jar on Hive's classpath.
            if let (true, Some((package, jar))) = (hive, c.hive_jdbc_package()) {
                drivers.push(package);
                assert!(steps.contains(&format!("package {package}")), "{inv}: {} lacks {package}", h.name);
                if let Some((id, _)) = c.versions.metastore_db.jdbc_repository(el) {
                    assert!(repos.iter().any(|r| r.contains(&format!("[{id}]"))), "{inv}: no repository of {package}");
                }
                let unit = &t.files[&format!("{}/etc/systemd/system/hive-metastore.service", h.name)].content;
                assert!(unit.contains(&format!(":{jar}:")), "{inv}: {jar} not on Hive's classpath");
            }
        }
    }
    // MySQL's driver for the 2021 versions, MariaDB's for modern.toml's Hive from Apache's
    // archive, none for Maven's layout (which carries it).
    assert_eq!(drivers, ["mysql-connector-java", "mariadb-java-client"]);
}

#[test]
fn a_daemon_can_read_every_secret_file_it_reads() {
    // On the VMs every daemon runs as its own user: a 0600 file it reads must be that user's.
    each_where(
        |c| c.transport != Transport::Local,
        |c, t| {
            let mut checked = 0;
            for (rel, f) in t.files.iter().filter(|(_, f)| f.mode == 0o600) {
                let host = c.host(f.host.as_deref().unwrap()).unwrap();
                let readers: BTreeSet<&str> = c
                    .services(host)
                    .into_iter()
                    .filter(|s| f.affects.contains(&format!("{}/{}", host.name, s.name())))
                    .map(|s| &**s.user(&c.users))
                    .collect();
                if readers.is_empty() {
                    continue; // fed to a client by root (SQL files) or read by the crawler's own program
                }
                assert_eq!(readers.len(), 1, "{rel}: read by several users {readers:?}");
                let reader = *readers.iter().next().unwrap();
                assert_eq!(f.owner.as_deref(), Some(reader), "{rel}: 0600 but not owned by {reader}, who reads it");
                checked += 1;
            }
            let least = 1 + usize::from(c.one(Role::Nifi).is_some());
            assert!(checked >= least, "hive-site.xml (and nifi.properties with NiFi) at least, got {checked}");
        },
    );
}

#[test]
fn nifi_keeps_what_it_writes_outside_its_release_folder() {
    each_where(
        |c| c.one(Role::Nifi).is_some(),
        |c, t| {
            let h = c.one(Role::Nifi).unwrap();
            let props = key_values(file(t, &conf_path(h, &c.paths.nifi_conf, "nifi.properties")));
            // As NiFi on the host sees them (below the host's folder on one machine).
            let (data, conf) = (c.on_host(h, &c.paths.nifi_data), c.on_host(h, &c.paths.nifi_conf));
            for key in [
                "nifi.flow.configuration.file",
                "nifi.flow.configuration.archive.dir",
                "nifi.templates.directory",
                "nifi.database.directory",
                "nifi.flowfile.repository.directory",
                "nifi.content.repository.directory.default",
                "nifi.provenance.repository.directory.default",
                "nifi.nar.working.directory",
            ] {
                assert!(props[key].starts_with(&format!("{data}/")), "{key} = {}", props[key]);
            }
            assert_eq!(props["nifi.state.management.configuration.file"], format!("{conf}/state-management.xml"));
            let state = file(t, &conf_path(h, &c.paths.nifi_conf, "state-management.xml"));
            let doc = roxmltree::Document::parse(state).unwrap();
            let dir = doc.descendants().find(|n| n.attribute("name") == Some("Directory")).unwrap().text().unwrap();
            assert_eq!(dir, format!("{data}/state/local"));
            // NiFi itself is launched, from the release folder, with the rendered properties.
            let launch = provision::services::launch(c, h, provision::model::Service::Nifi);
            assert_eq!(launch.command.last().map(String::as_str), Some("org.apache.nifi.NiFi"));
            assert!(launch.command.contains(&format!("-Dnifi.properties.file.path={conf}/nifi.properties")));
            assert_eq!(launch.workdir, c.on_host(h, &c.paths.nifi_home), "NiFi finds lib/bootstrap below it");
        },
    );
}
