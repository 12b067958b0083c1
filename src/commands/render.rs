//! `provision render`: inventory -> cluster -> rendered tree -> folder (or a comparison with it).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::RenderArgs;
use crate::desired::{self, tree};
use crate::inventory;
use crate::secrets::Secrets;
use crate::ui;

/// Runs `provision render`.
pub fn run(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let cluster = inventory::load(&args.inventory)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args.inventory.file_stem().map_or("cluster".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("build").join(stem)
    });
    let secrets_path = Secrets::path(&cluster.state_dir);
    let (secrets, generated) = super::secrets(&cluster, Some(&out), args.regenerate_secrets, !args.check)?;
    let rendered = desired::render(&cluster, &secrets);
    let changes = tree::compare(&rendered, &out).with_context(|| format!("reading {}", out.display()))?;
    if args.check {
        ui::render_check(&out, &rendered, &changes, args.json);
        return Ok(if changes.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    if !changes.is_empty() {
        tree::write(&rendered, &out)?;
    }
    ui::render_done(&out, &cluster, &rendered, &changes, generated.then_some(secrets_path.as_path()), args.json);
    Ok(ExitCode::SUCCESS)
}
