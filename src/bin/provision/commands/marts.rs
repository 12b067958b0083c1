//! `provision mart list | load | export`.

use std::process::ExitCode;

use crate::cli::{MartExportArgs, MartListArgs, MartRangeArgs};
use crate::ui;
use provision::ops::Context;
use provision::ops::marts::{self as op, Range};

fn range(args: &MartRangeArgs) -> Range<'_> {
    Range { name: &args.name, marts: args.marts.as_deref(), from: &args.from, to: args.to.as_deref() }
}

/// Runs `provision mart list`.
pub fn list(args: &MartListArgs) -> anyhow::Result<ExitCode> {
    ui::marts(&op::list(args.marts.as_deref())?, args.json);
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision mart load`.
pub fn load(args: &MartRangeArgs) -> anyhow::Result<ExitCode> {
    let (table, outcome) = op::load(&Context::open(&args.inventory)?, &range(args))?;
    ui::mart_outcome(&outcome, &format!("into {table}"), args.json);
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision mart export`.
pub fn export(args: &MartExportArgs) -> anyhow::Result<ExitCode> {
    let outcome = op::export(&Context::open(&args.range.inventory)?, &range(&args.range), &args.csv)?;
    ui::mart_outcome(&outcome, &format!("to {}", args.csv.display()), args.range.json);
    Ok(ExitCode::SUCCESS)
}
