//! A reader over a parsed TOML document that keeps every value's position and collects
//! every problem instead of stopping at the first: unknown keys, wrong types, missing keys.
//!
//! Owns no knowledge of the inventory's meaning; `schema` says which keys exist.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::Diagnostic;

/// A value together with the byte range it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value read.
    pub value: T,
    /// Where it was written.
    pub span: Range<usize>,
}

impl<T> Located<T> {
    /// A value at a span.
    pub fn new(value: T, span: Range<usize>) -> Self {
        Located { value, span }
    }
}

/// Collected problems, shared by every table being read.
#[derive(Debug, Default)]
pub struct Sink {
    /// Problems so far.
    pub items: Vec<Diagnostic>,
}

impl Sink {
    /// Records a problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
}

/// One TOML table being read: records which keys were asked for, so the rest are unknown.
pub struct Table<'t, 'i> {
    path: String,
    span: Range<usize>,
    table: &'t DeTable<'i>,
    known: BTreeSet<String>,
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'t, 'i> Table<'t, 'i> {
    /// The document's top-level table.
    pub fn root(doc: &'t Spanned<DeTable<'i>>) -> Self {
        Table { path: String::new(), span: 0..0, table: doc.get_ref(), known: BTreeSet::new() }
    }

    /// Where this table was written (its header, or the start of the file for the root).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The dotted path of `key` inside this table.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{}", self.path, key) }
    }

    /// The dotted path of this table.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn raw(&mut self, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.known.insert(key.to_string());
        self.table.get(key)
    }

    fn wrong_type(&self, sink: &mut Sink, key: &str, v: &Spanned<DeValue<'_>>, want: &str) {
        sink.push(Diagnostic::new(
            self.key_path(key),
            v.span(),
            format!("expected {want}, found {}", type_name(v.get_ref())),
        ));
    }

    fn missing(&self, sink: &mut Sink, key: &str, what: &str) {
        let table = match self.path.rsplit_once('[') {
            _ if self.path.is_empty() => "the top level".to_string(),
            Some((array, _)) => format!("this [[{array}]] entry"),
            None => format!("[{}]", self.path),
        };
        sink.push(
            Diagnostic::new(self.key_path(key), self.span(), format!("missing required key `{key}`"))
                .hint(format!("add `{key} = ...` ({what}) to {table}")),
        );
    }

    /// An optional string.
    pub fn str(&mut self, sink: &mut Sink, key: &str) -> Option<Located<String>> {
        let v = self.raw(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Located::new(s.to_string(), v.span())),
            _ => {
                self.wrong_type(sink, key, v, "a string");
                None
            }
        }
    }

    /// A required string; `what` describes it for the hint when it is missing.
    pub fn req_str(&mut self, sink: &mut Sink, key: &str, what: &str) -> Option<Located<String>> {
        if self.table.get(key).is_none() {
            self.known.insert(key.to_string());
            self.missing(sink, key, what);
            return None;
        }
        self.str(sink, key)
    }

    /// An optional non-negative integer that fits in `u64`.
    pub fn uint(&mut self, sink: &mut Sink, key: &str) -> Option<Located<u64>> {
        let v = self.raw(key)?;
        match v.get_ref() {
            DeValue::Integer(i) => {
                match i64::from_str_radix(i.as_str().replace('_', "").trim_start_matches('+'), i.radix())
                    .ok()
                    .and_then(|n| u64::try_from(n).ok())
                {
                    Some(n) => Some(Located::new(n, v.span())),
                    None => {
                        sink.push(Diagnostic::new(
                            self.key_path(key),
                            v.span(),
                            format!("expected a non-negative integer, found {}", i.as_str()),
                        ));
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(sink, key, v, "an integer");
                None
            }
        }
    }

    /// An optional array of strings; a non-string element is reported and skipped.
    pub fn str_list(&mut self, sink: &mut Sink, key: &str) -> Option<Located<Vec<Located<String>>>> {
        let v = self.raw(key)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(sink, key, v, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::String(s) => out.push(Located::new(s.to_string(), item.span())),
                other => sink.push(Diagnostic::new(
                    format!("{}[{i}]", self.key_path(key)),
                    item.span(),
                    format!("expected a string, found {}", type_name(other)),
                )),
            }
        }
        Some(Located::new(out, v.span()))
    }

    /// An optional sub-table.
    pub fn table(&mut self, sink: &mut Sink, key: &str) -> Option<Table<'t, 'i>> {
        let v = self.raw(key)?;
        match v.get_ref() {
            DeValue::Table(t) => {
                Some(Table { path: self.key_path(key), span: v.span(), table: t, known: BTreeSet::new() })
            }
            _ => {
                self.wrong_type(sink, key, v, "a table");
                None
            }
        }
    }

    /// The entries of an optional sub-table of open-ended keys (`[ports]`, `[software.digests]`)
    /// as `read` takes them; none when it is absent.
    pub fn entries<T>(
        &mut self,
        sink: &mut Sink,
        key: &str,
        read: impl FnOnce(&mut Table<'t, 'i>, &mut Sink) -> Vec<T>,
    ) -> Vec<T> {
        let Some(mut t) = self.table(sink, key) else { return Vec::new() };
        let out = read(&mut t, sink);
        t.finish(sink);
        out
    }

    /// An optional array of tables (`[[key]]`); each element is read as a table.
    pub fn tables(&mut self, sink: &mut Sink, key: &str) -> Vec<Table<'t, 'i>> {
        let Some(v) = self.raw(key) else { return Vec::new() };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(sink, key, v, "an array of tables");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => out.push(Table {
                    path: format!("{}[{i}]", self.key_path(key)),
                    span: item.span(),
                    table: t,
                    known: BTreeSet::new(),
                }),
                other => sink.push(Diagnostic::new(
                    format!("{}[{i}]", self.key_path(key)),
                    item.span(),
                    format!("expected a table, found {}", type_name(other)),
                )),
            }
        }
        out
    }

    /// Every key of this table whose value is an integer, for open-ended maps such as ports.
    pub fn uint_entries(&mut self, sink: &mut Sink) -> Vec<(Located<String>, Located<u64>)> {
        let keys: Vec<(String, Range<usize>)> =
            self.table.iter().map(|(k, _)| (k.get_ref().to_string(), k.span())).collect();
        let mut out = Vec::new();
        for (k, span) in keys {
            let key: &str = Box::leak(k.clone().into_boxed_str());
            if let Some(n) = self.uint(sink, key) {
                out.push((Located::new(k, span), n));
            }
        }
        out
    }

    /// Every key of this table whose value is a string, for open-ended maps such as paths.
    pub fn str_entries(&mut self, sink: &mut Sink) -> Vec<(Located<String>, Located<String>)> {
        let keys: Vec<(String, Range<usize>)> =
            self.table.iter().map(|(k, _)| (k.get_ref().to_string(), k.span())).collect();
        let mut out = Vec::new();
        for (k, span) in keys {
            if let Some(v) = self.str(sink, &k) {
                out.push((Located::new(k, span), v));
            }
        }
        out
    }

    /// Reports every key that was never asked for, naming the keys that are allowed here.
    pub fn finish(self, sink: &mut Sink) {
        for (k, _) in self.table.iter() {
            if !self.known.contains(k.get_ref().as_ref() as &str) {
                let allowed: Vec<&str> = self.known.iter().map(String::as_str).collect();
                sink.push(
                    Diagnostic::new(self.key_path(k.get_ref()), k.span(), format!("unknown key `{}`", k.get_ref()))
                        .hint(format!("allowed here: {}", allowed.join(", "))),
                );
            }
        }
    }
}
