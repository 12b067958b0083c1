//! What `provision` knows about each supported product version and operating system:
//! which Java a version runs on and which features it has. Product knowledge only; nothing
//! here is about a particular host.

mod os;

/// A piece of software provision fetches and lays out, which hosts run their daemons from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    /// Apache Hadoop (HDFS, YARN, MapReduce).
    Hadoop,
    /// Apache ZooKeeper.
    Zookeeper,
    /// Apache Hive.
    Hive,
    /// Apache NiFi.
    Nifi,
}

impl Product {
    /// Its name in cache folders, archives and output.
    pub fn name(self) -> &'static str {
        match self {
            Product::Hadoop => "hadoop",
            Product::Zookeeper => "zookeeper",
            Product::Hive => "hive",
            Product::Nifi => "nifi",
        }
    }
}

impl std::fmt::Display for Product {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub use os::{Firewall, Os, OsRow, PackageManager, ServiceManager};

/// Java major versions an inventory may ask for.
pub const JAVA_VERSIONS: &[u8] = &[8, 11, 17, 21];

/// Facts about one Hadoop release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hadoop {
    /// The release, e.g. `3.5.0`.
    pub version: &'static str,
    /// Java major versions its servers run on.
    pub java: &'static [u8],
}

/// Hadoop releases `provision` can render for.
pub const HADOOP: &[Hadoop] = &[
    Hadoop { version: "3.1.0", java: &[8] },
    Hadoop { version: "3.3.6", java: &[8, 11] },
    Hadoop { version: "3.4.1", java: &[8, 11] },
    Hadoop { version: "3.5.0", java: &[17, 21] },
];

/// Facts about one ZooKeeper release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZooKeeper {
    /// The release.
    pub version: &'static str,
    /// Java major versions it runs on.
    pub java: &'static [u8],
    /// Whether it reads `4lw.commands.whitelist` (3.4.10 and later).
    pub four_letter_whitelist: bool,
    /// Whether it has the embedded admin server (3.5 and later), which takes a port.
    pub admin_server: bool,
    /// Whether it logs through logback (3.8 and later) rather than log4j.
    pub logback: bool,
}

impl ZooKeeper {
    /// Whether `artifacts/zookeeper` can lay it out from Maven Central (3.5 on: 3.4 has no
    /// parent POM to take the dependencies' versions from).
    pub fn maven_layout(&self) -> bool {
        !self.version.starts_with("3.4.")
    }
}

/// ZooKeeper releases `provision` can render for (3.8.0 is Debian 12's package).
pub const ZOOKEEPER: &[ZooKeeper] = &[
    ZooKeeper { version: "3.4.10", java: &[8], four_letter_whitelist: true, admin_server: false, logback: false },
    ZooKeeper { version: "3.4.14", java: &[8], four_letter_whitelist: true, admin_server: false, logback: false },
    ZooKeeper { version: "3.8.0", java: &[8, 11, 17], four_letter_whitelist: true, admin_server: true, logback: true },
    ZooKeeper {
        version: "3.8.4",
        java: &[8, 11, 17, 21],
        four_letter_whitelist: true,
        admin_server: true,
        logback: true,
    },
    ZooKeeper {
        version: "3.9.3",
        java: &[8, 11, 17, 21],
        four_letter_whitelist: true,
        admin_server: true,
        logback: true,
    },
];

/// Facts about one Hive release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hive {
    /// The release.
    pub version: &'static str,
    /// Java major versions it runs on.
    pub java: &'static [u8],
    /// The main class of its schema tool (`schematool`).
    pub schema_tool: &'static str,
}

impl Hive {
    /// Whether `artifacts/hive` can lay it out from Maven Central (4.0: its metastore server
    /// and schema scripts are there as hive-standalone-metastore-server; 3.x named them
    /// otherwise, and 4.1's are not published).
    pub fn maven_layout(&self) -> bool {
        self.version.starts_with("4.0.")
    }
}

const SCHEMA_TOOL_3: &str = "org.apache.hive.beeline.HiveSchemaTool";
const SCHEMA_TOOL_4: &str = "org.apache.hadoop.hive.metastore.tools.schematool.MetastoreSchemaTool";

/// Hive releases `provision` can render for.
pub const HIVE: &[Hive] = &[
    Hive { version: "3.1.2", java: &[8], schema_tool: SCHEMA_TOOL_3 },
    Hive { version: "3.1.3", java: &[8], schema_tool: SCHEMA_TOOL_3 },
    Hive { version: "4.0.1", java: &[8, 17], schema_tool: SCHEMA_TOOL_4 },
    Hive { version: "4.1.0", java: &[17, 21], schema_tool: SCHEMA_TOOL_4 },
];

/// Facts about one NiFi release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nifi {
    /// The release.
    pub version: &'static str,
    /// Java major versions it runs on.
    pub java: &'static [u8],
    /// The algorithm that encrypts sensitive properties in the flow.
    pub sensitive_algorithm: &'static str,
    /// Whether the flow is kept as JSON (`flow.json.gz`, 1.16 and later) besides the XML.
    pub flow_json: bool,
}

impl Nifi {
    /// Whether `artifacts/nifi` can lay it out from Maven Central (1.18.0: the one release
    /// whose framework, server and standard NARs are all served there).
    pub fn maven_layout(&self) -> bool {
        self.version == "1.18.0"
    }
}

/// NiFi releases `provision` can render for.
pub const NIFI: &[Nifi] = &[
    Nifi { version: "1.9.2", java: &[8], sensitive_algorithm: "PBEWITHMD5AND256BITAES-CBC-OPENSSL", flow_json: false },
    Nifi { version: "1.18.0", java: &[8, 11, 17], sensitive_algorithm: "NIFI_PBKDF2_AES_GCM_256", flow_json: true },
    Nifi { version: "1.28.1", java: &[8, 11, 17, 21], sensitive_algorithm: "NIFI_PBKDF2_AES_GCM_256", flow_json: true },
];

/// Which server keeps the Hive metastore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetastoreDbKind {
    /// Oracle MySQL.
    Mysql,
    /// MariaDB.
    Mariadb,
}

/// Facts about one metastore database server release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetastoreDb {
    /// How an inventory names it, e.g. `mysql-5.7`.
    pub name: &'static str,
    /// Which server it is.
    pub kind: MetastoreDbKind,
    /// The JDBC driver class Hive loads.
    pub jdbc_driver: &'static str,
    /// The JDBC URL scheme (`jdbc:mysql` or `jdbc:mariadb`).
    pub jdbc_scheme: &'static str,
    /// The server binary, as the OS package installs it.
    pub server_binary: &'static str,
}

impl MetastoreDb {
    /// The OS package of the server on `os`: Oracle's MySQL Community packages, MariaDB's
    /// own packages on Enterprise Linux, Debian's MariaDB on Debian.
    pub fn package(&self, os: Os) -> &'static str {
        match (self.kind, os) {
            (MetastoreDbKind::Mysql, _) => "mysql-community-server",
            (MetastoreDbKind::Mariadb, Os::Debian12) => "mariadb-server",
            (MetastoreDbKind::Mariadb, _) => "MariaDB-server",
        }
    }

    /// Whether its vendor publishes server packages for `os` (MySQL none for Debian, 5.7 none
    /// for EL9).
    pub fn packaged_for(&self, os: Os) -> bool {
        match (self.kind, os) {
            (MetastoreDbKind::Mariadb, _) | (MetastoreDbKind::Mysql, Os::Centos7) => true,
            (MetastoreDbKind::Mysql, Os::Rocky9) => self.name != "mysql-5.7",
            (MetastoreDbKind::Mysql, Os::Debian12) => false,
        }
    }

    /// The systemd unit the server's OS package brings (and may enable); provision runs the
    /// server from a unit of its own, so this one is kept off.
    pub fn packaged_unit(&self, os: Os) -> &'static str {
        match (self.kind, os) {
            (MetastoreDbKind::Mysql, _) => "mysqld.service",
            (MetastoreDbKind::Mariadb, _) => "mariadb.service",
        }
    }

    /// The OS package of the JDBC driver Hive needs on `os`, and the jar it installs, when
    /// Hive's own files lack it: MySQL's driver always (Apache's Hive archives carry none, nor
    /// does provision's Maven layout), MariaDB's when Hive comes from `release_archive`.
    pub fn jdbc_package(&self, os: Os, release_archive: bool) -> Option<(&'static str, &'static str)> {
        match (self.kind, os) {
            (MetastoreDbKind::Mysql, Os::Debian12) => None,
            (MetastoreDbKind::Mysql, _) => Some(("mysql-connector-java", "/usr/share/java/mysql-connector-java.jar")),
            (MetastoreDbKind::Mariadb, _) if !release_archive => None,
            (MetastoreDbKind::Mariadb, Os::Debian12) => {
                Some(("libmariadb-java", "/usr/share/java/mariadb-java-client.jar"))
            }
            (MetastoreDbKind::Mariadb, _) => Some(("mariadb-java-client", "/usr/share/java/mariadb-java-client.jar")),
        }
    }

    /// The vendor's yum repository of its JDBC drivers for Enterprise Linux `el`, as
    /// (repository id, base URL); only MySQL's come from a repository of their own.
    pub fn jdbc_repository(&self, el: u8) -> Option<(&'static str, String)> {
        (self.kind == MetastoreDbKind::Mysql).then(|| {
            (
                "mysql-connectors-community",
                format!("https://repo.mysql.com/yum/mysql-connectors-community/el/{el}/$basearch/"),
            )
        })
    }

    /// The vendor's yum repository of this release for Enterprise Linux `el`, as (repository
    /// id, base URL, signing key URLs): the distributions carry neither MySQL 5.7/8.0 nor
    /// MariaDB 10.11.
    pub fn yum_repository(&self, el: u8) -> (String, String, Vec<&'static str>) {
        let release = self.name.split_once('-').map_or(self.name, |(_, v)| v);
        match self.kind {
            MetastoreDbKind::Mysql => (
                format!("mysql{}-community", release.replace('.', "")),
                format!("https://repo.mysql.com/yum/mysql-{release}-community/el/{el}/$basearch/"),
                vec![
                    "https://repo.mysql.com/RPM-GPG-KEY-mysql-2023",
                    "https://repo.mysql.com/RPM-GPG-KEY-mysql-2022",
                    "https://repo.mysql.com/RPM-GPG-KEY-mysql",
                ],
            ),
            MetastoreDbKind::Mariadb => (
                format!("mariadb-{release}"),
                format!("https://rpm.mariadb.org/{release}/rhel/{el}/$basearch"),
                vec!["https://rpm.mariadb.org/RPM-GPG-KEY-MariaDB"],
            ),
        }
    }
}

/// Metastore database servers `provision` can render for.
pub const METASTORE_DB: &[MetastoreDb] = &[
    MetastoreDb {
        name: "mysql-5.7",
        kind: MetastoreDbKind::Mysql,
        jdbc_driver: "com.mysql.jdbc.Driver",
        jdbc_scheme: "jdbc:mysql",
        server_binary: "/usr/sbin/mysqld",
    },
    MetastoreDb {
        name: "mysql-8.0",
        kind: MetastoreDbKind::Mysql,
        jdbc_driver: "com.mysql.cj.jdbc.Driver",
        jdbc_scheme: "jdbc:mysql",
        server_binary: "/usr/sbin/mysqld",
    },
    MetastoreDb {
        name: "mariadb-10.11",
        kind: MetastoreDbKind::Mariadb,
        jdbc_driver: "org.mariadb.jdbc.Driver",
        jdbc_scheme: "jdbc:mariadb",
        server_binary: "/usr/sbin/mariadbd",
    },
];

/// PostgreSQL major versions `provision` can render for.
pub const POSTGRESQL: &[u8] = &[11, 12, 13, 14, 15, 16, 17];

/// The password hashing pg_hba.conf asks for: SCRAM where it is the server's default (14+).
pub fn postgres_auth_method(pg: u8) -> &'static str {
    if pg >= 14 { "scram-sha-256" } else { "md5" }
}

/// One of Apache's release archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApacheRelease {
    /// Its path below a mirror's root (the layout of archive.apache.org/dist), e.g.
    /// `hadoop/common/hadoop-3.1.0/hadoop-3.1.0.tar.gz`.
    pub path: String,
    /// The folder it unpacks to, e.g. `hadoop-3.1.0`.
    pub top: String,
}

impl ApacheRelease {
    /// The archive's file name, the last part of its path.
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// Apache's release archive of `product` `version`.
pub fn apache_release(product: Product, version: &str) -> ApacheRelease {
    let (path, top) = match product {
        Product::Hadoop => {
            (format!("hadoop/common/hadoop-{version}/hadoop-{version}.tar.gz"), format!("hadoop-{version}"))
        }
        // ZooKeeper's binary archives are called -bin from 3.5 on.
        Product::Zookeeper if version.starts_with("3.4.") => {
            (format!("zookeeper/zookeeper-{version}/zookeeper-{version}.tar.gz"), format!("zookeeper-{version}"))
        }
        Product::Zookeeper => (
            format!("zookeeper/zookeeper-{version}/apache-zookeeper-{version}-bin.tar.gz"),
            format!("apache-zookeeper-{version}-bin"),
        ),
        Product::Hive => {
            (format!("hive/hive-{version}/apache-hive-{version}-bin.tar.gz"), format!("apache-hive-{version}-bin"))
        }
        // NiFi published tar.gz archives until 1.13; zip only after.
        Product::Nifi if version.starts_with("1.9.") => {
            (format!("nifi/{version}/nifi-{version}-bin.tar.gz"), format!("nifi-{version}"))
        }
        Product::Nifi => (format!("nifi/{version}/nifi-{version}-bin.zip"), format!("nifi-{version}")),
    };
    ApacheRelease { path, top }
}

/// Apache's own archive of every release, the default mirror and checksum site.
pub const APACHE_ARCHIVE: &str = "https://archive.apache.org/dist";

/// Looks up `version` in a catalog table by its version field.
pub fn find<T: Copy>(table: &[T], version: &str, key: impl Fn(&T) -> &'static str) -> Option<T> {
    table.iter().copied().find(|t| key(t) == version)
}

/// The versions of a catalog table, joined for a hint.
pub fn known<T>(table: &[T], key: impl Fn(&T) -> &'static str) -> String {
    table.iter().map(key).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (product, version) of the catalog.
    fn releases() -> Vec<(Product, &'static str)> {
        let mut out: Vec<(Product, &str)> = HADOOP.iter().map(|h| (Product::Hadoop, h.version)).collect();
        out.extend(ZOOKEEPER.iter().map(|z| (Product::Zookeeper, z.version)));
        out.extend(HIVE.iter().map(|h| (Product::Hive, h.version)));
        out.extend(NIFI.iter().map(|n| (Product::Nifi, n.version)));
        out
    }

    #[test]
    fn every_release_archive_is_pinned_under_its_products_folder_and_named_for_its_version() {
        for (product, version) in releases() {
            let release = apache_release(product, version);
            let (path, top, file) = (&release.path, &release.top, release.file_name());
            let url = format!("{APACHE_ARCHIVE}/{path}");
            assert!(url.starts_with("https://archive.apache.org/dist/"), "{url}");
            assert!(path.starts_with(&format!("{product}/")), "{path}");
            assert!(path.ends_with(&format!("/{file}")), "{path} is not {file}");
            assert!(file.ends_with(".tar.gz") || file.ends_with(".zip"), "{file}");
            assert!(file.contains(&format!("-{version}")), "{file} is not {version}");
            assert!(top.contains(version) && file.starts_with(top.trim_end_matches("-bin")), "{file} unpacks to {top}");
            assert!(!path.contains("//") && !path.contains(' '), "{path}");
        }
    }

    #[test]
    fn the_original_versions_come_only_from_apaches_archives() {
        let zk = find(ZOOKEEPER, "3.4.10", |z| z.version).unwrap();
        let hive = find(HIVE, "3.1.2", |h| h.version).unwrap();
        assert!(!zk.maven_layout() && !hive.maven_layout());
        assert!(find(ZOOKEEPER, "3.8.4", |z| z.version).unwrap().maven_layout());
        assert!(find(HIVE, "4.0.1", |h| h.version).unwrap().maven_layout());
        assert!(!find(HIVE, "4.1.0", |h| h.version).unwrap().maven_layout());
    }
}
