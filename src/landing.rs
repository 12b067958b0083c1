//! Landing, the second stage: an hour's CSV at `/user/source_data/YYYY/MM/DD/HH/gmarket.csv`,
//! in HDFS through the nameservice, or below a local folder. Always written under a temporary
//! name in the same folder and renamed into place, so no reader ever sees a partial file and
//! landing an hour again replaces it in one step.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdfs_native::{Client, HdfsError};

use crate::dataset::LANDED_FILE;
use crate::dataset::hour::Hour;

/// An hour that could not be landed, or read back.
#[derive(Debug, thiserror::Error)]
pub enum LandingError {
    /// No HDFS client for the cluster's nameservice.
    #[error("{0}")]
    Client(HdfsError),
    /// Writing or renaming in HDFS failed, and retrying did not help within the patience.
    #[error("landing {dest} in HDFS: {error}")]
    Hdfs {
        /// The landed file's path.
        dest: String,
        /// The last failure.
        error: HdfsError,
    },
    /// Creating, writing or renaming below the local folder failed.
    #[error("{}: {error}", path.display())]
    Local {
        /// The folder or file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// The landed file could not be read back from HDFS.
    #[error("reading {path} from HDFS: {error}")]
    Read {
        /// The landed file's path.
        path: String,
        /// What failed.
        error: HdfsError,
    },
}

/// The temporary name a landing writes before its rename.
fn temporary(hour: Hour) -> String {
    format!("{}/.{LANDED_FILE}.{}.landing", hour.folder(), std::process::id())
}

/// Lands `data` for `hour` in HDFS. A write cut off by a NameNode failover is written again
/// (the temporary name makes that safe) until `patience` runs out.
pub async fn land_hdfs(client: &Client, hour: Hour, data: Bytes, patience: Duration) -> Result<String, LandingError> {
    let started = Instant::now();
    let (tmp, dest) = (temporary(hour), hour.file());
    loop {
        let attempt = async {
            crate::hdfs::write_all(client, &tmp, data.clone()).await?;
            client.rename(&tmp, &dest, true).await
        };
        match attempt.await {
            Ok(()) => return Ok(dest),
            Err(_) if started.elapsed() < patience => {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(error) => {
                let _ = client.delete(&tmp, false).await;
                return Err(LandingError::Hdfs { dest, error });
            }
        }
    }
}

/// The error of a local landing that failed at `path`.
fn local(path: &Path) -> impl FnOnce(std::io::Error) -> LandingError + '_ {
    move |error| LandingError::Local { path: path.to_path_buf(), error }
}

/// Lands `data` for `hour` below `dir` (the same layout as in HDFS).
pub fn land_local(dir: &Path, hour: Hour, data: &[u8]) -> Result<PathBuf, LandingError> {
    let dest = dir.join(hour.file().trim_start_matches('/'));
    let tmp = dir.join(temporary(hour).trim_start_matches('/'));
    let parent = dest.parent().expect("a folder");
    std::fs::create_dir_all(parent).map_err(local(parent))?;
    std::fs::write(&tmp, data).map_err(local(&tmp))?;
    std::fs::rename(&tmp, &dest).map_err(|error| {
        let _ = std::fs::remove_file(&tmp);
        local(&dest)(error)
    })?;
    Ok(dest)
}

/// The landed file of `hour` in HDFS.
pub async fn read_hdfs(client: &Client, hour: Hour) -> Result<Bytes, LandingError> {
    crate::hdfs::read_all(client, &hour.file()).await.map_err(|error| LandingError::Read { path: hour.file(), error })
}
