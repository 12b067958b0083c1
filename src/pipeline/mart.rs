//! The PostgreSQL mart: connecting as its owner, its errors in PostgreSQL's own words, and an
//! hour's row count. Loading goes through the marts (`crate::marts`).

use tokio_postgres::{Client, NoTls};

use super::hour::Hour;
use crate::model::{Cluster, Role};
use crate::secrets::Secrets;

/// Connects to the mart as its owner.
pub async fn connect(c: &Cluster, secrets: &Secrets) -> Result<Client, String> {
    let db = c.one(Role::MartDb).ok_or("the inventory has no mart-db host")?;
    let mut config = tokio_postgres::Config::new();
    config
        .host(db.address.to_string())
        .port(db.ports.postgresql)
        .user(c.mart.user.as_ref())
        .password(&secrets.mart_password)
        .dbname(c.mart.name.as_ref())
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

/// The mart's row count for `hour`.
pub async fn count_hour(client: &Client, hour: Hour) -> Result<i64, String> {
    let row = client
        .query_one("SELECT count(*) FROM dm_gmarket WHERE collected_at = $1", &[&hour.0])
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}
