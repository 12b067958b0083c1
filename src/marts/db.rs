//! The PostgreSQL mart database: connecting as its owner, its errors in PostgreSQL's own words,
//! and an hour's row count.

use tokio_postgres::{Client, NoTls};

use crate::dataset::hour::Hour;
use crate::model::{Cluster, Role};
use crate::secrets::Secrets;

/// The mart database could not be reached, or did not answer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The inventory has no mart database.
    #[error("the inventory has no mart-db host")]
    NoHost,
    /// Connecting failed.
    #[error("connecting to the mart at {address}:{port} as {user}: {error}")]
    Connect {
        /// The mart-db host's address.
        address: std::net::Ipv4Addr,
        /// PostgreSQL's port.
        port: u16,
        /// The mart's owner.
        user: String,
        /// What failed.
        error: tokio_postgres::Error,
    },
    /// A query failed.
    #[error("{0}")]
    Query(tokio_postgres::Error),
}

/// Connects to the mart as its owner.
pub async fn connect(c: &Cluster, secrets: &Secrets) -> Result<Client, DbError> {
    let db = c.one(Role::MartDb).ok_or(DbError::NoHost)?;
    let mut config = tokio_postgres::Config::new();
    config
        .host(db.address.to_string())
        .port(db.ports.postgresql)
        .user(c.mart.user.as_ref())
        .password(&secrets.mart_password)
        .dbname(c.mart.name.as_ref())
        .application_name("provision")
        .connect_timeout(std::time::Duration::from_secs(10));
    let (client, connection) = config.connect(NoTls).await.map_err(|error| DbError::Connect {
        address: db.address,
        port: db.ports.postgresql,
        user: c.mart.user.to_string(),
        error,
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
pub async fn count_hour(client: &Client, hour: Hour) -> Result<i64, DbError> {
    let row = client
        .query_one("SELECT count(*) FROM dm_gmarket WHERE collected_at = $1", &[&hour.0])
        .await
        .map_err(DbError::Query)?;
    Ok(row.get(0))
}
