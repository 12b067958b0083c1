//! `fetch`: the software the hosts run, made ready in the cache, and the `provision` binary the
//! crawler host of remote hosts gets.

use std::path::PathBuf;

use anyhow::Context as _;

use super::{Context, Events};
use crate::artifacts::{self, Archive, Artifact};
use crate::model::{Cluster, Role, Transport};

/// The software the hosts run: fetched into the cache when `fetch` (else only what is cached
/// is used), and when `pack` packed for hosts other than this machine.
pub fn software(c: &Cluster, fetch: bool, pack: bool, events: &dyn Events) -> anyhow::Result<Vec<Artifact>> {
    let mut needed = artifacts::needed(c, &artifacts::cache_dir());
    for a in &mut needed {
        let mut cached = a.is_cached();
        if fetch && !cached {
            events.note(&format!(
                "fetching {} {} from {} into {} (once)",
                a.name,
                a.version,
                a.origin(),
                a.dir.display()
            ));
            let what = format!("{} {}", a.name, a.version);
            let done = a.fetch(&mut |got, total| events.downloaded(&what, got, total));
            events.download_ended(&what);
            done?;
            cached = true;
        }
        if pack && c.transport != Transport::Local && cached {
            a.pack()?;
        }
    }
    Ok(needed)
}

/// Fetches and packs the context's software.
pub fn fetch(ctx: &Context, events: &dyn Events) -> anyhow::Result<Vec<Artifact>> {
    software(&ctx.cluster, true, true, events)
}

/// The `provision` executable the crawler host gets when the hosts are not this machine:
/// `crawler_binary`, else this one. With `check`, one that needs a newer glibc than the
/// crawler host's OS ships is refused before anything is done.
pub fn crawler_binary(c: &Cluster, crawler_binary: Option<&PathBuf>, check: bool) -> anyhow::Result<Option<Archive>> {
    if c.transport == Transport::Local {
        return Ok(None);
    }
    let exe = match crawler_binary {
        Some(p) => p.clone(),
        None => std::env::current_exe().context("finding the provision executable")?,
    };
    if let (true, Some(crawler)) = (check, c.one(Role::Crawler)) {
        let have = c.os.glibc();
        if let Some(need) = artifacts::glibc::newest_needed(&exe)?.filter(|need| *need > have) {
            anyhow::bail!(
                "{} needs glibc {}.{}, but the crawler host {} runs {} (glibc {}.{}), where its hourly run could not start\nhint: build the portable binary (cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.17 --features portable) and pass it with --crawler-binary",
                exe.display(),
                need.0,
                need.1,
                crawler.name,
                c.os.name(),
                have.0,
                have.1
            );
        }
    }
    Ok(Some(Archive::of(&exe)?))
}
