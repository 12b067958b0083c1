//! The only place that prints: human text, or JSON with `--json`.

use std::collections::BTreeSet;
use std::path::Path;

use similar::TextDiff;

use crate::desired::Tree;
use crate::desired::tree::Change;
use crate::model::Cluster;
use crate::secrets::Secrets;

/// Prints a failure as `error:` with its chain of causes.
pub fn error(e: &anyhow::Error) {
    let mut chain = e.chain();
    if let Some(top) = chain.next() {
        eprintln!("error: {}", top.to_string().trim_end());
    }
    for cause in chain {
        eprintln!("Caused by: {}", cause.to_string().trim_end());
    }
}

fn kind(c: &Change) -> &'static str {
    match c {
        Change::Added(_) => "added",
        Change::Removed { .. } => "removed",
        Change::Changed { .. } => "changed",
    }
}

fn affects(c: &Change) -> Vec<String> {
    match c {
        Change::Added(f) | Change::Changed { file: f, .. } => f.affects.clone(),
        Change::Removed { .. } => Vec::new(),
    }
}

/// The services that the changes restart, sorted.
fn restarts(changes: &[Change]) -> Vec<String> {
    changes.iter().flat_map(affects).collect::<BTreeSet<_>>().into_iter().collect()
}

/// Prints the result of `render --check`: every differing file with a unified diff (secrets
/// masked) and the services each change affects.
pub fn render_check(out: &Path, tree: &Tree, changes: &[Change], secrets: &Secrets, json: bool) {
    if json {
        let files: Vec<serde_json::Value> = changes
            .iter()
            .map(|c| serde_json::json!({"path": c.rel(), "change": kind(c), "restarts": affects(c)}))
            .collect();
        let doc = serde_json::json!({
            "folder": out.display().to_string(),
            "files": tree.files.len(),
            "up_to_date": changes.is_empty(),
            "changes": files,
            "restarts": restarts(changes),
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    if changes.is_empty() {
        println!("{} is up to date ({} files)", out.display(), tree.files.len());
        return;
    }
    for c in changes {
        let services = affects(c);
        let note = if services.is_empty() { String::new() } else { format!(" (restarts {})", services.join(", ")) };
        println!("{:<8} {}{note}", kind(c), c.rel());
        let (old, new) = match c {
            Change::Added(f) => (String::new(), f.content.clone()),
            Change::Removed { old, .. } => (old.clone(), String::new()),
            Change::Changed { file, old, old_mode } => {
                if *old_mode != file.mode {
                    println!("         mode {:o} -> {:o}", old_mode, file.mode);
                }
                (old.clone(), file.content.clone())
            }
        };
        let (old, new) = (secrets.redact(&old), secrets.redact(&new));
        let rel = c.rel();
        let diff = TextDiff::from_lines(&old, &new);
        print!("{}", diff.unified_diff().context_radius(2).header(&format!("a/{rel}"), &format!("b/{rel}")));
    }
    println!(
        "{} of {} files differ from {}; services affected: {}",
        changes.len(),
        tree.files.len(),
        out.display(),
        if restarts(changes).is_empty() { "none".to_string() } else { restarts(changes).join(", ") }
    );
}

/// Prints the result of `render`.
pub fn render_done(out: &Path, cluster: &Cluster, tree: &Tree, changes: &[Change], new_secrets: Option<&Path>, json: bool) {
    if json {
        let doc = serde_json::json!({
            "folder": out.display().to_string(),
            "cluster": cluster.name,
            "hosts": cluster.hosts.len(),
            "files": tree.files.len(),
            "changed": changes.iter().map(Change::rel).collect::<Vec<_>>(),
            "secrets_generated": new_secrets.map(|p| p.display().to_string()),
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
        return;
    }
    if let Some(p) = new_secrets {
        eprintln!("generated the cluster's passwords and keys into {} (mode 0600); keep that file", p.display());
    }
    if changes.is_empty() {
        println!("{} is up to date: {} files for {} hosts of cluster {}", out.display(), tree.files.len(), cluster.hosts.len(), cluster.name);
    } else {
        println!(
            "rendered {} files for {} hosts of cluster {} into {} ({} changed)",
            tree.files.len(),
            cluster.hosts.len(),
            cluster.name,
            out.display(),
            changes.len()
        );
    }
}
