//! Package sources of the database servers on Enterprise Linux hosts: the vendors' yum
//! repositories of MySQL/MariaDB (and MySQL's JDBC driver for Hive) and PostgreSQL (PGDG),
//! which CentOS 7 and Rocky 9 do not carry in the releases an inventory asks for. Debian's own
//! packages need none.

use super::{Tree, mode};
use crate::model::{Cluster, Host, Service};

/// Where rendered repository files go.
pub const REPOS_DIR: &str = "/etc/yum.repos.d";

/// One yum repository file's text.
fn repo_file(c: &Cluster, host: &Host, id: &str, name: &str, baseurl: &str, keys: &[&str], extra: &str) -> String {
    format!(
        "# Rendered by provision for {} of cluster {}; edit the inventory, not this file.\n\
         [{id}]\nname={name}\nbaseurl={baseurl}\nenabled=1\ngpgcheck=1\ngpgkey={}\n{extra}",
        host.name,
        c.name,
        keys.join("\n       "),
    )
}

/// Renders the repository files `host`'s database servers are installed from.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
    let Some(el) = c.os.el_release() else { return };
    let services = c.services(host);
    if services.contains(&Service::MetastoreDb) {
        let db = c.versions.metastore_db;
        let (id, baseurl, keys) = db.yum_repository(el);
        let extra = if db.kind == crate::catalog::MetastoreDbKind::Mariadb {
            // MariaDB's packages replace the distribution's modular ones.
            "module_hotfixes=1\n"
        } else {
            ""
        };
        let text = repo_file(c, host, &id, &format!("{} for EL{el}", db.name), &baseurl, &keys, extra);
        t.add(host, &format!("{REPOS_DIR}/provision-{id}.repo"), text, mode::PUBLIC, &[]);
    }
    let db = c.versions.metastore_db;
    if services.iter().any(|s| matches!(s, Service::HiveMetastore | Service::HiveServer2))
        && let Some((id, baseurl)) = db.jdbc_repository(el)
    {
        let (_, _, keys) = db.yum_repository(el);
        let text = repo_file(c, host, id, &format!("{id} for EL{el}"), &baseurl, &keys, "");
        t.add(host, &format!("{REPOS_DIR}/provision-{id}.repo"), text, mode::PUBLIC, &[]);
    }
    if services.contains(&Service::Postgres) {
        let pg = c.versions.postgresql;
        if let Some((baseurl, key)) = c.os.pgdg_repository(pg) {
            let id = format!("pgdg{pg}");
            let text = repo_file(c, host, &id, &format!("PostgreSQL {pg} for EL{el} (PGDG)"), &baseurl, &[&key], "");
            t.add(host, &format!("{REPOS_DIR}/provision-{id}.repo"), text, mode::PUBLIC, &[]);
        }
    }
}
