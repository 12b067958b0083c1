//! The verification report as Markdown, to attach to a bug report: the topology, every
//! check with its result, time and figure, the first failure in full, and every daemon's state.

use std::fmt::Write;

use super::Report;
use crate::model::Cluster;

/// A Markdown table cell: no line breaks, no bare pipes.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown.
pub fn markdown(c: &Cluster, r: &Report) -> String {
    let mut out = String::new();
    let verdict = if r.ok() { "PASSED" } else { "FAILED" };
    let _ = writeln!(out, "# provision verify: {} {verdict}\n", r.cluster);
    let _ = writeln!(out, "Started {}.\n", r.started_at);
    let _ = writeln!(out, "## Topology\n\n| host | address | roles |\n|---|---|---|");
    for h in &c.hosts {
        let roles: Vec<&str> = h.roles.iter().map(|r| r.name()).collect();
        let _ = writeln!(out, "| {} | {} | {} |", h.name, h.address, roles.join(", "));
    }
    let _ = writeln!(out, "\n## Checks\n\n| check | result | seconds | figure |\n|---|---|---|---|");
    for k in &r.checks {
        let result = if k.ok { "ok" } else { "FAILED" };
        let _ = writeln!(out, "| {} | {result} | {:.2} | {} |", k.name, k.seconds, cell(&k.figure));
    }
    for name in &r.skipped {
        let _ = writeln!(out, "| {name} | not run | | |");
    }
    if let Some(e) = r.failure() {
        let _ = writeln!(
            out,
            "\n## Failure\n\n- check: {}\n- expected: {}\n- found: {}\n- look at: {}",
            e.check, e.expected, e.found, e.look
        );
    }
    if let Some(h) = &r.health {
        let _ = writeln!(out, "\n## Daemons\n\n| host | service | endpoint | state | detail |\n|---|---|---|---|---|");
        for k in &h.checks {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                k.host,
                k.service,
                k.endpoint,
                k.state(),
                cell(&k.described())
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Outcome, fail};

    #[test]
    fn a_failed_verification_reads_as_such_with_the_failure_in_full() {
        let c =
            crate::inventory::load(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/inventory/local.toml")))
                .unwrap();
        let ok = Outcome {
            name: "health",
            ok: true,
            seconds: 0.5,
            figure: "21 daemons up | all".into(),
            failure: None,
            data: serde_json::Value::Null,
        };
        let failed = Outcome {
            name: "hdfs",
            ok: false,
            seconds: 1.0,
            figure: String::new(),
            failure: Some(fail("HDFS block replication", "every block on 3 DataNodes", "[2]", "the NameNode log")),
            data: serde_json::Value::Null,
        };
        let r = Report {
            cluster: c.name.clone(),
            started_at: "now".into(),
            checks: vec![ok, failed],
            skipped: vec!["pipeline", "zookeeper"],
            health: None,
            file: None,
        };
        assert!(!r.ok());
        let md = markdown(&c, &r);
        assert!(md.starts_with("# provision verify: gmarket-local FAILED"), "{md}");
        assert!(md.contains("| nn01 | 127.0.10.1 | "), "{md}");
        assert!(md.contains("| health | ok | 0.50 | 21 daemons up \\| all |"), "{md}");
        assert!(md.contains("| hdfs | FAILED | 1.00 |"), "{md}");
        assert!(md.contains("| pipeline | not run |"), "{md}");
        assert!(
            md.contains("- expected: every block on 3 DataNodes\n- found: [2]\n- look at: the NameNode log"),
            "{md}"
        );
    }
}
