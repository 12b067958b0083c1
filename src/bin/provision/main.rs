//! The `provision` binary: parse arguments, run, print the error chain, and exit 0 on success,
//! 1 on bad input or a failed check, 2 on a bug.

mod cli;
mod commands;
mod ui;

use std::process::ExitCode;

use clap::Parser;

use cli::Cli;

fn main() -> ExitCode {
    // Output piped into `head` and the like ends quietly, as for any Unix tool.
    // SAFETY: restoring the default action of a signal before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| commands::run(&cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            ui::error(&e);
            ExitCode::from(1)
        }
        Err(_) => {
            eprintln!("error: this is a bug in provision; please report it with the message above");
            ExitCode::from(2)
        }
    }
}
