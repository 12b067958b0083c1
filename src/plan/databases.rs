//! The databases made ready once their servers run: the metastore's server initialised, its
//! database and user, Hive's schema; the mart's PostgreSQL cluster, database, user and schema.

use std::time::Duration;

use super::wait::ready;
use crate::catalog::MetastoreDbKind;
use crate::desired::escape::{mysql_str, pg_ident, sql_quote};
use crate::desired::sh_quote;
use crate::engine::steps::Step;
use crate::model::{Cluster, Host, Service};
use crate::services::launch::{self, as_user};
use crate::services::start;

/// The metastore's schema, created by Hive's schema tool once: `-info` succeeds as soon as the
/// schema and its version are there.
pub(super) fn metastore_schema(c: &Cluster, ms: &Host) -> Step {
    let tool = |action: &str| launch::hive_tool(c, ms, c.versions.hive.schema_tool, &["-dbType", "mysql", action]);
    Step::Run {
        name: "create the Hive metastore schema".into(),
        command: tool("-initSchema").shell(None),
        unless: Some(format!("{} > /dev/null 2>&1", tool("-info").shell(None))),
        timeout: Duration::from_secs(300),
    }
}

pub(super) fn metastore_db(c: &Cluster, db: &Host) -> Vec<Step> {
    let at = |p: &str| c.on_host(db, p);
    let cnf = sh_quote(&format!("{}/my.cnf", at(&c.paths.metastore_db_conf)));
    let data = sh_quote(&at(&c.paths.metastore_db_data));
    let (init, client) = match c.versions.metastore_db.kind {
        MetastoreDbKind::Mariadb => (
            format!(
                "mariadb-install-db --defaults-file={cnf} --auth-root-authentication-method=socket --skip-test-db > /dev/null"
            ),
            "mariadb",
        ),
        MetastoreDbKind::Mysql => (format!("mysqld --defaults-file={cnf} --initialize-insecure"), "mysql"),
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
        ready(c, db, Service::MetastoreDb),
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

pub(super) fn mart_db(c: &Cluster, db: &Host) -> Vec<Step> {
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
        "SELECT (SELECT count(*) FROM category_kind) = {} AND to_regclass('dm_gmarket') IS NOT NULL AND EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'pipeline_runs' AND column_name = 'ran_on')",
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
        ready(c, db, Service::Postgres),
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
