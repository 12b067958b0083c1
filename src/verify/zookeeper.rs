//! ZooKeeper's quorum as a proof: one of its servers (a follower) stopped, the others still
//! elect one leader, HDFS HA still works (one active NameNode, a write and read through the
//! nameservice), then the server is started again and rejoins.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::{VerifyError, fail, set_running, write_read};
use crate::engine::runner::Observer;
use crate::health;
use crate::model::{Cluster, Role, Service};

/// What the quorum drill measured.
#[derive(Debug, Clone, Serialize)]
pub struct Quorum {
    /// The server stopped.
    pub stopped: String,
    /// The leader while it was stopped.
    pub leader: String,
    /// Servers left running.
    pub remaining: usize,
    /// The write and read through the nameservice while it was stopped.
    pub write_read_seconds: f64,
    /// From the restart to it serving again as a follower.
    pub rejoin_seconds: f64,
}

impl Quorum {
    /// The drill in a line.
    pub fn figure(&self) -> String {
        format!(
            "stopped {}: {} of the servers kept the quorum (leader {}), one NameNode active, HDFS wrote and read in {:.2}s; {} rejoined after {:.2}s",
            self.stopped, self.remaining, self.leader, self.write_read_seconds, self.stopped, self.rejoin_seconds
        )
    }
}

fn zk_log(c: &Cluster, host: &str) -> String {
    let h = c.host(host).expect("host");
    format!("{}/zookeeper-{host}.log on {host}", c.on_host(h, &c.paths.zookeeper_logs))
}

/// The mode of each ZooKeeper server (`leader`, `follower`, or why it does not answer).
async fn modes(c: &Cluster) -> Vec<(String, Result<String, String>)> {
    let mut out = Vec::new();
    for h in c.with_role(Role::Zookeeper) {
        let mode = health::zookeeper_mode(&format!("{}:{}", h.address, h.ports.zookeeper_client)).await;
        out.push((h.name.clone(), mode));
    }
    out
}

/// Polls until `ready` holds for the modes, at most `limit`.
async fn wait_modes(
    c: &Cluster,
    limit: Duration,
    ready: impl Fn(&[(String, Result<String, String>)]) -> bool,
) -> Result<Duration, Vec<(String, Result<String, String>)>> {
    let started = Instant::now();
    loop {
        let m = modes(c).await;
        if ready(&m) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            return Err(m);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn show(m: &[(String, Result<String, String>)]) -> String {
    m.iter().map(|(h, r)| format!("{h} {}", r.as_deref().unwrap_or_else(|e| e))).collect::<Vec<_>>().join(", ")
}

/// Stops one follower, checks the quorum and HDFS HA, and starts it again.
pub async fn drill(
    c: &Cluster,
    observer: &(dyn Observer + Sync),
    log_dir: &std::path::Path,
) -> Result<Quorum, VerifyError> {
    let check = "ZooKeeper quorum with one server stopped";
    let before = modes(c).await;
    if before.len() < 3 {
        return Err(fail(
            check,
            "at least 3 ZooKeeper servers",
            before.len().to_string(),
            "the inventory's zookeeper roles",
        ));
    }
    let Some(stopped) = before.iter().find(|(_, m)| m.as_deref() == Ok("follower")).map(|(h, _)| h.clone()) else {
        return Err(fail(check, "a follower to stop", show(&before), "`provision status`"));
    };
    let stop = set_running(c, &stopped, Service::Zookeeper, false, observer, log_dir);
    let during = async {
        stop?;
        let remaining = before.len() - 1;
        let quorum = |m: &[(String, Result<String, String>)]| {
            let live: Vec<&str> =
                m.iter().filter(|(h, _)| *h != stopped).filter_map(|(_, r)| r.as_deref().ok()).collect();
            live.len() == remaining && live.iter().filter(|s| **s == "leader").count() == 1
        };
        wait_modes(c, Duration::from_secs(30), quorum).await.map_err(|m| {
            fail(check, format!("{remaining} servers answering, one leader"), show(&m), zk_log(c, &stopped))
        })?;
        let m = modes(c).await;
        let leader = m.iter().find(|(_, r)| r.as_deref() == Ok("leader")).map_or("-".into(), |(h, _)| h.clone());
        let mut active = Vec::new();
        for nn in c.with_role(Role::NameNode) {
            if health::namenode_state(nn).await.is_ok_and(|s| s == "active") {
                active.push(nn.name.clone());
            }
        }
        if active.len() != 1 {
            return Err(fail(
                check,
                "one active NameNode",
                format!("{active:?}"),
                "the ZKFC logs of the NameNode hosts",
            ));
        }
        let secs = write_read(c).await?;
        Ok((leader, remaining, secs))
    }
    .await;
    // The stopped server comes back whatever happened in between.
    let restarted = Instant::now();
    let rejoined = |m: &[(String, Result<String, String>)]| {
        m.iter().any(|(h, r)| *h == stopped && matches!(r.as_deref(), Ok("follower") | Ok("leader")))
    };
    let back = match set_running(c, &stopped, Service::Zookeeper, true, observer, log_dir) {
        Ok(()) => wait_modes(c, Duration::from_secs(60), rejoined).await.map(|_| ()).map_err(|m| {
            fail(&format!("{stopped} rejoins the quorum"), "it answers as follower", show(&m), zk_log(c, &stopped))
        }),
        Err(e) => Err(e),
    };
    let rejoin = restarted.elapsed();
    // The first failure is the one reported; a failed restart after it is added to it.
    let (leader, remaining, write_read_seconds) = match (during, back) {
        (Ok(d), Ok(())) => d,
        (Err(e), r) => return Err(super::and_then(e, r)),
        (Ok(_), Err(e)) => return Err(e),
    };
    Ok(Quorum { stopped, leader, remaining, write_read_seconds, rejoin_seconds: rejoin.as_secs_f64() })
}
