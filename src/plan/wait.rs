//! Waits: a step that polls a shell check until it succeeds, and the checks of the whole
//! cluster that the order of `up` waits for (one active NameNode, every DataNode and NodeManager
//! registered).

use std::time::Duration;

use crate::desired::sh_quote;
use crate::engine::steps::Step;
use crate::model::{Host, Service};
use crate::services::probe::{FS_NAMESYSTEM_STATE, NAMENODE_STATUS};

/// Seconds a daemon gets to become ready.
pub(super) const READY_SECONDS: u32 = 120;

/// A step that waits until `service` on `h` is ready, by its readiness probe.
pub(super) fn ready(h: &Host, service: Service) -> Step {
    let r = crate::services::ready(h, service);
    wait(&r.what, &r.probe.shell())
}

/// A step that polls `check` until it succeeds (failing after [`READY_SECONDS`]); nothing to do
/// when it already succeeds.
pub(super) fn wait(what: &str, check: &str) -> Step {
    wait_for(what, check, READY_SECONDS)
}

/// [`wait`] with a limit of `seconds`.
pub(super) fn wait_for(what: &str, check: &str, seconds: u32) -> Step {
    let ticks = seconds * 2;
    Step::Run {
        name: format!("wait: {what}"),
        command: format!(
            "i=0; until {{ {check}; }}; do i=$((i+1)); if [ $i -ge {ticks} ]; then echo {} >&2; exit 1; fi; sleep 0.5; done",
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

pub(super) fn namenode_state_url(nn: &Host) -> String {
    format!("http://{}:{}/jmx?qry={NAMENODE_STATUS}", nn.address, nn.ports.namenode_http)
}

pub(super) fn one_active(nns: &[&Host]) -> String {
    let urls: Vec<String> = nns.iter().map(|n| sh_quote(&namenode_state_url(n))).collect();
    format!(
        "a=''; for u in {}; do curl -sf --max-time 2 \"$u\" | grep -Eq '\"State\" *: *\"active\"' && a=1; done; [ -n \"$a\" ]",
        urls.join(" ")
    )
}

pub(super) fn live_datanodes(nn: &Host, n: usize) -> String {
    let url = format!("http://{}:{}/jmx?qry={FS_NAMESYSTEM_STATE}", nn.address, nn.ports.namenode_http);
    at_least(&format!("curl -sf --max-time 2 {}", sh_quote(&url)), "NumLiveDataNodes", n)
}
