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

/// An inventory's text, to change values in by key, its comments and order kept.
///
/// A key is a dotted path: `cluster.state_dir`, `hdfs.replication`; in `[[hosts]]` the host
/// is picked by its name: `hosts.nn01.address`, `hosts.dn02.ports.datanode`. Only a value that
/// is there can be set, so an edit of a renamed or moved key fails the test instead of
/// leaving the inventory as it was.
pub struct Inventory {
    doc: toml_edit::DocumentMut,
}

impl Inventory {
    /// An inventory of the repository, e.g. `inventory/local.toml`.
    pub fn of(rel: &str) -> Inventory {
        Inventory::read(&root().join(rel))
    }

    /// The inventory file at `path`.
    pub fn read(path: &Path) -> Inventory {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc = text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Inventory { doc }
    }

    /// The inventory with the value at `key` replaced (its comment kept).
    pub fn set(mut self, key: &str, value: impl Into<toml_edit::Value>) -> Inventory {
        let mut parts = key.split('.');
        let mut table: &mut dyn toml_edit::TableLike = self.doc.as_table_mut();
        let mut part = parts.next().unwrap();
        loop {
            let item = table.get_mut(part).unwrap_or_else(|| panic!("{key}: the inventory has no `{part}` there"));
            let Some(next) = parts.next() else {
                let old = item.as_value_mut().unwrap_or_else(|| panic!("{key}: a table, not a value"));
                let decor = old.decor().clone();
                *old = value.into();
                *old.decor_mut() = decor;
                return self;
            };
            table = match item {
                toml_edit::Item::ArrayOfTables(hosts) => {
                    let host = hosts
                        .iter_mut()
                        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(next))
                        .unwrap_or_else(|| panic!("{key}: no `{part}` entry named `{next}`"));
                    part = parts.next().unwrap_or_else(|| panic!("{key}: a whole `{part}` entry, not a value"));
                    host
                }
                other => {
                    let inner = other.as_table_like_mut().unwrap_or_else(|| panic!("{key}: `{part}` is not a table"));
                    part = next;
                    inner
                }
            };
        }
    }

    /// The inventory's text.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// Writes the inventory to `path`; `path`.
    pub fn write(&self, path: &Path) -> PathBuf {
        std::fs::write(path, self.text()).unwrap();
        path.to_path_buf()
    }
}

/// A copy in `dir` of a VM inventory of the repository, with its state kept inside `dir`.
pub fn copy_inventory(rel: &str, dir: &Path) -> PathBuf {
    Inventory::of(rel).set("cluster.state_dir", "state").write(&dir.join(Path::new(rel).file_name().unwrap()))
}

/// inventory/local.toml with its state and its hosts' folders in `dir` (`state`,
/// `state/hosts/{host}`), as `dir/local.toml`.
pub fn local_inventory(dir: &Path) -> PathBuf {
    Inventory::of("inventory/local.toml")
        .set("cluster.root", "state/hosts/{host}")
        .set("cluster.state_dir", "state")
        .write(&dir.join("local.toml"))
}

#[test]
fn an_edit_changes_only_the_values_it_names_and_keeps_their_comments() {
    let original = std::fs::read_to_string(root().join("inventory/local.toml")).unwrap();
    let edited = Inventory::of("inventory/local.toml")
        .set("cluster.root", "elsewhere/{host}")
        .set("hdfs.replication", 2)
        .set("hosts.rm01.address", "127.0.10.9")
        .set("hosts.dn02.ports.datanode", 9000)
        .text();
    let changed: Vec<(&str, &str)> = original.lines().zip(edited.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(original.lines().count(), edited.lines().count());
    assert_eq!(
        changed.iter().map(|(_, b)| *b).collect::<Vec<_>>(),
        [
            "root = \"elsewhere/{host}\"   # every path of a host lives below its folder",
            "replication = 2",
            "address = \"127.0.10.9\"",
            "ports = { mapreduce_shuffle = 13563, datanode = 9000, datanode_http = 9874, datanode_ipc = 9877 }",
        ]
    );
}

#[test]
fn an_edit_of_a_key_that_is_not_there_fails() {
    for key in ["cluster.colour", "colour.name", "hosts.nn09.address", "hosts.nn01", "hosts.nn01.roles.x", "cluster"] {
        let edit = std::panic::catch_unwind(|| Inventory::of("inventory/local.toml").set(key, "x").text());
        assert!(edit.is_err(), "{key} was set");
    }
}
