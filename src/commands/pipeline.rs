//! `provision crawl`, `pipeline run` and `runs`: wiring to `pipeline`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;

use super::runtime;
use crate::cli::{CrawlArgs, PipelineRunArgs, RunsArgs, SourceArgs};
use crate::hive::warehouse;
use crate::inventory;
use crate::model::{Cluster, Role};
use crate::pipeline::hour::Hour;
use crate::pipeline::{self, landing, ledger, mart, record, source};
use crate::secrets::Secrets;
use crate::ui;

fn hour(at: &Option<String>) -> anyhow::Result<Hour> {
    match at {
        Some(s) => Hour::parse(s).map_err(anyhow::Error::msg),
        None => Ok(Hour::now()),
    }
}

/// Fetch options; `PROVISION_FETCH_TIMEOUT_SECS` shortens the per-request timeout.
fn fetch(s: &SourceArgs) -> source::FetchOptions {
    let mut o = source::FetchOptions { source: s.source.clone(), ..source::FetchOptions::default() };
    if let Some(secs) = std::env::var("PROVISION_FETCH_TIMEOUT_SECS").ok().and_then(|v| v.parse().ok()) {
        o.timeout = Duration::from_secs(secs);
        o.backoff = Duration::from_millis(100);
    }
    o
}

/// The cluster's secrets: the crawler host's copy, which holds only the mart's password, from
/// `$PROVISION_STATE_DIR` when set (the crawler host's cron line sets it), else every secret
/// from the inventory's state folder.
pub(super) fn secrets(c: &Cluster) -> anyhow::Result<Secrets> {
    let (path, found) = match std::env::var_os("PROVISION_STATE_DIR") {
        Some(state) => {
            let path = Secrets::path(std::path::Path::new(&state));
            let found = Secrets::load_crawler_copy(&path)?;
            (path, found)
        }
        None => {
            let path = Secrets::path(&c.state_dir);
            let found = Secrets::load(&path)?;
            (path, found)
        }
    };
    found.with_context(|| format!("no secrets in {}\nhint: run `provision up` first", path.display()))
}

/// Runs `provision crawl`.
pub fn crawl(args: &CrawlArgs) -> anyhow::Result<ExitCode> {
    let c = inventory::load(&args.inventory)?;
    let hour = hour(&args.source.at)?;
    let rt = runtime()?;
    let collected =
        rt.block_on(pipeline::collect(&c.categories, hour, &fetch(&args.source))).map_err(anyhow::Error::msg)?;
    let csv = record::to_csv(&collected.rows);
    let landed = match &args.out {
        Some(dir) => landing::land_local(dir, hour, &csv).map_err(anyhow::Error::msg)?.display().to_string(),
        None => rt.block_on(async {
            let client = crate::hdfs::client(&c)?;
            let path = landing::land_hdfs(&client, hour, Bytes::from(csv), Duration::from_secs(60))
                .await
                .map_err(anyhow::Error::msg)?;
            if c.one(Role::HiveServer2).is_some() {
                warehouse::register(&c, hour, hour)
                    .await
                    .map_err(|e| anyhow::anyhow!("{hour} landed at {path} but is not queryable in Hive: {e}"))?;
            }
            anyhow::Ok(path)
        })?,
    };
    ui::note(&format!(
        "landed {} rows of {} categories for {hour} at {landed}",
        collected.rows.len(),
        collected.per_category.len()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Parses a period such as `1h`, `30m` or `45s`.
fn period(s: &str) -> anyhow::Result<Duration> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n.parse().with_context(|| format!("--every {s}: write a number and a unit, e.g. 1h"))?;
    let secs = match unit {
        "h" => n * 3600,
        "m" => n * 60,
        "s" => n,
        _ => anyhow::bail!("--every {s}: the unit must be h, m or s"),
    };
    anyhow::ensure!(secs > 0, "--every {s}: the period must be longer than zero");
    Ok(Duration::from_secs(secs))
}

/// Runs `provision pipeline run`.
pub fn run(args: &PipelineRunArgs) -> anyhow::Result<ExitCode> {
    let c = inventory::load(&args.inventory)?;
    let secrets = secrets(&c)?;
    let fetch = fetch(&args.source);
    let rt = runtime()?;
    let Some(every) = &args.every else {
        let (run, recorded) = rt.block_on(pipeline::run_once(&c, &secrets, hour(&args.source.at)?, &fetch));
        ui::pipeline_run(&run, recorded.as_ref().err());
        return Ok(if run.status == "succeeded" && recorded.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) });
    };
    let period = period(every)?;
    anyhow::ensure!(args.source.at.is_none(), "--every runs the current hour each time; it takes no --at");
    loop {
        let current = Hour::now();
        let done = rt.block_on(async { ledger::succeeded(&mart::connect(&c, &secrets).await?, current).await });
        if !matches!(done, Ok(true)) {
            let (run, recorded) = rt.block_on(pipeline::run_once(&c, &secrets, current, &fetch));
            ui::pipeline_run(&run, recorded.as_ref().err());
        }
        let secs = period.as_secs();
        let now = chrono::Local::now().timestamp() as u64;
        let wait = secs - now % secs + 5;
        ui::note(&format!("next run in {wait}s"));
        std::thread::sleep(Duration::from_secs(wait));
    }
}

/// Runs `provision runs`.
pub fn runs(args: &RunsArgs) -> anyhow::Result<ExitCode> {
    let c = inventory::load(&args.inventory)?;
    let secrets = secrets(&c)?;
    let runs = runtime()?
        .block_on(async { ledger::list(&mart::connect(&c, &secrets).await?, args.limit).await })
        .map_err(anyhow::Error::msg)?;
    ui::runs(&runs, args.json);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::period;

    #[test]
    fn periods_take_a_number_and_a_unit() {
        assert_eq!(period("1h").unwrap().as_secs(), 3600);
        assert_eq!(period("30m").unwrap().as_secs(), 1800);
        assert!(period("1d").is_err());
        assert!(period("h").is_err());
        assert!(period("0s").is_err());
    }
}
