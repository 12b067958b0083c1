//! Health of a running platform, read over the network from the controlling machine: each
//! daemon's own endpoint (ZooKeeper's four-letter words, the Hadoop daemons' JMX and REST
//! pages, the databases' wire protocols, a HiveServer2 session), and the verdict over all of
//! them.

use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::hive::client::Session;
use crate::model::{Cluster, Host, Role, Service};
use crate::phases::supervised;

/// How long one check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// How long HiveServer2's check may take: the first statement of a fresh server compiles and
/// opens its metastore connection, which takes seconds on a busy machine.
const HIVESERVER2_TIMEOUT: Duration = Duration::from_secs(30);

/// One daemon's state.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The host.
    pub host: String,
    /// The daemon.
    pub service: &'static str,
    /// Where it was asked.
    pub endpoint: String,
    /// Whether it answered as it should.
    pub up: bool,
    /// What it said (its role, counts) or why it is down.
    pub detail: String,
}

/// Every daemon's state and what is wrong with the whole.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// One per daemon, in inventory order.
    pub checks: Vec<Check>,
    /// What keeps the platform from being healthy; empty when it is.
    pub problems: Vec<String>,
}

impl Health {
    /// Whether every daemon is up and the whole is consistent.
    pub fn healthy(&self) -> bool {
        self.problems.is_empty()
    }

    /// The NameNode host reporting `state` (`active` or `standby`).
    pub fn namenode(&self, state: &str) -> Option<&str> {
        self.checks
            .iter()
            .find(|c| c.service == "namenode" && c.up && c.detail.starts_with(state))
            .map(|c| c.host.as_str())
    }
}

async fn with_timeout<T>(f: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(CHECK_TIMEOUT, f)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}s", CHECK_TIMEOUT.as_secs())))
}

/// Sends `request` to `address` and reads the answer until `complete` says it is whole, or
/// the server closes the connection.
async fn exchange(address: &str, request: &[u8], complete: fn(&[u8]) -> bool) -> Result<Vec<u8>, String> {
    with_timeout(async {
        let mut s = TcpStream::connect(address).await.map_err(|e| e.to_string())?;
        s.write_all(request).await.map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !complete(&buf) {
            let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok(buf)
    })
    .await
}

/// A JSON document fetched over HTTP within the check timeout.
pub async fn http_json(url: &str) -> Result<serde_json::Value, String> {
    with_timeout(async {
        let resp = reqwest::get(url).await.map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        resp.json::<serde_json::Value>().await.map_err(|e| e.to_string())
    })
    .await
}

/// The first bean of a Hadoop `/jmx?qry=` answer.
async fn jmx(address: &str, port: u16, query: &str) -> Result<serde_json::Value, String> {
    let v = http_json(&format!("http://{address}:{port}/jmx?qry={query}")).await?;
    v["beans"].get(0).cloned().ok_or_else(|| format!("no bean {query}"))
}

/// ZooKeeper's mode, from the `srvr` four-letter word.
pub async fn zookeeper_mode(address: &str) -> Result<String, String> {
    let answer = exchange(address, b"srvr", |_| false).await?;
    let text = String::from_utf8_lossy(&answer);
    text.lines()
        .find_map(|l| l.strip_prefix("Mode: "))
        .map(str::to_string)
        .ok_or_else(|| format!("unexpected answer to srvr: {}", text.lines().next().unwrap_or("(nothing)")))
}

/// A NameNode's HA state (`active`, `standby`, ...).
pub async fn namenode_state(nn: &Host) -> Result<String, String> {
    let bean =
        jmx(&nn.address.to_string(), nn.ports.namenode_http, "Hadoop:service=NameNode,name=NameNodeStatus").await?;
    bean["State"].as_str().map(str::to_string).ok_or_else(|| "no State in NameNodeStatus".into())
}

async fn check(host: &Host, service: Service) -> Check {
    let ip = host.address.to_string();
    let p = &host.ports;
    let (endpoint, result): (String, Result<String, String>) = match service {
        Service::Zookeeper => {
            let ep = format!("{ip}:{}", p.zookeeper_client);
            let r = zookeeper_mode(&ep).await;
            (ep, r)
        }
        Service::JournalNode => {
            let ep = format!("{ip}:{}", p.journalnode_http);
            let r = jmx(&ip, p.journalnode_http, "Hadoop:service=JournalNode,name=JvmMetrics")
                .await
                .map(|_| "answering".to_string());
            (ep, r)
        }
        Service::NameNode => {
            let ep = format!("{ip}:{}", p.namenode_http);
            let r = async {
                let state = namenode_state(host).await?;
                let fs = jmx(&ip, p.namenode_http, "Hadoop:service=NameNode,name=FSNamesystemState").await?;
                Ok(format!("{state}, {} live DataNodes", fs["NumLiveDataNodes"].as_u64().unwrap_or(0)))
            }
            .await;
            (ep, r)
        }
        Service::Zkfc => {
            let ep = format!("{ip}:{}", p.zkfc);
            let r = with_timeout(async {
                TcpStream::connect(&ep).await.map(|_| "listening".to_string()).map_err(|e| e.to_string())
            })
            .await;
            (ep, r)
        }
        Service::DataNode => {
            let ep = format!("{ip}:{}", p.datanode_http);
            let r = jmx(&ip, p.datanode_http, "Hadoop:service=DataNode,name=DataNodeInfo")
                .await
                .map(|_| "answering".to_string());
            (ep, r)
        }
        Service::ResourceManager => {
            let ep = format!("{ip}:{}", p.resourcemanager_webapp);
            let r = http_json(&format!("http://{ep}/ws/v1/cluster/info")).await.and_then(|v| {
                let state = v["clusterInfo"]["state"].as_str().unwrap_or("?").to_string();
                if state == "STARTED" { Ok("started".into()) } else { Err(format!("state {state}")) }
            });
            (ep, r)
        }
        Service::NodeManager => {
            let ep = format!("{ip}:{}", p.nodemanager_webapp);
            let r = http_json(&format!("http://{ep}/ws/v1/node/info")).await.and_then(|v| {
                if v["nodeInfo"]["nodeHealthy"].as_bool() == Some(true) {
                    Ok("healthy".into())
                } else {
                    Err("unhealthy".into())
                }
            });
            (ep, r)
        }
        Service::MetastoreDb => {
            let ep = format!("{ip}:{}", p.metastore_db);
            let whole_packet = |b: &[u8]| {
                b.len() >= 4 && b.len() >= 4 + (usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16)
            };
            let r = exchange(&ep, b"", whole_packet).await.and_then(|greeting| {
                // A MySQL-protocol greeting: 4-byte header, protocol 10, then the NUL-ended version.
                let payload = greeting.get(4..).unwrap_or_default();
                if payload.first() == Some(&10) {
                    let version: Vec<u8> = payload[1..].iter().take_while(|b| **b != 0).copied().collect();
                    Ok(format!("server {}", String::from_utf8_lossy(&version)))
                } else {
                    Err("not a MySQL-protocol greeting".into())
                }
            });
            (ep, r)
        }
        Service::Postgres => {
            let ep = format!("{ip}:{}", p.postgresql);
            // SSLRequest: a server answers with one byte, S or N.
            let r =
                exchange(&ep, &[0, 0, 0, 8, 4, 210, 22, 47], |b| !b.is_empty()).await.and_then(|a| match a.first() {
                    Some(b'S') | Some(b'N') => Ok("accepting connections".into()),
                    _ => Err("not a PostgreSQL answer".into()),
                });
            (ep, r)
        }
        Service::HiveMetastore => {
            let ep = format!("{ip}:{}", p.hive_metastore);
            let r = with_timeout(async {
                TcpStream::connect(&ep).await.map(|_| "listening".to_string()).map_err(|e| e.to_string())
            })
            .await;
            (ep, r)
        }
        Service::HiveServer2 => {
            // A session and a statement that reads the metastore: both Hive daemons answer.
            let ep = format!("{ip}:{}", p.hiveserver2);
            let addr = ep.clone();
            let r = tokio::task::spawn_blocking(move || {
                let mut s = Session::open(&addr, "provision", HIVESERVER2_TIMEOUT).map_err(|e| e.to_string())?;
                let n = s.rows("SHOW DATABASES", HIVESERVER2_TIMEOUT).map_err(|e| e.to_string())?.len();
                Ok(format!("answering SHOW DATABASES ({n})"))
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            (ep, r)
        }
        Service::Nifi => {
            let ep = format!("{ip}:{}", p.nifi_http);
            let r = http_json(&format!("http://{ep}/nifi-api/flow/about"))
                .await
                .map(|v| format!("answering (NiFi {})", v["about"]["version"].as_str().unwrap_or("?")));
            (ep, r)
        }
    };
    let (up, detail) = match result {
        Ok(d) => (true, d),
        Err(e) => (false, e),
    };
    Check { host: host.name.clone(), service: service.name(), endpoint, up, detail }
}

/// Checks every daemon `up` starts, all at once, and judges the whole.
pub async fn check_all(c: &Cluster) -> Health {
    let mut futures = Vec::new();
    for h in &c.hosts {
        for s in supervised(c, h) {
            futures.push(check(h, s));
        }
    }
    let checks: Vec<Check> = futures::future::join_all(futures).await;
    let mut problems: Vec<String> = checks
        .iter()
        .filter(|k| !k.up)
        .map(|k| format!("{} on {} is down ({}): {}", k.service, k.host, k.endpoint, k.detail))
        .collect();
    let count = |service: &str, prefix: &str| {
        checks.iter().filter(|k| k.service == service && k.up && k.detail.starts_with(prefix)).count()
    };
    let zk = c.with_role(Role::Zookeeper).count();
    if zk > 1 && count("zookeeper", "leader") != 1 {
        problems.push(format!(
            "ZooKeeper has {} leaders among {zk} servers; a quorum has exactly one",
            count("zookeeper", "leader")
        ));
    }
    if c.ha() {
        let (active, standby) = (count("namenode", "active"), count("namenode", "standby"));
        if (active, standby) != (1, 1) {
            problems.push(format!("NameNodes: {active} active and {standby} standby; HA needs one of each"));
        }
    }
    let datanodes = c.with_role(Role::DataNode).count();
    for k in checks.iter().filter(|k| k.service == "namenode" && k.up && k.detail.starts_with("active")) {
        let live: usize =
            k.detail.split(", ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
        if live != datanodes {
            problems.push(format!("the active NameNode {} sees {live} live DataNodes of {datanodes}", k.host));
        }
    }
    Health { checks, problems }
}
