//! The mart's PostgreSQL: postgresql.conf, pg_hba.conf (the cluster's addresses only), the SQL
//! that creates the mart's user and database, and the mart schema.

use super::{Tree, mode};
use crate::catalog;
use crate::context;
use crate::model::{Cluster, Host, Role, Service};
use crate::secrets::Secrets;

/// Renders PostgreSQL's files for `host`, if it holds the mart.
pub fn render(c: &Cluster, host: &Host, secrets: &Secrets, t: &mut Tree) {
    if !host.has(Role::MartDb) {
        return;
    }
    let conf = &c.paths.postgres_conf;
    let auth = catalog::postgres_auth_method(c.versions.postgresql);
    let pg_conf = super::templates::render(
        "postgresql.conf",
        &context! {
            "host" => host.name,
            "cluster" => c.name,
            "version" => c.versions.postgresql,
            "address" => host.address.to_string(),
            "port" => host.ports.postgresql,
            "conf" => c.on_host(host, conf),
            "run_dir" => c.on_host(host, &c.paths.postgres_run),
            "auth" => auth,
        },
    );
    t.add(host, &format!("{conf}/postgresql.conf"), pg_conf, mode::PUBLIC, &[Service::Postgres]);
    #[derive(serde::Serialize)]
    struct Client {
        address: String,
    }
    let clients: Vec<Client> =
        c.source_addresses(c.hosts.iter()).into_iter().map(|address| Client { address }).collect();
    let hba = super::templates::render(
        "pg_hba.conf",
        &context! {"host" => host.name, "cluster" => c.name, "superuser" => c.users.postgres, "hosts" => clients, "auth" => auth},
    );
    t.add(host, &format!("{conf}/pg_hba.conf"), hba, mode::PUBLIC, &[Service::Postgres]);
    t.add(host, &format!("{conf}/pg_ident.conf"), "# No ident maps.\n".into(), mode::PUBLIC, &[Service::Postgres]);
    let db = super::templates::render(
        "mart-database.sql",
        &context! {"cluster" => c.name, "user" => c.mart.user, "password" => secrets.mart_password, "database" => c.mart.name},
    );
    t.add(host, &format!("{conf}/mart-database.sql"), db, mode::SECRET, &[]);
    let schema = super::templates::render(
        "mart-schema.sql",
        &context! {"cluster" => c.name, "user" => c.mart.user, "database" => c.mart.name, "categories" => c.categories},
    );
    t.add(host, &format!("{conf}/mart-schema.sql"), schema, mode::PUBLIC, &[]);
}
