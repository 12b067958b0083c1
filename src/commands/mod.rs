//! One file per verb: each wires its arguments to the layers below and nothing else.

mod marts;
mod pipeline;
mod render;
mod run;
mod status;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// A runtime for the verbs that talk to daemons asynchronously.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
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
    }
}
