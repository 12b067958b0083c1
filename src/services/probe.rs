//! Readiness: what shows that a daemon is ready, defined once. The plan renders a probe to a
//! shell check that `up` polls on the daemon's host; `health` executes the same probe natively
//! from the controlling machine.

use crate::desired::sh_quote;

/// What shows that a daemon at `address` (`ip:port`) is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// ZooKeeper answers `srvr` with a serving mode: leader, follower or standalone.
    Zookeeper {
        /// Its client address.
        address: String,
    },
    /// A Hadoop daemon's JMX page serves bean `bean`.
    Jmx {
        /// Its web address.
        address: String,
        /// The bean's query, e.g. `Hadoop:service=DataNode,name=DataNodeInfo`.
        bean: &'static str,
    },
    /// A NameNode's JMX page reports it active or standby.
    NameNode {
        /// Its web address.
        address: String,
    },
    /// The ResourceManager's REST API reports it STARTED.
    ResourceManager {
        /// Its web address.
        address: String,
    },
    /// A NodeManager's REST API reports it healthy.
    NodeManager {
        /// Its web address.
        address: String,
    },
    /// Something accepts TCP connections.
    Listening {
        /// The address.
        address: String,
    },
    /// A MySQL-protocol server greets with protocol 10, or refuses the prober's address with
    /// error 1130 (before the first user of that address exists, which is still a server
    /// that answers).
    Mysql {
        /// Its address.
        address: String,
    },
    /// A PostgreSQL server answers an SSLRequest (with `S` or `N`).
    Postgres {
        /// Its address.
        address: String,
    },
    /// HiveServer2 opens a session and answers `SHOW DATABASES`. Its shell form is the half a
    /// host can check without a Thrift client: the port accepts connections.
    HiveServer2 {
        /// Its Thrift address.
        address: String,
    },
    /// NiFi's API answers `/nifi-api/flow/about`.
    Nifi {
        /// Its web address.
        address: String,
    },
}

/// A daemon's readiness: what a wait for it is called, and its probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ready {
    /// What is waited for, e.g. `JournalNode answering`.
    pub what: String,
    /// The probe.
    pub probe: Probe,
}

/// The NameNode's HA state bean.
pub const NAMENODE_STATUS: &str = "Hadoop:service=NameNode,name=NameNodeStatus";

/// The NameNode's file system state bean (live DataNodes).
pub const FS_NAMESYSTEM_STATE: &str = "Hadoop:service=NameNode,name=FSNamesystemState";

impl Probe {
    /// The address it asks.
    pub fn address(&self) -> &str {
        match self {
            Probe::Zookeeper { address }
            | Probe::Jmx { address, .. }
            | Probe::NameNode { address }
            | Probe::ResourceManager { address }
            | Probe::NodeManager { address }
            | Probe::Listening { address }
            | Probe::Mysql { address }
            | Probe::Postgres { address }
            | Probe::HiveServer2 { address }
            | Probe::Nifi { address } => address,
        }
    }

    /// The probe as a POSIX shell check (with bash and curl) that succeeds when it holds.
    pub fn shell(&self) -> String {
        let tcp = |script: &str| {
            let (ip, port) = self.address().rsplit_once(':').unwrap_or((self.address(), ""));
            format!("bash -c {} 2>/dev/null", sh_quote(&format!("exec 3<>/dev/tcp/{ip}/{port}{script}")))
        };
        let get =
            |path: &str| format!("curl -sf --max-time 2 {}", sh_quote(&format!("http://{}{path}", self.address())));
        match self {
            Probe::Zookeeper { .. } => {
                format!("{} | grep -Eq '^Mode: (leader|follower|standalone)'", tcp(" && printf srvr >&3 && cat <&3"))
            }
            Probe::Jmx { bean, .. } => format!("{} | grep -q '\"name\"'", get(&format!("/jmx?qry={bean}"))),
            Probe::NameNode { .. } => {
                format!(
                    "{} | grep -Eq '\"State\" *: *\"(active|standby)\"'",
                    get(&format!("/jmx?qry={NAMENODE_STATUS}"))
                )
            }
            Probe::ResourceManager { .. } => {
                format!("{} | grep -q '\"state\":\"STARTED\"'", get("/ws/v1/cluster/info"))
            }
            Probe::NodeManager { .. } => format!("{} | grep -Eq '\"nodeHealthy\" *: *true'", get("/ws/v1/node/info")),
            Probe::Listening { .. } | Probe::HiveServer2 { .. } => tcp(""),
            // After the 4-byte header: protocol 10, or an error packet (255) with code 1130
            // (little-endian 106 4).
            Probe::Mysql { .. } => format!(
                "{} | od -An -tu1 | grep -Eq '^( +[0-9]+){{4}} +(10( +[0-9]+){{2}}|255 +106 +4) *$'",
                tcp(" && head -c 7 <&3")
            ),
            Probe::Postgres { .. } => {
                format!("{} | grep -q '^[SN]'", tcp(" && printf '\\0\\0\\0\\10\\4\\322\\26\\57' >&3 && head -c 1 <&3"))
            }
            Probe::Nifi { .. } => format!("{} -o /dev/null", get("/nifi-api/flow/about")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `check` with bash.
    fn holds(check: &str) -> bool {
        std::process::Command::new("bash").arg("-c").arg(check).status().unwrap().success()
    }

    /// A server on loopback that answers every connection with `answer`.
    fn answering(answer: &'static [u8]) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut s = stream;
                let _ = std::io::Write::write_all(&mut s, answer);
                let mut sink = [0u8; 64];
                let _ = std::io::Read::read(&mut s, &mut sink);
            }
        });
        address
    }

    #[test]
    fn the_shell_forms_tell_a_ready_server_from_another_one() {
        let mysql = answering(&[74, 0, 0, 0, 10, b'1', b'1', 0]);
        let refused = answering(&[68, 0, 0, 0, 255, 106, 4, b'H']);
        let blocked = answering(&[68, 0, 0, 0, 255, 105, 4, b'H']);
        let other = answering(b"HTTP/1.1 400 Bad\r\n\r\n");
        assert!(holds(&Probe::Mysql { address: mysql }.shell()));
        assert!(holds(&Probe::Mysql { address: refused }.shell()), "a server refusing this address answers");
        assert!(!holds(&Probe::Mysql { address: blocked }.shell()), "a server blocking this address is a problem");
        assert!(!holds(&Probe::Mysql { address: other.clone() }.shell()));
        let postgres = answering(b"N");
        assert!(holds(&Probe::Postgres { address: postgres }.shell()));
        assert!(!holds(&Probe::Postgres { address: other.clone() }.shell()));
        assert!(holds(&Probe::Listening { address: other }.shell()));
        let zk = answering(b"Zookeeper version: 3.8.4\nMode: follower\n");
        assert!(holds(&Probe::Zookeeper { address: zk }.shell()));
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
        assert!(!holds(&Probe::Listening { address: closed }.shell()));
    }
}
