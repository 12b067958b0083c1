//! Proofs that the platform works, each with its figure, run in order and stopped at the
//! first failure: every service healthy; a file written, read back and deleted through the
//! nameservice with its blocks replicated as configured; a MapReduce job run through YARN; a
//! pipeline cycle (crawl, land, make
//! queryable, load the mart) counted at every stage and sampled field by field; with
//! `--failover` the NameNode failover drill with a pipeline cycle in flight; ZooKeeper keeping
//! its quorum and HDFS HA with one of its servers stopped. The report is also written as
//! Markdown into the run folder.

pub mod cycle;
pub mod failover;
pub mod nifi;
pub mod report;
pub mod yarn;
pub mod zookeeper;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;

use crate::crawl::source::FetchOptions;
use crate::dataset::hour::Hour;
use crate::engine::runner::{self, Mode, Observer, Options, Phase};
use crate::engine::transport;
use crate::hdfs::{read_all, write_all};
use crate::health::{self, Health};
use crate::model::{Cluster, Role, Service};
use crate::secrets::Secrets;

/// Why a proof failed: what was expected, what was found, where to look.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
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

/// A [`VerifyError`] from its parts.
pub fn fail(
    check: &str,
    expected: impl Into<String>,
    found: impl Into<String>,
    look: impl Into<String>,
) -> VerifyError {
    VerifyError { check: check.into(), expected: expected.into(), found: found.into(), look: look.into() }
}

/// `first`, with what went wrong after it (`then`) appended to what it found.
pub fn and_then(mut first: VerifyError, then: Result<(), VerifyError>) -> VerifyError {
    if let Err(e) = then {
        first.found = format!("{} (afterwards, {} also failed: found {})", first.found, e.check, e.found);
    }
    first
}

/// The log of a Hadoop `daemon` on `host`, as a place to look.
pub fn log_of(c: &Cluster, host: &str, daemon: &str) -> String {
    let h = c.host(host).expect("host");
    format!(
        "{} on {host}",
        c.on_host(h, &format!("{}/hadoop-{}-{daemon}-{host}.log", c.paths.hadoop_logs, c.users.hadoop))
    )
}

/// The log of HiveServer2, as a place to look.
pub fn hiveserver2_log(c: &Cluster) -> String {
    c.one(Role::HiveServer2).map_or("the inventory: no hiveserver2 host".into(), |h| {
        format!("{}/hive-hiveserver2-{}.log on {}", c.on_host(h, &c.paths.hive_logs), h.name, h.name)
    })
}

/// The log folder of the mart's PostgreSQL, as a place to look.
pub fn postgres_log(c: &Cluster) -> String {
    c.one(Role::MartDb).map_or("the inventory: no mart-db host".into(), |h| {
        format!("{}/log on {}", c.on_host(h, &c.paths.postgres_data), h.name)
    })
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

fn hdfs_client(c: &Cluster) -> Result<hdfs_native::Client, VerifyError> {
    crate::hdfs::client(c)
        .map_err(|e| fail("HDFS client", "a client for the nameservice", e.to_string(), "the inventory's NameNodes"))
}

fn first_namenode(c: &Cluster) -> String {
    c.one(Role::NameNode).map_or("?".into(), |h| h.name.clone())
}

/// Writes a file through the nameservice, reads it back and deletes it; the seconds it took.
pub async fn write_read(c: &Cluster) -> Result<f64, VerifyError> {
    let client = hdfs_client(c)?;
    let dir = format!("/tmp/provision-verify-{}", chrono::Local::now().format("%Y%m%d%H%M%S%3f"));
    let path = format!("{dir}/probe");
    let data = Bytes::from("provision verify probe\n".repeat(64));
    let nn = first_namenode(c);
    let started = Instant::now();
    write_all(&client, &path, data.clone()).await.map_err(|e| {
        fail("write through the nameservice", "the file written", e.to_string(), log_of(c, &nn, "namenode"))
    })?;
    let read = read_all(&client, &path).await.map_err(|e| {
        fail("read through the nameservice", "the file read", e.to_string(), log_of(c, &nn, "namenode"))
    })?;
    if read != data {
        return Err(fail(
            "read back",
            "the bytes written",
            format!("{} other bytes", read.len()),
            log_of(c, &nn, "datanode"),
        ));
    }
    client
        .delete(&dir, true)
        .await
        .map_err(|e| fail("delete", "the file deleted", e.to_string(), log_of(c, &nn, "namenode")))?;
    Ok(started.elapsed().as_secs_f64())
}

/// How long a written file's blocks may take to reach `dfs.replication`.
///
/// The replicas are counted until they reach the factor, rather than first waiting for the
/// active NameNode to list every DataNode's storage: the count is what this check judges, the
/// NameNode re-replicates an under-replicated block by itself (every few seconds), and polling
/// covers every reason a write's pipeline was short, not only one: storages not yet reported to
/// a NameNode that just became active ("Not enough replicas was chosen. Reason:
/// {NO_REQUIRED_STORAGE_TYPE=1}"), or a DataNode left out of the pipeline on a busy machine;
/// and it reads no JMX fields whose meaning changes between Hadoop versions.
const REPLICATION_BUDGET: Duration = Duration::from_secs(90);

/// The pauses between two counts of a file's replicas.
const REPLICATION_POLL: health::Backoff =
    health::Backoff { budget: REPLICATION_BUDGET, first: Duration::from_millis(500), max: Duration::from_secs(3) };

/// What the replication check measured.
#[derive(Debug, Clone, Serialize)]
pub struct Replication {
    /// The replicas every block reached (`dfs.replication`).
    pub replicas: usize,
    /// From the file written to every block on that many DataNodes; 0 when it was at once.
    pub replication_seconds: f64,
    /// What the first count found, when it was short.
    pub first_count: Option<String>,
    /// The write, read back and delete through the nameservice afterwards.
    pub write_read_seconds: f64,
}

/// The replicas of each block of `path`, by WebHDFS on `nn`.
async fn replicas(c: &Cluster, nn: &crate::model::Host, path: &str) -> Result<Vec<usize>, String> {
    let url = format!(
        "http://{}:{}/webhdfs/v1{path}?op=GET_BLOCK_LOCATIONS&user.name={}",
        nn.address, nn.ports.namenode_http, c.users.hadoop
    );
    let doc = health::http_json(&url).await.map_err(|e| format!("no block locations: {e}"))?;
    let blocks = doc["LocatedBlocks"]["locatedBlocks"].as_array().cloned().unwrap_or_default();
    Ok(blocks.iter().map(|b| b["locations"].as_array().map_or(0, Vec::len)).collect())
}

/// HDFS through the nameservice: a file written, its blocks' replicas counted (WebHDFS on the
/// active NameNode) until each is on `dfs.replication` DataNodes or `REPLICATION_BUDGET` is
/// spent, then a file written, read back and deleted.
pub async fn hdfs(c: &Cluster, health: &Health) -> Result<Replication, VerifyError> {
    let check = "HDFS block replication";
    let client = hdfs_client(c)?;
    let active = health.namenode("active").unwrap_or_default().to_string();
    let nn = c.host(&active).ok_or_else(|| fail(check, "an active NameNode", "none", "`provision status`"))?;
    let dir = format!("/tmp/provision-verify-{}", chrono::Local::now().format("%Y%m%d%H%M%S%3f"));
    let path = format!("{dir}/replicated");
    write_all(&client, &path, Bytes::from("provision verify replication\n".repeat(1024))).await.map_err(|e| {
        fail("write through the nameservice", "the file written", e.to_string(), log_of(c, &active, "namenode"))
    })?;
    let want = c.hdfs.replication as usize;
    let counted = health::retry(REPLICATION_POLL, || async {
        let found = replicas(c, nn, &path).await?;
        if found.is_empty() || found.iter().any(|n| *n != want) {
            Err(format!("{} blocks with {found:?} replicas", found.len()))
        } else {
            Ok(())
        }
    })
    .await;
    let _ = client.delete(&dir, true).await;
    if let Err(found) = counted.result {
        let live = health::live_datanodes(nn).await.map_or_else(|e| format!("no answer: {e}"), |n| n.to_string());
        return Err(fail(
            check,
            format!("every block on {want} DataNodes (dfs.replication) within {}s", REPLICATION_BUDGET.as_secs()),
            format!(
                "{found} after {:.1}s and {} counts; the active NameNode {active} lists {live} live DataNodes",
                counted.elapsed.as_secs_f64(),
                counted.tries
            ),
            format!(
                "{} (\"Not enough replicas was chosen\"), and its DataNodes page http://{}:{}/dfshealth.html#tab-datanode",
                log_of(c, &active, "namenode"),
                nn.address,
                nn.ports.namenode_http
            ),
        ));
    }
    let first_count = counted.first_error;
    let replication_seconds = if first_count.is_some() { counted.elapsed.as_secs_f64() } else { 0.0 };
    Ok(Replication { replicas: want, replication_seconds, first_count, write_read_seconds: write_read(c).await? })
}

impl Replication {
    /// The check in a line.
    pub fn figure(&self) -> String {
        let late = self.first_count.as_ref().map_or(String::new(), |first| {
            format!(" after {:.1}s of re-replication (at first {first})", self.replication_seconds)
        });
        format!(
            "its block on {} DataNodes{late}; wrote, read back and deleted a file through the nameservice in {:.2}s",
            self.replicas, self.write_read_seconds
        )
    }
}

/// Runs `steps` on `host` as one phase, logging into `log_dir`.
pub fn apply_on(
    c: &Cluster,
    host: &str,
    name: &str,
    steps: Vec<crate::engine::steps::Step>,
    observer: &(dyn Observer + Sync),
    log_dir: &Path,
) -> Result<(), VerifyError> {
    let phase = Phase { name: name.into(), hosts: [(host.to_string(), steps)].into(), after: vec![] };
    let opts = Options { parallel: 1, log_dir: log_dir.to_path_buf(), mode: Mode::Apply };
    let report = tokio::task::block_in_place(|| {
        let connect = |h: &str| transport::open(c, h, false);
        runner::run(std::slice::from_ref(&phase), &connect, &opts, observer)
    });
    if report.ok() {
        Ok(())
    } else {
        Err(fail(name, "done", "it failed", log_dir.join(format!("{host}.log")).display().to_string()))
    }
}

/// Stops (`running` false) or starts `service` on `host`.
pub fn set_running(
    c: &Cluster,
    host: &str,
    service: Service,
    running: bool,
    observer: &(dyn Observer + Sync),
    log_dir: &Path,
) -> Result<(), VerifyError> {
    let h = c.host(host).expect("host of the inventory");
    let (verb, step) = if running {
        ("start", crate::services::start(c, h, service))
    } else {
        ("stop", crate::services::stop(c, h, service))
    };
    apply_on(c, host, &format!("{verb} {} on {host}", service.name()), vec![step], observer, log_dir)
}

/// What to prove beyond the default checks.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Also run the NameNode failover drill with a pipeline cycle in flight.
    pub failover: bool,
    /// Crawl Gmarket itself for the current hour instead of the sample site.
    pub live: bool,
    /// Where pages come from with `live` (`--source`); the inventory's URLs when `None`.
    pub source: Option<String>,
}

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Its short name (`health`, `hdfs`, `yarn`, `pipeline`, `nifi`, `failover`, `zookeeper`).
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// How long it took.
    pub seconds: f64,
    /// What it measured, in a line.
    pub figure: String,
    /// Why it failed.
    pub failure: Option<VerifyError>,
    /// Its measurements.
    pub data: serde_json::Value,
}

/// The whole verification.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The cluster.
    pub cluster: String,
    /// When it started.
    pub started_at: String,
    /// Every check run, in order; the last one failed if any did.
    pub checks: Vec<Outcome>,
    /// The checks not run because an earlier one failed.
    pub skipped: Vec<&'static str>,
    /// Every daemon's state at the start.
    pub health: Option<Health>,
    /// The Markdown report written into the run folder.
    pub file: Option<PathBuf>,
}

impl Report {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok) && self.skipped.is_empty()
    }

    /// The first failure.
    pub fn failure(&self) -> Option<&VerifyError> {
        self.checks.iter().find_map(|c| c.failure.as_ref())
    }
}

/// The hour sample-site cycles land in: reserved, so a verification never replaces a real
/// hour; its files, partition and mart rows are removed afterwards.
pub fn reserved_hour(offset: u32) -> Hour {
    Hour(Hour::parse("2000-01-01T00").expect("valid").0 + chrono::Duration::hours(i64::from(offset)))
}

/// Runs every check in order, stopping at the first failure, and writes the Markdown report
/// into `log_dir`.
pub async fn run(
    c: &Cluster,
    secrets: &Secrets,
    request: &Request,
    observer: &(dyn Observer + Sync),
    log_dir: &Path,
) -> Report {
    let mut report = Report {
        cluster: c.name.clone(),
        started_at: chrono::Local::now().to_rfc3339(),
        checks: Vec::new(),
        skipped: Vec::new(),
        health: None,
        file: None,
    };
    let mut names = vec!["health", "hdfs", "yarn", "pipeline"];
    if c.one(Role::Nifi).is_some() {
        names.push("nifi");
    }
    if request.failover {
        names.push("failover");
    }
    names.push("zookeeper");
    let sample = crate::crawl::sample::start().await;
    for name in names {
        if !report.ok() {
            report.skipped.push(name);
            continue;
        }
        let started = Instant::now();
        let result: Result<(String, serde_json::Value), VerifyError> = match name {
            "health" => {
                let h = health::check_all(c).await;
                report.health = Some(h.clone());
                require_healthy(c, &h).map(|()| {
                    let slow = h.slow_summary().map_or(String::new(), |s| format!(" (slow: {s})"));
                    (
                        format!(
                            "{} daemons up{slow}; ZooKeeper leader {}; NameNodes {} active, {} standby",
                            h.checks.len(),
                            h.checks
                                .iter()
                                .find(|k| k.service == Service::Zookeeper && k.detail == "leader")
                                .map_or("-", |k| k.host.as_str()),
                            h.namenode("active").unwrap_or("-"),
                            h.namenode("standby").unwrap_or("-"),
                        ),
                        serde_json::json!({"daemons": h.checks.len(), "slow": h.slow().count()}),
                    )
                })
            }
            "hdfs" => {
                let h = report.health.clone().expect("health ran first");
                hdfs(c, &h).await.map(|r| (r.figure(), serde_json::to_value(&r).expect("json")))
            }
            "yarn" => yarn::job(c).await.map(|j| (j.figure(), serde_json::to_value(&j).expect("json"))),
            "pipeline" => with_reserved(c, secrets, request, &sample, 0, async |hour, fetch| {
                cycle::run(c, secrets, hour, &fetch).await
            })
            .await
            .map(|k| (k.figure(), serde_json::to_value(&k).expect("json"))),
            "nifi" => with_reserved(c, secrets, request, &sample, 2, async |hour, fetch| {
                nifi::run(c, secrets, hour, &fetch).await
            })
            .await
            .map(|k| (k.figure(), serde_json::to_value(&k).expect("json"))),
            // The cycle in flight goes through NiFi's flow when there is one, as hours do.
            "failover" if c.nifi_address().is_some() => {
                with_reserved(c, secrets, request, &sample, 1, async |hour, fetch| {
                    failover::drill(c, observer, log_dir, nifi::run(c, secrets, hour, &fetch)).await
                })
                .await
                .map(|(f, k)| {
                    (
                        format!("{}; an hour through NiFi in flight: {}", f.figure(), k.figure()),
                        serde_json::json!({"drill": f, "nifi": k}),
                    )
                })
            }
            "failover" => with_reserved(c, secrets, request, &sample, 1, async |hour, fetch| {
                failover::drill(c, observer, log_dir, cycle::run(c, secrets, hour, &fetch)).await
            })
            .await
            .map(|(f, k)| {
                (
                    format!("{}; a pipeline cycle in flight: {}", f.figure(), k.figure()),
                    serde_json::json!({"drill": f, "cycle": k}),
                )
            }),
            _ => zookeeper::drill(c, observer, log_dir)
                .await
                .map(|q| (q.figure(), serde_json::to_value(&q).expect("json"))),
        };
        let seconds = started.elapsed().as_secs_f64();
        report.checks.push(match result {
            Ok((figure, data)) => Outcome { name, ok: true, seconds, figure, failure: None, data },
            Err(e) => Outcome {
                name,
                ok: false,
                seconds,
                figure: String::new(),
                failure: Some(e),
                data: serde_json::Value::Null,
            },
        });
    }
    let file = log_dir.join("report.md");
    if std::fs::create_dir_all(log_dir).and_then(|()| std::fs::write(&file, report::markdown(c, &report))).is_ok() {
        report.file = Some(file);
    }
    report
}

/// Runs `check` on the hour and fetch options of verification cycle `offset`, then removes a
/// reserved hour's traces.
async fn with_reserved<T>(
    c: &Cluster,
    secrets: &Secrets,
    request: &Request,
    sample: &std::io::Result<crate::crawl::sample::SampleSite>,
    offset: u32,
    check: impl AsyncFnOnce(Hour, FetchOptions) -> Result<T, VerifyError>,
) -> Result<T, VerifyError> {
    let (hour, fetch) = cycle_source(request, sample, offset);
    let r = check(hour, fetch?).await;
    if !request.live {
        cycle::remove(c, secrets, hour).await;
    }
    r
}

/// The hour and the fetch options of a verification cycle: the current hour from Gmarket with
/// `live`, else reserved hour `offset` from the sample site.
fn cycle_source(
    request: &Request,
    sample: &std::io::Result<crate::crawl::sample::SampleSite>,
    offset: u32,
) -> (Hour, Result<FetchOptions, VerifyError>) {
    if request.live {
        let fetch = FetchOptions { source: request.source.clone(), ..FetchOptions::default() };
        return (Hour::now(), Ok(fetch));
    }
    let fetch = match sample {
        Ok(s) => Ok(FetchOptions {
            source: Some(s.base.clone()),
            timeout: Duration::from_secs(15),
            ..FetchOptions::default()
        }),
        Err(e) => Err(fail("the sample site", "listening on 127.0.0.1", e.to_string(), "this machine's loopback")),
    };
    (reserved_hour(offset), fetch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_after_the_first_is_added_to_it() {
        let first = fail("promotion", "active within 60s", "standby", "nn log");
        let then = Err(fail("restart nn01", "it starts", "it failed", "run log"));
        let e = and_then(first.clone(), then);
        assert_eq!(e.found, "standby (afterwards, restart nn01 also failed: found it failed)");
        assert_eq!(and_then(first, Ok(())).found, "standby");
    }

    #[test]
    fn a_block_replicated_late_says_how_long_and_what_was_first_counted() {
        let at_once = Replication { replicas: 3, replication_seconds: 0.0, first_count: None, write_read_seconds: 0.5 };
        assert_eq!(
            at_once.figure(),
            "its block on 3 DataNodes; wrote, read back and deleted a file through the nameservice in 0.50s"
        );
        let late = Replication {
            first_count: Some("1 blocks with [2] replicas".into()),
            replication_seconds: 6.25,
            ..at_once
        };
        assert!(
            late.figure().starts_with(
                "its block on 3 DataNodes after 6.2s of re-replication (at first 1 blocks with [2] replicas); "
            ),
            "{}",
            late.figure()
        );
    }
}
