//! The roles pass: the HA nameservice, then how many hosts have each role — NameNodes for
//! the nameservice, quorums, single-host roles, and the roles others need.

use std::ops::Range;

use super::check_identifier;
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::{HostEntry, Str};
use crate::model::Role;

/// The checked nameservice and where each role was written.
pub(super) struct Roles {
    /// `[cluster] nameservice`; `None` when not written or when a problem was reported.
    pub nameservice: Option<String>,
    /// Every role the hosts list that is a known role.
    pub index: RoleIndex,
}

/// Checks the written `nameservice` and the roles of `entries` together; `cluster_span` is
/// where an HA problem points when the nameservice is not written.
pub(super) fn check(
    entries: &[HostEntry],
    nameservice: Option<&Str>,
    cluster_span: &Range<usize>,
    sink: &mut Sink,
) -> Roles {
    let checked = nameservice.and_then(|ns| {
        check_identifier(sink, "cluster.nameservice", ns, "letters, digits or '-'", |c| {
            c.is_ascii_alphanumeric() || c == '-'
        })
    });
    let index = RoleIndex::new(entries);
    check_roles(&index, nameservice, cluster_span, sink);
    Roles { nameservice: checked, index }
}

/// Where each role was written, to point role-count problems at the inventory.
pub(super) struct RoleIndex {
    /// Each known role listed, with where, in the order written.
    spans: Vec<(Role, Range<usize>)>,
    /// Where the first host was written, for a role no host lists.
    hosts_span: Range<usize>,
}

impl RoleIndex {
    /// Indexes the roles `entries` list, skipping unknown ones.
    fn new(entries: &[HostEntry]) -> Self {
        let mut spans = Vec::new();
        for e in entries {
            if let Some(list) = &e.roles {
                for r in &list.value {
                    if let Some(role) = Role::parse(&r.value) {
                        spans.push((role, r.span.clone()));
                    }
                }
            }
        }
        let hosts_span = entries.first().map_or(0..0, |e| e.span.clone());
        RoleIndex { spans, hosts_span }
    }

    /// How many hosts list `role`.
    pub(super) fn count(&self, role: Role) -> usize {
        self.spans.iter().filter(|(r, _)| *r == role).count()
    }

    /// The span of the `n`th mention of `role` (0-based), or of the first host.
    fn span(&self, role: Role, n: usize) -> Range<usize> {
        self.spans.iter().filter(|(r, _)| *r == role).nth(n).map_or(self.hosts_span.clone(), |(_, s)| s.clone())
    }

    /// The key a problem with `role` is reported at.
    fn key(&self, role: Role) -> String {
        format!("roles.{}", role.name())
    }
}

/// Checks the role counts: NameNodes against the nameservice, the ZooKeeper and JournalNode
/// quorums, roles at most one host may have, and roles that need another.
fn check_roles(roles: &RoleIndex, nameservice: Option<&Str>, cluster_span: &Range<usize>, sink: &mut Sink) {
    let namenodes = roles.count(Role::NameNode);
    match nameservice {
        Some(ns) if namenodes != 2 => sink.push(
            Diagnostic::new(
                "cluster.nameservice",
                ns.span.clone(),
                format!("HA nameservice \"{}\" needs exactly two NameNodes, found {namenodes}", ns.value),
            )
            .hint("give the role \"namenode\" to exactly two hosts, or remove nameservice for a single NameNode"),
        ),
        None if namenodes > 1 => sink.push(
            Diagnostic::new(
                roles.key(Role::NameNode),
                roles.span(Role::NameNode, 1),
                format!("{namenodes} NameNodes without an HA nameservice"),
            )
            .hint("add nameservice = \"...\" to [cluster] for HA, or keep one NameNode"),
        ),
        _ => {}
    }
    let ha_span = nameservice.map_or(cluster_span.clone(), |n| n.span.clone());
    for (role, what) in [(Role::Zookeeper, "ZooKeeper servers"), (Role::JournalNode, "JournalNodes")] {
        let n = roles.count(role);
        if n == 0 && nameservice.is_none() {
            continue;
        }
        if n < 3 || n.is_multiple_of(2) {
            let problem = if n < 3 { "too few" } else { "an even number of" };
            let span = if n == 0 { ha_span.clone() } else { roles.span(role, n - 1) };
            sink.push(
                Diagnostic::new(roles.key(role), span, format!("{problem} {what}: {n}"))
                    .hint(format!("a quorum needs an odd number of at least 3 {what}")),
            );
        }
    }
    if nameservice.is_none() && roles.count(Role::JournalNode) > 0 {
        sink.push(
            Diagnostic::new(
                roles.key(Role::JournalNode),
                roles.span(Role::JournalNode, 0),
                "JournalNodes without an HA nameservice",
            )
            .hint("add nameservice = \"...\" to [cluster], or remove the journalnode roles"),
        );
    }
    for (role, max) in [
        (Role::ResourceManager, 1),
        (Role::HiveMetastore, 1),
        (Role::HiveServer2, 1),
        (Role::MetastoreDb, 1),
        (Role::Nifi, 1),
        (Role::MartDb, 1),
        (Role::Crawler, 1),
    ] {
        let n = roles.count(role);
        if n > max {
            sink.push(
                Diagnostic::new(
                    roles.key(role),
                    roles.span(role, max),
                    format!("{n} hosts have the role \"{}\"; at most {max} may", role.name()),
                )
                .hint("keep the role on one host"),
            );
        }
    }
    let needs: &[(Role, Role, &str)] = &[
        (Role::DataNode, Role::NameNode, "DataNodes need a NameNode"),
        (Role::NameNode, Role::DataNode, "HDFS needs at least one DataNode"),
        (Role::NodeManager, Role::ResourceManager, "NodeManagers need a ResourceManager"),
        (Role::ResourceManager, Role::NodeManager, "a ResourceManager needs NodeManagers"),
        (Role::HiveMetastore, Role::MetastoreDb, "the Hive metastore needs a metastore database"),
        (Role::HiveMetastore, Role::NameNode, "Hive needs HDFS"),
        (Role::HiveServer2, Role::HiveMetastore, "HiveServer2 needs a Hive metastore"),
        (Role::Crawler, Role::NameNode, "the crawler needs HDFS to land its files"),
        (Role::Crawler, Role::MartDb, "the crawler needs the mart database to load and record its runs"),
    ];
    for (role, needed, why) in needs {
        if roles.count(*role) > 0 && roles.count(*needed) == 0 {
            sink.push(
                Diagnostic::new(
                    roles.key(*role),
                    roles.span(*role, 0),
                    format!("{why}, but no host has the role \"{}\"", needed.name()),
                )
                .hint(format!(
                    "add \"{}\" to a host's roles, or remove \"{}\"",
                    needed.name(),
                    role.name()
                )),
            );
        }
    }
}
