//! Problems found in an inventory, each pinned to a file, line, column and key.
//!
//! Owns only formatting; it knows nothing of what an inventory means.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in an inventory file, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The dotted key the problem is about, e.g. `hosts[2].roles[0]`.
    pub key: String,
    /// Byte range in the source the problem points at.
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem at `span` about `key`.
    pub fn new(key: impl Into<String>, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { key: key.into(), span, message: message.into(), hint: None }
    }

    /// The same problem with a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Every problem of one inventory file, ready to print.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// The file the problems are in, as the user named it.
    pub file: PathBuf,
    /// The file's text, for line numbers and excerpts.
    pub source: String,
    /// The problems, in source order.
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Collects `items` for `file`, sorted by position so they read top to bottom.
    pub fn new(file: &Path, source: &str, mut items: Vec<Diagnostic>) -> Self {
        items.sort_by(|a, b| (a.span.start, &a.key).cmp(&(b.span.start, &b.key)));
        items.dedup();
        Diagnostics { file: file.to_path_buf(), source: source.to_string(), items }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let before = &self.source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.source[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.items.len();
        writeln!(
            f,
            "{}: {} problem{} in the inventory; nothing was changed",
            self.file.display(),
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.items {
            let (line, col) = self.line_col(d.span.start);
            writeln!(f, "{}:{}:{}: {}: {}", self.file.display(), line, col, d.key, d.message)?;
            let text = self.source.lines().nth(line - 1).unwrap_or("");
            let width = self.source[d.span.clone()]
                .lines()
                .next()
                .map_or(1, |s| s.chars().count().max(1))
                .min(text.chars().count().saturating_sub(col - 1).max(1));
            writeln!(f, "{line:>5} | {text}")?;
            writeln!(f, "      | {}{}", " ".repeat(col - 1), "^".repeat(width))?;
            if let Some(h) = &d.hint {
                writeln!(f, "      = hint: {h}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
