//! Every shell command `provision` sends to a host passes shellcheck (POSIX sh): each step's
//! fact and action, the batched facts of each phase, for every inventory, up and down.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use provision::engine::steps::facts_script;
use provision::plan;

use crate::support::render;

fn commands(inv: &str) -> BTreeSet<String> {
    let (c, tree) = render(inv);
    let artifacts = provision::artifacts::needed(&c, std::path::Path::new("/var/cache/provision"));
    let mut out = BTreeSet::new();
    for phase in plan::up(&c, &tree, &artifacts, None).into_iter().chain(plan::down(&c, true)) {
        for steps in phase.hosts.values() {
            out.insert(facts_script(steps));
            for s in steps {
                out.insert(s.fact());
                out.insert(s.action());
            }
        }
    }
    out
}

fn shellcheck(script: &str) -> Result<(), String> {
    let mut child = Command::new("shellcheck")
        .args(["--shell=sh", "--severity=warning", "--format=gcc", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("shellcheck (apt-get install shellcheck)");
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stdout).into_owned()) }
}

#[test]
fn every_command_sent_to_a_host_passes_shellcheck() {
    assert!(shellcheck("if [ \"$x\" = 1 ] then echo; fi").is_err(), "shellcheck must reject broken shell");
    let mut failures = Vec::new();
    let mut n = 0;
    for inv in ["inventory/cluster.toml", "inventory/local.toml"] {
        for cmd in commands(inv) {
            n += 1;
            if let Err(e) = shellcheck(&cmd) {
                failures.push(format!("{inv}:\n{cmd}\n{e}"));
            }
        }
    }
    assert!(n > 100, "only {n} commands");
    assert!(failures.is_empty(), "{} of {n} commands fail shellcheck:\n{}", failures.len(), failures.join("\n\n"));
}
