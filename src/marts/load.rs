//! Running a mart: its query on HiveServer2, the rows streamed as they arrive either into
//! PostgreSQL (one transaction that removes the range's rows and COPYs the result in, so a
//! load done twice leaves one copy and a load cut off leaves none) or into a CSV file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use futures::SinkExt;
use tokio::sync::mpsc;

use super::Mart;
use super::db::{DbError, connect, describe};
use crate::dataset::hour::Hour;
use crate::hive::client::{Batch, HiveError, Row};
use crate::model::Cluster;
use crate::secrets::Secrets;
use crate::warehouse::{self, WarehouseError};

/// How long a mart's query may run.
const QUERY_TIMEOUT: Duration = Duration::from_secs(1800);
/// Rows fetched from HiveServer2 at a time.
const FETCH_ROWS: i64 = 10_000;

/// A load or an export that failed: nothing was loaded, no file was written.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The mart's range, query or table failed.
    #[error("mart {mart}: {problem}")]
    Mart {
        /// The mart.
        mart: String,
        /// What failed.
        problem: Problem,
    },
    /// The thread that ran the query ended abnormally.
    #[error("{0}")]
    Thread(tokio::task::JoinError),
    /// No temporary file for the export next to its destination.
    #[error("a file in {}: {error}", dir.display())]
    TempFile {
        /// The destination's folder.
        dir: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// Writing the export failed.
    #[error("{}: {error}", path.display())]
    Write {
        /// The export's path.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// The complete export could not be put in place.
    #[error("{}: {error}", path.display())]
    Persist {
        /// The export's path.
        path: PathBuf,
        /// What failed.
        error: tempfile::PersistError,
    },
}

/// What failed in a mart's load or export (PostgreSQL's errors in its own words).
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The range ends before it starts.
    #[error("the range is empty: {from} is after {to}")]
    Empty {
        /// The first hour.
        from: Hour,
        /// The last hour.
        to: Hour,
    },
    /// The range's landed hours could not be made queryable.
    #[error("{0}")]
    Warehouse(WarehouseError),
    /// The query failed on HiveServer2.
    #[error("{0}")]
    Hive(HiveError),
    /// The mart database could not be reached.
    #[error("{0}")]
    Db(DbError),
    /// The load's transaction did not start.
    #[error("starting the load: {}", describe(.0))]
    Begin(tokio_postgres::Error),
    /// The table could not be created.
    #[error("creating table {table}: {}", describe(.error))]
    Create {
        /// The table.
        table: String,
        /// PostgreSQL's error.
        error: tokio_postgres::Error,
    },
    /// The table could not be locked against other loads.
    #[error("locking {table}: {}", describe(.error))]
    Lock {
        /// The table.
        table: String,
        /// PostgreSQL's error.
        error: tokio_postgres::Error,
    },
    /// The range's old rows could not be removed.
    #[error("removing the range's rows from {table}: {}", describe(.error))]
    Delete {
        /// The table.
        table: String,
        /// PostgreSQL's error.
        error: tokio_postgres::Error,
    },
    /// COPY did not start.
    #[error("starting COPY: {}", describe(.0))]
    CopyStart(tokio_postgres::Error),
    /// COPY failed.
    #[error("COPY into {table}: {}", describe(.error))]
    Copy {
        /// The table.
        table: String,
        /// PostgreSQL's error.
        error: tokio_postgres::Error,
    },
    /// COPY took another number of rows than Hive returned.
    #[error("Hive returned {rows} rows but COPY took {copied}; nothing was loaded")]
    Count {
        /// Rows Hive returned.
        rows: u64,
        /// Rows COPY took.
        copied: u64,
    },
    /// The load could not be committed.
    #[error("committing the load: {}", describe(.0))]
    Commit(tokio_postgres::Error),
}

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
) -> (mpsc::Receiver<Bytes>, tokio::task::JoinHandle<Result<u64, Problem>>) {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let c = c.clone();
    let job = tokio::task::spawn_blocking(move || {
        let mut session = warehouse::session(&c).map_err(Problem::Warehouse)?;
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
            .map_err(Problem::Hive)
    });
    (rx, job)
}

/// The landed hours of the range, made queryable first.
async fn prepare(c: &Cluster, from: Hour, to: Hour) -> Result<Vec<Hour>, Problem> {
    if from > to {
        return Err(Problem::Empty { from, to });
    }
    warehouse::register(c, from, to).await.map_err(Problem::Warehouse)
}

/// Loads `mart` for the hours `from` to `to` into PostgreSQL, replacing what the range held.
pub async fn load(c: &Cluster, secrets: &Secrets, mart: &Mart, from: Hour, to: Hour) -> Result<Outcome, LoadError> {
    let hours = prepare(c, from, to).await.map_err(|problem| mart.failed(problem))?;
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
) -> Result<Outcome, LoadError> {
    let failed = |problem| mart.failed(problem);
    let table = || mart.table.clone();
    let mut db = connect(c, secrets).await.map_err(|e| failed(Problem::Db(e)))?;
    let tx = db.transaction().await.map_err(|e| failed(Problem::Begin(e)))?;
    if let Some(create) = &mart.create {
        tx.batch_execute(create).await.map_err(|error| failed(Problem::Create { table: table(), error }))?;
    }
    // Loads of one table wait for each other (readers do not): two loads of one range at once
    // would otherwise each delete before the other's rows exist, and both commit.
    tx.batch_execute(&format!("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", mart.table))
        .await
        .map_err(|error| failed(Problem::Lock { table: table(), error }))?;
    let (delete, upper) = match &mart.replaces {
        Some(condition) => (condition.replace("{from}", "$1").replace("{to}", "$2"), to.0),
        None => (format!("{col} >= $1 AND {col} < $2", col = mart.range_column), to.next().0),
    };
    tx.execute(&format!("DELETE FROM {} WHERE {delete}", mart.table), &[&from.0, &upper])
        .await
        .map_err(|error| failed(Problem::Delete { table: table(), error }))?;
    let copy = format!("COPY {} ({}) FROM STDIN WITH (FORMAT csv)", mart.table, mart.columns.join(", "));
    let sink = tx.copy_in(&copy).await.map_err(|e| failed(Problem::CopyStart(e)))?;
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
        if let Err(error) = sink.send(chunk).await {
            copy_error = Some(failed(Problem::Copy { table: table(), error }));
            break;
        }
    }
    drop(rx);
    let queried = job.await.map_err(LoadError::Thread)?;
    if let Some(e) = copy_error {
        return Err(e);
    }
    let rows = queried.map_err(failed)?;
    let copied = sink.finish().await.map_err(|error| failed(Problem::Copy { table: table(), error }))?;
    if copied != rows {
        return Err(failed(Problem::Count { rows, copied }));
    }
    tx.commit().await.map_err(|e| failed(Problem::Commit(e)))?;
    Ok(Outcome::new(mart, from, to, hours, rows))
}

/// Writes the result of `mart` for the hours `from` to `to` to `path` as CSV with a header
/// row; the file appears only once complete.
pub async fn export(c: &Cluster, mart: &Mart, from: Hour, to: Hour, path: &Path) -> Result<Outcome, LoadError> {
    let hours = prepare(c, from, to).await.map_err(|problem| mart.failed(problem))?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut file =
        tempfile::NamedTempFile::new_in(dir).map_err(|error| LoadError::TempFile { dir: dir.to_path_buf(), error })?;
    let write = |error| LoadError::Write { path: path.to_path_buf(), error };
    let header = {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&mart.columns).expect("in memory");
        w.into_inner().expect("in memory")
    };
    std::io::Write::write_all(&mut file, &header).map_err(write)?;
    let (mut rx, job) = stream(c, mart.query_for(from, to), mart.columns.len(), |b| {
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for row in &b.rows {
            w.write_record(row.iter().map(|v| v.as_deref().unwrap_or(""))).expect("in memory");
        }
        w.into_inner().expect("in memory")
    });
    while let Some(chunk) = rx.recv().await {
        std::io::Write::write_all(&mut file, &chunk).map_err(write)?;
    }
    let rows = job.await.map_err(LoadError::Thread)?.map_err(|problem| mart.failed(problem))?;
    // A temporary file is private; the export is an ordinary file.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644)).map_err(write)?;
    file.persist(path).map_err(|error| LoadError::Persist { path: path.to_path_buf(), error })?;
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
