//! `client` and `env`: the cluster's own clients run with its configuration, and a shell's
//! environment with a launcher for each.

use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;

use super::{Context, SecretsPolicy};
use crate::client::{self, Environment, Invocation, Tool};
use crate::engine::transport;
use crate::hive::client::Session;
use crate::model::{Cluster, Transport};
use crate::services::Launch;

/// How long a client may run on a remote host.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(600);

/// Where a client's input comes from and its output goes.
pub struct Terminal<'a> {
    /// Statements for Hive when no `-e` or `-f` names them.
    pub input: &'a mut dyn Read,
    /// Its output.
    pub out: &'a mut dyn Write,
    /// Its errors.
    pub err: &'a mut dyn Write,
}

/// Runs `tool` with `args` against the cluster; returns the tool's exit code. Programs on this
/// machine share the terminal; a remote host's output is written to `term` once it is done.
pub fn run(ctx: &Context, tool: Tool, args: &[String], term: Terminal) -> anyhow::Result<i32> {
    let c = &ctx.cluster;
    match client::invocation(c, tool, args)? {
        Invocation::OnHost { host, launch } => on_host(c, &host, &launch, term),
        Invocation::Hive { address } => hive(c, &address, args, term),
        Invocation::Psql(command) => psql(ctx, &command),
    }
}

/// A Java client on its host: on this machine with the terminal's input and output, else
/// through the host's transport.
fn on_host(c: &Cluster, host: &str, launch: &Launch, term: Terminal) -> anyhow::Result<i32> {
    let line = launch.shell(None);
    if c.transport == Transport::Local {
        let status = Command::new("sh").arg("-c").arg(&line).status().context("starting sh")?;
        return Ok(status.code().unwrap_or(1));
    }
    let mut t = transport::open(c, host, false)?;
    let out = t.exec(&line, None, REMOTE_TIMEOUT)?;
    term.out.write_all(&out.stdout)?;
    term.err.write_all(&out.stderr)?;
    Ok(out.code)
}

/// psql to the mart, its password passed in the environment.
fn psql(ctx: &Context, command: &[String]) -> anyhow::Result<i32> {
    let secrets = ctx.secrets(SecretsPolicy::Load)?.secrets;
    let status = Command::new(&command[0])
        .args(&command[1..])
        .env("PGPASSWORD", &secrets.mart_password)
        .status()
        .with_context(|| format!("starting {} (apt-get install postgresql-client)", command[0]))?;
    Ok(status.code().unwrap_or(1))
}

/// Hive SQL through HiveServer2: `-e SQL`, `-f FILE`, or statements from the input; each
/// result written as tab-separated lines under its column names.
fn hive(c: &Cluster, address: &str, args: &[String], term: Terminal) -> anyhow::Result<i32> {
    let text = match args {
        [flag, sql] if flag == "-e" => sql.clone(),
        [flag, file] if flag == "-f" => std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?,
        [] => {
            let mut s = String::new();
            term.input.read_to_string(&mut s).context("reading statements from standard input")?;
            s
        }
        _ => anyhow::bail!("hive takes -e SQL, -f FILE, or statements on standard input"),
    };
    let mut session = Session::open(address, &c.users.hive, Duration::from_secs(30))?;
    let out = term.out;
    for statement in client::statements(&text) {
        let mut header = false;
        session.query(&statement, Duration::from_secs(600), 1000, |batch| {
            let mut w = |line: String| writeln!(out, "{line}").map_err(|e| e.to_string());
            if !header && !batch.columns.is_empty() {
                w(batch.columns.join("\t"))?;
                header = true;
            }
            for row in batch.rows {
                w(row.into_iter().map(|v| v.unwrap_or_else(|| "NULL".into())).collect::<Vec<_>>().join("\t"))?;
            }
            Ok(())
        })?;
    }
    Ok(0)
}

/// Writes a launcher for each tool, running this `provision` with the context's inventory, and
/// returns the environment that puts them first on `PATH`.
pub fn env(ctx: &Context) -> anyhow::Result<Environment> {
    let c = &ctx.cluster;
    let binary = std::env::current_exe().context("finding the provision executable")?;
    let inventory = std::path::absolute(&ctx.inventory)?;
    let path = std::env::var("PATH").unwrap_or_default();
    let e = client::environment(c, &binary.to_string_lossy(), &inventory.to_string_lossy(), &path);
    crate::state::create(&c.state_dir).with_context(|| format!("creating {}", c.state_dir.display()))?;
    std::fs::create_dir_all(&e.bin).with_context(|| format!("creating {}", e.bin.display()))?;
    for (name, script) in &e.launchers {
        let file = e.bin.join(name);
        std::fs::write(&file, script).with_context(|| format!("writing {}", file.display()))?;
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    }
    Ok(e)
}
