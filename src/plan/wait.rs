//! Waits: a step that polls a shell check until it succeeds, and the checks of the whole
//! cluster that the order of `up` waits for (one active NameNode, every DataNode and NodeManager
//! registered).

use std::time::Duration;

use crate::desired::sh_quote;
use crate::engine::steps::Step;
use crate::model::Host;

/// Seconds a daemon gets to become ready.
pub(super) const READY_SECONDS: u32 = 120;

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

/// Something accepts TCP connections at `address`:`port`.
pub(super) fn tcp_open(address: &str, port: u16) -> String {
    format!("bash -c 'exec 3<>/dev/tcp/{address}/{port}' 2>/dev/null")
}

pub(super) fn http_ok(url: &str) -> String {
    format!("curl -sf -o /dev/null --max-time 2 {}", sh_quote(url))
}

/// `json_source` prints JSON whose integer `field` is at least `n`.
pub(super) fn at_least(json_source: &str, field: &str, n: usize) -> String {
    format!("v=$({json_source} | sed -n 's/.*\"{field}\" *: *\\([0-9]*\\).*/\\1/p'); [ \"${{v:-0}}\" -ge {n} ]")
}

pub(super) fn zookeeper_in_quorum(h: &Host) -> String {
    format!(
        "bash -c 'exec 3<>/dev/tcp/{}/{} && printf srvr >&3 && cat <&3' 2>/dev/null | grep -Eq '^Mode: (leader|follower|standalone)'",
        h.address, h.ports.zookeeper_client
    )
}

pub(super) fn namenode_state_url(nn: &Host) -> String {
    format!("http://{}:{}/jmx?qry=Hadoop:service=NameNode,name=NameNodeStatus", nn.address, nn.ports.namenode_http)
}

pub(super) fn wait_namenode(nn: &Host) -> Step {
    wait(
        &format!("NameNode {} answering", nn.name),
        &format!(
            "curl -sf --max-time 2 {} | grep -Eq '\"State\" *: *\"(active|standby)\"'",
            sh_quote(&namenode_state_url(nn))
        ),
    )
}

pub(super) fn one_active(nns: &[&Host]) -> String {
    let urls: Vec<String> = nns.iter().map(|n| sh_quote(&namenode_state_url(n))).collect();
    format!(
        "a=''; for u in {}; do curl -sf --max-time 2 \"$u\" | grep -Eq '\"State\" *: *\"active\"' && a=1; done; [ -n \"$a\" ]",
        urls.join(" ")
    )
}

pub(super) fn live_datanodes(nn: &Host, n: usize) -> String {
    let url = format!(
        "http://{}:{}/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState",
        nn.address, nn.ports.namenode_http
    );
    at_least(&format!("curl -sf --max-time 2 {}", sh_quote(&url)), "NumLiveDataNodes", n)
}
