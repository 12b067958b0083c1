//! `provision status` and `provision verify`.

use std::process::ExitCode;

use super::exit;
use crate::cli::{StatusArgs, VerifyArgs};
use crate::ui::{self, Terminal};
use provision::ops::{self, Context, SecretsPolicy};
use provision::verify::Request;

/// Runs `provision status`.
pub fn status(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.inventory)?;
    let h = ops::verify::status(&ctx)?;
    let flow = ops::verify::flow_status(&ctx)?;
    let flow_ok = flow.as_ref().is_none_or(|f| f.as_ref().is_ok_and(|f| f.running()));
    ui::status_report(&h, flow.as_ref(), ctx.cluster.nifi_ui().as_deref(), args.json);
    Ok(exit(h.healthy() && flow_ok))
}

/// Runs `provision verify`.
pub fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.inventory)?;
    let secrets = ctx.secrets(SecretsPolicy::Load)?.secrets;
    let request = Request { failover: args.failover, live: args.live, source: args.source.clone() };
    let report = ops::verify::verify(&ctx, &secrets, &request, &Terminal::new())?;
    if args.json {
        ui::verify_json(&report);
    } else {
        ui::verify_lines(&report, false);
    }
    Ok(exit(report.ok()))
}
