//! Malformed inventories, each with the exact report it gets: tests/fixtures/invalid/NAME.toml
//! beside NAME.expected (rewritten only with UPDATE_GOLDEN=1).

use std::path::Path;

use crate::support::{root, updating};

#[test]
fn every_malformed_inventory_gets_its_exact_report() {
    let dir = root().join("tests/fixtures/invalid");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "only {} malformed inventories", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(case).unwrap();
        let shown = Path::new("tests/fixtures/invalid").join(&name);
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
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
