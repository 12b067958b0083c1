//! The pipeline through NiFi: a sample hour crawled here and handed to the flow's input port,
//! then NiFi's `provision pipeline accept` on its host lands it, makes it queryable and loads
//! the mart; the check waits for the ledger's run of the hour, compares the counts, and finds no
//! error bulletin since the hour was handed over and the flow's queues empty.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{VerifyError, fail, log_of};
use crate::crawl::{self, source::FetchOptions};
use crate::dataset::{hour::Hour, record};
use crate::marts::db;
use crate::model::{Cluster, Role};
use crate::nifi::api::Api;
use crate::nifi::{flow, monitor, transfer};
use crate::pipeline::ledger;
use crate::secrets::Secrets;

/// How long the flow gets to bring a handed hour into the mart.
const PATIENCE: Duration = Duration::from_secs(300);

/// What the check measured.
#[derive(Debug, Clone, Serialize)]
pub struct ThroughNifi {
    /// The hour.
    pub hour: String,
    /// Rows crawled here and handed over.
    pub handed: usize,
    /// Rows in the mart afterwards.
    pub in_mart: i64,
    /// Seconds from the handover to the ledger's successful run.
    pub seconds: f64,
    /// The stages the run recorded, with their seconds.
    pub stages: BTreeMap<String, f64>,
}

impl ThroughNifi {
    /// Its line in the report.
    pub fn figure(&self) -> String {
        format!(
            "{}: {} crawled and handed to NiFi = {} in dm_gmarket {:.1}s later; no error bulletin, queues empty",
            self.hour, self.handed, self.in_mart, self.seconds
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
    let t = Instant::now();
    let collected = crawl::collect(&c.categories, hour, fetch)
        .await
        .map_err(|e| fail("nifi", "the sample hour crawled", e.to_string(), "the category pages named above"))?;
    let crawl_seconds = t.elapsed().as_secs_f64();
    let port = api
        .remote_input_port(flow::INPUT_PORT)
        .await
        .map_err(|e| look(&e, "the flow's input port"))?
        .ok_or_else(|| look(&"no such port (provision up deploys the flow)", "the flow's input port"))?;
    let attributes = BTreeMap::from([
        (flow::HOUR_ATTRIBUTE.to_string(), hour.to_string()),
        (flow::CRAWL_SECONDS_ATTRIBUTE.to_string(), format!("{crawl_seconds:.3}")),
        ("filename".to_string(), "gmarket.csv".to_string()),
    ]);
    let handed_at = chrono::Local::now();
    let t = Instant::now();
    transfer::send(&address, &port, &attributes, &record::to_csv(&collected.rows))
        .await
        .map_err(|e| look(&e, "the hour handed to NiFi's input port"))?;
    let ledger =
        ledger::connect(c, secrets).await.map_err(|e| fail("nifi", "the ledger", e.to_string(), "the mart"))?;
    let run = loop {
        let runs =
            ledger::list(&ledger, 50).await.map_err(|e| fail("nifi", "the ledger", e.to_string(), "the mart"))?;
        if let Some(r) = runs.into_iter().find(|r| r.hour == hour && r.started_at >= handed_at) {
            if r.status == ledger::Status::Succeeded {
                break r;
            }
            let error = r.error.unwrap_or_default();
            return Err(look(&format!("a failed run: {error}"), "the hour's run succeeding in NiFi's flow"));
        }
        if t.elapsed() > PATIENCE {
            let state = monitor::status(&api).await.map(|s| format!("{} queued", s.queued)).unwrap_or_default();
            return Err(look(
                &format!("no run of the hour after {}s ({state})", PATIENCE.as_secs()),
                "the hour's run recorded by NiFi's flow",
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let seconds = t.elapsed().as_secs_f64();
    let in_mart =
        db::count_hour(&ledger, hour).await.map_err(|e| fail("nifi", "the mart", e.to_string(), "the mart"))?;
    if in_mart != collected.rows.len() as i64 {
        return Err(fail(
            "nifi",
            format!("{} rows in dm_gmarket", collected.rows.len()),
            in_mart.to_string(),
            nifi_log,
        ));
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
    Ok(ThroughNifi { hour: hour.to_string(), handed: collected.rows.len(), in_mart, seconds, stages: run.stages })
}
