//! The operating system of a real host made ready: package sources, Java, curl and the database
//! servers, the packaged database units off, cron on the crawler host, the service users, SELinux
//! and the firewall.

use std::time::Duration;

use super::file_step;
use crate::catalog::Firewall;
use crate::desired::{Tree, sh_quote};
use crate::engine::runner::Phase;
use crate::engine::steps::{PackageManager, Step};
use crate::model::{Cluster, Host, Role, Service};
use crate::services::supervised;

/// The ports `host`'s daemons listen on.
pub(super) fn listening_ports(c: &Cluster, host: &Host) -> Vec<u16> {
    let mut ports: Vec<u16> =
        c.services(host).iter().flat_map(|s| s.ports(&c.versions)).map(|key| host.ports.of(*key)).collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// The operating system of a real host, made ready for the services: package sources (CentOS 7
/// is end of life: its repositories now live on vault.centos.org; the database servers come
/// from their vendors' repositories), Java and the database servers, the service users,
/// SELinux permissive, and the services' ports open in firewalld.
pub(super) fn os(c: &Cluster, tree: &Tree) -> Phase {
    let mut phase = Phase { name: "os".into(), ..Phase::default() };
    for h in &c.hosts {
        let mut steps = Vec::new();
        let row = c.os.row();
        if let Some(vault) = row.archived_repositories {
            steps.push(archived_repositories(row.title, vault));
        }
        steps.extend(package_sources(c, h, tree));
        steps.extend(package_lists(c));
        let services = c.services(h);
        if services.iter().any(|s| !matches!(s, Service::MetastoreDb | Service::Postgres)) {
            steps.push(Step::Package { name: c.os.java_package(c.versions.java), manager: package_manager(c) });
        }
        for name in packages(c, h) {
            steps.push(Step::Package { name, manager: package_manager(c) });
        }
        steps.extend(packaged_units_off(c, h));
        if h.has(Role::Crawler) {
            steps.extend(cron(c));
        }
        // The databases' packages create their own users.
        let mut users: Vec<&str> = Vec::new();
        for s in services.iter().filter(|s| !matches!(s, Service::MetastoreDb | Service::Postgres)) {
            if !users.contains(&&**s.user(&c.users)) {
                users.push(&**s.user(&c.users));
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
        if row.selinux {
            steps.push(Step::Run {
                name: "SELinux permissive".into(),
                command: "setenforce 0 || true; sed -i 's/^SELINUX=.*/SELINUX=permissive/' /etc/selinux/config".into(),
                unless: Some("[ \"$(getenforce 2>/dev/null)\" != Enforcing ] && grep -q '^SELINUX=permissive' /etc/selinux/config".into()),
                timeout: Duration::from_secs(30),
            });
        }
        if let Some(Firewall::Firewalld) = row.firewall {
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

/// The yum sources of an OS past its end of life pointed at `vault`, where its packages now live.
fn archived_repositories(title: &str, vault: &str) -> Step {
    let repo = "/etc/yum.repos.d/CentOS-Base.repo";
    let shown = vault.trim_start_matches("http://").replacen('/', " ", 1);
    Step::Run {
        name: format!("{title} repositories from {shown}"),
        command: format!(
            "sed -i -e 's/^mirrorlist=/#mirrorlist=/' -e 's|^#\\{{0,1\\}}baseurl=http://mirror.centos.org/centos/$releasever|baseurl={vault}|' /etc/yum.repos.d/CentOS-*.repo && yum clean all -q"
        ),
        unless: Some(format!(
            "! grep -q '^mirrorlist=' {repo} && grep -q {} {repo}",
            crate::desired::sh_quote(vault.trim_start_matches("http://"))
        )),
        timeout: Duration::from_secs(120),
    }
}

/// The database packages' own units on `h` disabled and stopped: provision runs the servers
/// from units of its own, on their own configuration, and a packaged unit starting at boot
/// would take their port or data folder. (A cluster Debian's package started on install is
/// stopped; it is started at boot only through the disabled unit.)
pub(super) fn packaged_units_off(c: &Cluster, h: &Host) -> Option<Step> {
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

/// What the package manager needs before it installs: yum's proxy line when the inventory
/// names a proxy (apt's is a rendered file), and apt's package lists, fetched once.
fn package_lists(c: &Cluster) -> Vec<Step> {
    let mut steps = Vec::new();
    match c.os.row().package_manager {
        PackageManager::Yum => {
            if let Some(proxy) = &c.package_proxy {
                steps.push(Step::Line { path: "/etc/yum.conf".into(), line: format!("proxy={proxy}") });
            }
        }
        PackageManager::Apt => steps.push(Step::Run {
            name: "apt's package lists".into(),
            command:
                "DEBIAN_FRONTEND=noninteractive apt-get update -q --error-on=any -o DPkg::Lock::Timeout=300 > /dev/null"
                    .into(),
            unless: Some("ls /var/lib/apt/lists/*_Packages > /dev/null 2>&1".into()),
            timeout: Duration::from_secs(600),
        }),
    }
    steps
}

/// The rendered package-source files of `h` (the database servers' yum repositories), which
/// its packages need before the rest of its files.
pub(super) fn package_sources(c: &Cluster, h: &Host, tree: &Tree) -> Vec<Step> {
    tree.files
        .values()
        .filter(|f| f.host.as_deref() == Some(h.name.as_str()) && crate::desired::repos::is_package_source(&f.path))
        .map(|f| file_step(c, h, f))
        .collect()
}

pub(super) fn package_manager(c: &Cluster) -> PackageManager {
    c.os.row().package_manager
}

/// The cron daemon that runs the crawler's schedule: its package, enabled and running.
fn cron(c: &Cluster) -> [Step; 2] {
    let (package, unit) = c.os.row().cron;
    let u = sh_quote(unit);
    [
        Step::Package { name: package.into(), manager: package_manager(c) },
        Step::Run {
            name: format!("{unit} enabled and running"),
            command: format!("systemctl enable -q --now {u}"),
            unless: Some(format!("systemctl is-enabled -q {u} && systemctl is-active -q {u}")),
            timeout: Duration::from_secs(60),
        },
    ]
}

/// The OS packages `host` needs besides Java: curl (the readiness checks use it), the
/// database servers it runs, and the JDBC driver its Hive needs when Hive's files lack one.
pub(super) fn packages(c: &Cluster, h: &Host) -> Vec<String> {
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
