//! Data marts on demand. A mart is a file (`marts/NAME.toml`): a HiveQL query over a range of
//! collection hours, the PostgreSQL table it fills, the table's columns in the query's order,
//! and the column whose value places a row in the range. The marts in this repository's
//! `marts/` folder are built in; a folder given with `--marts` adds to and overrides them.

pub mod load;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::pipeline::hour::Hour;

/// The mart `pipeline run` loads after every landing.
pub const DEFAULT: &str = "dm_gmarket";

/// The marts shipped with `provision`.
const BUILT_IN: &[(&str, &str)] = &[
    ("dm_gmarket", include_str!("../../marts/dm_gmarket.toml")),
    ("price_history", include_str!("../../marts/price_history.toml")),
    ("rank_movers", include_str!("../../marts/rank_movers.toml")),
];

/// A mart definition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mart {
    /// Its name: the file's name without `.toml`.
    #[serde(skip)]
    pub name: String,
    /// What it holds, in a line.
    pub description: String,
    /// The PostgreSQL table it fills.
    pub table: String,
    /// The table's columns, in the order the query returns them.
    pub columns: Vec<String>,
    /// The timestamp column that places a row in the range: a load replaces the rows whose
    /// value lies in the range's hours (unless `replaces` says otherwise).
    pub range_column: String,
    /// The rows a load replaces, as a PostgreSQL condition where `{from}` and `{to}` stand for
    /// the range's first and last hour as timestamps; by default `range_column` within the
    /// range's hours.
    #[serde(default)]
    pub replaces: Option<String>,
    /// PostgreSQL statements that create the table when it is missing.
    #[serde(default)]
    pub create: Option<String>,
    /// The HiveQL query; `{from}` and `{to}` stand for the range's first and last hour
    /// (`YYYY-MM-DDTHH`, the partition values).
    pub query: String,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Mart {
    /// Parses and checks the definition of mart `name`; `origin` names the file in errors.
    pub fn parse(name: &str, text: &str, origin: &str) -> Result<Mart, String> {
        let mut m: Mart = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        m.name = name.to_string();
        let bad = |what: String| Err(format!("{origin}: {what}"));
        if !is_identifier(name) {
            return bad(format!("the mart name {name:?} must be lower case letters, digits and _"));
        }
        for id in std::iter::once(&m.table).chain(&m.columns).chain(std::iter::once(&m.range_column)) {
            if !is_identifier(id) {
                return bad(format!("{id:?} is not a plain lower-case SQL name"));
            }
        }
        if m.columns.is_empty() {
            return bad("columns is empty".into());
        }
        if !m.columns.contains(&m.range_column) {
            return bad(format!("range_column {:?} is not one of the columns", m.range_column));
        }
        if !m.query.contains("{from}") || !m.query.contains("{to}") {
            return bad("the query must use both {from} and {to}".into());
        }
        Ok(m)
    }

    /// The query for the hours `from` to `to`.
    pub fn query_for(&self, from: Hour, to: Hour) -> String {
        self.query.replace("{from}", &from.to_string()).replace("{to}", &to.to_string()).trim().to_string()
    }
}

/// Every mart: the built-in ones, then those of `dir` (`*.toml`), which override by name.
pub fn all(dir: Option<&Path>) -> Result<BTreeMap<String, Mart>, String> {
    let mut out = BTreeMap::new();
    for (name, text) in BUILT_IN {
        out.insert(name.to_string(), Mart::parse(name, text, &format!("built-in mart {name}"))?);
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("reading the marts folder {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                out.insert(name.clone(), Mart::parse(&name, &text, &path.display().to_string())?);
            }
        }
    }
    Ok(out)
}

/// The mart called `name`.
pub fn find(name: &str, dir: Option<&Path>) -> Result<Mart, String> {
    let mut marts = all(dir)?;
    let known = marts.keys().cloned().collect::<Vec<_>>().join(", ");
    marts.remove(name).ok_or_else(|| format!("no mart called {name:?}; the marts are: {known}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_marts_parse_and_fill_their_range() {
        let marts = all(None).unwrap();
        assert_eq!(marts.keys().collect::<Vec<_>>(), ["dm_gmarket", "price_history", "rank_movers"]);
        let q =
            marts["dm_gmarket"].query_for(Hour::parse("2021-03-24T19").unwrap(), Hour::parse("2021-03-24T21").unwrap());
        assert!(q.contains("BETWEEN '2021-03-24T19' AND '2021-03-24T21'"), "{q}");
        assert!(!q.contains('{'));
    }

    #[test]
    fn a_bad_definition_names_the_file_and_the_problem() {
        let text = "description = \"x\"\ntable = \"t\"\ncolumns = [\"a\"]\nrange_column = \"b\"\nquery = \"SELECT '{from}' '{to}'\"\n";
        let err = Mart::parse("m", text, "marts/m.toml").unwrap_err();
        assert_eq!(err, "marts/m.toml: range_column \"b\" is not one of the columns");
        let err = Mart::parse("m", &text.replace("table = \"t\"", "table = \"t; DROP\""), "marts/m.toml").unwrap_err();
        assert!(err.contains("not a plain lower-case SQL name"), "{err}");
        let err = Mart::parse("m", &format!("{text}extra = 1\n"), "marts/m.toml").unwrap_err();
        assert!(err.starts_with("marts/m.toml:") && err.contains("extra"), "{err}");
        assert!(find("nope", None).unwrap_err().contains("dm_gmarket, price_history, rank_movers"));
    }
}
