//! `provision status` and `provision verify`: health read from the daemons, and the proofs.

use std::process::ExitCode;

use super::runtime;
use crate::cli::{StatusArgs, VerifyArgs};
use crate::health;
use crate::inventory;
use crate::secrets::Secrets;
use crate::ui;
use crate::verify;

/// Runs `provision status`.
pub fn status(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let cluster = inventory::load(&args.inventory)?;
    let h = runtime()?.block_on(health::check_all(&cluster));
    ui::status_report(&h, args.json);
    Ok(if h.healthy() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Runs every verification check with progress on the terminal, writing the report into a
/// new run folder.
pub(super) fn run_verify(
    cluster: &crate::model::Cluster,
    secrets: &Secrets,
    request: &verify::Request,
) -> anyhow::Result<verify::Report> {
    // Like the report, a state folder that cannot be made does not stop the verification.
    let _ = crate::state::create(&cluster.state_dir);
    let log_dir =
        cluster.state_dir.join("runs").join(format!("{}-verify", chrono::Local::now().format("%Y%m%d-%H%M%S")));
    let progress = ui::Progress::new();
    let report = runtime()?.block_on(verify::run(cluster, secrets, request, &progress, &log_dir));
    progress.finish();
    Ok(report)
}

/// Runs `provision verify`.
pub fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let cluster = inventory::load(&args.inventory)?;
    let secrets = super::pipeline::secrets(&cluster)?;
    let request = verify::Request { failover: args.failover, live: args.live, source: args.source.clone() };
    let report = run_verify(&cluster, &secrets, &request)?;
    if args.json {
        ui::verify_json(&report);
    } else {
        ui::verify_lines(&report, false);
    }
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
