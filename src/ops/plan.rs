//! `plan`: what `up` would change, read from the hosts, changing nothing.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::software::{crawler_binary, software};
use super::{Context, Events, Reach, SecretsPolicy, run, select};
use crate::desired::{self, Tree};
use crate::engine::runner::{Mode, Report};
use crate::model::Cluster;
use crate::plan;

/// What to plan.
pub struct PlanOptions {
    /// How the hosts are reached.
    pub reach: Reach,
    /// Only these phases; every phase when empty.
    pub only: Vec<String>,
    /// The `provision` binary the crawler host would get, instead of this one.
    pub crawler_binary: Option<PathBuf>,
}

/// What `up` would do.
pub struct Planned {
    /// Every step probed: what it would change.
    pub report: Report,
    /// The file steps whose files hold secrets, as `(host, step)`: their differences are not shown.
    pub secret_steps: BTreeSet<(String, String)>,
}

/// Whether the selected phases include `prepare`, the one that needs the software.
pub(super) fn prepares(only: &[String]) -> bool {
    only.is_empty() || only.iter().any(|p| p == "prepare")
}

/// Probes every step of `up` on the hosts, changing nothing.
pub fn plan(ctx: &Context, o: &PlanOptions, events: &dyn Events) -> anyhow::Result<Planned> {
    let c = &ctx.cluster;
    let obtained = ctx.secrets(SecretsPolicy::Obtain { render: None, regenerate: false, save: false })?;
    let tree = desired::render(c, &obtained.secrets);
    let artifacts = software(c, false, prepares(&o.only), events)?;
    for a in artifacts.iter().filter(|a| !a.is_cached()) {
        events.note(&format!("up would fetch {} {} into {}", a.name, a.version, a.dir.display()));
    }
    let binary = crawler_binary(c, o.crawler_binary.as_ref(), prepares(&o.only))?;
    let phases = select(plan::up(c, &tree, &artifacts, binary.as_ref()), &o.only)?;
    let report = run(ctx, o.reach, &phases, Mode::Probe, "plan", events);
    Ok(Planned { report, secret_steps: secret_steps(c, &tree) })
}

/// The file steps that put files holding secrets on the hosts, as `(host, step)`.
fn secret_steps(c: &Cluster, tree: &Tree) -> BTreeSet<(String, String)> {
    tree.files
        .values()
        .filter(|f| f.is_secret())
        .filter_map(|f| {
            let host = c.host(f.host.as_deref()?)?;
            Some((host.name.clone(), format!("file {}", c.on_host(host, &f.path))))
        })
        .collect()
}
