//! The pipeline's use cases: `crawl` (one hour crawled and landed), `pipeline run` (one hour
//! from crawl to mart, recorded; or every period), `pipeline accept` (an hour crawled elsewhere,
//! from landing to mart, recorded), and `runs` (the ledger).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use super::{Context, SecretsPolicy, runtime};
use crate::crawl::{Collected, source::FetchOptions};
use crate::dataset::hour::Hour;
use crate::landing::LandingError;
use crate::model::{Cluster, Role};
use crate::pipeline::{self, CycleError, Land, Then, ledger};
use crate::secrets::Secrets;

/// Where pages come from and which hour they are for.
pub struct SourceOptions {
    /// Pages from this base URL or folder instead of the inventory's URLs.
    pub source: Option<String>,
    /// The hour; the current one when `None`.
    pub at: Option<String>,
}

impl SourceOptions {
    /// The hour the options name.
    fn hour(&self) -> anyhow::Result<Hour> {
        match &self.at {
            Some(s) => Hour::parse(s).map_err(anyhow::Error::msg),
            None => Ok(Hour::now()),
        }
    }

    /// Fetch options; `PROVISION_FETCH_TIMEOUT_SECS` shortens the per-request timeout.
    fn fetch(&self) -> FetchOptions {
        let mut o = FetchOptions { source: self.source.clone(), ..FetchOptions::default() };
        if let Some(secs) = std::env::var("PROVISION_FETCH_TIMEOUT_SECS").ok().and_then(|v| v.parse().ok()) {
            o.timeout = Duration::from_secs(secs);
            o.backoff = Duration::from_millis(100);
        }
        o
    }
}

/// An hour crawled and landed.
pub struct Crawled {
    /// The hour.
    pub hour: Hour,
    /// What was collected.
    pub collected: Collected,
    /// Where it landed.
    pub landed: String,
}

/// Crawls one hour and lands it below `out`, or in HDFS and then makes it queryable when the
/// inventory has a HiveServer2.
pub fn crawl(ctx: &Context, source: &SourceOptions, out: Option<&PathBuf>) -> anyhow::Result<Crawled> {
    let c = &ctx.cluster;
    let hour = source.hour()?;
    let land = match out {
        Some(dir) => Land::Local(dir),
        None => {
            let then = if c.one(Role::HiveServer2).is_some() { Then::Queryable } else { Then::Stop };
            Land::Hdfs { patience: pipeline::LANDING_PATIENCE, then }
        }
    };
    let cycle = runtime()?.block_on(pipeline::cycle(c, hour, &source.fetch(), land));
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
    Ok(Crawled { hour, collected, landed })
}

/// A run of the pipeline as the ledger records it, and why the ledger could not, if it could not.
pub struct Recorded {
    /// The run.
    pub run: ledger::Run,
    /// Why it is not in the ledger.
    pub unrecorded: Option<String>,
}

impl Recorded {
    /// Whether the run succeeded and is recorded.
    pub fn ok(&self) -> bool {
        self.run.status == ledger::Status::Succeeded && self.unrecorded.is_none()
    }
}

/// Runs one hour from crawl to mart and records it: through NiFi's flow when the inventory has
/// a NiFi host and not `direct`, else every stage here.
pub fn run_once(ctx: &Context, source: &SourceOptions, direct: bool) -> anyhow::Result<Recorded> {
    let secrets = ctx.secrets(SecretsPolicy::Load)?.secrets;
    let rt = runtime()?;
    Ok(rt.block_on(one_hour(&ctx.cluster, &secrets, source.hour()?, &source.fetch(), direct)))
}

/// One hour from crawl to mart, by the path [`run_once`] says.
async fn one_hour(c: &Cluster, secrets: &Secrets, hour: Hour, fetch: &FetchOptions, direct: bool) -> Recorded {
    let (run, recorded) = match c.nifi_address().filter(|_| !direct) {
        Some(address) => pipeline::handover::run_once(c, secrets, &address, hour, fetch).await,
        None => pipeline::run_once(c, secrets, hour, fetch).await,
    };
    Recorded { run, unrecorded: recorded.err().map(|e| e.to_string()) }
}

/// Lands, makes queryable and loads the hour `at` from its CSV `csv`, crawled elsewhere in
/// `crawl_seconds` and handed over at `handed_at` (milliseconds since the epoch, or empty), and
/// records it.
pub fn accept(ctx: &Context, at: &str, csv: &[u8], crawl_seconds: f64, handed_at: &str) -> anyhow::Result<Recorded> {
    let hour = Hour::parse(at).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        crawl_seconds.is_finite() && crawl_seconds >= 0.0,
        "--crawl-seconds {crawl_seconds}: give a duration in seconds"
    );
    let handed_at = match handed_at {
        "" => None,
        ms => Some(
            ms.parse::<i64>()
                .ok()
                .and_then(chrono::DateTime::from_timestamp_millis)
                .with_context(|| format!("--handed-at {ms:?}: give milliseconds since the epoch"))?
                .with_timezone(&chrono::Local),
        ),
    };
    let secrets = ctx.secrets(SecretsPolicy::Load)?.secrets;
    let (run, recorded) =
        runtime()?.block_on(pipeline::accept_once(&ctx.cluster, &secrets, hour, csv, crawl_seconds, handed_at));
    Ok(Recorded { run, unrecorded: recorded.err().map(|e| e.to_string()) })
}

/// Runs the current hour every `period` (the hour skipped when the ledger already holds its
/// success), by the path [`run_once`] says, telling `ran` of each run and `waiting` of each
/// pause; never returns but with an error.
pub fn every(
    ctx: &Context,
    source: &SourceOptions,
    direct: bool,
    period: Duration,
    ran: &mut dyn FnMut(&Recorded),
    waiting: &mut dyn FnMut(Duration),
) -> anyhow::Result<std::convert::Infallible> {
    anyhow::ensure!(source.at.is_none(), "--every runs the current hour each time; it takes no --at");
    let c = &ctx.cluster;
    let secrets = ctx.secrets(SecretsPolicy::Load)?.secrets;
    let fetch = source.fetch();
    let rt = runtime()?;
    loop {
        let current = Hour::now();
        let done = rt.block_on(async { ledger::succeeded(&ledger::connect(c, &secrets).await?, current).await });
        if !matches!(done, Ok(true)) {
            ran(&rt.block_on(one_hour(c, &secrets, current, &fetch, direct)));
        }
        let secs = period.as_secs();
        let now = chrono::Local::now().timestamp() as u64;
        let wait = Duration::from_secs(secs - now % secs + 5);
        waiting(wait);
        std::thread::sleep(wait);
    }
}

/// Parses a period such as `1h`, `30m` or `45s`.
pub fn period(s: &str) -> anyhow::Result<Duration> {
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

/// The ledger's latest `limit` runs.
pub fn runs(ctx: &Context, limit: i64) -> anyhow::Result<Vec<ledger::Run>> {
    let secrets = ctx.secrets(SecretsPolicy::Load)?.secrets;
    let c = &ctx.cluster;
    Ok(runtime()?.block_on(async { ledger::list(&ledger::connect(c, &secrets).await?, limit).await })?)
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
