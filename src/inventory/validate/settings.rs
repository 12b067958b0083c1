//! The settings pass: `[ports]`, `[paths]`, `[users]` and `[heaps]`, each a table of known
//! names over the defaults.

use std::collections::HashMap;
use std::ops::Range;

use super::{checked, unknown_setting};
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::{Located, Sink};
use crate::inventory::schema::Str;
use crate::model::{Heaps, HostPath, Paths, Ports, UserName, Users};

/// Where each port set by name was written, by its dotted key (`ports.NAME` or
/// `hosts[i].ports.NAME`), to point a port clash at the number that causes it.
pub(super) type Written = HashMap<String, Range<usize>>;

/// The settings tables over their defaults; a bad entry is reported and the default kept.
pub(super) struct Settings {
    /// `[ports]`, the cluster-wide numbers.
    pub ports: Ports,
    /// Where each port set by name was written, in `[ports]` and, once the hosts are read, in theirs.
    pub written: Written,
    /// `[paths]`.
    pub paths: Paths,
    /// `[users]`.
    pub users: Users,
    /// `[heaps]`.
    pub heaps: Heaps,
}

/// Checks the entries of `[ports]`, `[paths]`, `[users]` and `[heaps]`, in that order.
pub(super) fn check(
    ports: &[(Str, Located<u64>)],
    paths: &[(Str, Str)],
    users: &[(Str, Str)],
    heaps: &[(Str, Located<u64>)],
    sink: &mut Sink,
) -> Settings {
    let mut settings = Settings {
        ports: Ports::default(),
        written: Written::new(),
        paths: Paths::default(),
        users: Users::default(),
        heaps: Heaps::default(),
    };
    read_ports(sink, "ports", ports, &mut settings.ports, &mut settings.written);
    for (k, v) in paths {
        let hint = "paths are as the host sees them: /, then folder names of letters, digits and . _ + -";
        if let Some(path) = checked(sink, format!("paths.{}", k.value), v, hint, HostPath::parse)
            && !settings.paths.set(&k.value, path)
        {
            unknown_setting(sink, "paths", k, Paths::NAMES);
        }
    }
    for (k, v) in users {
        let hint = "a login name: a lowercase letter or '_', then lowercase letters, digits, '-' or '_'";
        if let Some(user) = checked(sink, format!("users.{}", k.value), v, hint, UserName::parse)
            && !settings.users.set(&k.value, user)
        {
            unknown_setting(sink, "users", k, Users::NAMES);
        }
    }
    for (k, v) in heaps {
        match u32::try_from(v.value).ok().filter(|m| *m >= 32) {
            Some(mb) => {
                if !settings.heaps.set(&k.value, mb) {
                    unknown_setting(sink, "heaps", k, Heaps::NAMES);
                }
            }
            None => sink.push(
                Diagnostic::new(
                    format!("heaps.{}", k.value),
                    v.span.clone(),
                    format!("{} MiB is too small a heap", v.value),
                )
                .hint("give at least 32 (MiB)"),
            ),
        }
    }
    settings
}

/// Reads `[ports]`-style entries into `ports`, remembering where each was written under
/// `prefix.name` in `written`.
pub(super) fn read_ports(
    sink: &mut Sink,
    prefix: &str,
    entries: &[(Str, Located<u64>)],
    ports: &mut Ports,
    written: &mut Written,
) {
    for (k, v) in entries {
        let Some(port) = u16::try_from(v.value).ok().filter(|p| *p > 0) else {
            sink.push(
                Diagnostic::new(
                    format!("{prefix}.{}", k.value),
                    v.span.clone(),
                    format!("{} is not a TCP port", v.value),
                )
                .hint("use a number from 1 to 65535"),
            );
            continue;
        };
        if ports.set(&k.value, port) {
            written.insert(format!("{prefix}.{}", k.value), v.span.clone());
        } else {
            unknown_setting(sink, prefix, k, Ports::NAMES);
        }
    }
}
