//! `provision status` and `provision verify`: health read from the daemons, and the proofs.

use std::process::ExitCode;

use super::runtime;
use crate::cli::{StatusArgs, VerifyArgs};
use crate::health;
use crate::inventory;
use crate::ui;
use crate::verify;

/// Runs `provision status`.
pub fn status(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let cluster = inventory::load(&args.inventory)?;
    let h = runtime()?.block_on(health::check_all(&cluster));
    ui::status_report(&h, args.json);
    Ok(if h.healthy() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Runs `provision verify`.
pub fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let cluster = inventory::load(&args.inventory)?;
    let log_dir =
        cluster.state_dir.join("runs").join(format!("{}-verify", chrono::Local::now().format("%Y%m%d-%H%M%S")));
    let progress = ui::Progress::new();
    let result = runtime()?.block_on(async {
        let h = health::check_all(&cluster).await;
        verify::require_healthy(&cluster, &h)?;
        let write_read = verify::write_read(&cluster).await?;
        let failover = if args.failover { Some(verify::failover(&cluster, &progress, &log_dir).await?) } else { None };
        Ok::<_, verify::VerifyError>((h, write_read, failover))
    });
    progress.finish();
    match result {
        Ok((h, write_read, failover)) => {
            ui::verify_report(&h, write_read, failover.as_ref(), args.json);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(e.into()),
    }
}
