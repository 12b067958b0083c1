//! `render`: inventory -> cluster -> rendered tree -> folder, or a comparison with it.

use std::path::PathBuf;

use anyhow::Context as _;

use super::{Context, SecretsPolicy};
use crate::desired::tree::{self, Change};
use crate::desired::{self, Tree};

/// What to render, and where.
pub struct RenderOptions {
    /// The folder; `build/<inventory name>` when `None`.
    pub out: Option<PathBuf>,
    /// Only compare with the folder, writing nothing.
    pub check: bool,
    /// Generate secrets anew even though they were used.
    pub regenerate_secrets: bool,
}

/// What a render found and did.
pub struct Rendered {
    /// The folder.
    pub out: PathBuf,
    /// Every rendered file.
    pub tree: Tree,
    /// How the folder differs (differed, when written) from the render.
    pub changes: Vec<Change>,
    /// The secrets file, when secrets were generated into it.
    pub generated_secrets: Option<PathBuf>,
}

/// Renders the context's cluster into (or, with `check`, compares it with) its folder.
pub fn render(ctx: &Context, o: &RenderOptions) -> anyhow::Result<Rendered> {
    let out = o.out.clone().unwrap_or_else(|| {
        let stem = ctx.inventory.file_stem().map_or("cluster".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("build").join(stem)
    });
    let obtained =
        ctx.secrets(SecretsPolicy::Obtain { render: Some(&out), regenerate: o.regenerate_secrets, save: !o.check })?;
    let rendered = desired::render(&ctx.cluster, &obtained.secrets);
    let changes = tree::compare(&rendered, &out).with_context(|| format!("reading {}", out.display()))?;
    if !o.check && !changes.is_empty() {
        tree::write(&rendered, &out)?;
    }
    Ok(Rendered { out, tree: rendered, changes, generated_secrets: obtained.generated })
}
