//! Proofs that the platform works, with figures: the NameNode failover drill (kill -9 the
//! active NameNode while a client keeps writing through the nameservice, time the standby's
//! promotion, check every write, restart the killed one and see it rejoin as standby).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdfs_native::Client;
use serde::Serialize;

use crate::apply::{self, Mode, Observer, Options, Phase};
use crate::hdfs::{read_all, write_all};
use crate::health::{self, Health};
use crate::model::{Cluster, Service};
use crate::phases;
use crate::transport;

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

/// Why a proof failed: what was expected, what was found, where to look.
#[derive(Debug, thiserror::Error)]
#[error("{check}: expected {expected}, found {found}\nhint: look at {look}")]
pub struct VerifyError {
    /// The check.
    pub check: String,
    /// What it expected.
    pub expected: String,
    /// What it found.
    pub found: String,
    /// Where to look (a host's log).
    pub look: String,
}

fn fail(check: &str, expected: impl Into<String>, found: impl Into<String>, look: impl Into<String>) -> VerifyError {
    VerifyError { check: check.into(), expected: expected.into(), found: found.into(), look: look.into() }
}

/// Requires a healthy platform.
pub fn require_healthy(c: &Cluster, h: &Health) -> Result<(), VerifyError> {
    if h.healthy() {
        return Ok(());
    }
    Err(fail(
        "every service healthy",
        "all up, one active and one standby NameNode, every DataNode live",
        h.problems.join("; "),
        format!("`provision status`, and the logs under {}", c.state_dir.join("runs").display()),
    ))
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

fn log_of(c: &Cluster, host: &str, daemon: &str) -> String {
    let h = c.host(host).expect("host");
    format!(
        "{} on {host}",
        c.on_host(h, &format!("{}/hadoop-{}-{daemon}-{host}.log", c.paths.hadoop_logs, c.users.hadoop))
    )
}

/// Runs the NameNode failover drill on a healthy HA platform.
pub async fn failover(
    c: &Cluster,
    observer: &(dyn Observer + Sync),
    log_dir: &std::path::Path,
) -> Result<Failover, VerifyError> {
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
    let client = Arc::new(health_client(c)?);
    let dir = format!("/tmp/provision-verify-{}", chrono::Local::now().format("%Y%m%d%H%M%S%3f"));
    write_all(&client, &format!("{dir}/before"), payload(0)).await.map_err(|e| {
        fail("write through the nameservice", "the file written", e.to_string(), log_of(c, &active, "namenode"))
    })?;

    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(keep_writing(client.clone(), dir.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;

    let host = c.host(&active).expect("active NameNode").clone();
    let kill = phases::supervisor(c, &host, Service::NameNode).kill_command(&Service::NameNode.unit_name());
    let cluster = c.clone();
    let killed_at = Instant::now();
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        let mut t = transport::open(&cluster, &host.name, false).map_err(|e| e.to_string())?;
        let out = t.exec(&kill, None, Duration::from_secs(10)).map_err(|e| e.to_string())?;
        if out.code == 0 { Ok(()) } else { Err(format!("`{kill}` exited {}: {}", out.code, out.stderr_tail(3))) }
    })
    .await
    .expect("kill task")
    .map_err(|e| fail(&format!("kill -9 the active NameNode {active}"), "it killed", e, "the run logs"))?;

    wait_state(c, &standby, "active", Duration::from_secs(60)).await?;
    let failover = killed_at.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
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

    let restart = Phase {
        name: "restart-namenode".into(),
        hosts: [(active.clone(), vec![phases::start(c, c.host(&active).expect("host"), Service::NameNode)])].into(),
    };
    let cluster = c.clone();
    let opts = Options { parallel: 1, log_dir: log_dir.to_path_buf(), mode: Mode::Apply };
    let restarted_at = Instant::now();
    let report = tokio::task::block_in_place(|| {
        let connect = |h: &str| transport::open(&cluster, h, false);
        apply::run(std::slice::from_ref(&restart), &connect, &opts, observer)
    });
    if !report.ok() {
        return Err(fail(
            &format!("restart NameNode {active}"),
            "it starts",
            "the start failed",
            log_dir.join(format!("{active}.log")).display().to_string(),
        ));
    }
    wait_state(c, &active, "standby", Duration::from_secs(120)).await?;
    let rejoin = restarted_at.elapsed();
    let _ = client.delete(&dir, true).await;
    Ok(Failover {
        killed: active,
        promoted: standby,
        failover_seconds: failover.as_secs_f64(),
        writes,
        retried_writes: retried,
        slowest_write_seconds: slowest.as_secs_f64(),
        rejoin_seconds: rejoin.as_secs_f64(),
    })
}

fn health_client(c: &Cluster) -> Result<Client, VerifyError> {
    crate::hdfs::client(c)
        .map_err(|e| fail("HDFS client", "a client for the nameservice", e.to_string(), "the inventory's NameNodes"))
}

/// Writes a file through the nameservice, reads it back and deletes it; the seconds it took.
pub async fn write_read(c: &Cluster) -> Result<f64, VerifyError> {
    let client = health_client(c)?;
    let path = format!("/tmp/provision-verify-{}/probe", chrono::Local::now().format("%Y%m%d%H%M%S%3f"));
    let started = Instant::now();
    let nn = c.hosts.iter().find(|h| h.has(crate::model::Role::NameNode)).map_or("?".into(), |h| h.name.clone());
    write_all(&client, &path, payload(1)).await.map_err(|e| {
        fail("write through the nameservice", "the file written", e.to_string(), log_of(c, &nn, "namenode"))
    })?;
    let read = read_all(&client, &path).await.map_err(|e| {
        fail("read through the nameservice", "the file read", e.to_string(), log_of(c, &nn, "namenode"))
    })?;
    if read != payload(1) {
        return Err(fail(
            "read back",
            "the bytes written",
            format!("{} other bytes", read.len()),
            log_of(c, &nn, "datanode"),
        ));
    }
    let parent = path.rsplit_once('/').map_or(path.clone(), |(d, _)| d.to_string());
    client
        .delete(&parent, true)
        .await
        .map_err(|e| fail("delete", "the file deleted", e.to_string(), log_of(c, &nn, "namenode")))?;
    Ok(started.elapsed().as_secs_f64())
}
