//! Data marts on demand. A mart is a file (`marts/NAME.toml`): a HiveQL query over a range of
//! collection hours, the PostgreSQL table it fills, the table's columns in the query's order,
//! and the column whose value places a row in the range. The marts in this repository's
//! `marts/` folder are built in; a folder given with `--marts` adds to and overrides them.

pub mod db;
pub mod load;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dataset::hour::Hour;

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

/// A mart definition that is wrong, a marts folder that cannot be read, or an unknown mart.
#[derive(Debug, thiserror::Error)]
pub enum MartError {
    /// The file is not TOML of a mart definition.
    #[error("{origin}: {error}")]
    Toml {
        /// The file.
        origin: String,
        /// What is wrong.
        error: toml::de::Error,
    },
    /// The mart's name is not a plain name.
    #[error("{origin}: the mart name {name:?} must be lower case letters, digits and _")]
    Name {
        /// The file.
        origin: String,
        /// The name.
        name: String,
    },
    /// A table or column that is not a plain SQL name.
    #[error("{origin}: {id:?} is not a plain lower-case SQL name")]
    Identifier {
        /// The file.
        origin: String,
        /// The table or column.
        id: String,
    },
    /// No columns.
    #[error("{origin}: columns is empty")]
    NoColumns {
        /// The file.
        origin: String,
    },
    /// A range column that is not a column.
    #[error("{origin}: range_column {column:?} is not one of the columns")]
    RangeColumn {
        /// The file.
        origin: String,
        /// The range column.
        column: String,
    },
    /// A query without both placeholders.
    #[error("{origin}: the query must use both {{from}} and {{to}}")]
    Placeholders {
        /// The file.
        origin: String,
    },
    /// The marts folder cannot be listed.
    #[error("reading the marts folder {}: {error}", dir.display())]
    Folder {
        /// The folder.
        dir: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// An entry of the marts folder cannot be read.
    #[error("{0}")]
    Entry(std::io::Error),
    /// A mart file cannot be read.
    #[error("{}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: std::io::Error,
    },
    /// No mart has the name asked for.
    #[error("no mart called {name:?}; the marts are: {}", known.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The marts there are.
        known: Vec<String>,
    },
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Mart {
    /// Parses and checks the definition of mart `name`; `origin` names the file in errors.
    pub fn parse(name: &str, text: &str, origin: &str) -> Result<Mart, MartError> {
        let origin = origin.to_string();
        let mut m: Mart = match toml::from_str(text) {
            Ok(m) => m,
            Err(error) => return Err(MartError::Toml { origin, error }),
        };
        m.name = name.to_string();
        if !is_identifier(name) {
            return Err(MartError::Name { origin, name: name.to_string() });
        }
        for id in std::iter::once(&m.table).chain(&m.columns).chain(std::iter::once(&m.range_column)) {
            if !is_identifier(id) {
                return Err(MartError::Identifier { origin, id: id.clone() });
            }
        }
        if m.columns.is_empty() {
            return Err(MartError::NoColumns { origin });
        }
        if !m.columns.contains(&m.range_column) {
            return Err(MartError::RangeColumn { origin, column: m.range_column });
        }
        if !m.query.contains("{from}") || !m.query.contains("{to}") {
            return Err(MartError::Placeholders { origin });
        }
        Ok(m)
    }

    /// The error of this mart's load or export that failed with `problem`.
    fn failed(&self, problem: load::Problem) -> load::LoadError {
        load::LoadError::Mart { mart: self.name.clone(), problem }
    }

    /// The query for the hours `from` to `to`.
    pub fn query_for(&self, from: Hour, to: Hour) -> String {
        self.query.replace("{from}", &from.to_string()).replace("{to}", &to.to_string()).trim().to_string()
    }
}

/// Every mart: the built-in ones, then those of `dir` (`*.toml`), which override by name.
pub fn all(dir: Option<&Path>) -> Result<BTreeMap<String, Mart>, MartError> {
    let mut out = BTreeMap::new();
    for (name, text) in BUILT_IN {
        out.insert(name.to_string(), Mart::parse(name, text, &format!("built-in mart {name}"))?);
    }
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|error| MartError::Folder { dir: dir.to_path_buf(), error })?;
        for entry in entries {
            let path = entry.map_err(MartError::Entry)?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                let text =
                    std::fs::read_to_string(&path).map_err(|error| MartError::Read { path: path.clone(), error })?;
                out.insert(name.clone(), Mart::parse(&name, &text, &path.display().to_string())?);
            }
        }
    }
    Ok(out)
}

/// The mart called `name`.
pub fn find(name: &str, dir: Option<&Path>) -> Result<Mart, MartError> {
    let mut marts = all(dir)?;
    let known = marts.keys().cloned().collect();
    marts.remove(name).ok_or_else(|| MartError::Unknown { name: name.to_string(), known })
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
        let err = Mart::parse("m", text, "marts/m.toml").unwrap_err().to_string();
        assert_eq!(err, "marts/m.toml: range_column \"b\" is not one of the columns");
        let bad_table = text.replace("table = \"t\"", "table = \"t; DROP\"");
        let err = Mart::parse("m", &bad_table, "marts/m.toml").unwrap_err().to_string();
        assert!(err.contains("not a plain lower-case SQL name"), "{err}");
        let err = Mart::parse("m", &format!("{text}extra = 1\n"), "marts/m.toml").unwrap_err().to_string();
        assert!(err.starts_with("marts/m.toml:") && err.contains("extra"), "{err}");
        let query = text.replace("range_column = \"b\"", "range_column = \"a\"").replace("'{to}'", "");
        let err = Mart::parse("m", &query, "marts/m.toml").unwrap_err().to_string();
        assert_eq!(err, "marts/m.toml: the query must use both {from} and {to}");
        let err = find("nope", None).unwrap_err().to_string();
        assert!(err.ends_with("; the marts are: dm_gmarket, price_history, rank_movers"), "{err}");
    }
}
