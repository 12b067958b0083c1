//! Waits: a step that polls a shell check until it succeeds, and the checks of the whole
//! cluster that the order of `up` waits for (one active NameNode, every DataNode and NodeManager
//! registered).

use std::time::Duration;

use crate::desired::sh_quote;
use crate::engine::steps::Step;
use crate::model::{Cluster, Host, Service};
use crate::services::probe::{FS_NAMESYSTEM_STATE, NAMENODE_STATUS};

/// Seconds a daemon gets to become ready: generous, because the chains of `up` start many
/// JVMs at once, and a busy machine may take minutes over them; a daemon that exits instead
/// fails its wait at once where a pid file lets the wait watch it.
pub(super) const READY_SECONDS: u32 = 300;

/// A step that waits until `service` on `h` is ready, by its readiness probe, for up to
/// [`READY_SECONDS`].
pub(super) fn ready(c: &Cluster, h: &Host, service: Service) -> Step {
    ready_within(c, h, service, READY_SECONDS)
}

/// [`ready`] within `seconds`; where the daemon's process can be watched (a pid file), the wait
/// fails as soon as it is gone rather than at the end.
pub(super) fn ready_within(c: &Cluster, h: &Host, service: Service, seconds: u32) -> Step {
    let r = crate::services::ready(h, service);
    let alive = crate::services::supervisor(c, h, service).alive_check();
    let gone = alive.map(|alive| {
        let message = format!("{} on {} is not running (it exited or was stopping)", service.name(), h.name);
        format!("if ! {{ {alive}; }}; then echo {} >&2; exit 1; fi; ", sh_quote(&message))
    });
    poll(&r.what, &r.probe.shell(), gone.as_deref().unwrap_or(""), seconds)
}

/// A step that polls `check` until it succeeds (failing after [`READY_SECONDS`]); nothing to do
/// when it already succeeds.
pub(super) fn wait(what: &str, check: &str) -> Step {
    poll(what, check, "", READY_SECONDS)
}

/// A step that polls `check` for up to `seconds`, running `each` (shell that may fail the step)
/// before every try but the first.
fn poll(what: &str, check: &str, each: &str, seconds: u32) -> Step {
    let ticks = seconds * 2;
    Step::Run {
        name: format!("wait: {what}"),
        command: format!(
            "i=0; until {{ {check}; }}; do {each}i=$((i+1)); if [ $i -ge {ticks} ]; then echo {} >&2; exit 1; fi; sleep 0.5; done",
            sh_quote(&format!("not ready after {seconds}s: {what}"))
        ),
        unless: Some(check.to_string()),
        timeout: Duration::from_secs(u64::from(seconds) + 30),
    }
}

/// `json_source` prints JSON whose integer `field` is at least `n`.
pub(super) fn at_least(json_source: &str, field: &str, n: usize) -> String {
    format!("v=$({json_source} | sed -n 's/.*\"{field}\" *: *\\([0-9]*\\).*/\\1/p'); [ \"${{v:-0}}\" -ge {n} ]")
}

/// Shell that succeeds when one of `nns` is the active NameNode, with `$a` set to its web
/// address (`http://host:port`).
pub(super) fn one_active(nns: &[&Host]) -> String {
    let urls: Vec<String> =
        nns.iter().map(|n| sh_quote(&format!("http://{}:{}", n.address, n.ports.namenode_http))).collect();
    format!(
        "a=''; for u in {}; do curl -sf --max-time 2 \"$u/jmx?qry={NAMENODE_STATUS}\" | grep -Eq '\"State\" *: *\"active\"' && a=$u; done; [ -n \"$a\" ]",
        urls.join(" ")
    )
}

pub(super) fn live_datanodes(nn: &Host, n: usize) -> String {
    let url = format!("http://{}:{}/jmx?qry={FS_NAMESYSTEM_STATE}", nn.address, nn.ports.namenode_http);
    at_least(&format!("curl -sf --max-time 2 {}", sh_quote(&url)), "NumLiveDataNodes", n)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn a_wait_for_a_daemon_of_a_pid_file_ends_as_soon_as_it_is_gone() {
        // The local topology on addresses and in a folder no run uses: nothing answers there.
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/local.toml"))
            .unwrap()
            .replace("127.0.10.", "127.0.99.");
        let inventory = dir.path().join("waits.toml");
        std::fs::write(&inventory, &text).unwrap();
        let c = crate::inventory::load(&inventory).unwrap();
        let nn01 = c.host("nn01").unwrap();
        let Step::Run { command, .. } = ready_within(&c, nn01, Service::Nifi, 30) else { panic!("a wait runs shell") };
        let out = std::process::Command::new("sh").arg("-c").arg(&command).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("nifi on nn01 is not running"), "{stderr}");
        assert!(!stderr.contains("not ready after"), "it waited to the end: {stderr}");

        // Under systemd, whose units restart by themselves, the wait polls the probe alone.
        let machines =
            crate::inventory::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/machines.toml"))).unwrap();
        let nn01 = machines.host("nn01").unwrap();
        let Step::Run { command, .. } = ready_within(&machines, nn01, Service::Nifi, 30) else { panic!("shell") };
        assert!(!command.contains("is not running") && command.contains("not ready after 30s"), "{command}");
    }
}
