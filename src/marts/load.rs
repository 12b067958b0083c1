//! Running a mart: its query on HiveServer2, the rows streamed as they arrive either into
//! PostgreSQL (one transaction that removes the range's rows and COPYs the result in, so a
//! load done twice leaves one copy and a load cut off leaves none) or into a CSV file.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use futures::SinkExt;
use tokio::sync::mpsc;

use super::Mart;
use crate::hive::client::{Batch, Row};
use crate::hive::warehouse;
use crate::model::Cluster;
use crate::pipeline::hour::Hour;
use crate::pipeline::mart::{connect, describe};
use crate::secrets::Secrets;

/// How long a mart's query may run.
const QUERY_TIMEOUT: Duration = Duration::from_secs(1800);
/// Rows fetched from HiveServer2 at a time.
const FETCH_ROWS: i64 = 10_000;

/// What a load or an export did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    /// The mart.
    pub mart: String,
    /// The first hour of the range.
    pub from: String,
    /// The last hour of the range.
    pub to: String,
    /// The landed hours of the range, all queryable.
    pub hours: Vec<String>,
    /// Rows the query returned (and the table or file received).
    pub rows: u64,
}

impl Outcome {
    fn new(mart: &Mart, from: Hour, to: Hour, hours: &[Hour], rows: u64) -> Outcome {
        Outcome {
            mart: mart.name.clone(),
            from: from.to_string(),
            to: to.to_string(),
            hours: hours.iter().map(Hour::to_string).collect(),
            rows,
        }
    }
}

/// One row as PostgreSQL's CSV COPY input: every value quoted, NULL as an empty unquoted field,
/// so an empty string and a NULL stay apart.
fn copy_line(row: &Row, out: &mut Vec<u8>) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Some(v) = v {
            out.push(b'"');
            out.extend_from_slice(v.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        }
    }
    out.push(b'\n');
}

/// Runs the mart's query on a blocking thread and hands each batch of rows to `encode`, whose
/// output is sent on the returned channel; the thread's result says how the query ended.
fn stream(
    c: &Cluster,
    sql: String,
    expected_columns: usize,
    encode: impl Fn(&Batch) -> Vec<u8> + Send + 'static,
) -> (mpsc::Receiver<Bytes>, tokio::task::JoinHandle<Result<u64, String>>) {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let c = c.clone();
    let job = tokio::task::spawn_blocking(move || {
        let mut session = warehouse::session(&c)?;
        session
            .query(&sql, QUERY_TIMEOUT, FETCH_ROWS, |batch| {
                if batch.columns.len() != expected_columns {
                    return Err(format!(
                        "the query returns {} columns ({}), the mart lists {expected_columns}",
                        batch.columns.len(),
                        batch.columns.join(", ")
                    ));
                }
                tx.blocking_send(Bytes::from(encode(&batch))).map_err(|_| "the receiving side stopped".to_string())
            })
            .map_err(|e| e.to_string())
    });
    (rx, job)
}

/// The landed hours of the range, made queryable first.
async fn prepare(c: &Cluster, from: Hour, to: Hour) -> Result<Vec<Hour>, String> {
    if from > to {
        return Err(format!("the range is empty: {from} is after {to}"));
    }
    warehouse::register(c, from, to).await
}

/// Loads `mart` for the hours `from` to `to` into PostgreSQL, replacing what the range held.
pub async fn load(c: &Cluster, secrets: &Secrets, mart: &Mart, from: Hour, to: Hour) -> Result<Outcome, String> {
    let hours = prepare(c, from, to).await.map_err(|e| format!("mart {}: {e}", mart.name))?;
    load_queryable(c, secrets, mart, from, to, &hours).await
}

/// [`load`] for a range whose landed `hours` were just made queryable
/// ([`warehouse::register`]), as the pipeline does right before.
pub async fn load_queryable(
    c: &Cluster,
    secrets: &Secrets,
    mart: &Mart,
    from: Hour,
    to: Hour,
    hours: &[Hour],
) -> Result<Outcome, String> {
    let name = &mart.name;
    let mut db = connect(c, secrets).await.map_err(|e| format!("mart {name}: {e}"))?;
    let tx = db.transaction().await.map_err(|e| format!("mart {name}: starting the load: {}", describe(&e)))?;
    if let Some(create) = &mart.create {
        tx.batch_execute(create)
            .await
            .map_err(|e| format!("mart {name}: creating table {}: {}", mart.table, describe(&e)))?;
    }
    // Loads of one table wait for each other (readers do not): two loads of one range at once
    // would otherwise each delete before the other's rows exist, and both commit.
    tx.batch_execute(&format!("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", mart.table))
        .await
        .map_err(|e| format!("mart {name}: locking {}: {}", mart.table, describe(&e)))?;
    let (delete, upper) = match &mart.replaces {
        Some(condition) => (condition.replace("{from}", "$1").replace("{to}", "$2"), to.0),
        None => (format!("{col} >= $1 AND {col} < $2", col = mart.range_column), to.next().0),
    };
    tx.execute(&format!("DELETE FROM {} WHERE {delete}", mart.table), &[&from.0, &upper])
        .await
        .map_err(|e| format!("mart {name}: removing the range's rows from {}: {}", mart.table, describe(&e)))?;
    let copy = format!("COPY {} ({}) FROM STDIN WITH (FORMAT csv)", mart.table, mart.columns.join(", "));
    let sink = tx.copy_in(&copy).await.map_err(|e| format!("mart {name}: starting COPY: {}", describe(&e)))?;
    futures::pin_mut!(sink);
    let (mut rx, job) = stream(c, mart.query_for(from, to), mart.columns.len(), |b| {
        let mut out = Vec::new();
        for row in &b.rows {
            copy_line(row, &mut out);
        }
        out
    });
    let mut copy_error = None;
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = sink.send(chunk).await {
            copy_error = Some(format!("mart {name}: COPY into {}: {}", mart.table, describe(&e)));
            break;
        }
    }
    drop(rx);
    let queried = job.await.map_err(|e| e.to_string())?;
    if let Some(e) = copy_error {
        return Err(e);
    }
    let rows = queried.map_err(|e| format!("mart {name}: {e}"))?;
    let copied = sink.finish().await.map_err(|e| format!("mart {name}: COPY into {}: {}", mart.table, describe(&e)))?;
    if copied != rows {
        return Err(format!("mart {name}: Hive returned {rows} rows but COPY took {copied}; nothing was loaded"));
    }
    tx.commit().await.map_err(|e| format!("mart {name}: committing the load: {}", describe(&e)))?;
    Ok(Outcome::new(mart, from, to, hours, rows))
}

/// Writes the result of `mart` for the hours `from` to `to` to `path` as CSV with a header
/// row; the file appears only once complete.
pub async fn export(c: &Cluster, mart: &Mart, from: Hour, to: Hour, path: &Path) -> Result<Outcome, String> {
    let name = &mart.name;
    let hours = prepare(c, from, to).await.map_err(|e| format!("mart {name}: {e}"))?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("a file in {}: {e}", dir.display()))?;
    let header = {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&mart.columns).expect("in memory");
        w.into_inner().expect("in memory")
    };
    std::io::Write::write_all(&mut file, &header).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut rx, job) = stream(c, mart.query_for(from, to), mart.columns.len(), |b| {
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for row in &b.rows {
            w.write_record(row.iter().map(|v| v.as_deref().unwrap_or(""))).expect("in memory");
        }
        w.into_inner().expect("in memory")
    });
    while let Some(chunk) = rx.recv().await {
        std::io::Write::write_all(&mut file, &chunk).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let rows = job.await.map_err(|e| e.to_string())?.map_err(|e| format!("mart {name}: {e}"))?;
    // A temporary file is private; the export is an ordinary file.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.persist(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Outcome::new(mart, from, to, &hours, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_lines_keep_null_empty_and_quotes_apart() {
        let mut out = Vec::new();
        copy_line(&vec![Some("a,\"b\"".into()), Some(String::new()), None, Some("\\x".into())], &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), "\"a,\"\"b\"\"\",\"\",,\"\\x\"\n");
    }
}
