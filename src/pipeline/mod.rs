//! The pipeline the platform exists for, composed from the stages below it: best-100 pages
//! crawled into rows (`crate::crawl`) -> CSV landed in HDFS, temporary name then rename
//! (`crate::landing`) -> the hour's Hive partition (`crate::warehouse`) -> the default mart
//! loaded through Hive, PostgreSQL COPY in one transaction (`crate::marts`) -> a ledger row for
//! every run (`ledger`). [`cycle`] is the one place the stages run in order; `pipeline run`,
//! `crawl` and `verify` each ask it for as many stages as they need. With a NiFi host, a
//! scheduled run crawls and hands the hour to NiFi's flow instead (`handover`), whose
//! `pipeline accept` runs the stages after the crawl ([`accept_once`]).

pub mod handover;
pub mod ledger;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::crawl::source::FetchOptions;
use crate::crawl::{self, Collected, CrawlError};
use crate::dataset::hour::Hour;
use crate::dataset::record;
use crate::landing::{self, LandingError};
use crate::marts::load::{LoadError, Outcome};
use crate::marts::{self, MartError};
use crate::model::Cluster;
use crate::secrets::Secrets;
use crate::warehouse::{self, WarehouseError};

/// How long `pipeline run` and `crawl` retry a landing cut off by a NameNode failover.
pub const LANDING_PATIENCE: Duration = Duration::from_secs(60);

/// Where a cycle lands the hour, and how far it goes after that.
#[derive(Debug, Clone, Copy)]
pub enum Land<'a> {
    /// Below a local folder, in the HDFS layout; nothing follows.
    Local(&'a Path),
    /// In HDFS: a write cut off by a NameNode failover is written again within `patience`.
    Hdfs {
        /// How long a landing is retried.
        patience: Duration,
        /// What follows the landing.
        then: Then<'a>,
    },
}

/// What follows a landing in HDFS.
#[derive(Debug, Clone, Copy)]
pub enum Then<'a> {
    /// Nothing.
    Stop,
    /// The hour is made queryable in Hive.
    Queryable,
    /// The hour is made queryable and loaded into the default mart, as the mart's owner.
    Load(&'a Secrets),
}

/// A stage that ran to its end: what it gave, and how long it took.
#[derive(Debug, Clone)]
pub struct Ran<T> {
    /// What the stage gave.
    pub out: T,
    /// Seconds it took.
    pub seconds: f64,
}

impl<T> Ran<T> {
    fn since(started: Instant, out: T) -> Ran<T> {
        Ran { out, seconds: started.elapsed().as_secs_f64() }
    }
}

/// One cycle of one hour: each stage that ran to its end, and the error of the one that failed.
/// A stage after a failed one, or beyond what was asked for, did not run (`None`).
#[derive(Debug)]
pub struct Cycle {
    /// The hour.
    pub hour: Hour,
    /// The crawled rows.
    pub crawl: Option<Ran<Collected>>,
    /// The hand-over to NiFi, for an hour crawled elsewhere: from the crawler's hand-over to
    /// this run's start.
    pub hand: Option<Ran<()>>,
    /// Where the hour's file landed: its HDFS path, or its path below the local folder.
    pub land: Option<Ran<String>>,
    /// The hours made queryable (the hour, once landed).
    pub queryable: Option<Ran<Vec<Hour>>>,
    /// What loading the default mart did.
    pub load: Option<Ran<Loaded>>,
    /// Why the cycle stopped early, if it did.
    pub error: Option<CycleError>,
}

impl Cycle {
    /// A cycle of `hour` with no stage run yet.
    fn new(hour: Hour) -> Cycle {
        Cycle { hour, crawl: None, hand: None, land: None, queryable: None, load: None, error: None }
    }

    /// The seconds of the stages that ran to their end, under the names given to crawl, land,
    /// queryable and load.
    pub fn seconds(&self, names: [&str; 4]) -> BTreeMap<String, f64> {
        let [crawl, land, queryable, load] = names;
        [
            (crawl, self.crawl.as_ref().map(|s| s.seconds)),
            (land, self.land.as_ref().map(|s| s.seconds)),
            (queryable, self.queryable.as_ref().map(|s| s.seconds)),
            (load, self.load.as_ref().map(|s| s.seconds)),
        ]
        .into_iter()
        .filter_map(|(name, seconds)| Some((name.to_string(), seconds?)))
        .collect()
    }

    /// Whether every row crawled reached the mart through Hive, when the mart was loaded.
    pub fn complete(&self) -> Result<(), Incomplete> {
        match (&self.crawl, &self.load) {
            (Some(crawl), Some(load)) if load.out.outcome.rows != crawl.out.rows.len() as u64 => Err(Incomplete {
                crawled: crawl.out.rows.len(),
                loaded: load.out.outcome.rows,
                table: load.out.table.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// A mart loaded by a cycle.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The mart's table.
    pub table: String,
    /// What the load did.
    pub outcome: Outcome,
}

/// The stage a cycle stopped at, and why. Each stage's own error is inside, without the stage's
/// name.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    /// A category could not be crawled; nothing was landed.
    #[error("crawl: {0}")]
    Crawl(CrawlError),
    /// The hour could not be landed.
    #[error("land: {0}")]
    Land(LandingError),
    /// The landed hour could not be made queryable.
    #[error("queryable: {0}")]
    Queryable(WarehouseError),
    /// The default mart's definition could not be read.
    #[error("load: {0}")]
    Mart(MartError),
    /// The default mart could not be loaded.
    #[error("load: {0}")]
    Load(LoadError),
    /// An hour handed over from elsewhere is not the landed CSV of that hour.
    #[error("receive: {0}")]
    Received(Received),
    /// The crawled hour was not taken by NiFi, or not brought to a successful run in time.
    #[error("hand to NiFi: {0}")]
    Hand(handover::HandError),
}

/// What is wrong with an hour's CSV handed over from elsewhere.
#[derive(Debug, thiserror::Error)]
pub enum Received {
    /// It does not read as the landed CSV.
    #[error("{0}")]
    Csv(record::CsvError),
    /// A row of another hour.
    #[error("row {row} was collected at {found}, not {hour}")]
    OtherHour {
        /// The row, from 1.
        row: usize,
        /// Its collection hour.
        found: String,
        /// The hour handed over.
        hour: Hour,
    },
}

/// A load that did not bring every crawled row into the mart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("load: {crawled} rows crawled but {loaded} reached {table} through Hive")]
pub struct Incomplete {
    /// Rows crawled.
    pub crawled: usize,
    /// Rows Hive returned to the mart.
    pub loaded: u64,
    /// The mart's table.
    pub table: String,
}

/// Runs one cycle of `hour`: crawl, land as `land` says, then as far as it says (queryable,
/// the default mart loaded). Stops at the first stage that fails.
pub async fn cycle(c: &Cluster, hour: Hour, fetch: &FetchOptions, land: Land<'_>) -> Cycle {
    let mut cycle = Cycle::new(hour);
    if let Err(e) = stages(c, &mut cycle, fetch, land).await {
        cycle.error = Some(e);
    }
    cycle
}

/// The stages of [`cycle`], each one's result put into `cycle` as it ends.
async fn stages(c: &Cluster, cycle: &mut Cycle, fetch: &FetchOptions, land: Land<'_>) -> Result<(), CycleError> {
    let t = Instant::now();
    let collected = crawl::collect(&c.categories, cycle.hour, fetch).await.map_err(CycleError::Crawl)?;
    cycle.crawl = Some(Ran::since(t, collected));
    after_crawl(c, cycle, land).await
}

/// The rows of `hour`'s CSV `csv`, crawled elsewhere: every row of that hour.
fn received(hour: Hour, csv: &[u8]) -> Result<Collected, Received> {
    let rows = record::from_csv(csv).map_err(Received::Csv)?;
    let mut per_category = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.collected_at != hour.to_string() {
            return Err(Received::OtherHour { row: i + 1, found: r.collected_at.clone(), hour });
        }
        *per_category.entry(r.category_code.clone()).or_insert(0) += 1;
    }
    Ok(Collected { rows, per_category })
}

/// The stages after the crawl, from the rows in `cycle.crawl`.
async fn after_crawl(c: &Cluster, cycle: &mut Cycle, land: Land<'_>) -> Result<(), CycleError> {
    let hour = cycle.hour;
    let collected = &cycle.crawl.as_ref().expect("crawled before").out;
    let t = Instant::now();
    let csv = record::to_csv(&collected.rows);
    let (patience, then) = match land {
        Land::Local(dir) => {
            let path = landing::land_local(dir, hour, &csv).map_err(CycleError::Land)?;
            cycle.land = Some(Ran::since(t, path.display().to_string()));
            return Ok(());
        }
        Land::Hdfs { patience, then } => (patience, then),
    };
    let client = crate::hdfs::client(c).map_err(|e| CycleError::Land(LandingError::Client(e)))?;
    let path = landing::land_hdfs(&client, hour, Bytes::from(csv), patience).await.map_err(CycleError::Land)?;
    cycle.land = Some(Ran::since(t, path));
    if let Then::Stop = then {
        return Ok(());
    }

    let t = Instant::now();
    let hours = warehouse::register(c, hour, hour).await.map_err(CycleError::Queryable)?;
    let hours = &cycle.queryable.insert(Ran::since(t, hours)).out;
    let Then::Load(secrets) = then else {
        return Ok(());
    };

    let t = Instant::now();
    let mart = marts::find(marts::DEFAULT, None).map_err(CycleError::Mart)?;
    let outcome = marts::load::load_queryable(c, secrets, &mart, hour, hour, hours).await.map_err(CycleError::Load)?;
    cycle.load = Some(Ran::since(t, Loaded { table: mart.table, outcome }));
    Ok(())
}

/// Crawls, lands and loads `hour`, and records the run in the ledger. The returned run says
/// how it went; an error is one the ledger could not record.
pub async fn run_once(
    c: &Cluster,
    secrets: &Secrets,
    hour: Hour,
    fetch: &FetchOptions,
) -> (ledger::Run, Result<(), ledger::LedgerError>) {
    let started_at = chrono::Local::now();
    let cycle = cycle(c, hour, fetch, Land::Hdfs { patience: LANDING_PATIENCE, then: Then::Load(secrets) }).await;
    record(c, secrets, started_at, cycle).await
}

/// Lands, makes queryable and loads `hour` from its CSV `csv`, crawled elsewhere in
/// `crawl_seconds` and handed over (to NiFi's flow) at `handed_at`, and records the run in the
/// ledger, as [`run_once`] does.
pub async fn accept_once(
    c: &Cluster,
    secrets: &Secrets,
    hour: Hour,
    csv: &[u8],
    crawl_seconds: f64,
    handed_at: Option<chrono::DateTime<chrono::Local>>,
) -> (ledger::Run, Result<(), ledger::LedgerError>) {
    let started_at = chrono::Local::now();
    let mut cycle = Cycle::new(hour);
    if let Some(handed_at) = handed_at {
        let seconds = (started_at - handed_at).num_milliseconds().max(0) as f64 / 1000.0;
        cycle.hand = Some(Ran { out: (), seconds });
    }
    match received(hour, csv) {
        Ok(collected) => {
            cycle.crawl = Some(Ran { out: collected, seconds: crawl_seconds });
            let land = Land::Hdfs { patience: LANDING_PATIENCE, then: Then::Load(secrets) };
            if let Err(e) = after_crawl(c, &mut cycle, land).await {
                cycle.error = Some(e);
            }
        }
        Err(e) => cycle.error = Some(CycleError::Received(e)),
    }
    record(c, secrets, started_at, cycle).await
}

/// Records the run `cycle`, started at `started_at`, in the ledger.
async fn record(
    c: &Cluster,
    secrets: &Secrets,
    started_at: chrono::DateTime<chrono::Local>,
    cycle: Cycle,
) -> (ledger::Run, Result<(), ledger::LedgerError>) {
    let incomplete = cycle.complete().err();
    let mut stages = cycle.seconds(["crawl", "land", "queryable", "load"]);
    if let Some(hand) = &cycle.hand {
        stages.insert("hand".to_string(), hand.seconds);
    }
    if incomplete.is_some() {
        // A load that lost rows did not end well.
        stages.remove("load");
    }
    let error = match (&cycle.error, &incomplete) {
        (Some(e), _) => Some(e.to_string()),
        (None, Some(e)) => Some(e.to_string()),
        (None, None) => None,
    };
    let run = ledger::Run {
        hour: cycle.hour,
        started_at,
        finished_at: chrono::Local::now(),
        status: if error.is_none() { ledger::Status::Succeeded } else { ledger::Status::Failed },
        error,
        rows: cycle.crawl.map(|crawl| crawl.out.per_category).unwrap_or_default(),
        stages,
        ran_on: gethostname::gethostname().to_string_lossy().into_owned(),
    };
    let recorded = async { ledger::record(&ledger::connect(c, secrets).await?, &run).await }.await;
    (run, recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, hour: &str) -> record::Row {
        record::Row {
            rank: 1,
            title: "\"quoted\", with a comma".into(),
            price: "1,000원".into(),
            url: "http://item".into(),
            img: "http://img".into(),
            category: "식품".into(),
            title_xpath: "N/A".into(),
            img_xpath: "N/A".into(),
            price_xpath: "N/A".into(),
            price_won: Some(1000),
            category_code: code.into(),
            collected_at: hour.into(),
        }
    }

    #[test]
    fn an_hour_handed_over_is_taken_only_as_its_own_landed_csv() {
        let hour = Hour::parse("2026-12-02T06").unwrap();
        let rows = vec![row("G07", "2026-12-02T06"), row("G07", "2026-12-02T06"), row("G01", "2026-12-02T06")];
        let got = received(hour, &record::to_csv(&rows)).unwrap();
        assert_eq!(got.rows, rows);
        assert_eq!(got.per_category, BTreeMap::from([("G01".to_string(), 1), ("G07".to_string(), 2)]));

        let mixed = vec![row("G01", "2026-12-02T06"), row("G01", "2026-12-02T05")];
        let err = received(hour, &record::to_csv(&mixed)).unwrap_err();
        assert_eq!(err.to_string(), "row 2 was collected at 2026-12-02T05, not 2026-12-02T06");
        assert!(matches!(received(hour, b"rank,title\n1,x\n"), Err(Received::Csv(_))));
    }
}
