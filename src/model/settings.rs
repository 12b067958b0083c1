//! Named settings with defaults that an inventory may override one by one: ports, paths on a
//! host, service users and JVM heaps. Each group is a plain struct, so the renderers read typed
//! fields, while the inventory reader sets them by name.

use super::values::{HostPath, UserName};

macro_rules! settings {
    ($(#[$meta:meta])* $name:ident : $ty:ty as $key:ident { $($(#[doc = $doc:literal])* $field:ident / $variant:ident = $default:expr,)* }) => {
        settings! { $(#[$meta])* $name : $ty { $($(#[doc = $doc])* $field = $default,)* } }

        #[doc = concat!("The name of one setting of [`", stringify!($name), "`], checked by the compiler.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $key {
            $($(#[doc = $doc])* $variant,)*
        }

        impl $key {
            /// Its name in an inventory.
            pub fn name(self) -> &'static str {
                match self {
                    $($key::$variant => stringify!($field),)*
                }
            }
        }

        impl $name {
            /// The setting `key`.
            pub fn of(&self, key: $key) -> $ty {
                match key {
                    $($key::$variant => self.$field.clone(),)*
                }
            }
        }
    };
    ($(#[$meta:meta])* $name:ident : $ty:ty { $($(#[doc = $doc:literal])* $field:ident = $default:expr,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $($(#[doc = $doc])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default.into(),)* }
            }
        }

        impl $name {
            /// The name of every setting, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

            /// The setting called `name`, if there is one.
            pub fn get(&self, name: &str) -> Option<$ty> {
                match name {
                    $(stringify!($field) => Some(self.$field.clone()),)*
                    _ => None,
                }
            }

            /// Sets the setting called `name`; false when there is no such setting.
            pub fn set(&mut self, name: &str, value: $ty) -> bool {
                match name {
                    $(stringify!($field) => { self.$field = value; true })*
                    _ => false,
                }
            }
        }
    };
}

settings! {
    /// The TCP ports the daemons listen on (every daemon binds its own host's address).
    Ports: u16 as Port {
        /// ZooKeeper client port.
        zookeeper_client / ZookeeperClient = 2181u16,
        /// ZooKeeper follower-to-leader port.
        zookeeper_peer / ZookeeperPeer = 2888u16,
        /// ZooKeeper leader election port.
        zookeeper_election / ZookeeperElection = 3888u16,
        /// ZooKeeper admin server (3.5+); ZooKeeper's own default, 8080, is NiFi's too.
        zookeeper_admin / ZookeeperAdmin = 8081u16,
        /// JournalNode RPC.
        journalnode_rpc / JournalnodeRpc = 8485u16,
        /// JournalNode web UI.
        journalnode_http / JournalnodeHttp = 8480u16,
        /// NameNode RPC (the nameservice's clients use it).
        namenode_rpc / NamenodeRpc = 8020u16,
        /// NameNode web UI.
        namenode_http / NamenodeHttp = 9870u16,
        /// ZKFC RPC.
        zkfc / Zkfc = 8019u16,
        /// DataNode data transfer.
        datanode / Datanode = 9866u16,
        /// DataNode web UI.
        datanode_http / DatanodeHttp = 9864u16,
        /// DataNode IPC.
        datanode_ipc / DatanodeIpc = 9867u16,
        /// ResourceManager client RPC.
        resourcemanager / Resourcemanager = 8032u16,
        /// ResourceManager scheduler RPC.
        resourcemanager_scheduler / ResourcemanagerScheduler = 8030u16,
        /// ResourceManager resource tracker RPC.
        resourcemanager_tracker / ResourcemanagerTracker = 8031u16,
        /// ResourceManager admin RPC.
        resourcemanager_admin / ResourcemanagerAdmin = 8033u16,
        /// ResourceManager web UI.
        resourcemanager_webapp / ResourcemanagerWebapp = 8088u16,
        /// NodeManager container manager RPC.
        nodemanager / Nodemanager = 8041u16,
        /// NodeManager localizer RPC.
        nodemanager_localizer / NodemanagerLocalizer = 8040u16,
        /// NodeManager web UI.
        nodemanager_webapp / NodemanagerWebapp = 8042u16,
        /// MapReduce shuffle, served by each NodeManager on all of its host's interfaces.
        mapreduce_shuffle / MapreduceShuffle = 13562u16,
        /// Hive metastore Thrift.
        hive_metastore / HiveMetastore = 9083u16,
        /// HiveServer2 Thrift (JDBC).
        hiveserver2 / Hiveserver2 = 10000u16,
        /// HiveServer2 web UI.
        hiveserver2_webui / Hiveserver2Webui = 10002u16,
        /// The metastore's MySQL or MariaDB.
        metastore_db / MetastoreDb = 3306u16,
        /// NiFi web UI and API (plain HTTP).
        nifi_http / NifiHttp = 8080u16,
        /// The mart's PostgreSQL.
        postgresql / Postgresql = 5432u16,
    }
}

settings! {
    /// Paths on a host, absolute as the host sees them below the host's root.
    Paths: HostPath {
        /// Hadoop installation.
        hadoop_home = "/opt/hadoop",
        /// Hadoop configuration folder (HADOOP_CONF_DIR).
        hadoop_conf = "/opt/hadoop/etc/hadoop",
        /// Hadoop daemon logs.
        hadoop_logs = "/var/log/hadoop",
        /// hadoop.tmp.dir.
        hadoop_tmp = "/data/hadoop/tmp",
        /// NameNode metadata (dfs.namenode.name.dir).
        namenode_dir = "/data/hadoop/namenode",
        /// DataNode blocks (dfs.datanode.data.dir).
        datanode_dir = "/data/hadoop/datanode",
        /// JournalNode edits (dfs.journalnode.edits.dir).
        journalnode_dir = "/data/hadoop/journal",
        /// NodeManager local folders.
        yarn_local = "/data/hadoop/yarn/local",
        /// NodeManager container logs.
        yarn_logs = "/var/log/hadoop/yarn",
        /// ZooKeeper installation.
        zookeeper_home = "/opt/zookeeper",
        /// ZooKeeper configuration folder (zoo.cfg).
        zookeeper_conf = "/opt/zookeeper/conf",
        /// ZooKeeper snapshots and myid.
        zookeeper_data = "/data/zookeeper",
        /// ZooKeeper logs.
        zookeeper_logs = "/var/log/zookeeper",
        /// Hive installation.
        hive_home = "/opt/hive",
        /// Hive configuration folder.
        hive_conf = "/opt/hive/conf",
        /// Hive logs.
        hive_logs = "/var/log/hive",
        /// The metastore database server's configuration folder.
        metastore_db_conf = "/etc/provision/metastore-db",
        /// The metastore database server's data.
        metastore_db_data = "/var/lib/mysql",
        /// The metastore database server's socket and pid folder.
        metastore_db_run = "/var/run/mysqld",
        /// NiFi installation.
        nifi_home = "/opt/nifi",
        /// NiFi configuration folder.
        nifi_conf = "/opt/nifi/conf",
        /// NiFi repositories (flowfile, content, provenance, database).
        nifi_data = "/data/nifi",
        /// NiFi logs.
        nifi_logs = "/var/log/nifi",
        /// The folder the crawler's CSV lands in on the landing host.
        landing = "/data/landing",
        /// The mart's PostgreSQL configuration folder.
        postgres_conf = "/etc/provision/postgresql",
        /// The mart's PostgreSQL data folder.
        postgres_data = "/var/lib/pgsql/data",
        /// The mart's PostgreSQL socket folder.
        postgres_run = "/var/run/postgresql",
        /// SQL and settings that `provision` keeps on a host.
        provision_conf = "/etc/provision",
        /// The `provision` binary on the crawler host.
        provision_bin = "/usr/local/bin/provision",
        /// `provision`'s own logs on a host, and the output of the daemons it supervises.
        provision_logs = "/var/log/provision",
        /// Pid files of the daemons `provision` supervises where there is no systemd.
        provision_run = "/var/run/provision",
        /// What `provision` records on a host between runs (bootstrap markers).
        provision_state = "/var/lib/provision",
        /// Where systemd units go.
        systemd_units = "/etc/systemd/system",
        /// Where cron schedules go.
        cron_d = "/etc/cron.d",
        /// JAVA_HOME; empty means the OS package's location for the inventory's Java.
        java_home = "",
        /// The PostgreSQL server's binaries; empty means the OS package's location.
        postgres_bin = "",
    }
}

settings! {
    /// The OS users daemons run as.
    Users: UserName {
        /// HDFS and YARN daemons.
        hadoop = "hadoop",
        /// ZooKeeper.
        zookeeper = "zookeeper",
        /// Hive metastore and HiveServer2.
        hive = "hive",
        /// NiFi.
        nifi = "nifi",
        /// The metastore's MySQL or MariaDB.
        mysql = "mysql",
        /// The mart's PostgreSQL.
        postgres = "postgres",
        /// The hourly crawler.
        crawler = "crawler",
    }
}

settings! {
    /// Maximum JVM heap of each Java daemon, in MiB.
    Heaps: u32 {
        /// ZooKeeper.
        zookeeper = 256u32,
        /// JournalNode.
        journalnode = 256u32,
        /// NameNode.
        namenode = 1024u32,
        /// ZKFC.
        zkfc = 128u32,
        /// DataNode.
        datanode = 512u32,
        /// ResourceManager.
        resourcemanager = 512u32,
        /// NodeManager.
        nodemanager = 512u32,
        /// Hive metastore.
        hive_metastore = 512u32,
        /// HiveServer2.
        hiveserver2 = 1024u32,
        /// NiFi.
        nifi = 1024u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_path_and_user_keeps_its_grammar() {
        let paths = Paths::default();
        for name in Paths::NAMES {
            let p = paths.get(name).unwrap();
            // JAVA_HOME and the PostgreSQL binaries are empty by default: the OS decides.
            if !(p.is_empty() && matches!(*name, "java_home" | "postgres_bin")) {
                assert!(HostPath::parse(&p).is_ok(), "default paths.{name} = {p:?} breaks the path grammar");
            }
        }
        let users = Users::default();
        for name in Users::NAMES {
            let u = users.get(name).unwrap();
            assert!(UserName::parse(&u).is_ok(), "default users.{name} = {u:?} breaks the user grammar");
        }
    }
}
