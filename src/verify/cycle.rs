//! One pipeline cycle as a proof: the pipeline's cycle (crawl, land, make queryable, load
//! dm_gmarket), then the rows counted at every stage (crawled = landed = queryable = in the
//! mart) and a sample of rows compared field by field between the landed file and the mart.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{VerifyError, fail, hiveserver2_log, log_of, postgres_log};
use crate::crawl::source::FetchOptions;
use crate::dataset::hour::Hour;
use crate::dataset::record::{self, Row};
use crate::landing::{self, LandingError};
use crate::marts::db;
use crate::model::{Cluster, Role};
use crate::pipeline::{self, CycleError, Land, Then};
use crate::secrets::Secrets;
use crate::warehouse::{self, WarehouseError};

/// How long the cycle's landing is retried: it may be in flight during a NameNode failover.
const LANDING_PATIENCE: Duration = Duration::from_secs(90);

/// The ranks sampled in every category.
const SAMPLED_RANKS: [i32; 3] = [1, 50, 100];

/// What a cycle counted.
#[derive(Debug, Clone, Serialize)]
pub struct Cycle {
    /// The hour.
    pub hour: String,
    /// Rows crawled.
    pub crawled: usize,
    /// Rows in the landed file, read back from HDFS.
    pub landed: usize,
    /// Rows Hive returns for the hour.
    pub queryable: usize,
    /// Rows of the hour in dm_gmarket.
    pub in_mart: usize,
    /// Rows compared field by field between the landed file and the mart.
    pub sampled: usize,
    /// Seconds per stage.
    pub stages: BTreeMap<String, f64>,
}

impl Cycle {
    /// The cycle in a line.
    pub fn figure(&self) -> String {
        let stages: Vec<String> = self.stages.iter().map(|(k, v)| format!("{k} {v:.2}s")).collect();
        format!(
            "{}: {} crawled = {} landed = {} queryable = {} in dm_gmarket; {} sampled rows equal field by field ({})",
            self.hour,
            self.crawled,
            self.landed,
            self.queryable,
            self.in_mart,
            self.sampled,
            stages.join(", ")
        )
    }
}

fn landed_nn(c: &Cluster) -> String {
    c.one(Role::NameNode).map_or("?".into(), |h| h.name.clone())
}

/// The mart's rows of `hour` at the sampled ranks, by category and rank, each as the landed
/// file's fields.
async fn mart_sample(
    c: &Cluster,
    secrets: &Secrets,
    hour: Hour,
) -> Result<BTreeMap<(String, i32), Vec<String>>, String> {
    let db = db::connect(c, secrets).await.map_err(|e| e.to_string())?;
    let rows = db
        .query(
            "SELECT category, rank, title, price, url, img, title_xpath, img_xpath, price_xpath, price_won, \
             to_char(collected_at, 'YYYY-MM-DD\"T\"HH24') FROM dm_gmarket WHERE collected_at = $1 AND rank = ANY($2)",
            &[&hour.0, &SAMPLED_RANKS.to_vec()],
        )
        .await
        .map_err(|e| db::describe(&e))?;
    Ok(rows
        .iter()
        .map(|r| {
            let category: String = r.get(0);
            let rank: i32 = r.get(1);
            let won: Option<i64> = r.get(9);
            let fields = vec![
                rank.to_string(),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                category.clone(),
                r.get(6),
                r.get(7),
                r.get(8),
                won.map(|w| w.to_string()).unwrap_or_default(),
                r.get(10),
            ];
            ((category, rank), fields)
        })
        .collect())
}

/// A landed row's fields in the order of [`mart_sample`].
fn fields(r: &Row) -> Vec<String> {
    vec![
        r.rank.to_string(),
        r.title.clone(),
        r.price.clone(),
        r.url.clone(),
        r.img.clone(),
        r.category.clone(),
        r.title_xpath.clone(),
        r.img_xpath.clone(),
        r.price_xpath.clone(),
        r.price_won.map(|w| w.to_string()).unwrap_or_default(),
        r.collected_at.clone(),
    ]
}

/// The name of each of [`fields`]: the landed columns but the category code (the mart keeps the
/// category's name).
fn field_names() -> Vec<&'static str> {
    record::COLUMNS.iter().copied().filter(|c| *c != "category_code").collect()
}

/// Crawls, lands, makes queryable and loads `hour`, and checks the counts and the sample.
pub async fn run(c: &Cluster, secrets: &Secrets, hour: Hour, fetch: &FetchOptions) -> Result<Cycle, VerifyError> {
    let expected = fetch.expected * c.categories.len();
    let nn = landed_nn(c);
    let land = Land::Hdfs { patience: LANDING_PATIENCE, then: Then::Load(secrets) };
    let cycle = pipeline::cycle(c, hour, fetch, land).await;
    if let Some(e) = &cycle.error {
        return Err(match e {
            CycleError::Crawl(e) => {
                fail("crawl", format!("{expected} rows"), e.to_string(), "the category pages named above")
            }
            CycleError::Land(LandingError::Client(e)) => {
                fail("land", "an HDFS client", e.to_string(), log_of(c, &nn, "namenode"))
            }
            CycleError::Land(e) => {
                fail("land", format!("{} landed", hour.file()), e.to_string(), log_of(c, &nn, "namenode"))
            }
            CycleError::Queryable(e) => {
                fail("queryable", "the hour's partition added", e.to_string(), hiveserver2_log(c))
            }
            CycleError::Mart(e) => fail("mart", "the dm_gmarket mart", e.to_string(), "marts/"),
            CycleError::Load(e) => fail("mart", "dm_gmarket loaded", e.to_string(), postgres_log(c)),
            CycleError::Received(e) => fail("crawl", format!("{expected} rows"), e.to_string(), "the crawl"),
            CycleError::Hand(e) => fail("hand to NiFi", "the hour taken", e.to_string(), "NiFi's log"),
        });
    }
    let Some(crawl) = &cycle.crawl else { unreachable!("a cycle without an error crawled") };
    let stages = cycle.seconds(["crawl", "land", "queryable", "mart"]);
    prove(c, secrets, hour, expected, &crawl.out.rows, stages).await
}

/// Checks that `hour`, whose `crawled` rows went through every stage, has `expected` rows at
/// each (read back from HDFS, counted by Hive and in the mart), and compares a sample field by
/// field between the landed file and the mart. `stages` holds the seconds of the stages as they
/// ran (crawl, land, queryable, mart); each check's time is added to its stage.
pub async fn prove(
    c: &Cluster,
    secrets: &Secrets,
    hour: Hour,
    expected: usize,
    crawled: &[Row],
    mut stages: BTreeMap<String, f64>,
) -> Result<Cycle, VerifyError> {
    let nn = landed_nn(c);
    let mut add = |stage: &str, t: Instant| *stages.entry(stage.to_string()).or_default() += t.elapsed().as_secs_f64();
    let t = Instant::now();
    let client = crate::hdfs::client(c)
        .map_err(|e| fail("land", "an HDFS client", e.to_string(), log_of(c, &nn, "namenode")))?;
    let landed = match landing::read_hdfs(&client, hour).await {
        Ok(bytes) => record::from_csv(&bytes).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
    .map_err(|e| fail("land", format!("{} readable", hour.file()), e, log_of(c, &nn, "datanode")))?;
    add("land", t);

    let t = Instant::now();
    let h = hour;
    let cluster = c.clone();
    let queryable_rows = tokio::task::spawn_blocking(move || -> Result<usize, String> {
        let mut s = warehouse::session(&cluster).map_err(|e| e.to_string())?;
        let sql = format!("SELECT count(*) FROM {} WHERE collected_hour = '{h}'", warehouse::VIEW);
        let rows = s.rows(&sql, warehouse::STATEMENT_TIMEOUT).map_err(|e| e.to_string())?;
        rows.first().and_then(|r| r.first().cloned().flatten()).and_then(|n| n.parse().ok()).ok_or("no count".into())
    })
    .await
    .map_err(|e| fail("queryable", "a count from Hive", e.to_string(), hiveserver2_log(c)))?
    .map_err(|e| fail("queryable", "a count from Hive", e, hiveserver2_log(c)))?;
    add("queryable", t);

    let t = Instant::now();
    let db = db::connect(c, secrets)
        .await
        .map_err(|e| fail("mart", "a connection to the mart", e.to_string(), postgres_log(c)))?;
    let in_mart =
        db::count_hour(&db, hour).await.map_err(|e| fail("mart", "a count", e.to_string(), postgres_log(c)))? as usize;
    add("mart", t);

    let counts = [
        ("crawled", crawled.len()),
        ("landed", landed.len()),
        ("queryable", queryable_rows),
        ("in dm_gmarket", in_mart),
    ];
    if let Some((stage, n)) = counts.iter().find(|(_, n)| *n != expected) {
        let look = match *stage {
            "crawled" => "the sample site's pages".to_string(),
            "landed" => log_of(c, &nn, "namenode"),
            "queryable" => hiveserver2_log(c),
            _ => postgres_log(c),
        };
        let all: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        return Err(fail(
            &format!("rows {stage}"),
            format!("{expected} at every stage"),
            format!("{n} ({})", all.join(", ")),
            look,
        ));
    }

    let sample =
        mart_sample(c, secrets, hour).await.map_err(|e| fail("sample", "the mart's rows", e, postgres_log(c)))?;
    let mut sampled = 0;
    for r in landed.iter().filter(|r| SAMPLED_RANKS.contains(&(r.rank as i32))) {
        let key = (r.category.clone(), r.rank as i32);
        let Some(in_mart) = sample.get(&key) else {
            return Err(fail(
                "sample",
                format!("{} rank {} in dm_gmarket", key.0, key.1),
                "no such row",
                postgres_log(c),
            ));
        };
        let landed = fields(r);
        if let Some(i) = (0..landed.len()).find(|&i| landed[i] != in_mart[i]) {
            return Err(fail(
                &format!("sample {} rank {}", key.0, key.1),
                format!("{} {:?} as landed", field_names()[i], landed[i]),
                format!("{:?} in dm_gmarket", in_mart[i]),
                hiveserver2_log(c),
            ));
        }
        sampled += 1;
    }
    Ok(Cycle {
        hour: hour.to_string(),
        crawled: crawled.len(),
        landed: landed.len(),
        queryable: queryable_rows,
        in_mart,
        sampled,
        stages,
    })
}

/// Removes a verification hour: its landed folder, its partition, its mart rows and its runs in
/// the ledger.
pub async fn remove(c: &Cluster, secrets: &Secrets, hour: Hour) {
    if let Ok(client) = crate::hdfs::client(c) {
        let _ = client.delete(&hour.folder(), true).await;
    }
    let cluster = c.clone();
    let _ = tokio::task::spawn_blocking(move || -> Result<(), WarehouseError> {
        let mut s = warehouse::session(&cluster)?;
        s.execute(&warehouse::drop_partition_statement(hour), warehouse::STATEMENT_TIMEOUT)
            .map_err(WarehouseError::Hive)
    })
    .await;
    if let Ok(db) = db::connect(c, secrets).await {
        let _ = db.execute("DELETE FROM dm_gmarket WHERE collected_at = $1", &[&hour.0]).await;
        let _ = db.execute("DELETE FROM pipeline_runs WHERE hour = $1", &[&hour.0]).await;
    }
}
