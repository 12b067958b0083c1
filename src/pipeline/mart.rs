//! Loading an hour into the PostgreSQL mart: one transaction that removes the hour's rows and
//! copies the landed rows in (COPY), so a load done twice leaves one copy and a load cut off
//! leaves none.

use bytes::Bytes;
use futures::SinkExt;
use tokio_postgres::{Client, NoTls};

use super::hour::Hour;
use super::record::Row;
use crate::model::{Cluster, Role};
use crate::secrets::Secrets;

/// Connects to the mart as its owner.
pub async fn connect(c: &Cluster, secrets: &Secrets) -> Result<Client, String> {
    let db = c.one(Role::MartDb).ok_or("the inventory has no mart-db host")?;
    let mut config = tokio_postgres::Config::new();
    config
        .host(db.address.to_string())
        .port(db.ports.postgresql)
        .user(&c.mart.user)
        .password(&secrets.mart_password)
        .dbname(&c.mart.name)
        .application_name("provision")
        .connect_timeout(std::time::Duration::from_secs(10));
    let (client, connection) = config.connect(NoTls).await.map_err(|e| {
        format!("connecting to the mart at {}:{} as {}: {e}", db.address, db.ports.postgresql, c.mart.user)
    })?;
    tokio::spawn(connection);
    Ok(client)
}

/// A PostgreSQL error with the server's own message when there is one (the error's plain
/// text is only "db error").
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {} ({detail})", db.severity(), db.message()),
            None => format!("{}: {}", db.severity(), db.message()),
        },
        None => e.to_string(),
    }
}

/// The COPY input of `rows`: the mart's columns, CSV.
fn copy_csv(rows: &[Row], hour: Hour) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    let at = hour.0.format("%Y-%m-%d %H:00:00").to_string();
    for r in rows {
        let rank = r.rank.to_string();
        let won = r.price_won.map(|w| w.to_string()).unwrap_or_default();
        w.write_record([
            rank.as_str(),
            &r.title,
            &r.price,
            &r.url,
            &r.img,
            &r.category,
            &r.title_xpath,
            &r.img_xpath,
            &r.price_xpath,
            &won,
            &at,
        ])
        .expect("in memory");
    }
    w.into_inner().expect("in memory")
}

/// Replaces the mart's rows of `hour` with `rows`, in one transaction; the rows loaded.
pub async fn load_hour(client: &mut Client, hour: Hour, rows: &[Row]) -> Result<u64, String> {
    let tx = client.transaction().await.map_err(|e| format!("starting the load: {e}"))?;
    tx.execute("DELETE FROM dm_gmarket WHERE collected_at = $1", &[&hour.0])
        .await
        .map_err(|e| format!("removing the hour's old rows: {e}"))?;
    let sink = tx
        .copy_in(
            "COPY dm_gmarket (rank, title, price, url, img, category, title_xpath, img_xpath, price_xpath, price_won, collected_at) \
             FROM STDIN WITH (FORMAT csv, NULL '')",
        )
        .await
        .map_err(|e| format!("starting COPY: {e}"))?;
    futures::pin_mut!(sink);
    sink.send(Bytes::from(copy_csv(rows, hour))).await.map_err(|e| format!("COPY: {e}"))?;
    let n = sink.finish().await.map_err(|e| format!("COPY: {e}"))?;
    tx.commit().await.map_err(|e| format!("committing the load: {e}"))?;
    Ok(n)
}

/// The mart's row count for `hour`.
pub async fn count_hour(client: &Client, hour: Hour) -> Result<i64, String> {
    let row = client
        .query_one("SELECT count(*) FROM dm_gmarket WHERE collected_at = $1", &[&hour.0])
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}
