//! The pipeline the platform exists for: best-100 pages -> layout parser -> rows -> CSV ->
//! landing (HDFS, temporary name then rename) -> the hour's Hive partition -> the default
//! mart loaded through Hive (PostgreSQL COPY in one transaction) -> a ledger row for every run.

pub mod charset;
pub mod hour;
pub mod landing;
pub mod layout;
pub mod ledger;
pub mod mart;
pub mod record;
pub mod sample;
pub mod source;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::model::{Category, Cluster};
use crate::secrets::Secrets;
use hour::Hour;
use record::Row;

/// An hour's rows of every category.
#[derive(Debug, Clone)]
pub struct Collected {
    /// Every row, category by category, rank by rank.
    pub rows: Vec<Row>,
    /// Rows per category code.
    pub per_category: BTreeMap<String, usize>,
}

/// Crawls every category for `hour`. All or nothing: when any category fails, the error lists
/// each failed one, and nothing is to be published for the hour.
pub async fn collect(categories: &[Category], hour: Hour, fetch: &source::FetchOptions) -> Result<Collected, String> {
    let results = source::crawl(categories, fetch).await;
    let mut rows = Vec::new();
    let mut per_category = BTreeMap::new();
    let mut failures = Vec::new();
    for (category, result) in categories.iter().zip(results) {
        match result {
            Ok((_, mut items)) => {
                items.sort_by_key(|i| i.rank);
                per_category.insert(category.code.clone(), items.len());
                rows.extend(items.into_iter().map(|i| Row::new(i, category, hour)));
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    if failures.is_empty() {
        Ok(Collected { rows, per_category })
    } else {
        Err(format!(
            "{} of {} categories failed, so nothing was published for {hour}:\n  {}",
            failures.len(),
            categories.len(),
            failures.join("\n  ")
        ))
    }
}

/// Crawls, lands and loads `hour`, and records the run in the ledger. The returned run says
/// how it went; an error is one the ledger could not record.
pub async fn run_once(
    c: &Cluster,
    secrets: &Secrets,
    hour: Hour,
    fetch: &source::FetchOptions,
) -> (ledger::Run, Result<(), String>) {
    let started_at = chrono::Local::now();
    let mut stages = BTreeMap::new();
    let mut rows_per_category = BTreeMap::new();
    let mut timed = |name: &str, t: Instant| {
        stages.insert(name.to_string(), t.elapsed().as_secs_f64());
    };
    let outcome: Result<(), String> = async {
        let t = Instant::now();
        let collected = collect(&c.categories, hour, fetch).await.map_err(|e| format!("crawl: {e}"))?;
        timed("crawl", t);
        rows_per_category = collected.per_category.clone();
        let t = Instant::now();
        let client = crate::hdfs::client(c).map_err(|e| format!("land: {e}"))?;
        landing::land_hdfs(&client, hour, Bytes::from(record::to_csv(&collected.rows)), Duration::from_secs(60))
            .await
            .map_err(|e| format!("land: {e}"))?;
        timed("land", t);
        let t = Instant::now();
        let hours = crate::hive::warehouse::register(c, hour, hour).await.map_err(|e| format!("queryable: {e}"))?;
        timed("queryable", t);
        let t = Instant::now();
        let default = crate::marts::find(crate::marts::DEFAULT, None).map_err(|e| format!("load: {e}"))?;
        let loaded = crate::marts::load::load_queryable(c, secrets, &default, hour, hour, &hours)
            .await
            .map_err(|e| format!("load: {e}"))?;
        if loaded.rows != collected.rows.len() as u64 {
            return Err(format!(
                "load: {} rows crawled but {} reached {} through Hive",
                collected.rows.len(),
                loaded.rows,
                default.table
            ));
        }
        timed("load", t);
        Ok(())
    }
    .await;
    let run = ledger::Run {
        hour: hour.to_string(),
        started_at,
        finished_at: chrono::Local::now(),
        status: if outcome.is_ok() { "succeeded".into() } else { "failed".into() },
        error: outcome.as_ref().err().cloned(),
        rows: rows_per_category,
        stages,
    };
    let recorded = async {
        let db = mart::connect(c, secrets).await?;
        ledger::record(&db, &run).await
    }
    .await;
    (run, recorded)
}
