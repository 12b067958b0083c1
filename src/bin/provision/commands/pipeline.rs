//! `provision crawl`, `pipeline run` and `runs`.

use std::process::ExitCode;

use super::exit;
use anyhow::Context as _;

use crate::cli::{CrawlArgs, PipelineAcceptArgs, PipelineRunArgs, RunsArgs, SourceArgs};
use crate::ui;
use provision::ops::Context;
use provision::ops::pipeline::{self as op, SourceOptions};

fn source(s: &SourceArgs) -> SourceOptions {
    SourceOptions { source: s.source.clone(), at: s.at.clone() }
}

/// Runs `provision crawl`.
pub fn crawl(args: &CrawlArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.inventory)?;
    let crawled = op::crawl(&ctx, &source(&args.source), args.out.as_ref())?;
    ui::note(&format!(
        "landed {} rows of {} categories for {} at {}",
        crawled.collected.rows.len(),
        crawled.collected.per_category.len(),
        crawled.hour,
        crawled.landed
    ));
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision pipeline run`.
pub fn run(args: &PipelineRunArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.inventory)?;
    let src = source(&args.source);
    let Some(every) = &args.every else {
        let recorded = op::run_once(&ctx, &src, args.direct)?;
        ui::pipeline_run(&recorded.run, recorded.unrecorded.as_ref());
        return Ok(exit(recorded.ok()));
    };
    let period = op::period(every)?;
    match op::every(
        &ctx,
        &src,
        args.direct,
        period,
        &mut |r| ui::pipeline_run(&r.run, r.unrecorded.as_ref()),
        &mut |wait| ui::note(&format!("next run in {}s", wait.as_secs())),
    )? {}
}

/// Runs `provision pipeline accept`: the hour's CSV from standard input.
pub fn accept(args: &PipelineAcceptArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.inventory)?;
    let mut csv = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut csv)
        .context("reading the hour's CSV from standard input")?;
    let recorded = op::accept(&ctx, &args.at, &csv, args.crawl_seconds, &args.handed_at)?;
    ui::pipeline_run(&recorded.run, recorded.unrecorded.as_ref());
    Ok(exit(recorded.ok()))
}

/// Runs `provision runs`.
pub fn runs(args: &RunsArgs) -> anyhow::Result<ExitCode> {
    let runs = op::runs(&Context::open(&args.inventory)?, args.limit)?;
    ui::runs(&runs, args.json);
    Ok(ExitCode::SUCCESS)
}
