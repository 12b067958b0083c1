//! Landing an hour's CSV at `/user/source_data/YYYY/MM/DD/HH/gmarket.csv`: in HDFS through the
//! nameservice, or below a local folder. Always written under a temporary name in the same
//! folder and renamed into place, so no reader ever sees a partial file and landing an hour
//! again replaces it in one step.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdfs_native::Client;

use super::hour::Hour;

/// The temporary name a landing writes before its rename.
fn temporary(hour: Hour) -> String {
    format!("{}/.gmarket.csv.{}.landing", hour.folder(), std::process::id())
}

/// Lands `data` for `hour` in HDFS. A write cut off by a NameNode failover is written again
/// (the temporary name makes that safe) until `patience` runs out.
pub async fn land_hdfs(client: &Client, hour: Hour, data: Bytes, patience: Duration) -> Result<String, String> {
    let started = Instant::now();
    let (tmp, dest) = (temporary(hour), hour.file());
    loop {
        let attempt = async {
            crate::hdfs::write_all(client, &tmp, data.clone()).await?;
            client.rename(&tmp, &dest, true).await
        };
        match attempt.await {
            Ok(()) => return Ok(dest),
            Err(e) if started.elapsed() < patience => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => {
                let _ = client.delete(&tmp, false).await;
                return Err(format!("landing {dest} in HDFS: {e}"));
            }
        }
    }
}

/// Lands `data` for `hour` below `dir` (the same layout as in HDFS).
pub fn land_local(dir: &Path, hour: Hour, data: &[u8]) -> Result<PathBuf, String> {
    let dest = dir.join(hour.file().trim_start_matches('/'));
    let tmp = dir.join(temporary(hour).trim_start_matches('/'));
    let parent = dest.parent().expect("a folder");
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    std::fs::write(&tmp, data).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &dest).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", dest.display())
    })?;
    Ok(dest)
}

/// The landed file of `hour` in HDFS.
pub async fn read_hdfs(client: &Client, hour: Hour) -> Result<Bytes, String> {
    crate::hdfs::read_all(client, &hour.file()).await.map_err(|e| format!("reading {} from HDFS: {e}", hour.file()))
}
