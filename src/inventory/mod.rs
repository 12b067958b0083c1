//! Reading an inventory file: TOML as written (positions kept, unknown keys rejected), then
//! validation that reports every problem at once, then the validated [`Cluster`].

mod diagnostic;
mod reader;
mod schema;
mod validate;

use std::path::Path;

pub use diagnostic::{Diagnostic, Diagnostics};

use crate::model::Cluster;

/// Why an inventory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read inventory {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid inventory.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Reads and validates the inventory at `path`.
pub fn load(path: &Path) -> Result<Cluster, LoadError> {
    let source =
        std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: path.display().to_string(), source })?;
    parse(path, &source).map_err(LoadError::Invalid)
}

/// Validates inventory text; `path` names the file in messages and anchors relative paths.
pub fn parse(path: &Path, source: &str) -> Result<Cluster, Diagnostics> {
    let doc = match toml::de::DeTable::parse(source) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            let d = Diagnostic::new("(syntax)", span, format!("not valid TOML: {message}"))
                .hint("fix the syntax; see https://toml.io for the format");
            return Err(Diagnostics::new(path, source, vec![d]));
        }
    };
    let mut sink = reader::Sink::default();
    let mut root = reader::Table::root(&doc);
    let written = schema::read(&mut root, &mut sink);
    root.finish(&mut sink);
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let stem = path.file_stem().map_or("inventory".into(), |s| s.to_string_lossy().into_owned());
    match validate::validate(written, &dir, &stem, &mut sink) {
        Some(cluster) if sink.items.is_empty() => Ok(Cluster { source: source.to_string(), ..cluster }),
        _ => Err(Diagnostics::new(path, source, sink.items)),
    }
}
