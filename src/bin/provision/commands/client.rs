//! `provision client` and `provision env`.

use std::process::ExitCode;

use crate::cli::{ClientArgs, EnvArgs};
use provision::desired::sh_quote;
use provision::ops::Context;
use provision::ops::client::{self as op, Terminal};

/// Runs `provision client`: the tool's own exit code.
pub fn client(args: &ClientArgs) -> anyhow::Result<ExitCode> {
    let ctx = Context::open(&args.inventory)?;
    let (mut input, mut out, mut err) = (std::io::stdin().lock(), std::io::stdout().lock(), std::io::stderr());
    let term = Terminal { input: &mut input, out: &mut out, err: &mut err };
    let code = op::run(&ctx, args.tool, &args.args, term)?;
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

/// Runs `provision env`: writes the launchers, then prints the exports.
pub fn env(args: &EnvArgs) -> anyhow::Result<ExitCode> {
    let e = op::env(&Context::open(&args.inventory)?)?;
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
