//! One file per verb: each wires its arguments to one op and shows the op's report.

mod client;
mod marts;
mod pipeline;
mod render;
mod run;
mod status;

use std::process::ExitCode;

use crate::cli::{Cli, Command, HostsArgs, MartCommand, PipelineCommand};
use provision::ops::Reach;

/// Runs the verb `cli` names. `Ok` carries the exit code of a run that completed (1 when a
/// check found differences); `Err` is a user-facing failure.
pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Render(args) => render::render(args),
        Command::Fetch(args) => run::fetch(args),
        Command::Plan(args) => run::plan(args),
        Command::Up(args) => run::up(args),
        Command::Down(args) => run::down(args),
        Command::Status(args) => status::status(args),
        Command::Verify(args) => status::verify(args),
        Command::Crawl(args) => pipeline::crawl(args),
        Command::Mart(MartCommand::List(args)) => marts::list(args),
        Command::Mart(MartCommand::Load(args)) => marts::load(args),
        Command::Mart(MartCommand::Export(args)) => marts::export(args),
        Command::Pipeline(PipelineCommand::Run(args)) => pipeline::run(args),
        Command::Pipeline(PipelineCommand::Accept(args)) => pipeline::accept(args),
        Command::Runs(args) => pipeline::runs(args),
        Command::Client(args) => client::client(args),
        Command::Env(args) => client::env(args),
    }
}

/// Exit 0 when `ok`, else 1.
fn exit(ok: bool) -> ExitCode {
    if ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// How the hosts are reached, from the arguments.
fn reach(args: &HostsArgs) -> Reach {
    Reach { parallel: usize::from(args.parallel), accept_new_host_keys: args.accept_new_host_keys }
}
