//! The Hadoop passes: `[hdfs]`'s replication and fencing methods, and `[yarn]`'s NodeManager size.

use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::{HdfsSection, YarnSection};
use crate::model::{Hdfs, UserName, Yarn};

/// Checks `[hdfs]` for a cluster of `datanodes` DataNodes; `nameservice` is the checked one.
pub(super) fn hdfs(
    section: &HdfsSection,
    nameservice: Option<String>,
    datanodes: u64,
    sink: &mut Sink,
) -> Option<Hdfs> {
    let HdfsSection { replication, fencing } = section;
    let replication = match replication {
        None => Some(3.min(datanodes.max(1)) as u32),
        Some(r) if r.value == 0 => {
            sink.push(Diagnostic::new("hdfs.replication", r.span.clone(), "replication must be at least 1"));
            None
        }
        Some(r) if r.value > datanodes && datanodes > 0 => {
            sink.push(
                Diagnostic::new(
                    "hdfs.replication",
                    r.span.clone(),
                    format!("replication {} is above the {datanodes} DataNodes", r.value),
                )
                .hint(format!("lower it to at most {datanodes}, or add DataNodes")),
            );
            None
        }
        Some(r) => u32::try_from(r.value).ok(),
    };
    let fencing = match fencing {
        None => Some(vec!["shell(/bin/true)".to_string()]),
        Some(list) if list.value.is_empty() => {
            sink.push(
                Diagnostic::new("hdfs.fencing", list.span.clone(), "no fencing method")
                    .hint("give at least one, e.g. [\"shell(/bin/true)\"]"),
            );
            None
        }
        Some(list) => {
            let mut ok = true;
            for (i, m) in list.value.iter().enumerate() {
                if !fencing_method(&m.value) {
                    ok = false;
                    sink.push(
                        Diagnostic::new(
                            format!("hdfs.fencing[{i}]"),
                            m.span.clone(),
                            format!("unknown fencing method {:?}", m.value),
                        )
                        .hint("use sshfence, sshfence(user:port) or shell(command of letters, digits, spaces and / . _ = : , + -)"),
                    );
                }
            }
            ok.then(|| list.value.iter().map(|m| m.value.clone()).collect())
        }
    };
    Some(Hdfs { nameservice, replication: replication?, fencing: fencing? })
}

/// Checks `[yarn]`: what each NodeManager offers, 2048 MiB and 2 vcores when not written.
pub(super) fn yarn(section: &YarnSection, sink: &mut Sink) -> Option<Yarn> {
    let YarnSection { nodemanager_memory_mb, nodemanager_vcores } = section;
    let nodemanager_memory_mb = super::positive(sink, "yarn.nodemanager_memory_mb", nodemanager_memory_mb, 2048);
    let nodemanager_vcores = super::positive(sink, "yarn.nodemanager_vcores", nodemanager_vcores, 2);
    Some(Yarn { nodemanager_memory_mb: nodemanager_memory_mb?, nodemanager_vcores: nodemanager_vcores? })
}

/// Whether `m` is a fencing method HDFS knows, in a form that stays one line of
/// hdfs-site.xml: `sshfence`, `sshfence(user:port)` or `shell(command)` of plain characters.
fn fencing_method(m: &str) -> bool {
    if m == "sshfence" {
        return true;
    }
    if let Some(arg) = m.strip_prefix("sshfence(").and_then(|r| r.strip_suffix(')')) {
        let (user, port) = arg.split_once(':').unwrap_or((arg, "22"));
        return UserName::parse(user).is_ok() && port.parse::<u16>().is_ok_and(|p| p > 0);
    }
    m.strip_prefix("shell(").and_then(|r| r.strip_suffix(')')).is_some_and(|cmd| {
        !cmd.trim().is_empty()
            && cmd
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '/' | '.' | '_' | '=' | ':' | ',' | '+' | '-'))
    })
}
