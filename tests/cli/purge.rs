//! `down --purge` of the local topology removes only what provision made: marked folders, never
//! one that holds the inventory, never files of others. No daemon runs in these tests.

use std::fs;
use std::path::{Path, PathBuf};

use provision::engine::transport::Local;

use crate::support::{Inventory, bin, tempdir};

/// A copy of inventory/local.toml in `dir` with the given state folder and host root.
fn inventory(dir: &Path, state_dir: &str, host_root: &str) -> PathBuf {
    Inventory::of("inventory/local.toml")
        .set("cluster.root", host_root)
        .set("cluster.state_dir", state_dir)
        .write(&dir.join("local.toml"))
}

fn provision(inv: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = bin().args(args).arg("-i").arg(inv).current_dir(inv.parent().unwrap()).output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Makes every host's folder the way `up` does: the first step of each host in `prepare`.
fn make_host_folders(inv: &Path) -> provision::model::Cluster {
    let c = provision::inventory::load(inv).unwrap();
    let tree = provision::desired::render(&c, &crate::support::fixture_secrets());
    let prepare = provision::plan::up(&c, &tree, &[], None).into_iter().find(|p| p.name == "prepare").unwrap();
    for (host, steps) in &prepare.hosts {
        steps[0].apply(&mut Local::new(host)).unwrap();
        assert!(c.host_root(c.host(host).unwrap()).join(provision::state::MARKER).is_file(), "{host}");
    }
    c
}

#[test]
fn a_state_folder_provision_did_not_make_is_refused_and_kept() {
    let dir = tempdir();
    let inv = inventory(dir.path(), "mine", "mine/hosts/{host}");
    fs::create_dir(dir.path().join("mine")).unwrap();
    fs::write(dir.path().join("mine/notes.txt"), "keep me").unwrap();
    let (code, out) = provision(&inv, &["down", "--purge"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("{} was not made by provision", dir.path().join("mine").display())), "{out}");
    assert_eq!(fs::read_to_string(dir.path().join("mine/notes.txt")).unwrap(), "keep me");
}

#[test]
fn a_state_folder_holding_the_inventory_is_refused_and_kept() {
    let dir = tempdir();
    let inv = inventory(dir.path(), ".", "hosts/{host}");
    fs::write(dir.path().join("notes.txt"), "keep me").unwrap();
    // Even marked, as a render into it would leave it.
    fs::write(dir.path().join(provision::state::MARKER), "").unwrap();
    let (code, out) = provision(&inv, &["down", "--purge"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("holds the inventory"), "{out}");
    assert!(inv.is_file() && dir.path().join("notes.txt").is_file());
}

#[test]
fn a_host_folder_without_its_marker_is_refused_and_nothing_is_removed() {
    let dir = tempdir();
    let inv = inventory(dir.path(), "state", "state/hosts/{host}");
    let (code, out) = provision(&inv, &["render", "-o", "out"]);
    assert_eq!(code, Some(0), "{out}");
    make_host_folders(&inv);
    let nn01 = dir.path().join("state/hosts/nn01");
    fs::remove_file(nn01.join(provision::state::MARKER)).unwrap();
    fs::write(nn01.join("data.txt"), "keep me").unwrap();
    let (code, out) = provision(&inv, &["down", "--purge"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("{} was not made by provision", nn01.display())), "{out}");
    assert!(nn01.join("data.txt").is_file() && dir.path().join("state/secrets.toml").is_file());
    assert!(dir.path().join("state/hosts/dn01").is_dir(), "another host's folder was removed");
}

#[test]
fn purge_removes_what_provision_made_and_keeps_the_rest() {
    let dir = tempdir();
    let inv = inventory(dir.path(), "state", "state/hosts/{host}");
    let (code, out) = provision(&inv, &["render", "-o", "out"]);
    assert_eq!(code, Some(0), "{out}");
    let c = make_host_folders(&inv);
    fs::write(dir.path().join("state/hosts/nn01/data.txt"), "the host's").unwrap();
    fs::write(dir.path().join("state/notes.txt"), "mine").unwrap();
    let (code, out) = provision(&inv, &["down", "--purge"]);
    assert_eq!(code, Some(0), "{out}");
    for h in &c.hosts {
        assert!(!c.host_root(h).exists(), "{} is left", h.name);
    }
    let state = dir.path().join("state");
    assert!(!state.join("secrets.toml").exists() && !state.join("runs").exists() && !state.join("hosts").exists());
    assert_eq!(fs::read_to_string(state.join("notes.txt")).unwrap(), "mine");
    assert!(out.contains("keeps what provision did not make: notes.txt"), "{out}");
    assert!(inv.is_file() && dir.path().join("out").is_dir());
}
