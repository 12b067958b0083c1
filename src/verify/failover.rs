//! The NameNode failover drill: kill -9 the active NameNode while a client keeps writing
//! through the nameservice and other work (a pipeline cycle) is in flight, time the standby's
//! promotion, check every write, restart the killed one and see it rejoin as standby.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdfs_native::Client;
use serde::Serialize;

use super::{VerifyError, fail, hdfs_client, log_of, require_healthy, set_running};
use crate::engine::runner::Observer;
use crate::engine::transport;
use crate::hdfs::{read_all, write_all};
use crate::health;
use crate::model::{Cluster, Service};
use crate::services;

/// What the failover drill measured.
#[derive(Debug, Clone, Serialize)]
pub struct Failover {
    /// The NameNode killed.
    pub killed: String,
    /// The NameNode that took over.
    pub promoted: String,
    /// From the kill to the standby reporting active.
    pub failover_seconds: f64,
    /// Files written through the nameservice while the drill ran, all read back intact.
    pub writes: usize,
    /// Writes that had to be retried during the failover.
    pub retried_writes: usize,
    /// The longest a write took, retries included.
    pub slowest_write_seconds: f64,
    /// From the restart of the killed NameNode to it reporting standby.
    pub rejoin_seconds: f64,
}

fn payload(i: usize) -> Bytes {
    Bytes::from(format!("provision failover drill write {i}\n").repeat(64))
}

/// Writes files one after another until told to stop, retrying each until it lands.
async fn keep_writing(
    client: Arc<Client>,
    dir: String,
    stop: Arc<AtomicBool>,
) -> Result<(usize, usize, Duration), String> {
    let (mut written, mut retried, mut slowest) = (0usize, 0usize, Duration::ZERO);
    while !stop.load(Ordering::SeqCst) {
        let path = format!("{dir}/w-{written:05}");
        let started = Instant::now();
        loop {
            match write_all(&client, &path, payload(written)).await {
                Ok(()) => break,
                Err(_) if started.elapsed() < Duration::from_secs(60) => {
                    retried += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(format!("{path}: {e}")),
            }
        }
        slowest = slowest.max(started.elapsed());
        written += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((written, retried, slowest))
}

async fn wait_state(c: &Cluster, host: &str, state: &str, limit: Duration) -> Result<Duration, VerifyError> {
    let nn = c.host(host).expect("a NameNode of the inventory");
    let started = Instant::now();
    loop {
        if health::namenode_state(nn).await.is_ok_and(|s| s == state) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            let found = health::namenode_state(nn).await.unwrap_or_else(|e| format!("no answer ({e})"));
            return Err(fail(
                &format!("NameNode {host} becomes {state}"),
                format!("{state} within {}s", limit.as_secs()),
                found,
                log_of(c, host, "namenode"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Failover {
    /// The drill in a line.
    pub fn figure(&self) -> String {
        format!(
            "killed {} (kill -9); {} active after {:.2}s; {} writes during the drill all read back ({} retried, slowest {:.2}s); {} rejoined as standby after {:.2}s",
            self.killed,
            self.promoted,
            self.failover_seconds,
            self.writes,
            self.retried_writes,
            self.slowest_write_seconds,
            self.killed,
            self.rejoin_seconds
        )
    }
}

/// Runs the NameNode failover drill on a healthy HA platform, with `during` started right
/// after the kill and awaited with the promotion.
pub async fn drill<T>(
    c: &Cluster,
    observer: &(dyn Observer + Sync),
    log_dir: &std::path::Path,
    during: impl std::future::Future<Output = Result<T, VerifyError>>,
) -> Result<(Failover, T), VerifyError> {
    let before = health::check_all(c).await;
    require_healthy(c, &before)?;
    let (Some(active), Some(standby)) =
        (before.namenode("active").map(str::to_string), before.namenode("standby").map(str::to_string))
    else {
        return Err(fail(
            "HA NameNodes",
            "one active and one standby",
            "no HA pair",
            "inventory: [cluster] nameservice",
        ));
    };
    let client = Arc::new(hdfs_client(c)?);
    let dir = format!("/tmp/provision-verify-{}", chrono::Local::now().format("%Y%m%d%H%M%S%3f"));
    write_all(&client, &format!("{dir}/before"), payload(0)).await.map_err(|e| {
        fail("write through the nameservice", "the file written", e.to_string(), log_of(c, &active, "namenode"))
    })?;

    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(keep_writing(client.clone(), dir.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let host = c.host(&active).expect("active NameNode").clone();
    let kill = services::supervisor(c, &host, Service::NameNode).kill_command(&Service::NameNode.unit_name());
    let cluster = c.clone();
    let killed_at = Instant::now();
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        let mut t = transport::open(&cluster, &host.name, false).map_err(|e| e.to_string())?;
        let out = t.exec(&kill, None, Duration::from_secs(10)).map_err(|e| e.to_string())?;
        if out.code == 0 { Ok(()) } else { Err(format!("`{kill}` exited {}: {}", out.code, out.stderr_tail(3))) }
    })
    .await
    .expect("kill task")
    .map_err(|e| {
        stop.store(true, Ordering::SeqCst);
        fail(&format!("kill -9 the active NameNode {active}"), "it killed", e, "the run logs")
    })?;

    let (promoted, during) = tokio::join!(
        async {
            let r = wait_state(c, &standby, "active", Duration::from_secs(60)).await;
            (r, killed_at.elapsed())
        },
        during
    );
    let failover = promoted.1;
    let outcome = promoted.0.and(during);
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    let writes = async {
        let (writes, retried, slowest) = writer.await.expect("writer task").map_err(|e| {
            fail(
                "writes through the nameservice during failover",
                "every write to land",
                e,
                log_of(c, &standby, "namenode"),
            )
        })?;
        for i in 0..writes {
            let path = format!("{dir}/w-{i:05}");
            let read = read_all(&client, &path).await.map_err(|e| {
                fail("read back", format!("{path} readable"), e.to_string(), log_of(c, &standby, "namenode"))
            })?;
            if read != payload(i) {
                return Err(fail(
                    "read back",
                    format!("{path} as written"),
                    format!("{} other bytes", read.len()),
                    log_of(c, &standby, "datanode"),
                ));
            }
        }
        Ok((writes, retried, slowest))
    }
    .await;

    // The killed NameNode comes back whatever happened in between.
    let restarted_at = Instant::now();
    let restarted = match set_running(c, &active, Service::NameNode, true, observer, log_dir) {
        Ok(()) => wait_state(c, &active, "standby", Duration::from_secs(120)).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let rejoin = restarted_at.elapsed();
    let _ = client.delete(&dir, true).await;
    // The first failure is the one reported; a failed restart after it is added to it.
    let (during, writes) = match (outcome, writes, restarted) {
        (Ok(d), Ok(w), Ok(())) => (d, w),
        (Err(e), _, r) | (Ok(_), Err(e), r) => return Err(super::and_then(e, r)),
        (Ok(_), Ok(_), Err(e)) => return Err(e),
    };
    let (writes, retried, slowest) = writes;
    let drill = Failover {
        killed: active,
        promoted: standby,
        failover_seconds: failover.as_secs_f64(),
        writes,
        retried_writes: retried,
        slowest_write_seconds: slowest.as_secs_f64(),
        rejoin_seconds: rejoin.as_secs_f64(),
    };
    Ok((drill, during))
}
