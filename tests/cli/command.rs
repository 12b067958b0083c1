//! The `provision render` command as a user runs it.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::{Inventory, bin, copy_inventory, local_inventory, tempdir};

fn render(args: &[&str], cwd: &std::path::Path) -> std::process::Output {
    bin().arg("render").args(args).current_dir(cwd).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_bad_inventory_changes_nothing_and_exits_1() {
    let dir = tempdir();
    let inv = dir.path().join("bad.toml");
    fs::write(&inv, "[cluster]\nname = \"x\"\nos = \"centos7\"\nstate_dir = \"state\"\ncolour = \"red\"\n").unwrap();
    let out = render(&["-i", inv.to_str().unwrap(), "-o", "out"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml:5:1: cluster.colour: unknown key `colour`"), "{err}");
    assert!(err.contains("missing table [transport]"), "{err}");
    assert!(!dir.path().join("out").exists());
    assert!(!dir.path().join("state").exists());
}

#[test]
fn render_then_render_again_changes_nothing_and_check_passes() {
    let dir = tempdir();
    let inv = copy_inventory("inventory/cluster.toml", dir.path());
    let inv = inv.to_str().unwrap();
    let first = render(&["-i", inv, "-o", "out"], dir.path());
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stderr).contains("generated the cluster's passwords"));
    let secrets = dir.path().join("state/secrets.toml");
    assert_eq!(fs::metadata(&secrets).unwrap().permissions().mode() & 0o777, 0o600);
    let hdfs = dir.path().join("out/nn01/opt/hadoop/etc/hadoop/hdfs-site.xml");
    let hive = dir.path().join("out/nn01/opt/hive/conf/hive-site.xml");
    assert_eq!(fs::metadata(&hive).unwrap().permissions().mode() & 0o777, 0o600);
    let before = fs::metadata(&hdfs).unwrap().modified().unwrap();
    let kept = fs::read_to_string(&secrets).unwrap();

    let second = render(&["-i", inv, "-o", "out"], dir.path());
    assert!(second.status.success());
    assert!(text(&second.stdout).contains("is up to date"), "{}", text(&second.stdout));
    assert!(!text(&second.stderr).contains("generated"));
    assert_eq!(fs::metadata(&hdfs).unwrap().modified().unwrap(), before, "an unchanged render rewrote files");
    assert_eq!(fs::read_to_string(&secrets).unwrap(), kept, "secrets changed between renders");

    let check = render(&["-i", inv, "-o", "out", "--check"], dir.path());
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
}

#[test]
fn check_after_an_edit_shows_the_diff_and_affected_services_without_secrets() {
    let dir = tempdir();
    let inv = copy_inventory("inventory/cluster.toml", dir.path());
    let inv_s = inv.to_str().unwrap();
    assert!(render(&["-i", inv_s, "-o", "out"], dir.path()).status.success());
    Inventory::read(&inv).set("hdfs.replication", 2).write(&inv);
    fs::write(dir.path().join("out/stray.txt"), "left over\n").unwrap();

    let check = render(&["-i", inv_s, "-o", "out", "--check"], dir.path());
    assert_eq!(check.status.code(), Some(1));
    let out = text(&check.stdout);
    assert!(out.contains("changed  nn01/opt/hadoop/etc/hadoop/hdfs-site.xml (restarts nn01/journalnode, nn01/namenode, nn01/zkfc, nn01/hive-metastore, nn01/hiveserver2)"), "{out}");
    assert!(out.contains("-    <value>3</value>\n+    <value>2</value>"), "{out}");
    assert!(out.contains("removed  stray.txt"), "{out}");
    let secrets = fs::read_to_string(dir.path().join("state/secrets.toml")).unwrap();
    for line in secrets.lines() {
        let value = line.split_once(" = ").unwrap().1.trim_matches('"');
        assert!(!out.contains(value), "--check printed a secret");
    }

    let json = render(&["-i", inv_s, "-o", "out", "--check", "--json"], dir.path());
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["up_to_date"], false);
    assert!(doc["restarts"].as_array().unwrap().iter().any(|s| s == "dn01/datanode"));
}

#[test]
fn check_of_a_secret_file_masks_the_secret() {
    let dir = tempdir();
    let inv = copy_inventory("inventory/cluster.toml", dir.path());
    let inv_s = inv.to_str().unwrap();
    let check = render(&["-i", inv_s, "-o", "out", "--check"], dir.path());
    assert_eq!(check.status.code(), Some(1));
    let out = text(&check.stdout);
    assert!(out.contains("added    nn01/opt/hive/conf/hive-site.xml"));
    let hive = out.lines().skip_while(|l| !l.starts_with("added    nn01/opt/hive/conf/hive-site.xml")).nth(1);
    assert!(hive.is_some_and(|l| l.starts_with("         (secret file, ")), "{out}");
    assert!(!out.contains("ConnectionPassword"), "a secret file's lines were shown: {out}");
    assert!(!dir.path().join("state").exists(), "--check must not write secrets");
    assert!(!dir.path().join("out").exists(), "--check must not write files");
}

#[test]
fn render_refuses_to_replace_a_folder_it_did_not_write() {
    let dir = tempdir();
    let inv = copy_inventory("inventory/cluster.toml", dir.path());
    fs::create_dir(dir.path().join("mine")).unwrap();
    fs::write(dir.path().join("mine/notes.txt"), "keep me").unwrap();
    let out = render(&["-i", inv.to_str().unwrap(), "-o", "mine"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("was not written by `provision render`"), "{}", text(&out.stderr));
    assert_eq!(fs::read_to_string(dir.path().join("mine/notes.txt")).unwrap(), "keep me");
}

/// Every file and folder below `dir`, with its contents (folders as empty), sorted.
fn snapshot(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
                out.push((p, Vec::new()));
            } else {
                out.push((p.clone(), fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn down_dry_run_prints_what_it_would_do_and_touches_nothing() {
    let dir = tempdir();
    let inv = local_inventory(dir.path());
    // A state folder and host folders as `up` leaves them, with a pid file of a "daemon".
    let state = dir.path().join("state");
    provision::state::create(&state).unwrap();
    let nn01 = state.join("hosts/nn01");
    provision::state::create(&nn01).unwrap();
    fs::create_dir_all(nn01.join("var/run/provision")).unwrap();
    fs::write(nn01.join("var/run/provision/hdfs-namenode.pid"), "999999\n").unwrap();
    let before = snapshot(dir.path());
    let out = bin().args(["down", "--dry-run", "--purge", "-i"]).arg(&inv).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains("phase 1 stop-1") && printed.contains("stopped hdfs-namenode.service"), "{printed}");
    assert!(printed.contains("then remove provision's files from"), "{printed}");
    assert_eq!(snapshot(dir.path()), before, "down --dry-run changed files");

    let cluster = copy_inventory("inventory/cluster.toml", dir.path());
    let out = bin().args(["down", "--dry-run", "--destroy", "--json", "-i"]).arg(&cluster).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let then = doc.as_array().unwrap().iter().filter_map(|p| p["then"].as_str()).collect::<Vec<_>>();
    assert!(then.len() == 1 && then[0].starts_with("vagrant destroy -f in "), "{doc}");
    assert!(!dir.path().join("state/vagrant").exists(), "vagrant was run");
}

#[test]
fn each_verb_takes_only_its_own_flags() {
    for (args, flag) in [
        (&["plan", "--dry-run"][..], "--dry-run"),
        (&["down", "--crawler-binary", "x"], "--crawler-binary"),
        (&["down", "--no-verify"], "--no-verify"),
        (&["down", "--regenerate-secrets"], "--regenerate-secrets"),
        (&["up", "--purge"], "--purge"),
        (&["up", "--destroy"], "--destroy"),
    ] {
        let out = bin().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} accepted");
        assert!(text(&out.stderr).contains(&format!("unexpected argument '{flag}'")), "{}", text(&out.stderr));
    }
}
