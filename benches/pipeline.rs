//! Pipeline figures on the real local topology (prints them; not a test): landing an hour with
//! hdfs-native against `hdfs dfs -put` (Hadoop's Java FsShell), side by side; making a landed
//! hour queryable in Hive; loading dm_gmarket for 19 hours (22,800 rows, the original's sample)
//! through HiveServer2 and COPY against the original's path, the landed files read and
//! inserted row by row (what its NiFi PutSQL did). Brings the topology up in a temporary
//! folder, and down.
//!
//! Run: `cargo bench --bench pipeline`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use provision::dataset::hour::Hour;
use provision::dataset::record::{self, Row};
use provision::engine::transport::{Local, Transport};
use provision::landing;
use provision::marts;
use provision::marts::db as mart;
use provision::model::Role;
use provision::services::launch::hadoop_tool;
use provision::warehouse;

fn provision(inv: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_provision")).args(args).arg("-i").arg(inv).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn rows(n: usize, hour: Hour) -> Vec<Row> {
    let categories = provision::model::original_categories();
    (0..n)
        .map(|i| Row {
            rank: (i % 100) as u32 + 1,
            title: format!("상품 {i}, \"따옴표\" =+ 😀"),
            price: format!("{},900원", i % 97 + 1),
            url: format!("http://mitem.gmarket.co.kr/Item?goodsCode={}", 1_000_000 + i),
            img: format!("http://gdimg.gmarket.co.kr/{}/still/300", 1_000_000 + i),
            category: categories[i / 100 % 12].name.clone(),
            title_xpath: "N/A".into(),
            img_xpath: "N/A".into(),
            price_xpath: "N/A".into(),
            price_won: Some((i % 97 + 1) as i64 * 1000 + 900),
            category_code: format!("G{:02}", i / 100 % 12 + 1),
            collected_at: hour.to_string(),
        })
        .collect()
}

async fn insert_row_by_row(db: &mut tokio_postgres::Client, hour: Hour, rows: &[Row]) -> Duration {
    let started = Instant::now();
    let tx = db.transaction().await.unwrap();
    tx.execute("DELETE FROM dm_gmarket WHERE collected_at = $1", &[&hour.0]).await.unwrap();
    let stmt = tx
        .prepare("INSERT INTO dm_gmarket (rank, title, price, url, img, category, title_xpath, img_xpath, price_xpath, price_won, collected_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)")
        .await
        .unwrap();
    for r in rows {
        let rank = r.rank as i32;
        tx.execute(
            &stmt,
            &[
                &rank,
                &r.title,
                &r.price,
                &r.url,
                &r.img,
                &r.category,
                &r.title_xpath,
                &r.img_xpath,
                &r.price_xpath,
                &r.price_won,
                &hour.0,
            ],
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    started.elapsed()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/local.toml"))
        .unwrap()
        .replace("root = \"../.provision/local/hosts/{host}\"", "root = \"state/hosts/{host}\"")
        .replace("state_dir = \"../.provision/local\"", "state_dir = \"state\"");
    let inv = dir.path().join("local.toml");
    std::fs::write(&inv, text).unwrap();
    provision(&inv, &["up"]);
    let c = provision::inventory::load(&inv).unwrap();
    let secrets = provision::secrets::Secrets::load(&dir.path().join("state/secrets.toml")).unwrap().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();

    // Landing one hour (1,200 rows), ten times each way.
    let hour = Hour::parse("2021-03-24T19").unwrap();
    let csv = record::to_csv(&rows(1200, hour));
    let local = dir.path().join("gmarket.csv");
    std::fs::write(&local, &csv).unwrap();
    let client = provision::hdfs::client(&c).unwrap();
    let started = Instant::now();
    for _ in 0..10 {
        rt.block_on(landing::land_hdfs(&client, hour, Bytes::from(csv.clone()), Duration::from_secs(30))).unwrap();
    }
    let native = started.elapsed().as_secs_f64() / 10.0;
    let host = c.one(Role::NameNode).unwrap();
    let put = hadoop_tool(
        &c,
        host,
        "org.apache.hadoop.fs.FsShell",
        &["-put", "-f", &local.display().to_string(), &hour.file()],
    )
    .shell(None);
    let mut t = Local::new(&host.name);
    let started = Instant::now();
    for _ in 0..3 {
        let out = t.exec(&put, None, Duration::from_secs(120)).unwrap();
        assert_eq!(out.code, 0, "{}", out.stderr_tail(10));
    }
    let java = started.elapsed().as_secs_f64() / 3.0;
    println!(
        "land one hour ({} KB): hdfs-native {:.3}s, hdfs dfs -put (Java FsShell, JVM start included) {:.3}s, ratio {:.1}x",
        csv.len() / 1024,
        native,
        java,
        java / native
    );

    // 19 landed hours.
    let first = Hour::parse("2021-03-24T00").unwrap();
    let hours: Vec<Hour> = std::iter::successors(Some(first), |h| Some(h.next())).take(19).collect();
    let last = *hours.last().unwrap();
    for h in &hours {
        let data = Bytes::from(record::to_csv(&rows(1200, *h)));
        rt.block_on(landing::land_hdfs(&client, *h, data, Duration::from_secs(30))).unwrap();
    }

    // Making an hour queryable: its partition added, then the hour counted through HiveServer2.
    let mut add = Vec::new();
    let mut count = Vec::new();
    let mut session = warehouse::session(&c).unwrap();
    warehouse::make_queryable(&mut session, &[]).unwrap();
    for h in &hours[..5] {
        let started = Instant::now();
        rt.block_on(warehouse::register(&c, *h, *h)).unwrap();
        add.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let rows = session
            .rows(&format!("SELECT count(*) FROM gmarket_best WHERE collected_hour = '{h}'"), Duration::from_secs(300))
            .unwrap();
        count.push(started.elapsed().as_secs_f64());
        assert_eq!(rows[0][0].as_deref(), Some("1200"));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "make an hour queryable: partition added {:.2}s, then counted through HiveServer2 {:.2}s (mean of {})",
        mean(&add),
        mean(&count),
        add.len()
    );

    // dm_gmarket for 19 hours: HiveServer2 + COPY against reading the files + row-by-row INSERT.
    let dm = marts::find(marts::DEFAULT, None).unwrap();
    let started = Instant::now();
    let outcome = rt.block_on(marts::load::load(&c, &secrets, &dm, first, last)).unwrap();
    let hive = started.elapsed();
    assert_eq!(outcome.rows, 19 * 1200);
    let insert = rt.block_on(async {
        let mut db = mart::connect(&c, &secrets).await.unwrap();
        let started = Instant::now();
        for h in &hours {
            let landed = record::from_csv(&landing::read_hdfs(&client, *h).await.unwrap()).unwrap();
            insert_row_by_row(&mut db, *h, &landed).await;
        }
        let insert = started.elapsed();
        for h in &hours {
            assert_eq!(mart::count_hour(&db, *h).await.unwrap(), 1200);
        }
        insert
    });
    println!(
        "load dm_gmarket for 19 hours (22,800 rows): HiveServer2 query + COPY in one transaction {:.2}s, \
         landed files + row-by-row INSERT {:.2}s, ratio {:.1}x",
        hive.as_secs_f64(),
        insert.as_secs_f64(),
        insert.as_secs_f64() / hive.as_secs_f64()
    );
    provision(&inv, &["down", "--purge"]);
}
