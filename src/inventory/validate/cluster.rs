//! The identity and paths pass: `[cluster]`'s name, operating system, endpoint style, root
//! and state folder.

use std::path::{Path, PathBuf};

use super::{check_identifier, keyword, resolve};
use crate::catalog::Os;
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::{ClusterSection, Str};
use crate::model::Endpoints;
use crate::model::values::check_controller_path;

/// What `[cluster]` says about the cluster itself; `None` where a problem was reported.
pub(super) struct Identity {
    /// `name`.
    pub name: Option<String>,
    /// `os`.
    pub os: Option<Os>,
    /// `endpoints`, by default names resolved through /etc/hosts.
    pub endpoints: Option<Endpoints>,
    /// `root`, by default `/`.
    pub root: Option<String>,
    /// `state_dir`, by default `.provision/STEM` beside the inventory.
    pub state_dir: Option<PathBuf>,
}

/// Checks `[cluster]`; `dir` is the inventory's folder and `stem` its file name without extension.
pub(super) fn check(section: &ClusterSection, dir: &Path, stem: &str, sink: &mut Sink) -> Identity {
    let ClusterSection {
        // Only the cross-checks point at the table itself, when a key they need is absent.
        span: _,
        name,
        // Checked with the roles it must match, after the hosts, where its reports belong.
        nameservice: _,
        os,
        endpoints,
        root,
        state_dir,
    } = section;
    let name = name.as_ref().and_then(|n| {
        check_identifier(sink, "cluster.name", n, "letters, digits, '-' or '_'", |c| {
            c.is_ascii_alphanumeric() || c == '-' || c == '_'
        })
    });
    let os = os.as_ref().and_then(|o| {
        let os = Os::parse(&o.value);
        if os.is_none() {
            sink.push(
                Diagnostic::new("cluster.os", o.span.clone(), format!("unknown operating system \"{}\"", o.value))
                    .hint(format!("use one of: {}", &Os::names().join(", "))),
            );
        }
        os
    });
    let endpoints = keyword(
        sink,
        "cluster.endpoints",
        endpoints.as_ref(),
        &[("hostname", Endpoints::Hostname), ("address", Endpoints::Address)],
        "endpoint style",
        "use \"hostname\" (names resolved through /etc/hosts) or \"address\"",
    );
    let root = match root.as_ref() {
        None => Some("/".to_string()),
        Some(r) if r.value == "/" => Some("/".to_string()),
        Some(r) if !r.value.contains("{host}") => {
            sink.push(
                Diagnostic::new("cluster.root", r.span.clone(), "a root other than \"/\" must contain {host}")
                    .hint("each host needs a folder of its own, e.g. \"../.provision/local/hosts/{host}\""),
            );
            None
        }
        Some(r) => controller_path(sink, "cluster.root", r, dir, true).map(|p| p.to_string_lossy().into_owned()),
    };
    let state_dir = match state_dir.as_ref() {
        Some(s) => controller_path(sink, "cluster.state_dir", s, dir, false).filter(|state| {
            let holds_inventory = dir.starts_with(state);
            if holds_inventory {
                sink.push(
                    Diagnostic::new(
                        "cluster.state_dir",
                        s.span.clone(),
                        format!("{:?} is a folder that holds the inventory itself", s.value),
                    )
                    .hint("give provision a folder of its own, e.g. \".provision/NAME\" beside the inventory"),
                );
            }
            !holds_inventory
        }),
        None => Some(resolve(dir, &format!(".provision/{stem}"))),
    };
    Identity { name, os, endpoints, root, state_dir }
}

/// A folder on this machine that `provision` writes: `v` resolved against the inventory's
/// folder, then checked (with `{host}` as one whole component when `host`).
fn controller_path(sink: &mut Sink, key: &str, v: &Str, dir: &Path, host: bool) -> Option<PathBuf> {
    let resolved = resolve(dir, &v.value);
    match check_controller_path(&resolved, host) {
        Ok(()) => Some(resolved),
        Err(reason) => {
            // A relative value is shown as written: its resolved form depends on the checkout.
            let problem = if v.value.starts_with('/') {
                format!("{:?} resolves to {:?}, which {reason}", v.value, resolved)
            } else {
                format!("{:?} {reason}", v.value)
            };
            sink.push(
                Diagnostic::new(key, v.span.clone(), problem)
                    .hint("use folder names of letters, digits and . _ + -, relative to the inventory or absolute"),
            );
            None
        }
    }
}
