//! `provision render`.

use std::process::ExitCode;

use crate::cli::RenderArgs;
use crate::ui;
use provision::ops::Context;
use provision::ops::render::{RenderOptions, render as rendered};

/// Runs `provision render`.
pub fn render(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.inventory)?;
    let o = RenderOptions { out: args.out.clone(), check: args.check, regenerate_secrets: args.regenerate_secrets };
    let r = rendered(&ctx, &o)?;
    if args.check {
        ui::render_check(&r.out, &r.tree, &r.changes, args.json);
        return Ok(super::exit(r.changes.is_empty()));
    }
    ui::render_done(&r.out, &ctx.cluster, &r.tree, &r.changes, r.generated_secrets.as_deref(), args.json);
    Ok(ExitCode::SUCCESS)
}
