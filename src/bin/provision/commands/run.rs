//! `provision fetch`, `plan`, `up` and `down`.

use std::process::ExitCode;

use super::{exit, reach};
use crate::cli::{DownArgs, FetchArgs, PlanArgs, UpArgs};
use crate::ui::{self, Terminal};
use provision::ops::down::{Down, DownOptions};
use provision::ops::plan::PlanOptions;
use provision::ops::up::UpOptions;
use provision::ops::{self, Context, Events};
use provision::verify::Request;

/// Runs `provision fetch`.
pub fn fetch(args: &FetchArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.inventory)?;
    let ready = ops::software::fetch(&ctx, &Terminal::new())?;
    ui::fetched(&ready, args.json);
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision plan`.
pub fn plan(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.hosts.inventory)?;
    let o = PlanOptions {
        reach: reach(&args.hosts),
        only: args.phases.only.clone(),
        crawler_binary: args.crawler_binary.clone(),
    };
    let planned = ops::plan::plan(&ctx, &o, &Terminal::new())?;
    ui::plan_report(&planned.report, &planned.secret_steps, args.hosts.json);
    Ok(exit(planned.report.ok()))
}

/// Runs `provision up`, then `verify` unless told not to.
pub fn up(args: &UpArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.hosts.inventory)?;
    let o = UpOptions {
        reach: reach(&args.hosts),
        only: args.phases.only.clone(),
        one_phase_at_a_time: args.one_phase_at_a_time,
        crawler_binary: args.crawler_binary.clone(),
        regenerate_secrets: args.regenerate_secrets,
    };
    if args.dry_run {
        ui::dry_run(&ops::up::dry_run(&ctx, &o)?, &[], args.hosts.json);
        return Ok(ExitCode::SUCCESS);
    }
    let terminal = Terminal::new();
    let up = ops::up::up(&ctx, &o, &terminal)?;
    ui::up_report(&up.report, args.hosts.json);
    match &up.flow {
        Some(Ok(deployed)) => terminal.note(&format!("the pipeline's flow on NiFi: {}", deployed.as_str())),
        Some(Err(e)) => {
            ui::error(&anyhow::anyhow!("deploying the pipeline's flow on NiFi: {e}"));
            return Ok(exit(false));
        }
        None => {}
    }
    if let (Some(url), true) = (ctx.cluster.nifi_ui(), up.report.ok()) {
        terminal.note(&format!("NiFi's UI: {url}"));
    }
    if !up.report.ok() || args.no_verify || !up.whole {
        return Ok(exit(up.report.ok()));
    }
    terminal.note("verifying the platform (provision verify; --no-verify skips this)");
    let verified = ops::verify::verify(&ctx, &up.secrets, &Request::default(), &terminal)?;
    // The up report owns stdout; the verification goes to the terminal's other stream.
    ui::verify_lines(&verified, true);
    Ok(exit(verified.ok()))
}

/// Runs `provision down`.
pub fn down(args: &DownArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.hosts.inventory)?;
    let o = DownOptions {
        reach: reach(&args.hosts),
        only: args.phases.only.clone(),
        purge: args.purge,
        destroy: args.destroy,
    };
    if args.dry_run {
        let plan = ops::down::dry_run(&ctx, &o)?;
        ui::dry_run(&plan.phases, &plan.then, args.hosts.json);
        return Ok(ExitCode::SUCCESS);
    }
    match ops::down::down(&ctx, &o, &Terminal::new())? {
        Down::Destroyed => Ok(ExitCode::SUCCESS),
        Down::Stopped(report) => {
            ui::up_report(&report, args.hosts.json);
            Ok(exit(report.ok()))
        }
    }
}
