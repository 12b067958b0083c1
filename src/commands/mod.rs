//! One file per verb: each wires its arguments to the layers below and nothing else.

mod client;
mod marts;
mod pipeline;
mod render;
mod run;
mod status;

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::model::{Cluster, Transport};
use crate::secrets::Secrets;

/// A runtime for the verbs that talk to daemons asynchronously.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
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

/// The cluster's secrets for a render, `plan` or `up`: the kept ones, any missing one generated
/// (refused, unless `regenerate`, once they were used: see [`secrets_used`]) and, when `save`,
/// written. `true` when something was generated.
fn secrets(c: &Cluster, out: Option<&Path>, regenerate: bool, save: bool) -> anyhow::Result<(Secrets, bool)> {
    let path = Secrets::path(&c.state_dir);
    let (secrets, generated) = Secrets::obtain(&path, secrets_used(c, out).as_deref(), regenerate)?;
    if save && !generated.is_empty() {
        secrets.save(&path)?;
    }
    Ok((secrets, !generated.is_empty()))
}

/// Runs the verb `cli` names. `Ok` carries the exit code of a run that completed (1 when a
/// check found differences); `Err` is a user-facing failure.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Render(args) => render::run(args),
        Command::Fetch(args) => run::fetch(args),
        Command::Plan(args) => run::plan(args),
        Command::Up(args) => run::up(args),
        Command::Down(args) => run::down(args),
        Command::Status(args) => status::status(args),
        Command::Verify(args) => status::verify(args),
        Command::Crawl(args) => pipeline::crawl(args),
        Command::Mart(crate::cli::MartCommand::List(args)) => marts::list(args),
        Command::Mart(crate::cli::MartCommand::Load(args)) => marts::load(args),
        Command::Mart(crate::cli::MartCommand::Export(args)) => marts::export(args),
        Command::Pipeline(crate::cli::PipelineCommand::Run(args)) => pipeline::run(args),
        Command::Runs(args) => pipeline::runs(args),
        Command::Client(args) => client::client(args),
        Command::Env(args) => client::env(args),
    }
}
