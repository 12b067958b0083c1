//! What every op starts from: the inventory loaded into a cluster, the one place the secrets
//! policy is applied, and where a run's records go.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::inventory;
use crate::model::{Cluster, Transport};
use crate::secrets::Secrets;

/// An inventory loaded for an op.
pub struct Context {
    /// The inventory file.
    pub inventory: PathBuf,
    /// The validated cluster it describes.
    pub cluster: Cluster,
}

/// How an op gets the cluster's secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretsPolicy<'a> {
    /// The kept ones, any missing one generated (refused once they were used, unless
    /// `regenerate`) and, when `save`, written. `render` is a render folder whose render
    /// counts as a use.
    Obtain {
        /// A render folder that would show the secrets were used.
        render: Option<&'a Path>,
        /// Whether used secrets may be generated anew.
        regenerate: bool,
        /// Whether generated secrets are written to the secrets file.
        save: bool,
    },
    /// The kept ones or an error: the crawler host's copy from `$PROVISION_STATE_DIR` when set
    /// (its cron line sets it), else the inventory's state folder.
    Load,
}

/// The cluster's secrets, and the file they were generated into when they were.
pub struct Obtained {
    /// The secrets.
    pub secrets: Secrets,
    /// The secrets file, when something was generated.
    pub generated: Option<PathBuf>,
}

impl Context {
    /// Loads and validates `inventory`.
    pub fn open(inventory: &Path) -> anyhow::Result<Context> {
        Ok(Context { inventory: inventory.to_path_buf(), cluster: inventory::load(inventory)? })
    }

    /// The cluster's secrets under `policy`.
    pub fn secrets(&self, policy: SecretsPolicy) -> anyhow::Result<Obtained> {
        let c = &self.cluster;
        match policy {
            SecretsPolicy::Obtain { render, regenerate, save } => {
                let path = Secrets::path(&c.state_dir);
                let (secrets, generated) = Secrets::obtain(&path, secrets_used(c, render).as_deref(), regenerate)?;
                let generated = !generated.is_empty();
                if save && generated {
                    secrets.save(&path)?;
                }
                Ok(Obtained { secrets, generated: generated.then_some(path) })
            }
            SecretsPolicy::Load => {
                let (path, found) = match std::env::var_os("PROVISION_STATE_DIR") {
                    Some(state) => {
                        let path = Secrets::path(Path::new(&state));
                        let found = Secrets::load_crawler_copy(&path)?;
                        (path, found)
                    }
                    None => {
                        let path = Secrets::path(&c.state_dir);
                        let found = Secrets::load(&path)?;
                        (path, found)
                    }
                };
                let secrets = found
                    .with_context(|| format!("no secrets in {}\nhint: run `provision up` first", path.display()))?;
                Ok(Obtained { secrets, generated: None })
            }
        }
    }

    /// The folder of one run's logs and reports: `<state_dir>/runs/<time>-<verb>`.
    pub fn run_dir(&self, verb: &str) -> PathBuf {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        self.cluster.state_dir.join("runs").join(format!("{stamp}-{verb}"))
    }
}

/// What shows that `c`'s secrets were already rendered or deployed, if anything does: the
/// render folder `out` holding a render, a recorded run of `up`, a host folder of the local
/// topology, the folder of the Vagrant VMs.
fn secrets_used(c: &Cluster, out: Option<&Path>) -> Option<String> {
    if let Some(out) = out.filter(|o| o.join(crate::desired::tree::MARKER).exists()) {
        return Some(format!("{} holds a render", out.display()));
    }
    let runs = std::fs::read_dir(c.state_dir.join("runs")).into_iter().flatten().flatten();
    if let Some(run) = runs.into_iter().find(|e| e.file_name().to_string_lossy().ends_with("-up")) {
        return Some(format!("{} records a run of `provision up`", run.path().display()));
    }
    if c.transport == Transport::Local
        && let Some(root) = c.hosts.iter().map(|h| c.host_root(h)).find(|r| r.exists())
    {
        return Some(format!("the host folder {} exists", root.display()));
    }
    let vms = crate::vagrant::dir(c);
    vms.exists().then(|| format!("{} holds the cluster's VMs", vms.display()))
}
