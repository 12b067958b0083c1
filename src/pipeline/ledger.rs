//! The run ledger: every pipeline run, success or failure, as a row of `pipeline_runs` in the
//! mart database.

use std::collections::BTreeMap;

use chrono::{DateTime, Local};
use serde::Serialize;
use tokio_postgres::Client;

use super::hour::Hour;

/// One run of the pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The collection hour.
    pub hour: String,
    /// When it started.
    pub started_at: DateTime<Local>,
    /// When it ended.
    pub finished_at: DateTime<Local>,
    /// `succeeded` or `failed`.
    pub status: String,
    /// What failed, when something did.
    pub error: Option<String>,
    /// Rows collected per category code.
    pub rows: BTreeMap<String, usize>,
    /// Seconds each stage took (crawl, land, load).
    pub stages: BTreeMap<String, f64>,
}

/// Records `run`.
pub async fn record(client: &Client, run: &Run) -> Result<(), String> {
    let hour = Hour::parse(&run.hour)?;
    client
        .execute(
            "INSERT INTO pipeline_runs (hour, started_at, finished_at, status, error, rows_per_category, stage_seconds) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &hour.0,
                &run.started_at,
                &run.finished_at,
                &run.status,
                &run.error,
                &serde_json::to_value(&run.rows).expect("json"),
                &serde_json::to_value(&run.stages).expect("json"),
            ],
        )
        .await
        .map(|_| ())
        .map_err(|e| format!("recording the run in pipeline_runs: {e}"))
}

/// The latest `limit` runs, newest first.
pub async fn list(client: &Client, limit: i64) -> Result<Vec<Run>, String> {
    let rows = client
        .query(
            "SELECT hour, started_at, finished_at, status, error, rows_per_category, stage_seconds \
             FROM pipeline_runs ORDER BY id DESC LIMIT $1",
            &[&limit],
        )
        .await
        .map_err(|e| format!("reading pipeline_runs: {e}"))?;
    Ok(rows
        .iter()
        .map(|r| Run {
            hour: Hour(r.get(0)).to_string(),
            started_at: r.get(1),
            finished_at: r.get(2),
            status: r.get(3),
            error: r.get(4),
            rows: serde_json::from_value(r.get(5)).unwrap_or_default(),
            stages: serde_json::from_value(r.get(6)).unwrap_or_default(),
        })
        .collect())
}

/// Whether `hour` already has a successful run.
pub async fn succeeded(client: &Client, hour: Hour) -> Result<bool, String> {
    let row = client
        .query_one("SELECT count(*) FROM pipeline_runs WHERE hour = $1 AND status = 'succeeded'", &[&hour.0])
        .await
        .map_err(|e| format!("reading pipeline_runs: {e}"))?;
    Ok(row.get::<_, i64>(0) > 0)
}
