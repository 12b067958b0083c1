//! The pipeline through NiFi: a sample hour crawled here and handed to the flow's input port,
//! then NiFi's `provision pipeline accept` on its host lands it, makes it queryable and loads
//! the mart; the check waits for the ledger's successful run of the hour (after the flow's
//! retries, if any), counts the rows at every stage and compares a sample field by field as the
//! direct cycle does, and finds no error bulletin since the hour was handed over and the flow's
//! queues empty.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::cycle::{self, Cycle};
use super::{VerifyError, fail, log_of};
use crate::crawl::{self, source::FetchOptions};
use crate::dataset::hour::Hour;
use crate::model::{Cluster, Role};
use crate::nifi::{api::Api, monitor};
use crate::pipeline::handover;
use crate::secrets::Secrets;

/// How long the flow gets to bring a handed hour into the mart, a retry after a failover
/// included.
const PATIENCE: Duration = Duration::from_secs(300);

/// What the check measured.
#[derive(Debug, Clone, Serialize)]
pub struct ThroughNifi {
    /// The counts at every stage and the sample, as the direct cycle's.
    pub cycle: Cycle,
    /// Rows NiFi's run recorded as received.
    pub received: usize,
    /// Where the run ran: the NiFi host's name.
    pub ran_on: String,
    /// Failed runs before the successful one: the flow's retries.
    pub retried: usize,
    /// Seconds from the hand-over to the end of the ledger's successful run.
    pub seconds: f64,
}

impl ThroughNifi {
    /// Its line in the report.
    pub fn figure(&self) -> String {
        let k = &self.cycle;
        let stages: Vec<String> = k.stages.iter().map(|(k, v)| format!("{k} {v:.2}s")).collect();
        format!(
            "{}: {} crawled and handed to NiFi = {} received on {} = {} landed = {} queryable = {} in dm_gmarket \
             {:.1}s later ({} retried); {} sampled rows equal field by field; no error bulletin, queues empty ({})",
            k.hour,
            k.crawled,
            self.received,
            self.ran_on,
            k.landed,
            k.queryable,
            k.in_mart,
            self.seconds,
            self.retried,
            k.sampled,
            stages.join(", ")
        )
    }
}

/// Hands `hour`, crawled with `fetch`, to NiFi's flow and checks that it reaches the mart.
pub async fn run(c: &Cluster, secrets: &Secrets, hour: Hour, fetch: &FetchOptions) -> Result<ThroughNifi, VerifyError> {
    let nifi = c.one(Role::Nifi).expect("checked only with a NiFi host");
    let address = c.nifi_address().expect("checked only with a NiFi host");
    let api = Api::new(&address);
    let nifi_log = log_of(c, &nifi.name, "nifi");
    let look = |e: &dyn std::fmt::Display, what: &str| fail("nifi", what.to_string(), e.to_string(), nifi_log.clone());
    let before = api.bulletins(1).await.map_err(|e| look(&e, "NiFi's bulletins"))?.first().map_or(0, |b| b.id);
    let expected = fetch.expected * c.categories.len();
    let t = Instant::now();
    let collected = crawl::collect(&c.categories, hour, fetch)
        .await
        .map_err(|e| fail("nifi", "the sample hour crawled", e.to_string(), "the category pages named above"))?;
    let crawl_seconds = t.elapsed().as_secs_f64();
    let handed_at = handover::hand(&address, hour, &collected, crawl_seconds)
        .await
        .map_err(|e| look(&e, "the hour handed to NiFi's input port"))?;
    let done = handover::await_run(c, secrets, &address, hour, handed_at, PATIENCE)
        .await
        .map_err(|e| look(&e, "the hour's run succeeding in NiFi's flow"))?;
    let received = done.run.rows.values().sum();
    let mut stages = done.run.stages.clone();
    if let Some(load) = stages.remove("load") {
        stages.insert("mart".to_string(), load);
    }
    let cycle = cycle::prove(c, secrets, hour, expected, &collected.rows, stages).await?;
    if received != expected {
        return Err(look(&format!("{received} rows"), &format!("{expected} rows received by NiFi's run")));
    }
    // The flow logs the success after the run ends: its queues empty within moments.
    let started = Instant::now();
    let state = loop {
        let state = monitor::status(&api).await.map_err(|e| look(&e, "the flow's state"))?;
        if state.queued == 0 || started.elapsed() > Duration::from_secs(30) {
            break state;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    if state.queued > 0 {
        return Err(look(&format!("{} flow files queued", state.queued), "the flow's queues empty"));
    }
    if let Some(b) = state.errors.iter().find(|b| b.id > before) {
        return Err(look(&format!("{} {}: {}", b.timestamp, b.source, b.message), "no error bulletin"));
    }
    Ok(ThroughNifi { cycle, received, ran_on: done.run.ran_on, retried: done.failed, seconds: done.seconds })
}
