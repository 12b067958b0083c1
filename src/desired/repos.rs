//! Package sources of the database servers on Enterprise Linux hosts: the vendors' yum
//! repositories of MySQL/MariaDB (and MySQL's JDBC driver for Hive) and PostgreSQL (PGDG),
//! which CentOS 7 and Rocky 9 do not carry in the releases an inventory asks for. Debian's own
//! packages need none.

use super::{Tree, mode};
use crate::model::{Cluster, Host, Service};

/// Where rendered repository files go.
pub const REPOS_DIR: &str = "/etc/yum.repos.d";

/// apt's configuration of the package proxy.
pub const APT_PROXY: &str = "/etc/apt/apt.conf.d/01provision-proxy";

/// Whether the host file at `path` is a package source: put in place before any package.
pub fn is_package_source(path: &str) -> bool {
    path.starts_with(REPOS_DIR) || path == APT_PROXY
}

/// Renders apt's proxy setting on an apt host when the inventory names a package proxy (yum's
/// is a line of /etc/yum.conf, see the os phase).
pub fn render_proxy(c: &Cluster, host: &Host, t: &mut Tree) {
    let (Some(proxy), crate::catalog::PackageManager::Apt) = (&c.package_proxy, c.os.row().package_manager) else {
        return;
    };
    let text = format!(
        "// Rendered by provision for {} of cluster {}; edit the inventory, not this file.\n\
         Acquire::http::Proxy \"{}\";\n",
        host.name,
        c.name,
        crate::desired::escape::apt_str(proxy)
    );
    t.add(host, APT_PROXY, text, mode::PUBLIC, &[]);
}

/// The signing keys as owned strings.
fn owned(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

/// Renders the repository files `host`'s database servers are installed from, each as
/// `provision-<id>.repo`.
pub fn render(c: &Cluster, host: &Host, t: &mut Tree) {
    let Some(el) = c.os.el_release() else { return };
    let services = c.services(host);
    let db = c.versions.metastore_db;
    // (id, name, base URL, signing keys, extra lines)
    let mut repos: Vec<(String, String, String, Vec<String>, &str)> = Vec::new();
    if services.contains(&Service::MetastoreDb) {
        let (id, baseurl, keys) = db.yum_repository(el);
        // MariaDB's packages replace the distribution's modular ones.
        let extra = if db.kind == crate::catalog::MetastoreDbKind::Mariadb { "module_hotfixes=1\n" } else { "" };
        repos.push((id, format!("{} for EL{el}", db.name), baseurl, owned(&keys), extra));
    }
    if host.runs_hive()
        && let Some((id, baseurl)) = db.jdbc_repository(el)
    {
        let (_, _, keys) = db.yum_repository(el);
        repos.push((id.to_string(), format!("{id} for EL{el}"), baseurl, owned(&keys), ""));
    }
    if services.contains(&Service::Postgres)
        && let Some((baseurl, key)) = c.os.pgdg_repository(c.versions.postgresql)
    {
        let pg = c.versions.postgresql;
        repos.push((format!("pgdg{pg}"), format!("PostgreSQL {pg} for EL{el} (PGDG)"), baseurl, vec![key], ""));
    }
    for (id, name, baseurl, keys, extra) in repos {
        let text = format!(
            "# Rendered by provision for {} of cluster {}; edit the inventory, not this file.\n\
             [{id}]\nname={name}\nbaseurl={baseurl}\nenabled=1\ngpgcheck=1\ngpgkey={}\n{extra}",
            host.name,
            c.name,
            keys.join("\n       "),
        );
        t.add(host, &format!("{REPOS_DIR}/provision-{id}.repo"), text, mode::PUBLIC, &[]);
    }
}
