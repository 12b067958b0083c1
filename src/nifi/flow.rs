//! The pipeline's flow on NiFi, as data: one process group holding the input port the crawler
//! host sends each hour to, then `provision pipeline accept` run on the NiFi host for the hour
//! (landing, Hive, the mart, the ledger), routed on its exit status: failures logged as
//! warnings (bulletins) and retried with back-off, then logged as errors and parked in a folder;
//! successes logged.
//!
//! Pure: [`desired`] builds it from the inventory and how provision runs on the NiFi host, and
//! [`Flow::digest`] names what was deployed, so a second `up` can tell it is there already.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The process group's name.
pub const GROUP: &str = "gmarket pipeline";

/// The input port the crawler host sends each hour to.
pub const INPUT_PORT: &str = "hours";

/// The attributes an hour travels with.
pub const HOUR_ATTRIBUTE: &str = "hour";
/// Seconds its crawl took.
pub const CRAWL_SECONDS_ATTRIBUTE: &str = "crawl.seconds";
/// When it was handed to NiFi, in milliseconds since the epoch.
pub const HANDED_AT_ATTRIBUTE: &str = "handed.at";

/// Where the flow's left column is drawn: clear of the palettes NiFi's UI opens on the left.
pub const LEFT: f64 = 200.0;

/// How many times a failed hour is tried again before it is parked.
pub const RETRIES: u32 = 5;

/// A processor of the flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Processor {
    /// Its key within the flow, for connections.
    pub key: &'static str,
    /// Its Java type.
    pub kind: &'static str,
    /// Its name on the canvas.
    pub name: &'static str,
    /// Its properties.
    pub properties: BTreeMap<String, String>,
    /// Relationships that end the flow file.
    pub auto_terminated: Vec<&'static str>,
    /// How long a flow file it penalizes waits.
    pub penalty: &'static str,
    /// Where it is drawn.
    pub position: (f64, f64),
}

/// A connection: from the input port or a processor (by key), for some relationships.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Connection {
    /// The source's key ([`INPUT_PORT`] for the port).
    pub from: &'static str,
    /// The destination's key.
    pub to: &'static str,
    /// The source's relationships it carries (none for a port).
    pub relationships: Vec<&'static str>,
}

/// The whole flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    /// The input port's position.
    pub port_position: (f64, f64),
    /// The processors.
    pub processors: Vec<Processor>,
    /// The connections.
    pub connections: Vec<Connection>,
}

/// How provision runs on the NiFi host for an hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept {
    /// The `provision` binary.
    pub binary: String,
    /// The inventory it reads.
    pub inventory: String,
    /// `PROVISION_STATE_DIR` for it, where its secrets are (none: the inventory's state folder).
    pub state: Option<String>,
    /// `HADOOP_USER_NAME` for it: the user the hour lands in HDFS as (none: NiFi's own).
    pub hdfs_user: Option<String>,
    /// The folder failed hours are parked in, one folder per hour.
    pub parked: String,
}

impl Flow {
    /// The digest of the flow, kept in the deployed group's comments.
    pub fn digest(&self) -> String {
        let text = serde_json::to_string(self).expect("json");
        hex::encode(Sha256::digest(text.as_bytes()))[..16].to_string()
    }

    /// The comments of a group holding this flow.
    pub fn marker(&self) -> String {
        format!("Deployed by provision; edit the inventory, not this group. flow {}", self.digest())
    }
}

fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The flow for running `accept` on the NiFi host.
pub fn desired(accept: &Accept) -> Flow {
    let arguments = ["pipeline", "accept", "--inventory", &accept.inventory]
        .iter()
        .map(|s| s.to_string())
        .chain([
            "--at".to_string(),
            format!("${{{HOUR_ATTRIBUTE}}}"),
            "--crawl-seconds".to_string(),
            format!("${{{CRAWL_SECONDS_ATTRIBUTE}:replaceEmpty('0')}}"),
            "--handed-at".to_string(),
            format!("${{{HANDED_AT_ATTRIBUTE}}}"),
        ])
        .collect::<Vec<_>>()
        .join(";");
    let mut run = props(&[
        ("Command Path", &accept.binary),
        ("Command Arguments", &arguments),
        ("Argument Delimiter", ";"),
        ("Ignore STDIN", "false"),
        // The command's output goes into an attribute, so the flow file keeps the hour's CSV
        // for a retry, and leaves by `original` with `execution.status`.
        ("Output Destination Attribute", "execution.output"),
        ("Max Attribute Length", "4000"),
    ]);
    if let Some(state) = &accept.state {
        // A dynamic property of ExecuteStreamCommand is an environment variable of the command.
        run.insert("PROVISION_STATE_DIR".into(), state.clone());
    }
    if let Some(user) = &accept.hdfs_user {
        run.insert("HADOOP_USER_NAME".into(), user.clone());
    }
    let log = |level: &str, message: &str| {
        props(&[("log-level", level), ("log-prefix", "gmarket pipeline: "), ("log-message", message)])
    };
    let processors = vec![
        Processor {
            key: "accept",
            kind: "org.apache.nifi.processors.standard.ExecuteStreamCommand",
            name: "land, make queryable and load the hour",
            properties: run,
            auto_terminated: vec![],
            penalty: "30 sec",
            position: (LEFT, 200.0),
        },
        Processor {
            key: "route",
            kind: "org.apache.nifi.processors.standard.RouteOnAttribute",
            name: "did it succeed?",
            properties: props(&[
                ("Routing Strategy", "Route to Property name"),
                ("succeeded", "${execution.status:equals('0')}"),
            ]),
            auto_terminated: vec![],
            penalty: "30 sec",
            position: (LEFT, 400.0),
        },
        Processor {
            key: "done",
            kind: "org.apache.nifi.processors.standard.LogMessage",
            name: "the hour is in the mart",
            properties: log("info", "${hour} is in the mart"),
            auto_terminated: vec!["success"],
            penalty: "30 sec",
            position: (LEFT, 600.0),
        },
        Processor {
            key: "attempt failed",
            kind: "org.apache.nifi.processors.standard.LogMessage",
            name: "an attempt failed",
            properties: log(
                "warn",
                "${hour} failed (attempt ${flowfile.retries:replaceEmpty('0'):plus(1)}): ${execution.error}",
            ),
            auto_terminated: vec![],
            penalty: "30 sec",
            position: (LEFT + 420.0, 200.0),
        },
        Processor {
            key: "retry",
            kind: "org.apache.nifi.processors.standard.RetryFlowFile",
            name: "try again after a pause",
            properties: props(&[
                ("maximum-retries", &RETRIES.to_string()),
                ("penalize-retries", "true"),
                ("retry-attribute", "flowfile.retries"),
            ]),
            auto_terminated: vec![],
            penalty: "30 sec",
            position: (LEFT + 420.0, 400.0),
        },
        Processor {
            key: "failed",
            kind: "org.apache.nifi.processors.standard.LogMessage",
            name: "the hour failed for good",
            properties: log("error", "${hour} failed after every retry and is parked: ${execution.output}"),
            auto_terminated: vec![],
            penalty: "30 sec",
            position: (LEFT + 840.0, 400.0),
        },
        Processor {
            key: "park",
            kind: "org.apache.nifi.processors.standard.PutFile",
            name: "park the hour",
            properties: props(&[
                // Whatever the hour attribute holds, one folder below the parked one.
                ("Directory", &format!("{}/${{{HOUR_ATTRIBUTE}:replaceAll('[^0-9T-]', '_')}}", accept.parked)),
                ("Conflict Resolution Strategy", "replace"),
                ("Create Missing Directories", "true"),
            ]),
            auto_terminated: vec!["success", "failure"],
            penalty: "30 sec",
            position: (LEFT + 840.0, 600.0),
        },
    ];
    let connect =
        |from, to, relationships: &[&'static str]| Connection { from, to, relationships: relationships.to_vec() };
    let connections = vec![
        connect(INPUT_PORT, "accept", &[]),
        connect("accept", "route", &["original"]),
        connect("route", "done", &["succeeded"]),
        connect("route", "attempt failed", &["unmatched"]),
        connect("attempt failed", "retry", &["success"]),
        connect("retry", "accept", &["retry"]),
        connect("retry", "failed", &["retries_exceeded", "failure"]),
        connect("failed", "park", &["success"]),
    ];
    Flow { port_position: (LEFT, 40.0), processors, connections }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept() -> Accept {
        Accept {
            binary: "/usr/local/bin/provision".into(),
            inventory: "/etc/provision/inventory.toml".into(),
            state: Some("/var/lib/provision".into()),
            hdfs_user: Some("crawler".into()),
            parked: "/data/nifi/parked".into(),
        }
    }

    #[test]
    fn every_relationship_of_the_flow_goes_somewhere_and_every_connection_joins_known_ends() {
        let f = desired(&accept());
        let relationships: BTreeMap<&str, &[&str]> = BTreeMap::from([
            ("accept", &["original"][..]),
            ("route", &["succeeded", "unmatched"][..]),
            ("done", &["success"][..]),
            ("attempt failed", &["success"][..]),
            ("retry", &["retry", "retries_exceeded", "failure"][..]),
            ("failed", &["success"][..]),
            ("park", &["success", "failure"][..]),
        ]);
        for p in &f.processors {
            for r in relationships[p.key] {
                let routed = f.connections.iter().any(|c| c.from == p.key && c.relationships.contains(r));
                assert!(routed ^ p.auto_terminated.contains(r), "{}: {r} is routed once", p.key);
            }
        }
        for c in &f.connections {
            assert!(c.from == INPUT_PORT || relationships.contains_key(c.from), "{}", c.from);
            assert!(relationships.contains_key(c.to), "{}", c.to);
        }
    }

    #[test]
    fn the_hour_reaches_provision_as_one_argument_and_its_secrets_through_the_environment() {
        let f = desired(&accept());
        let run = &f.processors[0].properties;
        let args: Vec<&str> = run["Command Arguments"].split(run["Argument Delimiter"].as_str()).collect();
        assert_eq!(
            args,
            [
                "pipeline",
                "accept",
                "--inventory",
                "/etc/provision/inventory.toml",
                "--at",
                "${hour}",
                "--crawl-seconds",
                "${crawl.seconds:replaceEmpty('0')}",
                "--handed-at",
                "${handed.at}"
            ]
        );
        assert_eq!(run["PROVISION_STATE_DIR"], "/var/lib/provision");
        assert_eq!(run["HADOOP_USER_NAME"], "crawler");
        let local = desired(&Accept { state: None, hdfs_user: None, ..accept() });
        assert!(!local.processors[0].properties.contains_key("PROVISION_STATE_DIR"));
        assert_ne!(local.digest(), f.digest(), "a changed flow has another digest");
        assert_eq!(desired(&accept()).digest(), f.digest());
    }
}
