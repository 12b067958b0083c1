//! `provision plan` and `provision up`: inventory -> rendered files -> phases -> the runner,
//! reading only (plan) or acting (up).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::apply::{self, Mode, Options};
use crate::cli::RunArgs;
use crate::desired;
use crate::inventory;
use crate::model::{self, Cluster};
use crate::phases::phases;
use crate::secrets::Secrets;
use crate::transport;
use crate::ui;

/// The folder of one run's logs: `<state_dir>/runs/<time>-<verb>`.
fn log_dir(c: &Cluster, verb: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    c.state_dir.join("runs").join(format!("{stamp}-{verb}"))
}

fn execute(args: &RunArgs, mode: Mode) -> anyhow::Result<ExitCode> {
    let cluster = inventory::load(&args.inventory)?;
    if let model::Transport::Vagrant { .. } = cluster.transport {
        anyhow::bail!(
            "{}: reaching Vagrant VMs is not built yet\nhint: use an inventory whose [transport] kind is \"ssh\" or \"local\", e.g. inventory/local.toml",
            args.inventory.display()
        );
    }
    let secrets_path = Secrets::path(&cluster.state_dir);
    let (secrets, generated) = Secrets::load_or_generate(&secrets_path)?;
    if generated && mode == Mode::Apply {
        secrets.save(&secrets_path)?;
    }
    let tree = desired::render(&cluster, &secrets);
    let plan = phases(&cluster, &tree);
    let verb = if mode == Mode::Apply { "up" } else { "plan" };
    let opts = Options { parallel: usize::from(args.parallel), log_dir: log_dir(&cluster, verb), mode };
    let connect = |host: &str| transport::open(&cluster, host, args.accept_new_host_keys);
    let progress = ui::Progress::new();
    let report = apply::run(&plan, &connect, &opts, &progress);
    progress.finish();
    match mode {
        Mode::Probe => ui::plan_report(&report, &secrets, args.json),
        Mode::Apply => ui::up_report(&report, args.json),
    }
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Runs `provision plan`.
pub fn plan(args: &RunArgs) -> anyhow::Result<ExitCode> {
    execute(args, Mode::Probe)
}

/// Runs `provision up`.
pub fn up(args: &RunArgs) -> anyhow::Result<ExitCode> {
    execute(args, Mode::Apply)
}
