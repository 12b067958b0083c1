//! The grammars of inventory values that reach a shell, a config format, SQL, Ruby, cron or a
//! path. Each type can only be made by parsing (or from a built-in default), so a value of the
//! type has been checked; the sinks still quote or escape for their own format.
//!
//! Every parser returns the reason a value was refused, for validation to place at the key.

use std::ffi::OsStr;
use std::fmt;
use std::net::Ipv4Addr;
use std::ops::Deref;
use std::path::Path;

/// Implements the read-only string views shared by every checked value; with `defaults`, also
/// `From<&'static str>`, for the built-in defaults only (the literals of `settings.rs` and
/// validation's fallbacks, which the tests check against the grammar): inventory values go
/// through `parse`.
macro_rules! checked_str {
    ($name:ident, defaults) => {
        checked_str!($name);

        impl From<&'static str> for $name {
            fn from(s: &'static str) -> $name {
                $name(s.to_string())
            }
        }
    };
    ($name:ident) => {
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

/// The characters a path component may hold: letters, digits and `. _ + -`.
fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')
}

/// Checks the components of a `/`-separated path: none empty, `.` or `..`, each from the safe
/// character set; `extra` may allow one more whole component (`{host}` in a root).
fn check_components<'a>(components: impl Iterator<Item = &'a str>, extra: Option<&str>) -> Result<(), String> {
    for part in components {
        if part.is_empty() {
            return Err("has an empty component (\"//\" or a trailing \"/\")".into());
        }
        if part == "." || part == ".." {
            return Err(format!("has a \"{part}\" component; write the path it stands for"));
        }
        if Some(part) == extra {
            continue;
        }
        if let Some(bad) = part.chars().find(|c| !path_char(*c)) {
            return Err(format!("holds {}, which paths here may not", describe(bad)));
        }
    }
    Ok(())
}

/// A character named for an error message (control characters by code, never raw).
pub fn describe(c: char) -> String {
    match c {
        '\n' => "a newline".into(),
        '\r' => "a carriage return".into(),
        '\t' => "a tab".into(),
        '\0' => "a NUL byte".into(),
        ' ' => "a space".into(),
        '\'' => "a single quote".into(),
        '"' => "a double quote".into(),
        '`' => "a backtick".into(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c => format!("'{c}'"),
    }
}

/// An absolute, normalised path on a host: it starts with `/`, has no empty, `.` or `..`
/// component, is not `/` itself, and holds only letters, digits, `/` and `. _ + -`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPath(String);
checked_str!(HostPath, defaults);

impl HostPath {
    /// The longest path accepted.
    pub const MAX_LEN: usize = 1024;

    /// Checks `s` against the grammar.
    pub fn parse(s: &str) -> Result<HostPath, String> {
        let Some(rest) = s.strip_prefix('/') else {
            return Err("is not an absolute path (it must start with /)".into());
        };
        if rest.is_empty() {
            return Err("is the root folder itself; name a folder below it".into());
        }
        if s.len() > Self::MAX_LEN {
            return Err(format!("is longer than {} bytes", Self::MAX_LEN));
        }
        check_components(rest.split('/'), None)?;
        Ok(HostPath(s.to_string()))
    }
}

impl AsRef<Path> for HostPath {
    fn as_ref(&self) -> &Path {
        Path::new(&self.0)
    }
}

impl AsRef<OsStr> for HostPath {
    fn as_ref(&self) -> &OsStr {
        OsStr::new(&self.0)
    }
}

/// Checks a folder on the controlling machine that `provision` writes to (the state folder,
/// the hosts' root with `{host}`): normalised, from the safe character set, and when `host`
/// is asked for, holding `{host}` as one whole component.
pub fn check_controller_path(path: &Path, host: bool) -> Result<(), String> {
    let Some(s) = path.to_str() else {
        return Err("is not valid UTF-8".into());
    };
    let rest = s.strip_prefix('/').unwrap_or(s);
    if rest.is_empty() {
        return Err("is the root folder itself".into());
    }
    if host
        && (rest.split('/').filter(|p| *p == "{host}").count() != 1
            || rest.split('/').any(|p| p.contains("{host}") && p != "{host}"))
    {
        return Err("must hold {host} exactly once, as a whole folder name that stays in the path".into());
    }
    check_components(rest.split('/'), host.then_some("{host}"))
}

/// A POSIX user or group name: a lowercase letter or `_`, then up to 31 lowercase letters,
/// digits, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserName(String);
checked_str!(UserName, defaults);

impl UserName {
    /// Checks `s` against the grammar.
    pub fn parse(s: &str) -> Result<UserName, String> {
        let mut chars = s.chars();
        match chars.next() {
            None => return Err("is empty".into()),
            Some(c) if !(c.is_ascii_lowercase() || c == '_') => {
                return Err(format!("starts with {}; a user name starts with a lowercase letter or '_'", describe(c)));
            }
            Some(_) => {}
        }
        if s.len() > 32 {
            return Err("is longer than 32 characters".into());
        }
        if let Some(bad) = chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))) {
            return Err(format!("holds {}; use lowercase letters, digits, '_' or '-'", describe(bad)));
        }
        Ok(UserName(s.to_string()))
    }
}

/// Which database server an SQL name is for: each keeps names of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlServer {
    /// MySQL or MariaDB (the Hive metastore).
    Mysql,
    /// PostgreSQL (the mart).
    Postgres,
}

/// Whether an SQL name is a database's or a user's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlKind {
    /// A database.
    Database,
    /// A user (a role in PostgreSQL).
    User,
}

/// Words of SQL that would need quoting as names; refused so every statement stays plain.
const SQL_KEYWORDS: &[&str] = &[
    "all",
    "alter",
    "and",
    "as",
    "by",
    "column",
    "create",
    "current_user",
    "database",
    "default",
    "delete",
    "drop",
    "from",
    "grant",
    "group",
    "index",
    "insert",
    "into",
    "join",
    "key",
    "not",
    "null",
    "on",
    "or",
    "order",
    "public",
    "revoke",
    "schema",
    "select",
    "session_user",
    "table",
    "to",
    "union",
    "update",
    "user",
    "where",
    "with",
];

/// An SQL database or user name: a lowercase letter or `_`, then up to 62 lowercase letters,
/// digits or `_`; not an SQL keyword and not a name the server keeps for itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SqlName(String);
checked_str!(SqlName, defaults);

impl SqlName {
    /// Checks `s` against the grammar for a `kind` name on `server`.
    pub fn parse(s: &str, server: SqlServer, kind: SqlKind) -> Result<SqlName, String> {
        let mut chars = s.chars();
        match chars.next() {
            None => return Err("is empty".into()),
            Some(c) if !(c.is_ascii_lowercase() || c == '_') => {
                return Err(format!("starts with {}; an SQL name starts with a lowercase letter or '_'", describe(c)));
            }
            Some(_) => {}
        }
        if s.len() > 63 {
            return Err("is longer than 63 characters".into());
        }
        if let Some(bad) = chars.find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')) {
            return Err(format!("holds {}; use lowercase letters, digits or '_'", describe(bad)));
        }
        if SQL_KEYWORDS.contains(&s) {
            return Err("is an SQL keyword".into());
        }
        let kept: &[&str] = match (server, kind) {
            (SqlServer::Mysql, SqlKind::Database) => &["mysql", "sys", "information_schema", "performance_schema"],
            (SqlServer::Mysql, SqlKind::User) => &["root", "mysql", "mariadb", "sys"],
            (SqlServer::Postgres, SqlKind::Database) => &["postgres", "template0", "template1"],
            (SqlServer::Postgres, SqlKind::User) => &["postgres"],
        };
        if kept.contains(&s) || (server == SqlServer::Postgres && s.starts_with("pg_")) {
            return Err(match server {
                SqlServer::Mysql => "is a name MySQL and MariaDB keep for themselves",
                SqlServer::Postgres => "is a name PostgreSQL keeps for itself",
            }
            .into());
        }
        Ok(SqlName(s.to_string()))
    }
}

/// The five time fields of a cron schedule, each a list of `*`, values and ranges with
/// optional steps, within the field's bounds; month and weekday names allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(String);
checked_str!(Schedule);

impl Schedule {
    /// Every hour on the hour.
    pub fn hourly() -> Schedule {
        Schedule("0 * * * *".into())
    }

    /// Checks `s` against the grammar; the fields are kept separated by single spaces.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        if let Some(bad) = s.chars().find(|c| c.is_control() && *c != '\t') {
            return Err(format!("holds {}", describe(bad)));
        }
        let fields: Vec<&str> = s.split([' ', '\t']).filter(|f| !f.is_empty()).collect();
        if fields.len() != 5 {
            return Err(format!("has {} fields; a schedule has the five cron time fields", fields.len()));
        }
        const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
            ("minute", 0, 59, &[]),
            ("hour", 0, 23, &[]),
            ("day of month", 1, 31, &[]),
            ("month", 1, 12, &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
            ("day of week", 0, 7, &["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
        ];
        for (field, (what, lo, hi, names)) in fields.iter().zip(FIELDS) {
            check_cron_field(field, lo, hi, names).map_err(|e| format!("has a bad {what} field \"{field}\": {e}"))?;
        }
        Ok(Schedule(fields.join(" ")))
    }
}

fn check_cron_field(field: &str, lo: u32, hi: u32, names: &[&str]) -> Result<(), String> {
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(i as u32 + lo);
        }
        match v.parse::<u32>() {
            Ok(n) if (lo..=hi).contains(&n) && v.chars().all(|c| c.is_ascii_digit()) => Ok(n),
            Ok(n) => Err(format!("{n} is outside {lo}-{hi}")),
            Err(_) => Err(format!("\"{v}\" is not a number")),
        }
    };
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n > 0 && step.chars().all(|c| c.is_ascii_digit()) => {}
                _ => return Err(format!("\"{step}\" is not a step")),
            }
        }
        if range == "*" {
            continue;
        }
        match range.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (value(a)?, value(b)?);
                if a > b {
                    return Err(format!("the range {a}-{b} runs backwards"));
                }
            }
            None => {
                value(range)?;
            }
        }
    }
    Ok(())
}

/// A Vagrant box name, `owner/name`, each part letters, digits, `. _ -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxName(String);
checked_str!(BoxName, defaults);

impl BoxName {
    /// Checks `s` against the grammar.
    pub fn parse(s: &str) -> Result<BoxName, String> {
        let Some((owner, name)) = s.split_once('/') else {
            return Err("is not owner/name".into());
        };
        for part in [owner, name] {
            let ok = part.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !ok {
                return Err("is not owner/name of letters, digits, '.', '_' or '-'".into());
            }
        }
        Ok(BoxName(s.to_string()))
    }
}

/// An http(s) URL with a host and no user name or password in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(String);
checked_str!(HttpUrl, defaults);

impl HttpUrl {
    /// Checks `s`; the URL is kept as written (less a trailing `/` when `trim` is asked for).
    pub fn parse(s: &str, trim: bool) -> Result<HttpUrl, String> {
        if let Some(bad) = s.chars().find(|c| c.is_control() || c.is_whitespace()) {
            return Err(format!("holds {}", describe(bad)));
        }
        let after_scheme = s.strip_prefix("http://").or_else(|| s.strip_prefix("https://"));
        if after_scheme.is_none_or(|rest| rest.is_empty() || rest.starts_with('/')) {
            return Err("is not an http(s) URL with a host".into());
        }
        let url = reqwest::Url::parse(s).map_err(|e| format!("is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("is not an http(s) URL".into());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("names no host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("holds a user name or password; keep credentials out of the inventory".into());
        }
        Ok(HttpUrl(if trim { s.trim_end_matches('/').to_string() } else { s.to_string() }))
    }
}

/// A single line of text with no control characters and no leading or trailing space, at most
/// `max` characters: category names, which reach SQL literals, CSV and messages.
pub fn check_line(s: &str, max: usize) -> Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if let Some(bad) = s.chars().find(|c| c.is_control()) {
        return Err(format!("holds {}", describe(bad)));
    }
    if s.trim() != s {
        return Err("starts or ends with white space".into());
    }
    if s.chars().count() > max {
        return Err(format!("is longer than {max} characters"));
    }
    Ok(())
}

/// An RFC 1123 host label: 1 to 63 lowercase letters, digits and `-`, neither first nor last.
pub fn check_host_name(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 63 {
        return Err("must be 1 to 63 characters".into());
    }
    if let Some(bad) = s.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(format!("holds {}; use lowercase letters, digits and '-'", describe(bad)));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("starts or ends with '-'".into());
    }
    Ok(())
}

/// Where the hosts of an inventory are, which decides the addresses they may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every host on this machine (the local transport): loopback addresses only.
    Local,
    /// Existing hosts over SSH: any unicast address, loopback included (an sshd on this
    /// machine, such as a container's forwarded port).
    Ssh,
    /// VMs Vagrant creates on a host-only network: never loopback, never a /24's network or
    /// broadcast address.
    Vagrant,
}

/// Checks that `ip` can be one host's own address where the hosts are.
pub fn check_host_address(ip: Ipv4Addr, reach: Reach) -> Result<(), String> {
    if ip.is_unspecified() {
        return Err("is the unspecified address, not a host's".into());
    }
    if ip.is_broadcast() || ip.is_multicast() {
        return Err("is a broadcast or multicast address, not a host's".into());
    }
    match reach {
        Reach::Local if !ip.is_loopback() => {
            Err("is not a loopback address; the local transport runs every host on this machine".into())
        }
        Reach::Vagrant if ip.is_loopback() => Err("is a loopback address; a VM needs an address of its own".into()),
        Reach::Vagrant if matches!(ip.octets()[3], 0 | 255) => {
            Err("ends in .0 or .255: the network or broadcast address of a /24, not a host's".into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_are_absolute_normalised_and_plain() {
        assert!(HostPath::parse("/opt/hadoop-3.5.0/etc").is_ok());
        for bad in [
            "opt/x", "/", "/a//b", "/a/", "/a/../b", "/a/./b", "/a b", "/a;b", "/a$(id)", "/a`id`", "/a'b", "/a\"b",
            "/a\nb", "/a\0b", "/a:b", "/a,b", "/a\\b", "/a*b",
        ] {
            assert!(HostPath::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(HostPath::parse(&format!("/{}", "a".repeat(1100))).is_err());
    }

    #[test]
    fn controller_paths_keep_host_as_a_whole_component() {
        assert!(check_controller_path(Path::new("/w/.provision/local/hosts/{host}"), true).is_ok());
        assert!(check_controller_path(Path::new("/w/.provision/local"), false).is_ok());
        assert!(check_controller_path(Path::new("/"), true).is_err());
        assert!(check_controller_path(Path::new("/w/a{host}"), true).is_err());
        assert!(check_controller_path(Path::new("/w/{host}/{host}"), true).is_err());
        assert!(check_controller_path(Path::new("/w/x"), true).is_err());
        assert!(check_controller_path(Path::new("/my projects/x"), false).is_err());
    }

    #[test]
    fn user_names_are_posix_names() {
        for ok in ["hadoop", "_svc", "a-b_1"] {
            assert!(UserName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-rf", "Root", "1abc", "a b", "a;b", &"a".repeat(33)] {
            assert!(UserName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn sql_names_refuse_keywords_and_the_servers_own() {
        use SqlKind::*;
        use SqlServer::*;
        assert!(SqlName::parse("metastore", Mysql, Database).is_ok());
        assert!(SqlName::parse("dm_admin", Postgres, User).is_ok());
        for (bad, server, kind) in [
            ("mysql", Mysql, Database),
            ("information_schema", Mysql, Database),
            ("root", Mysql, User),
            ("postgres", Postgres, User),
            ("template1", Postgres, Database),
            ("pg_monitor", Postgres, User),
            ("select", Postgres, Database),
            ("a-b", Mysql, User),
            ("a'b", Mysql, User),
            ("", Mysql, User),
        ] {
            assert!(SqlName::parse(bad, server, kind).is_err(), "{bad:?} accepted");
        }
        assert!(SqlName::parse("postgres", Mysql, User).is_ok(), "a PostgreSQL name is free on MySQL");
    }

    #[test]
    fn schedules_are_five_cron_fields() {
        assert_eq!(Schedule::parse(" 0  *\t* * * ").unwrap().to_string(), "0 * * * *");
        for ok in ["*/5 * * * *", "0 9-17 * * mon-fri", "15,45 0-23/2 1 jan-dec 7"] {
            assert!(Schedule::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "@reboot root id",
            "* * * * * root",
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "0 * * * *\n* * * * * root id",
            "5-1 * * * *",
            "*/0 * * * *",
            "0 * * * $(id)",
            "0 * * foo *",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn box_names_are_owner_slash_name() {
        assert!(BoxName::parse("provision/debian12").is_ok());
        for bad in ["debian", "a/b/c", "a\"; system('id'); \"/b", "/b", "a/", "a/#{`id`}"] {
            assert!(BoxName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn urls_are_http_with_a_host_and_no_credentials() {
        assert!(HttpUrl::parse("https://archive.apache.org/dist/", true).is_ok());
        assert_eq!(HttpUrl::parse("http://h/x/", true).unwrap().to_string(), "http://h/x");
        for bad in ["ftp://h/x", "http://", "http:///x", "https://u:p@h/x", "http://h/a b", "file:///etc/passwd"] {
            assert!(HttpUrl::parse(bad, false).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn addresses_are_unicast_and_loopback_only_on_one_machine() {
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert!(check_host_address(ip("192.168.56.100"), Reach::Vagrant).is_ok());
        assert!(check_host_address(ip("127.0.10.1"), Reach::Local).is_ok());
        assert!(check_host_address(ip("127.11.0.2"), Reach::Ssh).is_ok());
        for (bad, reach) in [
            ("0.0.0.0", Reach::Ssh),
            ("255.255.255.255", Reach::Ssh),
            ("224.0.0.1", Reach::Vagrant),
            ("0.0.0.0", Reach::Local),
            ("127.0.0.1", Reach::Vagrant),
            ("192.168.56.255", Reach::Vagrant),
            ("192.168.56.0", Reach::Vagrant),
            ("192.168.56.10", Reach::Local),
        ] {
            assert!(check_host_address(ip(bad), reach).is_err(), "{bad} accepted ({reach:?})");
        }
    }

    #[test]
    fn lines_and_host_names() {
        assert!(check_line("패션의류", 64).is_ok());
        for bad in ["", " a", "a\nb", "a\u{7}", &"가".repeat(65)] {
            assert!(check_line(bad, 64).is_err(), "{bad:?} accepted");
        }
        assert!(check_host_name("dn01").is_ok());
        for bad in ["", "-a", "a-", "A", "a.b", &"a".repeat(64)] {
            assert!(check_host_name(bad).is_err(), "{bad:?} accepted");
        }
    }
}
