//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use provision::desired::{self, Tree};
use provision::model::Cluster;
use provision::secrets::Secrets;

/// Held by the tests that load the whole machine (the local topology, the portable build), so
/// they run one after the other rather than starving each other's timeouts.
pub fn heavy() -> std::sync::MutexGuard<'static, ()> {
    static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether golden files should be rewritten instead of compared (`UPDATE_GOLDEN=1`).
pub fn updating() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

/// The fixed secrets of the golden files (read as TOML: git keeps the fixture 0644, which the
/// secrets loader refuses).
pub fn fixture_secrets() -> Secrets {
    toml::from_str(&std::fs::read_to_string(root().join("tests/fixtures/secrets.toml")).unwrap())
        .expect("complete fixture secrets")
}

/// Loads an inventory of the repository, panicking with its diagnostics if it is invalid.
pub fn cluster(rel: &str) -> Cluster {
    match provision::inventory::load(&root().join(rel)) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// Renders an inventory of the repository with the fixture secrets.
pub fn render(rel: &str) -> (Cluster, Tree) {
    let c = cluster(rel);
    let t = desired::render(&c, &fixture_secrets());
    (c, t)
}

/// The content of a rendered file, by its path in the render folder.
pub fn file<'t>(t: &'t Tree, rel: &str) -> &'t str {
    &t.files.get(rel).unwrap_or_else(|| panic!("{rel} was not rendered")).content
}

/// The properties of a Hadoop-style XML file.
pub fn site(xml: &str) -> BTreeMap<String, String> {
    let doc = roxmltree::Document::parse(xml).expect("valid XML");
    let mut out = BTreeMap::new();
    for p in doc.descendants().filter(|n| n.has_tag_name("property")) {
        let get =
            |tag: &str| p.children().find(|n| n.has_tag_name(tag)).and_then(|n| n.text()).unwrap_or("").to_string();
        assert!(out.insert(get("name"), get("value")).is_none(), "a property appears twice");
    }
    out
}

/// `key=value` lines of a properties-style file (comments and blank lines skipped).
pub fn key_values(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// A fresh temporary folder.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The `provision` binary built for these tests.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_provision"))
}

/// Copies an inventory of the repository into `dir`, with its state kept inside `dir`.
pub fn copy_inventory(rel: &str, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let text = text.replace("state_dir = \"../.provision/cluster\"", "state_dir = \"state\"");
    let path = dir.join(Path::new(rel).file_name().unwrap());
    std::fs::write(&path, text).unwrap();
    path
}
