//! The run ledger: every pipeline run, success or failure, as a row of `pipeline_runs` in the
//! mart database.

use std::collections::BTreeMap;

use chrono::{DateTime, Local};
use serde::Serialize;
use tokio_postgres::Client;

use crate::dataset::hour::Hour;
use crate::marts::db::{self, DbError};
use crate::model::Cluster;
use crate::secrets::Secrets;

/// How a run ended, as the ledger writes it: `succeeded` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every stage ran, and the mart holds every row crawled.
    Succeeded,
    /// A stage failed; the run's error says which and why.
    Failed,
}

impl Status {
    /// Its text in the ledger and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
        }
    }

    /// The status written as `text`.
    fn parse(text: &str) -> Result<Status, LedgerError> {
        match text {
            "succeeded" => Ok(Status::Succeeded),
            "failed" => Ok(Status::Failed),
            _ => Err(LedgerError::Status(text.to_string())),
        }
    }
}

/// Its text, padded to the width the format asks for, if any.
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The ledger could not be reached, written or read.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The mart database could not be reached.
    #[error("{0}")]
    Db(DbError),
    /// The run could not be written.
    #[error("recording the run in pipeline_runs: {0}")]
    Record(tokio_postgres::Error),
    /// The runs could not be read.
    #[error("reading pipeline_runs: {0}")]
    Read(tokio_postgres::Error),
    /// A run with a status other than those `provision` writes.
    #[error("reading pipeline_runs: a run has the status {0:?}, neither succeeded nor failed")]
    Status(String),
}

/// One run of the pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The collection hour.
    pub hour: Hour,
    /// When it started.
    pub started_at: DateTime<Local>,
    /// When it ended.
    pub finished_at: DateTime<Local>,
    /// How it ended.
    pub status: Status,
    /// What failed, when something did.
    pub error: Option<String>,
    /// Rows collected per category code.
    pub rows: BTreeMap<String, usize>,
    /// Seconds each stage took (crawl, land, queryable, load; hand when it went through NiFi:
    /// from the handover to the start of NiFi's run).
    pub stages: BTreeMap<String, f64>,
    /// The name of the machine the run ran on: the crawler host for a scheduled run, or the
    /// NiFi host for an hour it ran.
    pub ran_on: String,
}

/// Connects to the ledger's database, the mart's.
pub async fn connect(c: &Cluster, secrets: &Secrets) -> Result<Client, LedgerError> {
    db::connect(c, secrets).await.map_err(LedgerError::Db)
}

/// Records `run`.
pub async fn record(client: &Client, run: &Run) -> Result<(), LedgerError> {
    client
        .execute(
            "INSERT INTO pipeline_runs (hour, started_at, finished_at, status, error, rows_per_category, stage_seconds, ran_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &run.hour.0,
                &run.started_at,
                &run.finished_at,
                &run.status.as_str(),
                &run.error,
                &serde_json::to_value(&run.rows).expect("json"),
                &serde_json::to_value(&run.stages).expect("json"),
                &run.ran_on,
            ],
        )
        .await
        .map(|_| ())
        .map_err(LedgerError::Record)
}

/// The columns a [`Run`] is read from, in [`from_row`]'s order.
const COLUMNS: &str = "hour, started_at, finished_at, status, error, rows_per_category, stage_seconds, ran_on";

/// The run in `row`, read with [`COLUMNS`].
fn from_row(r: &tokio_postgres::Row) -> Result<Run, LedgerError> {
    Ok(Run {
        hour: Hour(r.get(0)),
        started_at: r.get(1),
        finished_at: r.get(2),
        status: Status::parse(r.get(3))?,
        error: r.get(4),
        rows: serde_json::from_value(r.get(5)).unwrap_or_default(),
        stages: serde_json::from_value(r.get(6)).unwrap_or_default(),
        ran_on: r.get(7),
    })
}

/// The latest `limit` runs, newest first.
pub async fn list(client: &Client, limit: i64) -> Result<Vec<Run>, LedgerError> {
    let sql = format!("SELECT {COLUMNS} FROM pipeline_runs ORDER BY id DESC LIMIT $1");
    let rows = client.query(&sql, &[&limit]).await.map_err(LedgerError::Read)?;
    rows.iter().map(from_row).collect()
}

/// The runs of `hour` started at or after `since`, oldest first.
pub async fn runs_since(client: &Client, hour: Hour, since: DateTime<Local>) -> Result<Vec<Run>, LedgerError> {
    let sql = format!("SELECT {COLUMNS} FROM pipeline_runs WHERE hour = $1 AND started_at >= $2 ORDER BY id");
    let rows = client.query(&sql, &[&hour.0, &since]).await.map_err(LedgerError::Read)?;
    rows.iter().map(from_row).collect()
}

/// Whether `hour` already has a successful run.
pub async fn succeeded(client: &Client, hour: Hour) -> Result<bool, LedgerError> {
    let row = client
        .query_one("SELECT count(*) FROM pipeline_runs WHERE hour = $1 AND status = 'succeeded'", &[&hour.0])
        .await
        .map_err(LedgerError::Read)?;
    Ok(row.get::<_, i64>(0) > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_its_ledger_text_in_files_and_output() {
        for s in [Status::Succeeded, Status::Failed] {
            assert_eq!(Status::parse(s.as_str()).unwrap(), s);
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(format!("{:<10}|", Status::Failed), "failed    |");
        assert!(Status::parse("running").is_err());
    }
}
