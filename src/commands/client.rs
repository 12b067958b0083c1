//! `provision client` and `provision env`: the cluster's own clients, run with its
//! configuration.

use std::io::{Read, Write};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::Context;

use crate::cli::{ClientArgs, EnvArgs};
use crate::client::{self, Invocation};
use crate::desired::sh_quote;
use crate::engine::transport;
use crate::hive::client::Session;
use crate::inventory;
use crate::model::{Cluster, Transport};
use crate::services::launch::Launch;

/// How long a client may run on a remote host.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(600);

/// The exit code of a finished program, for ours.
fn code(c: i32) -> ExitCode {
    ExitCode::from(u8::try_from(c).unwrap_or(1))
}

/// Runs `provision client`.
pub fn client(args: &ClientArgs) -> anyhow::Result<ExitCode> {
    let c = inventory::load(&args.inventory)?;
    match client::invocation(&c, args.tool, &args.args)? {
        Invocation::OnHost { host, launch } => on_host(&c, &host, &launch),
        Invocation::Hive { address } => hive(&c, &address, &args.args),
        Invocation::Psql(command) => psql(&c, &command),
    }
}

/// A Java client on its host: on this machine with the terminal's input and output, else
/// through the host's transport (output once it is done).
fn on_host(c: &Cluster, host: &str, launch: &Launch) -> anyhow::Result<ExitCode> {
    let line = launch.shell(None);
    if c.transport == Transport::Local {
        let status = Command::new("sh").arg("-c").arg(&line).status().context("starting sh")?;
        return Ok(code(status.code().unwrap_or(1)));
    }
    let mut t = transport::open(c, host, false)?;
    let out = t.exec(&line, None, REMOTE_TIMEOUT)?;
    std::io::stdout().write_all(&out.stdout)?;
    std::io::stderr().write_all(&out.stderr)?;
    Ok(code(out.code))
}

/// psql to the mart, its password passed in the environment.
fn psql(c: &Cluster, command: &[String]) -> anyhow::Result<ExitCode> {
    let secrets = super::pipeline::secrets(c)?;
    let status = Command::new(&command[0])
        .args(&command[1..])
        .env("PGPASSWORD", &secrets.mart_password)
        .status()
        .with_context(|| format!("starting {} (apt-get install postgresql-client)", command[0]))?;
    Ok(code(status.code().unwrap_or(1)))
}

/// Hive SQL through HiveServer2: `-e SQL`, `-f FILE`, or statements on standard input; each
/// result printed as tab-separated lines under its column names.
fn hive(c: &Cluster, address: &str, args: &[String]) -> anyhow::Result<ExitCode> {
    let text = match args {
        [flag, sql] if flag == "-e" => sql.clone(),
        [flag, file] if flag == "-f" => std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?,
        [] => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).context("reading statements from standard input")?;
            s
        }
        _ => anyhow::bail!("hive takes -e SQL, -f FILE, or statements on standard input"),
    };
    let mut session = Session::open(address, &c.users.hive, Duration::from_secs(30))?;
    let mut out = std::io::stdout().lock();
    for statement in client::statements(&text) {
        let mut header = false;
        session.query(&statement, Duration::from_secs(600), 1000, |batch| {
            let w = |out: &mut std::io::StdoutLock, line: String| writeln!(out, "{line}").map_err(|e| e.to_string());
            if !header && !batch.columns.is_empty() {
                w(&mut out, batch.columns.join("\t"))?;
                header = true;
            }
            for row in batch.rows {
                w(
                    &mut out,
                    row.into_iter().map(|v| v.unwrap_or_else(|| "NULL".into())).collect::<Vec<_>>().join("\t"),
                )?;
            }
            Ok(())
        })?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `provision env`: writes the launchers, then prints the exports.
pub fn env(args: &EnvArgs) -> anyhow::Result<ExitCode> {
    let c = inventory::load(&args.inventory)?;
    let binary = std::env::current_exe().context("finding the provision executable")?;
    let inventory = std::path::absolute(&args.inventory)?;
    let path = std::env::var("PATH").unwrap_or_default();
    let e = client::environment(&c, &binary.to_string_lossy(), &inventory.to_string_lossy(), &path);
    crate::state::create(&c.state_dir).with_context(|| format!("creating {}", c.state_dir.display()))?;
    std::fs::create_dir_all(&e.bin).with_context(|| format!("creating {}", e.bin.display()))?;
    for (name, script) in &e.launchers {
        let file = e.bin.join(name);
        std::fs::write(&file, script).with_context(|| format!("writing {}", file.display()))?;
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    }
    if args.json {
        let doc: serde_json::Map<String, serde_json::Value> =
            e.exports.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        for (k, v) in &e.exports {
            println!("export {k}={}", sh_quote(v));
        }
    }
    Ok(ExitCode::SUCCESS)
}
