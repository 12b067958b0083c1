//! The use cases below the commands: each op takes its options, returns a typed report, and
//! tells its caller what it is doing through [`Events`]; none prints. The binary wires its
//! arguments to one op and shows the report.

pub mod client;
pub mod context;
pub mod down;
pub mod marts;
pub mod pipeline;
pub mod plan;
pub mod render;
pub mod software;
pub mod up;
pub mod verify;

pub use context::{Context, SecretsPolicy};

use crate::engine::runner::{self, Mode, Observer, Options, Phase, Report};
use crate::engine::transport;

/// What an op tells its caller while it works, besides the runner's progress: the binary
/// shows it, tests ignore it.
pub trait Events: Observer {
    /// A line about what the op is doing.
    fn note(&self, line: &str);
    /// `got` bytes of `total` (when known) of the download `what` so far.
    fn downloaded(&self, what: &str, got: u64, total: Option<u64>);
    /// The download `what` ended.
    fn download_ended(&self, what: &str);
    /// A run of phases or checks begins.
    fn run_started(&self);
    /// That run ended.
    fn run_ended(&self);
}

/// Nobody watches: for callers that read only the report.
impl Events for runner::Quiet {
    fn note(&self, _: &str) {}
    fn downloaded(&self, _: &str, _: u64, _: Option<u64>) {}
    fn download_ended(&self, _: &str) {}
    fn run_started(&self) {}
    fn run_ended(&self) {}
}

/// How an op reaches the hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// How many hosts are worked on at once.
    pub parallel: usize,
    /// Whether an SSH host key seen for the first time is accepted and recorded.
    pub accept_new_host_keys: bool,
}

/// A runtime for the ops that talk to daemons asynchronously.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// The phases `only` names, in their order and each still after those of them it came after;
/// every phase when it names none.
fn select(phases: Vec<Phase>, only: &[String]) -> anyhow::Result<Vec<Phase>> {
    if only.is_empty() {
        return Ok(phases);
    }
    let known: Vec<&str> = phases.iter().map(|p| p.name.as_str()).collect();
    if let Some(unknown) = only.iter().find(|o| !known.contains(&o.as_str())) {
        anyhow::bail!("there is no phase `{unknown}`\nhint: the phases are {}", known.join(", "));
    }
    Ok(runner::retain(phases, |p| only.contains(&p.name)))
}

/// Runs `phases` on the context's hosts, logging into a new run folder named after `verb`.
fn run(ctx: &Context, reach: Reach, phases: &[Phase], mode: Mode, verb: &str, events: &dyn Events) -> Report {
    let c = &ctx.cluster;
    // The run's log goes into the state folder; like the log, a folder that cannot be made
    // does not stop the run.
    let _ = crate::state::create(&c.state_dir);
    let opts = Options { parallel: reach.parallel, log_dir: ctx.run_dir(verb), mode };
    let connect = |host: &str| transport::open(c, host, reach.accept_new_host_keys);
    events.run_started();
    let report = runner::run(phases, &connect, &opts, events);
    events.run_ended();
    report
}
