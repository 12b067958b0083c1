//! `provision mart list | load | export`: wiring to `marts`.

use std::process::ExitCode;

use super::pipeline::secrets;
use super::runtime;
use crate::cli::{MartExportArgs, MartListArgs, MartRangeArgs};
use crate::dataset::hour::Hour;
use crate::inventory;
use crate::marts::{self, Mart};
use crate::ui;

/// The mart and the hours the arguments name.
fn range(args: &MartRangeArgs) -> anyhow::Result<(Mart, Hour, Hour)> {
    let mart = marts::find(&args.name, args.marts.as_deref())?;
    let from = Hour::parse(&args.from)?;
    let to = match &args.to {
        Some(t) => Hour::parse(t)?,
        None => from,
    };
    anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
    Ok((mart, from, to))
}

/// Runs `provision mart list`.
pub fn list(args: &MartListArgs) -> anyhow::Result<ExitCode> {
    let all = marts::all(args.marts.as_deref())?;
    ui::marts(&all.into_values().collect::<Vec<_>>(), args.json);
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision mart load`.
pub fn load(args: &MartRangeArgs) -> anyhow::Result<ExitCode> {
    let c = inventory::load(&args.inventory)?;
    let secrets = secrets(&c)?;
    let (mart, from, to) = range(args)?;
    let outcome = runtime()?.block_on(marts::load::load(&c, &secrets, &mart, from, to))?;
    ui::mart_outcome(&outcome, &format!("into {}", mart.table), args.json);
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision mart export`.
pub fn export(args: &MartExportArgs) -> anyhow::Result<ExitCode> {
    let c = inventory::load(&args.range.inventory)?;
    let (mart, from, to) = range(&args.range)?;
    let outcome = runtime()?.block_on(marts::load::export(&c, &mart, from, to, &args.csv))?;
    ui::mart_outcome(&outcome, &format!("to {}", args.csv.display()), args.range.json);
    Ok(ExitCode::SUCCESS)
}
