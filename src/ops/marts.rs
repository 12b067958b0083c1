//! `mart list | load | export`: the marts provision knows, loaded from the warehouse or
//! exported to CSV for a range of hours.

use std::path::Path;

use super::{Context, SecretsPolicy, runtime};
use crate::dataset::hour::Hour;
use crate::marts::{self, Mart, load::Outcome};

/// A mart and the hours it is loaded or exported for.
pub struct Range<'a> {
    /// The mart's name.
    pub name: &'a str,
    /// A folder of mart definitions instead of the bundled ones.
    pub marts: Option<&'a Path>,
    /// The first hour.
    pub from: &'a str,
    /// The last hour; `from` when `None`.
    pub to: Option<&'a str>,
}

impl Range<'_> {
    /// The mart and the hours.
    fn resolve(&self) -> anyhow::Result<(Mart, Hour, Hour)> {
        let mart = marts::find(self.name, self.marts)?;
        let from = Hour::parse(self.from)?;
        let to = match self.to {
            Some(t) => Hour::parse(t)?,
            None => from,
        };
        anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
        Ok((mart, from, to))
    }
}

/// Every mart, bundled or in `dir`.
pub fn list(dir: Option<&Path>) -> anyhow::Result<Vec<Mart>> {
    Ok(marts::all(dir)?.into_values().collect())
}

/// Loads the range into its mart; returns the mart's table and what was loaded.
pub fn load(ctx: &Context, range: &Range) -> anyhow::Result<(String, Outcome)> {
    let secrets = ctx.secrets(SecretsPolicy::Load)?.secrets;
    let (mart, from, to) = range.resolve()?;
    let outcome = runtime()?.block_on(marts::load::load(&ctx.cluster, &secrets, &mart, from, to))?;
    Ok((mart.table, outcome))
}

/// Exports the range of its mart's rows from the warehouse to `csv`.
pub fn export(ctx: &Context, range: &Range, csv: &Path) -> anyhow::Result<Outcome> {
    let (mart, from, to) = range.resolve()?;
    Ok(runtime()?.block_on(marts::load::export(&ctx.cluster, &mart, from, to, csv))?)
}
