//! The databases pass: the names `[metastore]` and `[mart]` give their database and its user.

use super::checked;
use crate::inventory::reader::Sink;
use crate::inventory::schema::{DatabaseSection, Str};
use crate::model::values::{SqlKind, SqlServer};
use crate::model::{Database, SqlName};

/// Checks `[table]` as names for `server`; `defaults` are the database and user when not written.
pub(super) fn check(
    sink: &mut Sink,
    table: &str,
    section: &DatabaseSection,
    server: SqlServer,
    defaults: (&'static str, &'static str),
) -> Option<Database> {
    let DatabaseSection { database, user } = section;
    let hint = "an SQL name of your own: lowercase letters, digits or '_', not a keyword or the server's own";
    let mut read = |key: &str, v: &Option<Str>, kind: SqlKind, default: &'static str| match v {
        Some(v) => checked(sink, format!("{table}.{key}"), v, hint, |s| SqlName::parse(s, server, kind)),
        None => Some(SqlName::from(default)),
    };
    let name = read("database", database, SqlKind::Database, defaults.0);
    let user = read("user", user, SqlKind::User, defaults.1);
    Some(Database { name: name?, user: user? })
}
