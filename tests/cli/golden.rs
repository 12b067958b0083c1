//! The rendered files of inventory/cluster.toml against the golden files in tests/golden/cluster,
//! rewritten only with UPDATE_GOLDEN=1.

use provision::desired::{self, tree};

use crate::support::{fixture_secrets, render, root, updating};

#[test]
fn cluster_files_match_the_golden_files() {
    let (_, t) = render("inventory/cluster.toml");
    let golden = root().join("tests/golden/cluster");
    if updating() {
        tree::write(&t, &golden).unwrap();
    }
    // Contents only: git keeps no 0600 modes, and modes have a test of their own.
    let changes: Vec<String> = tree::compare(&t, &golden)
        .unwrap()
        .into_iter()
        .filter(|c| !matches!(c, tree::Change::Changed { file, old, .. } if **old == *file.content))
        .map(|c| c.rel())
        .collect();
    assert!(
        changes.is_empty(),
        "rendered files differ from tests/golden/cluster (UPDATE_GOLDEN=1 rewrites them): {changes:#?}"
    );
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let c = crate::support::cluster("inventory/local.toml");
    let s = fixture_secrets();
    assert_eq!(desired::render(&c, &s), desired::render(&c, &s));
}

#[test]
fn the_repository_vagrantfile_is_the_rendered_one() {
    let (_, t) = render("inventory/cluster.toml");
    let rendered = crate::support::file(&t, "vagrant/Vagrantfile");
    let committed = std::fs::read_to_string(root().join("vagrant/Vagrantfile")).unwrap();
    assert_eq!(
        committed, rendered,
        "vagrant/Vagrantfile is stale: run `provision render` and copy build/cluster/vagrant/Vagrantfile"
    );
}

#[test]
fn every_host_has_a_folder_and_hosts_file() {
    let (c, t) = render("inventory/cluster.toml");
    for h in &c.hosts {
        assert!(t.files.contains_key(&format!("{}/etc/hosts", h.name)), "{} has no /etc/hosts", h.name);
    }
}

#[test]
fn the_dry_run_of_the_vm_inventories_matches_the_golden_files() {
    for inv in ["cluster", "modern"] {
        let out = crate::support::bin()
            .args(["up", "--dry-run", "-i", &format!("inventory/{inv}.toml")])
            .current_dir(root())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let golden = root().join(format!("tests/golden/dry-run/{inv}.txt"));
        if updating() {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, &out.stdout).unwrap();
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "the dry run of {inv}.toml changed (UPDATE_GOLDEN=1 rewrites it)"
        );
    }
}

/// The phases of `up --dry-run --json` for `inv`, as (name, after).
fn phases(args: &[&str]) -> Vec<(String, Vec<String>)> {
    let out =
        crate::support::bin().args(["up", "--dry-run", "--json"]).args(args).current_dir(root()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc.as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let after = p["after"].as_array()?.iter().map(|a| a.as_str().unwrap().to_string()).collect();
            Some((p["phase"].as_str()?.to_string(), after))
        })
        .collect()
}

#[test]
fn the_dry_run_shows_the_graph_of_phases_and_one_at_a_time_makes_it_a_chain() {
    let graph = phases(&["-i", "inventory/cluster.toml"]);
    let after = |name: &str| &graph.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(after("databases"), &["configure"]);
    assert_eq!(after("hdfs-ready"), &["namenode", "failover-controllers", "datanodes"]);
    let chain = phases(&["-i", "inventory/cluster.toml", "--one-phase-at-a-time"]);
    assert_eq!(chain.len(), graph.len());
    for (i, (name, after)) in chain.iter().enumerate() {
        assert_eq!(name, &graph[i].0, "the order changed");
        let before: Vec<String> = chain[..i].iter().rev().take(1).map(|(n, _)| n.clone()).collect();
        assert_eq!(after, &before, "{name} is not right after the phase before it");
    }
    // --only keeps the order among the phases it names, through those it leaves out.
    let some = phases(&["-i", "inventory/cluster.toml", "--only", "configure,hdfs-ready,hiveserver2"]);
    let names: Vec<(&str, Vec<&str>)> =
        some.iter().map(|(n, a)| (n.as_str(), a.iter().map(String::as_str).collect())).collect();
    assert_eq!(
        names,
        [("configure", vec![]), ("hdfs-ready", vec!["configure"]), ("hiveserver2", vec!["configure", "hdfs-ready"])]
    );
}
