//! The secrets file in every state it can be found in (deleted, cut short, edited, readable by
//! others, damaged, a link planted beside it): refused where new values would not match what
//! was rendered or deployed, and never a secret value in any output.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use provision::engine::steps::{Content, Step};

use crate::support::{bin, copy_inventory, local_inventory, tempdir};

/// Runs `provision` in `cwd`: its exit code and everything it printed, stdout then stderr.
fn provision(args: &[&str], cwd: &Path) -> (Option<i32>, String) {
    let out = bin().args(args).current_dir(cwd).output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The values of a secrets file, read as plain `key = "value"` lines.
fn values(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .map(|(_, v)| v.trim_matches('"').to_string())
        .collect()
}

fn assert_hidden(output: &str, secrets: &[String]) {
    assert!(secrets.len() >= 4, "{secrets:?}");
    for v in secrets {
        assert!(!output.contains(v.as_str()), "a secret value was printed:\n{output}");
    }
    assert!(!output.contains("ConnectionPassword") && !output.contains("sensitive.props.key"), "{output}");
}

/// inventory/cluster.toml rendered into `out`, its state in `state`; the secrets in use.
fn rendered() -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let dir = tempdir();
    let inv = copy_inventory("inventory/cluster.toml", dir.path());
    let (code, out) = provision(&["render", "-i", inv.to_str().unwrap(), "-o", "out"], dir.path());
    assert_eq!(code, Some(0), "{out}");
    let kept = values(&dir.path().join("state/secrets.toml"));
    (dir, inv, kept)
}

/// The rendered file that holds NiFi's sensitive-properties key.
fn nifi_properties(dir: &Path) -> String {
    fs::read_to_string(dir.join("out/nn01/opt/nifi/conf/nifi.properties")).unwrap()
}

#[test]
fn deleted_secrets_of_a_rendered_inventory_are_refused_with_a_hint_and_never_printed() {
    let (dir, inv, kept) = rendered();
    let inv = inv.to_str().unwrap();
    let secrets = dir.path().join("state/secrets.toml");
    let nifi = nifi_properties(dir.path());
    fs::remove_file(&secrets).unwrap();

    for args in [vec!["render", "-i", inv, "-o", "out", "--check"], vec!["render", "-i", inv, "-o", "out"]] {
        let (code, out) = provision(&args, dir.path());
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains(&format!("{} does not exist, but out holds a render", secrets.display())), "{out}");
        assert!(out.contains("restore") && out.contains("--regenerate-secrets"), "{out}");
        assert_hidden(&out, &kept);
        assert!(!secrets.exists(), "new secrets were saved");
    }
    assert_eq!(nifi_properties(dir.path()), nifi, "the render folder changed");

    // Asked for: the comparison with the old files shows neither the old values nor the new.
    let (code, out) = provision(&["render", "-i", inv, "-o", "out", "--check", "--regenerate-secrets"], dir.path());
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("changed  nn01/opt/nifi/conf/nifi.properties"), "{out}");
    assert!(out.contains("(secret file, 2 lines differ)"), "{out}");
    assert_hidden(&out, &kept);
    let (code, out) = provision(&["render", "-i", inv, "-o", "out", "--regenerate-secrets"], dir.path());
    assert_eq!(code, Some(0), "{out}");
    let new = values(&secrets);
    assert!(new.iter().all(|v| !kept.contains(v)), "the regenerated secrets are the old ones");
    assert_hidden(&out, &new);
}

#[test]
fn a_secrets_file_cut_at_any_line_is_refused_and_the_nifi_key_kept() {
    let (dir, inv, kept) = rendered();
    let inv = inv.to_str().unwrap();
    let secrets = dir.path().join("state/secrets.toml");
    let nifi = nifi_properties(dir.path());
    let text = fs::read_to_string(&secrets).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for keep in 0..lines.len() {
        let cut: String = lines[..keep].iter().map(|l| format!("{l}\n")).collect();
        fs::write(&secrets, &cut).unwrap();
        for args in [vec!["render", "-i", inv, "-o", "out", "--check"], vec!["render", "-i", inv, "-o", "out"]] {
            let (code, out) = provision(&args, dir.path());
            assert_eq!(code, Some(1), "{keep} lines: {out}");
            assert!(out.contains("lacks") && out.contains("nifi_sensitive_key"), "{keep} lines: {out}");
            assert_hidden(&out, &kept);
        }
        assert_eq!(fs::read_to_string(&secrets).unwrap(), cut, "the cut file was rewritten");
        assert_eq!(nifi_properties(dir.path()), nifi, "NiFi's key changed with {keep} lines kept");
    }
}

#[test]
fn edited_secrets_are_counted_in_render_check_never_shown() {
    let (dir, inv, kept) = rendered();
    let inv = inv.to_str().unwrap();
    let secrets = dir.path().join("state/secrets.toml");
    let mut text = fs::read_to_string(&secrets).unwrap();
    let edited: Vec<String> = (0..kept.len()).map(|i| format!("edited{i}x{}", "q".repeat(20))).collect();
    for (old, new) in kept.iter().zip(&edited) {
        text = text.replace(old.as_str(), new);
    }
    fs::write(&secrets, text).unwrap();
    let (code, out) = provision(&["render", "-i", inv, "-o", "out", "--check"], dir.path());
    assert_eq!(code, Some(1), "{out}");
    for file in [
        "nn01/opt/hive/conf/hive-site.xml",
        "nn01/opt/nifi/conf/nifi.properties",
        "nn01/etc/provision/metastore-db/create-metastore.sql",
        "nn01/etc/provision/metastore-db/root.cnf",
        "getdataserver/var/lib/provision/secrets.toml",
    ] {
        let next = out.lines().skip_while(|l| !l.starts_with(&format!("changed  {file}"))).nth(1);
        assert!(next.is_some_and(|l| l.trim_start().starts_with("(secret file, ")), "{file}:\n{out}");
    }
    assert_hidden(&out, &kept);
    assert_hidden(&out, &edited);
    let (_, json) = provision(&["render", "-i", inv, "-o", "out", "--check", "--json"], dir.path());
    assert_hidden(&json, &kept);
    assert_hidden(&json, &edited);
}

#[test]
fn a_secrets_file_others_may_read_is_refused_with_the_chmod_to_run() {
    let (dir, inv, kept) = rendered();
    let secrets = dir.path().join("state/secrets.toml");
    fs::set_permissions(&secrets, fs::Permissions::from_mode(0o644)).unwrap();
    for check in [true, false] {
        let mut args = vec!["render", "-i", inv.to_str().unwrap(), "-o", "out"];
        if check {
            args.push("--check");
        }
        let (code, out) = provision(&args, dir.path());
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains(&format!("`chmod 600 {}`", secrets.display())), "{out}");
        assert_hidden(&out, &kept);
    }
}

#[test]
fn a_damaged_secrets_file_is_named_by_line_and_never_quoted() {
    let (dir, inv, kept) = rendered();
    let secrets = dir.path().join("state/secrets.toml");
    let text = fs::read_to_string(&secrets).unwrap();
    for damaged in [text.replacen('"', "", 2), text.replacen("\"\n", "\n", 1), text.replacen(" = ", " ", 1)] {
        fs::write(&secrets, &damaged).unwrap();
        let (code, out) = provision(&["render", "-i", inv.to_str().unwrap(), "-o", "out", "--check"], dir.path());
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("is damaged: line "), "{out}");
        assert_hidden(&out, &kept);
    }
}

#[test]
fn a_link_planted_at_the_old_temporary_name_is_not_followed() {
    let dir = tempdir();
    let inv = copy_inventory("inventory/cluster.toml", dir.path());
    let target = dir.path().join("target.txt");
    fs::write(&target, "").unwrap();
    fs::create_dir(dir.path().join("state")).unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("state/secrets.toml.tmp")).unwrap();
    let (code, out) = provision(&["render", "-i", inv.to_str().unwrap(), "-o", "out"], dir.path());
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(fs::read_to_string(&target).unwrap(), "", "the secrets were written through the link");
    let secrets = dir.path().join("state/secrets.toml");
    assert!(!fs::symlink_metadata(&secrets).unwrap().file_type().is_symlink());
    assert_eq!(fs::metadata(&secrets).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(values(&secrets).len(), 4);
}

#[test]
fn rendered_files_have_their_modes_and_the_crawler_gets_the_mart_password_only() {
    let (dir, _inv, kept) = rendered();
    let (_, t) = crate::support::render("inventory/cluster.toml");
    for (rel, f) in &t.files {
        let mode = fs::metadata(dir.path().join("out").join(rel)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, f.mode, "{rel}");
    }
    let crawler = fs::read_to_string(dir.path().join("out/getdataserver/var/lib/provision/secrets.toml")).unwrap();
    assert_eq!(crawler, format!("mart_password = \"{}\"\n", kept[2]));
}

#[test]
fn plan_and_the_dry_run_refuse_missing_secrets_of_a_deployed_cluster() {
    let dir = tempdir();
    let inv = copy_inventory("inventory/cluster.toml", dir.path());
    let inv = inv.to_str().unwrap();
    fs::create_dir_all(dir.path().join("state/runs/20250101-000000-up")).unwrap();
    for args in [vec!["up", "--dry-run", "-i", inv], vec!["plan", "-i", inv]] {
        let (code, out) = provision(&args, dir.path());
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("records a run of `provision up`"), "{out}");
    }
    let (code, out) = provision(&["up", "--dry-run", "--regenerate-secrets", "-i", inv], dir.path());
    assert_eq!(code, Some(0), "{out}");
    assert!(!dir.path().join("state/secrets.toml").exists(), "a dry run saved secrets");
}

#[test]
fn plan_counts_the_deployed_secret_files_that_would_change_never_shows_them() {
    let dir = tempdir();
    let inv = local_inventory(dir.path());
    let inv = inv.to_str().unwrap();
    let (code, out) = provision(&["up", "--only", "configure", "-i", inv], dir.path());
    assert_eq!(code, Some(0), "{out}");
    let secrets = dir.path().join("state/secrets.toml");
    let kept = values(&secrets);
    let edited = fs::read_to_string(&secrets).unwrap().replace(kept[1].as_str(), "an-edited-metastore-password");
    fs::write(&secrets, edited).unwrap();
    let (code, out) = provision(&["plan", "--only", "configure", "-i", inv], dir.path());
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("hive-site.xml (contents differ)"), "{out}");
    assert!(out.contains("(secret file, 2 lines differ)"), "{out}");
    assert_hidden(&out, &kept);
    assert!(!out.contains("an-edited-metastore-password"), "{out}");
}

#[test]
fn the_crawler_hosts_partial_copy_is_enough_there_and_only_there() {
    let dir = tempdir();
    let inv = local_inventory(dir.path());
    let copy = dir.path().join("crawler");
    fs::create_dir(&copy).unwrap();
    fs::write(copy.join("secrets.toml"), "mart_password = \"only-this-mart-pw\"\n").unwrap();
    fs::set_permissions(copy.join("secrets.toml"), fs::Permissions::from_mode(0o600)).unwrap();
    let runs = |env: Option<&Path>| {
        let mut cmd = bin();
        cmd.args(["runs", "-i"]).arg(&inv).env("PGCONNECT_TIMEOUT", "2");
        match env {
            Some(p) => cmd.env("PROVISION_STATE_DIR", p),
            None => cmd.env_remove("PROVISION_STATE_DIR"),
        };
        let out = cmd.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // The mart is not running: the run gets past the secrets and fails connecting.
    let (code, err) = runs(Some(&copy));
    assert_eq!(code, Some(1), "{err}");
    assert!(!err.contains("no secrets") && !err.contains("damaged") && !err.contains("only-this"), "{err}");
    // The controller needs every key.
    fs::create_dir(dir.path().join("state")).unwrap();
    fs::copy(copy.join("secrets.toml"), dir.path().join("state/secrets.toml")).unwrap();
    let (code, err) = runs(None);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("no secrets in"), "{err}");
}

#[test]
fn a_host_file_is_created_owner_only_before_its_content_arrives() {
    let dir = tempdir();
    let path = dir.path().join("conf/secret.properties");
    let step = Step::File {
        path: path.display().to_string(),
        content: Content::Text("key=value\n".into()),
        mode: 0o600,
        owner: None,
        affects: vec![],
    };
    // As a host with the usual umask runs it, the content still on its way.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("umask 022; {}", step.action()))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"key=").unwrap();
    let started = Instant::now();
    let temporary = loop {
        let found = fs::read_dir(dir.path().join("conf"))
            .into_iter()
            .flatten()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("secret.properties.provision-tmp."));
        if let Some(e) = found {
            break e.path();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(fs::metadata(&temporary).unwrap().permissions().mode() & 0o777, 0o600, "created readable by others");
    stdin.write_all(b"value\n").unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert_eq!(fs::read_to_string(&path).unwrap(), "key=value\n");
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}
