//! The pipeline passes: `[pipeline]`'s schedule, and the `[[categories]]` it crawls.

use std::collections::BTreeSet;

use super::checked;
use crate::inventory::diagnostic::Diagnostic;
use crate::inventory::reader::Sink;
use crate::inventory::schema::{CategoryEntry, Str};
use crate::model::values;
use crate::model::{Category, HttpUrl, Pipeline, Schedule};

/// Checks `[pipeline] schedule`, hourly when not written.
pub(super) fn schedule(schedule: Option<&Str>, sink: &mut Sink) -> Option<Pipeline> {
    let schedule = match schedule {
        None => Some(Schedule::hourly()),
        Some(s) => checked(
            sink,
            "pipeline.schedule",
            s,
            "give the five cron time fields, e.g. \"0 * * * *\" for every hour",
            Schedule::parse,
        ),
    };
    Some(Pipeline { schedule: schedule? })
}

/// Checks `[[categories]]`: each code, name and URL, and that codes and names are unique;
/// the original twelve when none are written.
pub(super) fn categories(entries: &[CategoryEntry], sink: &mut Sink) -> Option<Vec<Category>> {
    if entries.is_empty() {
        return Some(crate::model::original_categories());
    }
    let mut out = Vec::new();
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut ok = true;
    for CategoryEntry { path, code, name, url } in entries {
        let (Some(code), Some(name), Some(url)) = (code, name, url) else {
            ok = false;
            continue;
        };
        let code_ok =
            checked(sink, format!("{path}.code"), code, "a code is 1 to 16 letters, digits, '-' or '_'", |s| {
                match s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))) {
                    _ if s.is_empty() || s.len() > 16 => Err("is not 1 to 16 characters".to_string()),
                    Some(c) => Err(format!("holds {}", values::describe(c))),
                    None => Ok(()),
                }
            });
        let name_ok = checked(sink, format!("{path}.name"), name, "one line of at most 64 characters", |s| {
            values::check_line(s, 64)
        });
        let url_ok = checked(sink, format!("{path}.url"), url, "give the category's best-100 page", |s| {
            HttpUrl::parse(s, false)
        });
        if code_ok.is_none() || name_ok.is_none() || url_ok.is_none() {
            ok = false;
            continue;
        }
        if !names.insert(name.value.clone()) {
            ok = false;
            sink.push(
                Diagnostic::new(
                    format!("{path}.name"),
                    name.span.clone(),
                    format!("duplicate category name {:?}", name.value),
                )
                .hint("the mart tells categories apart by name: give each its own"),
            );
        }
        if !codes.insert(code.value.clone()) {
            ok = false;
            sink.push(
                Diagnostic::new(
                    format!("{path}.code"),
                    code.span.clone(),
                    format!("duplicate category code \"{}\"", code.value),
                )
                .hint("every category needs its own code"),
            );
        }
        out.push(Category { code: code.value.clone(), name: name.value.clone(), url: url.value.clone() });
    }
    ok.then_some(out)
}
