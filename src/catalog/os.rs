//! The operating systems provision supports, as one table: one row per OS, every fact the plan
//! and the renderers need about it, and no default for an OS without a row.

/// An operating system a host may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// CentOS 7 (end of life; packages from vault.centos.org 7.9.2009).
    Centos7,
    /// Rocky Linux 9.
    Rocky9,
    /// Debian 12.
    Debian12,
}

/// The package manager of a host's OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageManager {
    /// yum/dnf with rpm.
    Yum,
    /// apt with dpkg.
    Apt,
}

/// The firewall an OS runs by default, which the os phase opens the services' ports in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firewall {
    /// firewalld, driven with `firewall-cmd`.
    Firewalld,
}

/// What supervises daemons on an OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceManager {
    /// systemd, driven with `systemctl`.
    Systemd,
}

/// Everything provision knows about one OS. Patterns hold `{java}` or `{pg}` for the major
/// version of Java or PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsRow {
    /// The OS.
    pub os: Os,
    /// Its name in an inventory.
    pub name: &'static str,
    /// Its name for people, e.g. `CentOS 7`.
    pub title: &'static str,
    /// The glibc release it ships, as (major, minor).
    pub glibc: (u32, u32),
    /// Its package manager.
    pub package_manager: PackageManager,
    /// The OpenJDK runtime's package.
    pub java_package: &'static str,
    /// Where that package puts the runtime.
    pub java_home: &'static str,
    /// Java 8's package and home where they do not follow the patterns.
    pub java8: Option<(&'static str, &'static str)>,
    /// Whether SELinux is enforcing out of the box (the os phase makes it permissive).
    pub selinux: bool,
    /// The firewall it runs by default, if any.
    pub firewall: Option<Firewall>,
    /// What supervises daemons.
    pub service_manager: ServiceManager,
    /// The Vagrant box a `vagrant` inventory gets when it names none.
    pub default_box: &'static str,
    /// The Enterprise Linux release (7, 9) of a yum-based OS.
    pub el_release: Option<u8>,
    /// Where its package repositories moved at the end of its life: the sources are
    /// rewritten to this base URL.
    pub archived_repositories: Option<&'static str>,
    /// The PostgreSQL server's package (PGDG's on Enterprise Linux, the distribution's own on
    /// Debian).
    pub postgres_package: &'static str,
    /// The PostgreSQL server's binary folder.
    pub postgres_bin: &'static str,
    /// The unit the PostgreSQL package may enable.
    pub postgres_unit: &'static str,
    /// The unit of a cluster the PostgreSQL package starts on install, if any (Debian's
    /// `<pg>-main`).
    pub postgres_cluster_unit: Option<&'static str>,
    /// The cron daemon's package and unit, which run the crawler's schedule.
    pub cron: (&'static str, &'static str),
}

const CENTOS7: OsRow = OsRow {
    os: Os::Centos7,
    name: "centos7",
    title: "CentOS 7",
    glibc: (2, 17),
    package_manager: PackageManager::Yum,
    java_package: "java-{java}-openjdk-headless",
    java_home: "/usr/lib/jvm/jre-{java}-openjdk",
    java8: Some(("java-1.8.0-openjdk-headless", "/usr/lib/jvm/jre-1.8.0-openjdk")),
    selinux: true,
    firewall: Some(Firewall::Firewalld),
    service_manager: ServiceManager::Systemd,
    default_box: "centos/7",
    el_release: Some(7),
    archived_repositories: Some("http://vault.centos.org/7.9.2009"),
    postgres_package: "postgresql{pg}-server",
    postgres_bin: "/usr/pgsql-{pg}/bin",
    postgres_unit: "postgresql-{pg}.service",
    postgres_cluster_unit: None,
    cron: ("cronie", "crond.service"),
};

const ROCKY9: OsRow = OsRow {
    os: Os::Rocky9,
    name: "rocky9",
    title: "Rocky Linux 9",
    glibc: (2, 34),
    package_manager: PackageManager::Yum,
    java_package: "java-{java}-openjdk-headless",
    java_home: "/usr/lib/jvm/jre-{java}-openjdk",
    java8: None,
    selinux: true,
    firewall: Some(Firewall::Firewalld),
    service_manager: ServiceManager::Systemd,
    default_box: "generic/rocky9",
    el_release: Some(9),
    archived_repositories: None,
    postgres_package: "postgresql{pg}-server",
    postgres_bin: "/usr/pgsql-{pg}/bin",
    postgres_unit: "postgresql-{pg}.service",
    postgres_cluster_unit: None,
    cron: ("cronie", "crond.service"),
};

const DEBIAN12: OsRow = OsRow {
    os: Os::Debian12,
    name: "debian12",
    title: "Debian 12",
    glibc: (2, 36),
    package_manager: PackageManager::Apt,
    java_package: "openjdk-{java}-jre-headless",
    java_home: "/usr/lib/jvm/java-{java}-openjdk-amd64",
    java8: None,
    selinux: false,
    firewall: None,
    service_manager: ServiceManager::Systemd,
    default_box: "debian/bookworm64",
    el_release: None,
    archived_repositories: None,
    postgres_package: "postgresql-{pg}",
    postgres_bin: "/usr/lib/postgresql/{pg}/bin",
    postgres_unit: "postgresql.service",
    postgres_cluster_unit: Some("postgresql@{pg}-main.service"),
    cron: ("cron", "cron.service"),
};

/// Every supported OS, in the order hints list them.
pub const TABLE: &[OsRow] = &[CENTOS7, ROCKY9, DEBIAN12];

impl Os {
    /// This OS's row (a new variant fails to compile here until it has one).
    pub fn row(self) -> &'static OsRow {
        match self {
            Os::Centos7 => &CENTOS7,
            Os::Rocky9 => &ROCKY9,
            Os::Debian12 => &DEBIAN12,
        }
    }

    /// Every supported name, for hints.
    pub fn names() -> Vec<&'static str> {
        TABLE.iter().map(|r| r.name).collect()
    }

    /// The OS called `name` in an inventory; `None` for an OS without a row.
    pub fn parse(name: &str) -> Option<Os> {
        TABLE.iter().find(|r| r.name == name).map(|r| r.os)
    }

    /// Its name in an inventory.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The glibc release this OS ships, as (major, minor).
    pub fn glibc(self) -> (u32, u32) {
        self.row().glibc
    }

    /// Where this OS's OpenJDK package puts the Java runtime of major version `java`.
    pub fn java_home(self, java: u8) -> String {
        match self.row().java8 {
            Some((_, home)) if java == 8 => home.into(),
            _ => self.row().java_home.replace("{java}", &java.to_string()),
        }
    }

    /// The OS package of the Java runtime of major version `java`.
    pub fn java_package(self, java: u8) -> String {
        match self.row().java8 {
            Some((package, _)) if java == 8 => package.into(),
            _ => self.row().java_package.replace("{java}", &java.to_string()),
        }
    }

    /// The OS package of the PostgreSQL server of major version `pg` (on Enterprise Linux from
    /// the repository [`Os::pgdg_repository`] names).
    pub fn postgres_package(self, pg: u8) -> String {
        self.row().postgres_package.replace("{pg}", &pg.to_string())
    }

    /// The Enterprise Linux release (7, 9) of a yum-based OS; `None` on Debian.
    pub fn el_release(self) -> Option<u8> {
        self.row().el_release
    }

    /// The PostgreSQL Global Development Group's yum repository of major version `pg` for
    /// this OS, as (base URL, signing key URL); `None` on Debian. EL7's packages live in
    /// PGDG's archive since the release's end of life.
    pub fn pgdg_repository(self, pg: u8) -> Option<(String, String)> {
        let keys = "https://download.postgresql.org/pub/repos/yum/keys";
        match self.el_release()? {
            7 => Some((
                format!("https://yum-archive.postgresql.org/{pg}/redhat/rhel-7-x86_64"),
                format!("{keys}/PGDG-RPM-GPG-KEY-RHEL7"),
            )),
            el => Some((
                format!("https://download.postgresql.org/pub/repos/yum/{pg}/redhat/rhel-{el}-$basearch"),
                format!("{keys}/PGDG-RPM-GPG-KEY-RHEL"),
            )),
        }
    }

    /// The systemd units the PostgreSQL package of major version `pg` brings, as (the unit
    /// it may enable, the unit of a cluster it starts on install, if any); provision runs the
    /// mart from a unit of its own.
    pub fn postgres_packaged_units(self, pg: u8) -> (String, Option<String>) {
        let pg = pg.to_string();
        let row = self.row();
        (row.postgres_unit.replace("{pg}", &pg), row.postgres_cluster_unit.map(|u| u.replace("{pg}", &pg)))
    }

    /// The PostgreSQL server's binary folder for major version `pg` on this OS.
    pub fn postgres_bin(self, pg: u8) -> String {
        self.row().postgres_bin.replace("{pg}", &pg.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_its_oses_own_and_every_name_parses_back() {
        for row in TABLE {
            assert_eq!(row.os.row(), row, "{}", row.name);
            assert_eq!(Os::parse(row.name), Some(row.os));
            assert_eq!(row.el_release.is_some(), row.package_manager == PackageManager::Yum, "{}", row.name);
        }
        assert_eq!(Os::parse("ubuntu24"), None, "an OS without a row is not taken for another");
    }

    #[test]
    fn patterns_give_the_packaged_names_and_folders() {
        assert_eq!(Os::Centos7.java_package(8), "java-1.8.0-openjdk-headless");
        assert_eq!(Os::Centos7.java_home(11), "/usr/lib/jvm/jre-11-openjdk");
        assert_eq!(Os::Debian12.java_home(17), "/usr/lib/jvm/java-17-openjdk-amd64");
        assert_eq!(Os::Debian12.java_package(17), "openjdk-17-jre-headless");
        assert_eq!(
            Os::Debian12.postgres_packaged_units(15),
            ("postgresql.service".to_string(), Some("postgresql@15-main.service".to_string()))
        );
        assert_eq!(Os::Rocky9.postgres_bin(16), "/usr/pgsql-16/bin");
    }
}
