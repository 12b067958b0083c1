//! `provision crawl`, `pipeline run` and `runs`: wiring to `pipeline`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use super::runtime;
use crate::cli::{CrawlArgs, PipelineRunArgs, RunsArgs, SourceArgs};
use crate::crawl::source;
use crate::dataset::hour::Hour;
use crate::inventory;
use crate::landing::LandingError;
use crate::model::{Cluster, Role};
use crate::pipeline::{self, CycleError, Land, Then, ledger};
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

/// Runs `provision crawl`: a cycle that lands the hour below `--out`, or in HDFS and then
/// makes it queryable when the inventory has a HiveServer2.
pub fn crawl(args: &CrawlArgs) -> anyhow::Result<ExitCode> {
    let c = inventory::load(&args.inventory)?;
    let hour = hour(&args.source.at)?;
    let land = match &args.out {
        Some(dir) => Land::Local(dir),
        None => {
            let then = if c.one(Role::HiveServer2).is_some() { Then::Queryable } else { Then::Stop };
            Land::Hdfs { patience: pipeline::LANDING_PATIENCE, then }
        }
    };
    let cycle = runtime()?.block_on(pipeline::cycle(&c, hour, &fetch(&args.source), land));
    let landed = cycle.land.map(|l| l.out).unwrap_or_default();
    if let Some(e) = cycle.error {
        return Err(match e {
            CycleError::Crawl(e) => e.into(),
            CycleError::Land(LandingError::Client(e)) => e.into(),
            CycleError::Land(e) => e.into(),
            CycleError::Queryable(e) => anyhow::anyhow!("{hour} landed at {landed} but is not queryable in Hive: {e}"),
            e => e.into(),
        });
    }
    let collected = cycle.crawl.map(|crawl| crawl.out).context("the cycle crawled nothing")?;
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
        let unrecorded = recorded.err().map(|e| e.to_string());
        ui::pipeline_run(&run, unrecorded.as_ref());
        let ok = run.status == ledger::Status::Succeeded && unrecorded.is_none();
        return Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) });
    };
    let period = period(every)?;
    anyhow::ensure!(args.source.at.is_none(), "--every runs the current hour each time; it takes no --at");
    loop {
        let current = Hour::now();
        let done = rt.block_on(async { ledger::succeeded(&ledger::connect(&c, &secrets).await?, current).await });
        if !matches!(done, Ok(true)) {
            let (run, recorded) = rt.block_on(pipeline::run_once(&c, &secrets, current, &fetch));
            ui::pipeline_run(&run, recorded.err().map(|e| e.to_string()).as_ref());
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
    let runs = runtime()?.block_on(async { ledger::list(&ledger::connect(&c, &secrets).await?, args.limit).await })?;
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
