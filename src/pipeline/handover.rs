//! An hour through NiFi, the path a scheduled run takes when the inventory has a NiFi host:
//! crawled here, handed to the flow's input port over site-to-site HTTP, then landed, made
//! queryable and loaded by the flow's `provision pipeline accept` on the NiFi host, which
//! records the run in the ledger. The hand-over waits for that run, so `pipeline run` tells how
//! the hour ended whichever path it took.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Local};
use tokio_postgres::Client;

use super::{CycleError, Ran, ledger, record};
use crate::crawl::{self, Collected, source::FetchOptions};
use crate::dataset::{LANDED_FILE, hour::Hour, record as csv};
use crate::model::Cluster;
use crate::nifi::{NifiError, api::Api, flow, monitor, transfer};
use crate::secrets::Secrets;

/// How long a handed hour gets to succeed in NiFi's flow, its retries with back-off included.
pub const PATIENCE: Duration = Duration::from_secs(600);

/// How long a hand-over is tried again while NiFi does not take the hour.
pub const HAND_PATIENCE: Duration = Duration::from_secs(90);

/// How often the ledger is read while waiting.
const POLL: Duration = Duration::from_millis(500);

/// An hour NiFi did not take, or did not bring to a successful run.
#[derive(Debug, thiserror::Error)]
pub enum HandError {
    /// NiFi could not be reached, or refused the hour.
    #[error("{0}")]
    Nifi(NifiError),
    /// The flow's input port is not there.
    #[error("NiFi at {address} has no input port '{port}' (provision up deploys the flow)")]
    NoPort {
        /// NiFi's web address.
        address: String,
        /// The port's name.
        port: &'static str,
    },
    /// The ledger could not be read.
    #[error("{0}")]
    Ledger(ledger::LedgerError),
    /// No successful run of the hour was recorded in time.
    #[error(
        "handed to NiFi at {address}, but no successful run was recorded within {seconds}s ({failed} failed{last}{queued})"
    )]
    Unfinished {
        /// NiFi's web address.
        address: String,
        /// How long it waited.
        seconds: u64,
        /// Failed runs of the hour NiFi recorded meanwhile.
        failed: usize,
        /// The last failure's error, after `: `.
        last: String,
        /// Where the flow holds flow files, and NiFi's latest bulletins, after `; `.
        queued: String,
    },
}

/// The successful run NiFi recorded for a handed hour.
#[derive(Debug, Clone)]
pub struct Awaited {
    /// The run.
    pub run: ledger::Run,
    /// Failed runs of the hour before it: retries by the flow.
    pub failed: usize,
    /// Seconds from the handover to the run's end.
    pub seconds: f64,
}

/// Hands `hour`'s rows, crawled in `crawl_seconds`, to the input port of the NiFi at `address`,
/// trying again for up to [`HAND_PATIENCE`] while NiFi is starting, restarting or having its flow
/// replaced; returns when NiFi confirmed it, which is then.
pub async fn hand(
    address: &str,
    hour: Hour,
    rows: &Collected,
    crawl_seconds: f64,
) -> Result<DateTime<Local>, HandError> {
    let t = Instant::now();
    let content = csv::to_csv(&rows.rows);
    loop {
        match hand_once(address, hour, &content, crawl_seconds).await {
            Err(_) if t.elapsed() < HAND_PATIENCE => tokio::time::sleep(Duration::from_secs(2)).await,
            done => return done,
        }
    }
}

/// One try of [`hand`].
async fn hand_once(
    address: &str,
    hour: Hour,
    content: &[u8],
    crawl_seconds: f64,
) -> Result<DateTime<Local>, HandError> {
    let port = Api::new(address)
        .remote_input_port(flow::INPUT_PORT)
        .await
        .map_err(HandError::Nifi)?
        .ok_or_else(|| HandError::NoPort { address: address.to_string(), port: flow::INPUT_PORT })?;
    let handed_at = Local::now();
    let attributes = BTreeMap::from([
        (flow::HOUR_ATTRIBUTE.to_string(), hour.to_string()),
        (flow::CRAWL_SECONDS_ATTRIBUTE.to_string(), format!("{crawl_seconds:.3}")),
        (flow::HANDED_AT_ATTRIBUTE.to_string(), handed_at.timestamp_millis().to_string()),
        ("filename".to_string(), LANDED_FILE.to_string()),
    ]);
    transfer::send(address, &port, &attributes, content).await.map_err(HandError::Nifi)?;
    Ok(handed_at)
}

/// Waits up to `patience` for the ledger's successful run of `hour` started since `since`, as
/// NiFi's flow at `address` records it; failed runs meanwhile are the flow's retries. The mart
/// being unreachable for a while (restarted, say) is waited out too.
pub async fn await_run(
    c: &Cluster,
    secrets: &Secrets,
    address: &str,
    hour: Hour,
    since: DateTime<Local>,
    patience: Duration,
) -> Result<Awaited, HandError> {
    let t = Instant::now();
    let mut ledger: Option<Client> = None;
    let mut runs = Vec::new();
    loop {
        let read = async {
            let client = match ledger.take() {
                Some(client) => client,
                None => ledger::connect(c, secrets).await?,
            };
            let read = ledger::runs_since(&client, hour, since).await;
            Ok::<_, ledger::LedgerError>((client, read?))
        };
        let unreachable = match read.await {
            Ok((client, read)) => {
                (ledger, runs) = (Some(client), read);
                let failed = runs.iter().take_while(|r| r.status != ledger::Status::Succeeded).count();
                if let Some(run) = runs.get(failed).cloned() {
                    return Ok(Awaited { run, failed, seconds: t.elapsed().as_secs_f64() });
                }
                None
            }
            Err(e) => Some(e),
        };
        if t.elapsed() >= patience {
            if let Some(e) = unreachable {
                return Err(HandError::Ledger(e));
            }
            let last = runs.last().and_then(|r| r.error.as_deref()).map(|e| format!(": {e}")).unwrap_or_default();
            let queued = match monitor::holding(&Api::new(address)).await {
                Ok(held) => format!("; {held}"),
                Err(e) => format!("; {e}"),
            };
            return Err(HandError::Unfinished {
                address: address.to_string(),
                seconds: patience.as_secs(),
                failed: runs.len(),
                last,
                queued,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Crawls `hour`, hands it to the flow of the NiFi at `address` and waits for the run NiFi
/// records. A crawl or a hand-over that fails, or a run that does not succeed in time, is
/// recorded here as a failed run, so the ledger holds every hour either way.
pub async fn run_once(
    c: &Cluster,
    secrets: &Secrets,
    address: &str,
    hour: Hour,
    fetch: &FetchOptions,
) -> (ledger::Run, Result<(), ledger::LedgerError>) {
    let started_at = Local::now();
    let mut cycle = super::Cycle::new(hour);
    let t = Instant::now();
    let collected = match crawl::collect(&c.categories, hour, fetch).await {
        Ok(collected) => collected,
        Err(e) => {
            cycle.error = Some(CycleError::Crawl(e));
            return record(c, secrets, started_at, cycle).await;
        }
    };
    let crawled = &cycle.crawl.insert(Ran::since(t, collected)).out;
    let awaited = async {
        let since = hand(address, hour, crawled, t.elapsed().as_secs_f64()).await?;
        await_run(c, secrets, address, hour, since, PATIENCE).await
    }
    .await;
    match awaited {
        Ok(done) => (done.run, Ok(())),
        Err(e) => {
            cycle.error = Some(CycleError::Hand(e));
            record(c, secrets, started_at, cycle).await
        }
    }
}
