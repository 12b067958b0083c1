//! The text templates in `templates/`, compiled into the binary, with the filters they use.

use std::collections::HashMap;
use std::sync::OnceLock;

use tera::{Context, Tera, Value};

use super::escape::{self, Unwritable};

const TEMPLATES: &[(&str, &str)] = &[
    ("hosts", include_str!("../../templates/hosts.tera")),
    ("hadoop-env.sh", include_str!("../../templates/hadoop-env.sh.tera")),
    ("log4j.properties", include_str!("../../templates/log4j.properties.tera")),
    ("zoo.cfg", include_str!("../../templates/zoo.cfg.tera")),
    ("logback.xml", include_str!("../../templates/logback.xml.tera")),
    ("my.cnf", include_str!("../../templates/my.cnf.tera")),
    ("metastore.sql", include_str!("../../templates/metastore.sql.tera")),
    ("bootstrap.conf", include_str!("../../templates/bootstrap.conf.tera")),
    ("state-management.xml", include_str!("../../templates/state-management.xml.tera")),
    ("nifi.properties", include_str!("../../templates/nifi.properties.tera")),
    ("nifi-logback.xml", include_str!("../../templates/nifi-logback.xml.tera")),
    ("authorizers.xml", include_str!("../../templates/authorizers.xml.tera")),
    ("login-identity-providers.xml", include_str!("../../templates/login-identity-providers.xml.tera")),
    ("nifi-zookeeper.properties", include_str!("../../templates/nifi-zookeeper.properties.tera")),
    ("postgresql.conf", include_str!("../../templates/postgresql.conf.tera")),
    ("pg_hba.conf", include_str!("../../templates/pg_hba.conf.tera")),
    ("mart-database.sql", include_str!("../../templates/mart-database.sql.tera")),
    ("mart-schema.sql", include_str!("../../templates/mart-schema.sql.tera")),
    ("unit.service", include_str!("../../templates/unit.service.tera")),
    ("crontab", include_str!("../../templates/crontab.tera")),
    ("Vagrantfile", include_str!("../../templates/Vagrantfile.tera")),
];

fn string_filter(f: fn(&str) -> String) -> impl tera::Filter {
    move |v: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
        let s = v.as_str().ok_or_else(|| tera::Error::msg("expected a string"))?;
        Ok(Value::String(f(s)))
    }
}

/// A filter for a format that cannot hold every string: rendering stops with the reason.
fn checked_filter(f: fn(&str) -> Result<String, Unwritable>) -> impl tera::Filter {
    move |v: &Value, _: &HashMap<String, Value>| -> tera::Result<Value> {
        let s = v.as_str().ok_or_else(|| tera::Error::msg("expected a string"))?;
        f(s).map(Value::String).map_err(|e| tera::Error::msg(e.to_string()))
    }
}

fn tera() -> &'static Tera {
    static TERA: OnceLock<Tera> = OnceLock::new();
    TERA.get_or_init(|| {
        let mut t = Tera::default();
        t.autoescape_on(vec![]);
        t.add_raw_templates(TEMPLATES.iter().copied()).expect("templates compile");
        t.register_filter("sh", string_filter(escape::sh_quote));
        t.register_filter("sql_str", string_filter(escape::sql_quote));
        t.register_filter("pg_ident", checked_filter(escape::pg_ident));
        t.register_filter("mysql_str", string_filter(escape::mysql_str));
        t.register_filter("mysql_ident", checked_filter(escape::mysql_ident));
        t.register_filter("xml", string_filter(escape::xml_text));
        t.register_filter("xml_comment", string_filter(escape::xml_comment));
        t.register_filter("props", string_filter(escape::properties));
        t.register_filter("mycnf", string_filter(escape::mycnf));
        t.register_filter("pgconf", string_filter(escape::pgconf));
        t.register_filter("ruby", string_filter(escape::ruby_str));
        t.register_filter("systemd", checked_filter(escape::systemd_value));
        t.register_filter("cron", checked_filter(escape::cron_word));
        t.register_filter("cron_env", checked_filter(escape::cron_env));
        t.register_filter("cron_fields", checked_filter(escape::cron_fields));
        t
    })
}

/// Renders the template `name` with `ctx`, ending in exactly one newline. A failure is a bug in `provision`, not bad input.
pub fn render(name: &str, ctx: &Context) -> String {
    match tera().render(name, ctx) {
        Ok(s) => format!("{}\n", s.trim_end()),
        Err(e) => {
            let mut msg = format!("template {name}: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            panic!("{msg}")
        }
    }
}

/// Builds a template context from `key => value` pairs of serializable values.
#[macro_export]
macro_rules! context {
    ($($key:literal => $value:expr),* $(,)?) => {{
        let mut ctx = tera::Context::new();
        $(ctx.insert($key, &$value);)*
        ctx
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        assert_eq!(tera().get_template_names().count(), TEMPLATES.len());
    }
}
