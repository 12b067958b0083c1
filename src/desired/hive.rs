//! Hive: hive-site.xml on the Hive hosts, and on the metastore database's host its server
//! configuration, the SQL that creates the metastore database and user, and MySQL's root login.

use super::xml::{Properties, props, site_xml};
use super::{Tree, escape, mode};
use crate::catalog::MetastoreDbKind;
use crate::context;
use crate::model::{Cluster, Host, Role, Service, Transport};
use crate::secrets::Secrets;

/// The JDBC URL of the metastore database.
pub fn metastore_jdbc_url(c: &Cluster) -> String {
    let db = c.one(Role::MetastoreDb).map(|h| c.endpoint_port(h, h.ports.metastore_db)).unwrap_or_default();
    format!("{}://{db}/{}?useSSL=false&characterEncoding=UTF-8", c.versions.metastore_db.jdbc_scheme, c.metastore.name)
}

/// hive-site.xml of `host`.
pub fn hive_site(c: &Cluster, host: &Host, secrets: &Secrets) -> Properties {
    let ip = host.address.to_string();
    let logs = c.on_host(host, &c.paths.hive_logs);
    let metastore = c.one(Role::HiveMetastore).map(|h| c.endpoint_port(h, h.ports.hive_metastore)).unwrap_or_default();
    let mut p = props([
        ("javax.jdo.option.ConnectionURL", metastore_jdbc_url(c)),
        ("javax.jdo.option.ConnectionDriverName", c.versions.metastore_db.jdbc_driver.to_string()),
        ("javax.jdo.option.ConnectionUserName", c.metastore.user.to_string()),
        ("javax.jdo.option.ConnectionPassword", secrets.metastore_password.clone()),
        ("hive.metastore.uris", format!("thrift://{metastore}")),
        ("hive.metastore.warehouse.dir", "/user/hive/warehouse".into()),
        ("hive.metastore.schema.verification", "true".into()),
        ("datanucleus.schema.autoCreateAll", "false".into()),
        ("hive.metastore.event.db.notification.api.auth", "false".into()),
        ("hive.server2.enable.doAs", "false".into()),
        ("hive.server2.authentication", "NONE".into()),
        // A small cluster without Tez: MapReduce, no ACID tables, no ZooKeeper discovery.
        ("hive.execution.engine", "mr".into()),
        ("hive.txn.manager", "org.apache.hadoop.hive.ql.lockmgr.DummyTxnManager".into()),
        ("hive.support.concurrency", "false".into()),
        ("hive.compactor.initiator.on", "false".into()),
        ("hive.compactor.worker.threads", "0".into()),
        ("hive.server2.support.dynamic.service.discovery", "false".into()),
        ("hive.server2.active.passive.ha.enable", "false".into()),
        ("hive.exec.local.scratchdir", format!("{logs}/scratch")),
        ("hive.downloaded.resources.dir", format!("{logs}/resources")),
        ("hive.server2.logging.operation.log.location", format!("{logs}/operations")),
    ]);
    if c.transport != Transport::Local && c.versions.hive.maven_layout() {
        // Hive's plan code needs Commons Collections 3, which Hadoop's newer releases no longer
        // carry: shipped with every job to the NodeManagers, which run no Hive of their own.
        let jar = format!("file://{}/lib/commons-collections-3.2.2.jar", c.on_host(host, &c.paths.hive_home));
        p.insert("hive.aux.jars.path".into(), jar);
    }
    if c.transport == Transport::Local {
        // One machine: a query's MapReduce work, map-join hash tables included, runs inside
        // HiveServer2 rather than in child processes.
        p.insert("mapreduce.framework.name".into(), "local".into());
        p.insert("hive.exec.submitviachild".into(), "false".into());
        p.insert("hive.exec.submit.local.task.via.child".into(), "false".into());
    }
    if host.has(Role::HiveMetastore) {
        p.insert("hive.metastore.port".into(), host.ports.hive_metastore.to_string());
        p.insert("hive.metastore.thrift.bind.host".into(), ip.clone());
    }
    if host.has(Role::HiveServer2) {
        p.insert("hive.server2.thrift.bind.host".into(), ip.clone());
        p.insert("hive.server2.thrift.port".into(), host.ports.hiveserver2.to_string());
        p.insert("hive.server2.webui.host".into(), ip);
        p.insert("hive.server2.webui.port".into(), host.ports.hiveserver2_webui.to_string());
    }
    p
}

/// Renders Hive's and the metastore database's files for `host`.
pub fn render(c: &Cluster, host: &Host, secrets: &Secrets, t: &mut Tree) {
    if host.runs_hive() {
        let services: Vec<Service> = c.services(host).into_iter().filter(|s| s.is_hive()).collect();
        let path = format!("{}/hive-site.xml", c.paths.hive_conf);
        t.add_secret(host, &path, site_xml(&hive_site(c, host, secrets)), &c.users.hive, &services);
    }
    if host.has(Role::MetastoreDb) {
        let conf = &c.paths.metastore_db_conf;
        let cnf = super::templates::render(
            "my.cnf",
            &context! {
                "host" => host.name,
                "cluster" => c.name,
                "server" => c.versions.metastore_db.name,
                "user" => c.users.mysql,
                "address" => host.address.to_string(),
                "port" => host.ports.metastore_db,
                "data_dir" => c.on_host(host, &c.paths.metastore_db_data),
                "socket" => format!("{}/mysqld.sock", c.on_host(host, &c.paths.metastore_db_run)),
                "pid_file" => format!("{}/mysqld.pid", c.on_host(host, &c.paths.metastore_db_run)),
                "error_log" => format!("{}/error.log", c.on_host(host, &c.paths.metastore_db_data)),
            },
        );
        t.add(host, &format!("{conf}/my.cnf"), cnf, mode::PUBLIC, &[Service::MetastoreDb]);
        let clients = c.source_addresses(c.hosts.iter().filter(|h| h.runs_hive()));
        let sql = super::templates::render(
            "metastore.sql",
            &context! {
                "cluster" => c.name,
                "database" => c.metastore.name,
                "user" => c.metastore.user,
                "password" => secrets.metastore_password,
                "client_addresses" => clients,
            },
        );
        t.add(host, &format!("{conf}/create-metastore.sql"), sql, mode::SECRET, &[]);
        if c.versions.metastore_db.kind == MetastoreDbKind::Mysql {
            render_mysql_root(c, host, secrets, t);
        }
    }
}

/// MySQL's root login (MySQL starts with a root without password): the client options that
/// log in as root with the kept password, and the SQL that sets it once.
fn render_mysql_root(c: &Cluster, host: &Host, secrets: &Secrets, t: &mut Tree) {
    let conf = &c.paths.metastore_db_conf;
    let password = &secrets.metastore_root_password;
    let head =
        format!("Rendered by provision for {} of cluster {}; edit the inventory, not this file.", host.name, c.name);
    let socket = format!("{}/mysqld.sock", c.on_host(host, &c.paths.metastore_db_run));
    let options = format!(
        "# {head}\n# The metastore database server's root login.\n[client]\nuser=root\npassword={}\nsocket={}\n",
        escape::mycnf(password),
        escape::mycnf(&socket)
    );
    t.add_secret(host, &format!("{conf}/root.cnf"), options, &c.users.mysql, &[]);
    let sql = format!("-- {head}\nALTER USER 'root'@'localhost' IDENTIFIED BY {};\n", escape::mysql_str(password));
    t.add_secret(host, &format!("{conf}/set-root-password.sql"), sql, &c.users.mysql, &[]);
}
