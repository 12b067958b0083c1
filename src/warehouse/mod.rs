//! The warehouse, the third stage, over the landed hours: one external table over /user/source_data whose
//! partitions are the collection hours, each located at the hour's own folder
//! (`/user/source_data/YYYY/MM/DD/HH`, the layout stays as it is), read with OpenCSVSerde; and a
//! typed view over it that marts query.

use std::time::Duration;

use hdfs_native::HdfsError;

use crate::dataset::LANDING_ROOT;
use crate::dataset::hour::Hour;
use crate::dataset::record::COLUMNS;
use crate::hive::client::{HiveError, Session};
use crate::model::{Cluster, Role};

/// The external table over the landed files: every column as text, as landed.
pub const TABLE: &str = "gmarket_landed";
/// The typed view marts query: no header rows, rank and price as numbers, `collected_at` as
/// `YYYY-MM-DD HH:00:00` and the partition column `collected_hour` (`YYYY-MM-DDTHH`).
pub const VIEW: &str = "gmarket_best";
/// How long a warehouse statement may take.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// Landed hours that could not be made queryable.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// The inventory has no HiveServer2 to ask.
    #[error("the inventory has no hiveserver2 host")]
    NoHiveServer2,
    /// HiveServer2 could not be reached, or refused a statement.
    #[error("{0}")]
    Hive(HiveError),
    /// No HDFS client for the cluster's nameservice.
    #[error("{0}")]
    Client(HdfsError),
    /// Whether an hour has landed could not be told.
    #[error("looking for {file}: {error}")]
    Lookup {
        /// The hour's landed file.
        file: String,
        /// What failed.
        error: HdfsError,
    },
    /// The thread that talked to HiveServer2 ended abnormally.
    #[error("{0}")]
    Thread(tokio::task::JoinError),
}

/// The HiveServer2 endpoint of the cluster as the controlling machine reaches it: by address
/// (host names resolve only on the hosts, through their rendered /etc/hosts).
pub fn hiveserver2(c: &Cluster) -> Result<String, WarehouseError> {
    let h = c.one(Role::HiveServer2).ok_or(WarehouseError::NoHiveServer2)?;
    Ok(format!("{}:{}", h.address, h.ports.hiveserver2))
}

/// Opens a HiveServer2 session as the crawler's user.
pub fn session(c: &Cluster) -> Result<Session, WarehouseError> {
    let addr = hiveserver2(c)?;
    Session::open(&addr, &c.users.crawler, Duration::from_secs(30)).map_err(WarehouseError::Hive)
}

/// The statements that create the table and the view when they are missing.
pub fn setup_statements() -> Vec<String> {
    let columns: Vec<String> = COLUMNS.iter().map(|c| format!("`{c}` STRING")).collect();
    // OpenCSVSerde's escape character defaults to a backslash, which would eat the
    // backslashes of titles: NUL never occurs in a landed file.
    let table = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {TABLE} ({}) PARTITIONED BY (collected_hour STRING) \
         ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' \
         WITH SERDEPROPERTIES ('separatorChar'=',', 'quoteChar'='\"', 'escapeChar'='\\0') \
         STORED AS TEXTFILE LOCATION '{LANDING_ROOT}' TBLPROPERTIES ('skip.header.line.count'='1')",
        columns.join(", ")
    );
    // Counting skips the header line on some read paths and not on others: the view drops it.
    let view = format!(
        "CREATE VIEW IF NOT EXISTS {VIEW} AS SELECT CAST(`rank` AS INT) AS `rank`, title, price, url, img, category, \
         title_xpath, img_xpath, price_xpath, CAST(price_won AS BIGINT) AS price_won, category_code, \
         concat(substr(collected_hour, 1, 10), ' ', substr(collected_hour, 12, 2), ':00:00') AS collected_at, \
         collected_hour FROM {TABLE} WHERE `rank` <> 'rank'"
    );
    vec![table, view]
}

/// The statement that adds `hours` as partitions at their landing folders (none when empty).
pub fn add_partitions_statement(hours: &[Hour]) -> Option<String> {
    if hours.is_empty() {
        return None;
    }
    let parts: Vec<String> =
        hours.iter().map(|h| format!("PARTITION (collected_hour='{h}') LOCATION '{}'", h.folder())).collect();
    Some(format!("ALTER TABLE {TABLE} ADD IF NOT EXISTS {}", parts.join(" ")))
}

/// The statement that drops `hour`'s partition (its files stay).
pub fn drop_partition_statement(hour: Hour) -> String {
    format!("ALTER TABLE {TABLE} DROP IF EXISTS PARTITION (collected_hour='{hour}')")
}

/// Every hour from `from` to `to`, both included.
pub fn hours(from: Hour, to: Hour) -> Vec<Hour> {
    let mut out = Vec::new();
    let mut h = from;
    while h <= to {
        out.push(h);
        h = h.next();
    }
    out
}

/// The hours between `from` and `to` whose file has landed in HDFS.
pub async fn landed(client: &hdfs_native::Client, from: Hour, to: Hour) -> Result<Vec<Hour>, WarehouseError> {
    let mut out = Vec::new();
    for h in hours(from, to) {
        match client.get_file_info(&h.file()).await {
            Ok(_) => out.push(h),
            Err(HdfsError::FileNotFound(_)) => {}
            Err(error) => return Err(WarehouseError::Lookup { file: h.file(), error }),
        }
    }
    Ok(out)
}

/// Makes `hours` queryable: creates the table and view if missing and adds the partitions.
pub fn make_queryable(session: &mut Session, hours: &[Hour]) -> Result<(), HiveError> {
    for sql in setup_statements() {
        session.execute(&sql, STATEMENT_TIMEOUT)?;
    }
    if let Some(sql) = add_partitions_statement(hours) {
        session.execute(&sql, STATEMENT_TIMEOUT)?;
    }
    Ok(())
}

/// The landed hours between `from` and `to`, made queryable; they are returned.
pub async fn register(c: &Cluster, from: Hour, to: Hour) -> Result<Vec<Hour>, WarehouseError> {
    let client = crate::hdfs::client(c).map_err(WarehouseError::Client)?;
    let hours = landed(&client, from, to).await?;
    let c = c.clone();
    let registered = hours.clone();
    tokio::task::spawn_blocking(move || {
        let mut s = session(&c)?;
        make_queryable(&mut s, &registered).map_err(WarehouseError::Hive)
    })
    .await
    .map_err(WarehouseError::Thread)??;
    Ok(hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_located_at_the_hour_folders() {
        let a = Hour::parse("2021-03-24T23").unwrap();
        let sql = add_partitions_statement(&hours(a, a.next())).unwrap();
        assert_eq!(
            sql,
            "ALTER TABLE gmarket_landed ADD IF NOT EXISTS \
             PARTITION (collected_hour='2021-03-24T23') LOCATION '/user/source_data/2021/03/24/23' \
             PARTITION (collected_hour='2021-03-25T00') LOCATION '/user/source_data/2021/03/25/00'"
        );
        assert_eq!(add_partitions_statement(&[]), None);
    }

    #[test]
    fn the_table_has_every_landed_column_and_no_backslash_escape() {
        let sql = &setup_statements()[0];
        for c in COLUMNS {
            assert!(sql.contains(&format!("`{c}` STRING")), "{c}");
        }
        assert!(sql.contains("'escapeChar'='\\0'"));
    }
}
