//! Malformed and hostile inventories, each with the exact report it gets: DIR/NAME.toml beside
//! DIR/NAME.expected (rewritten only with UPDATE_GOLDEN=1). tests/fixtures/invalid holds
//! inventories a clumsy hand writes; tests/fixtures/hostile holds one value each that would
//! reach a shell, cron, a unit file, a config format, SQL, Ruby or a path, changed from the
//! smallest valid inventory (tests/fixtures/hostile/base.toml).

use std::path::{Path, PathBuf};

use crate::support::{bin, root, tempdir, updating};

/// The `.toml` cases of a fixture folder, sorted, less `skip`.
fn cases(rel: &str, skip: &[&str]) -> Vec<PathBuf> {
    let mut cases: Vec<_> = std::fs::read_dir(root().join(rel))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| !skip.iter().any(|s| p.file_name().is_some_and(|n| n == *s)))
        .collect();
    cases.sort();
    cases
}

/// Every case's report against its `.expected` file; the differences.
fn compare_reports(rel: &str, cases: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(case).unwrap();
        let shown = Path::new(rel).join(&name);
        let report = match provision::inventory::parse(&shown, &source) {
            Ok(_) => {
                failures.push(format!("{name}: accepted"));
                continue;
            }
            Err(d) => d.to_string(),
        };
        let expected_path = case.with_extension("expected");
        if updating() {
            std::fs::write(&expected_path, &report).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if report != expected {
            failures.push(format!("{name}:\n--- expected\n{expected}\n--- got\n{report}"));
        }
    }
    failures
}

#[test]
fn every_malformed_inventory_gets_its_exact_report() {
    let cases = cases("tests/fixtures/invalid", &[]);
    assert!(cases.len() >= 15, "only {} malformed inventories", cases.len());
    let failures = compare_reports("tests/fixtures/invalid", &cases);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_hostile_value_is_refused_at_its_key_alone() {
    let base = root().join("tests/fixtures/hostile/base.toml");
    provision::inventory::load(&base).expect("the hostile cases' base inventory is valid");
    let cases = cases("tests/fixtures/hostile", &["base.toml"]);
    assert!(cases.len() >= 30, "only {} hostile inventories", cases.len());
    let mut failures = compare_reports("tests/fixtures/hostile", &cases);
    for case in &cases {
        let report = std::fs::read_to_string(case.with_extension("expected")).unwrap_or_default();
        if !report.lines().next().unwrap_or("").contains(": 1 problem in the inventory") {
            failures.push(format!("{}: not exactly one problem:\n{report}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_hostile_inventory_writes_nothing_anywhere() {
    for case in cases("tests/fixtures/hostile", &["base.toml"]) {
        let dir = tempdir();
        let inventory = dir.path().join("inventory.toml");
        std::fs::copy(&case, &inventory).unwrap();
        for args in [
            &["render", "--out", "out"][..],
            &["render", "--check", "--out", "out"],
            &["up", "--dry-run"],
            &["plan"],
            &["down", "--purge"],
        ] {
            let out = bin().args(args).arg("-i").arg(&inventory).current_dir(dir.path()).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{} {args:?}: {stderr}", case.display());
            assert!(stderr.contains("problem in the inventory; nothing was changed"), "{}: {stderr}", case.display());
            let left: Vec<_> = walk(dir.path()).into_iter().filter(|p| *p != inventory).collect();
            assert!(left.is_empty(), "{} {args:?} left {left:?}", case.display());
        }
    }
}

/// Every file and folder below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn a_host_path_that_would_leave_the_host_folder_is_never_joined() {
    let mut c = crate::support::cluster("inventory/local.toml");
    let host = c.hosts[0].clone();
    let root = c.host_root(&host);
    assert!(c.on_host(&host, &c.paths.hadoop_conf).starts_with(&*root.to_string_lossy()));
    // Only a built-in default can bypass the grammar; even then the join refuses.
    c.paths.hadoop_conf = provision::model::HostPath::from("/../../etc");
    let joined = std::panic::catch_unwind(|| c.on_host(&host, &c.paths.hadoop_conf));
    assert!(joined.is_err(), "joined {joined:?}");
}
