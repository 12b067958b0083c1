//! The machines of Vagrant's lxc provider on this host: their host-only network (a bridge
//! with a fallback route that keeps the network's traffic on this machine), the package proxy
//! on the bridge, and the Debian 12 box they boot from. Only the lxc provider needs them;
//! VirtualBox makes its own network and downloads its own boxes.

pub mod image;
pub mod network;
pub mod proxy;

use std::path::PathBuf;
use std::process::Command;

/// A failure to make or remove part of the machines' surroundings.
#[derive(Debug, thiserror::Error)]
pub enum MachinesError {
    /// The hosts do not fit one host-only network.
    #[error("{0}")]
    Network(String),
    /// A command failed.
    #[error("`{command}` failed (exit {code}): {stderr}")]
    Command {
        /// The command.
        command: String,
        /// Its exit code.
        code: i32,
        /// Its last lines of error output.
        stderr: String,
    },
    /// A program could not be started.
    #[error("`{program}` could not be started: {source}\nhint: {hint}")]
    Missing {
        /// The program.
        program: String,
        /// How to get it.
        hint: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Runs `program args`, returning its standard output; a failure carries its last error lines.
fn run(program: &str, args: &[&str], hint: &'static str) -> Result<String, MachinesError> {
    let out = Command::new(program).args(args).output().map_err(|source| MachinesError::Missing {
        program: program.into(),
        hint,
        source,
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        return Err(MachinesError::Command {
            command: std::iter::once(program).chain(args.iter().copied()).collect::<Vec<_>>().join(" "),
            code: out.status.code().unwrap_or(-1),
            stderr: lines[lines.len().saturating_sub(4)..].join("\n"),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `f` applied to `path`'s I/O error.
fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> MachinesError + '_ {
    move |source| MachinesError::Io { path: path.to_path_buf(), source }
}
