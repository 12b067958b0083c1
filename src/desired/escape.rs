//! One writer per output format for values that come from the inventory or the secrets. The
//! inventory's grammars already keep hostile text out; these make sure that whatever reaches a
//! file or a command still means exactly the value, or is refused as [`Unwritable`].

/// A value the format has no way to hold (a line break in a crontab line, a NUL in SQL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} cannot hold {what} (in {value:?})")]
pub struct Unwritable {
    /// The format.
    pub format: &'static str,
    /// What it cannot hold.
    pub what: String,
    /// The value.
    pub value: String,
}

fn unwritable(format: &'static str, value: &str, c: char) -> Unwritable {
    Unwritable { format, what: crate::model::values::describe(c), value: value.to_string() }
}

/// Quotes a string as one word for POSIX sh: wrapped in single quotes, inner quotes escaped.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Quotes a string as a PostgreSQL literal (standard_conforming_strings, the default since 9.1).
pub fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Quotes a string as a PostgreSQL identifier; NUL cannot be held.
pub fn pg_ident(s: &str) -> Result<String, Unwritable> {
    if s.contains('\0') {
        return Err(unwritable("a PostgreSQL identifier", s, '\0'));
    }
    Ok(format!("\"{}\"", s.replace('"', "\"\"")))
}

/// Quotes a string as a MySQL/MariaDB literal, where a backslash escapes too.
pub fn mysql_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1a}' => out.push_str("\\Z"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes a string as a MySQL/MariaDB identifier in backticks; NUL cannot be held.
pub fn mysql_ident(s: &str) -> Result<String, Unwritable> {
    if s.contains('\0') {
        return Err(unwritable("a MySQL identifier", s, '\0'));
    }
    Ok(format!("`{}`", s.replace('`', "``")))
}

/// Escapes text for an XML element body or attribute. Characters XML 1.0 cannot hold at all
/// (C0 controls but tab, line feed and carriage return) become U+FFFD; tab, line feed and
/// carriage return are written as references so no parser folds them.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Text for inside an XML comment, which may not hold `--` or end in `-`; line breaks and
/// controls become spaces (a comment only informs).
pub fn xml_comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == '-' && out.ends_with('-') {
            out.push(' ');
        }
        out.push(c);
    }
    if out.ends_with('-') {
        out.push(' ');
    }
    out
}

/// Escapes a value (or part of one) of a Java `.properties` file as `Properties.load` reads
/// it: backslash, line breaks, tab and form feed escaped, a leading space, `#` or `!` escaped,
/// and anything outside printable ASCII as `\uXXXX` (the file is read as ISO 8859-1).
pub fn properties(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            ' ' | '#' | '!' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out
}

/// A whole value of a MySQL option file (my.cnf): as it is when it holds only letters, digits
/// and `/ . _ + -`, else in double quotes with backslash, line breaks and tab escaped, so the
/// value stays on its line.
pub fn mycnf(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '+' | '-')) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escapes text for inside a single-quoted postgresql.conf string: quotes doubled,
/// backslashes and line breaks escaped.
pub fn pgconf(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// A URL inside an apt configuration string (`"..."`), which has no escapes: the characters
/// that would end or break it (`"`, `\\`, `;`, braces, controls, space) percent-encoded, as a
/// URL may carry them.
pub fn apt_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '\\' | ';' | '{' | '}' | ' ' => out.push_str(&format!("%{:02X}", c as u32)),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Quotes a string as a double-quoted Ruby literal that interpolates nothing.
pub fn ruby_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '#' => out.push_str("\\#"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One word of a systemd `ExecStart=` line: specifiers (`%`) and variables (`$`) doubled,
/// and quoted with C escapes when it holds white space, quotes, backslashes or `;`.
pub fn systemd_exec_word(arg: &str) -> String {
    systemd_word(&arg.replace('$', "$$"))
}

/// One word of a systemd `Environment=` line (no `$` expansion there).
pub fn systemd_env_word(arg: &str) -> String {
    systemd_word(arg)
}

fn systemd_word(arg: &str) -> String {
    let arg = arg.replace('%', "%%");
    let plain = !arg.is_empty()
        && !arg.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\' | ';'));
    if plain {
        return arg;
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    for c in arg.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A whole systemd unit value that is not split into words (`WorkingDirectory=`,
/// `Description=`): specifiers doubled; a line break or control character cannot be held.
pub fn systemd_value(s: &str) -> Result<String, Unwritable> {
    match s.chars().find(|c| c.is_control()) {
        Some(c) => Err(unwritable("a systemd unit value", s, c)),
        None => Ok(s.replace('%', "%%")),
    }
}

/// A word of a crontab command: quoted for sh, then `%` escaped (cron turns it into a line
/// break); a line break cannot be held in a crontab line at all.
pub fn cron_word(s: &str) -> Result<String, Unwritable> {
    // A backslash is refused too: cron's own escape of `%` makes it ambiguous.
    match s.chars().find(|c| matches!(c, '\n' | '\r' | '\0' | '\\')) {
        Some(c) => Err(unwritable("a crontab line", s, c)),
        None => Ok(sh_quote(s).replace('%', "\\%")),
    }
}

/// The value of a crontab environment line, quoted so cron keeps it whole; cron has no
/// escapes, so a line break, or both kinds of quote, cannot be held.
pub fn cron_env(s: &str) -> Result<String, Unwritable> {
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(unwritable("a crontab line", s, c));
    }
    if !s.contains('"') {
        Ok(format!("\"{s}\""))
    } else if !s.contains('\'') {
        Ok(format!("'{s}'"))
    } else {
        Err(unwritable("a crontab environment line", s, '\''))
    }
}

/// The five time fields of a crontab line, each only of cron's own characters.
pub fn cron_fields(s: &str) -> Result<String, Unwritable> {
    let fields: Vec<&str> = s.split(' ').collect();
    if fields.len() != 5 {
        return Err(Unwritable {
            format: "a crontab line",
            what: "other than five time fields".into(),
            value: s.into(),
        });
    }
    match s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '*' | '/' | ',' | '-'))) {
        Some(c) => Err(unwritable("crontab time fields", s, c)),
        None => Ok(s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn apt_strings_keep_a_url_inside_its_quotes() {
        assert_eq!(super::apt_str("http://192.168.56.1:3142"), "http://192.168.56.1:3142");
        let hostile = super::apt_str("http://p/\";\nAPT::Get::x \"1\\{}");
        assert!(!hostile.contains(['"', '\n', ';', '\\', '{', '}']), "{hostile}");
        assert_eq!(hostile, "http://p/%22%3B%0AAPT::Get::x%20%221%5C%7B%7D");
    }

    use super::*;

    /// Values no validation lets through, for every writer.
    const HOSTILE: &[&str] = &[
        "plain",
        "a b",
        "it's",
        "say \"hi\"",
        "back\\slash",
        "new\nline",
        "cr\rlf",
        "tab\there",
        "$(id) `id` ${HOME} $HOME",
        "50% %h %%",
        "#!comment",
        " leading",
        "--a--b-",
        "<x>&amp;</x>",
        "#{`id`}",
        "패션의류 e쿠폰",
        "😀",
        "semi;colon",
        "'; DROP TABLE x; --",
        "\\'",
        "",
    ];

    /// What `sh -c 'printf %s WORD'` prints.
    fn through_sh(word: &str) -> String {
        let out = std::process::Command::new("sh").arg("-c").arg(format!("printf %s {word}")).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn sh_words_come_back_whole() {
        for v in HOSTILE {
            assert_eq!(through_sh(&sh_quote(v)), *v, "{v:?}");
        }
    }

    /// Java's Properties.load for one value (after the separator).
    fn java_unescape(s: &str) -> String {
        let mut out = String::new();
        let mut it = s.chars().peekable();
        while let Some(c) = it.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match it.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('f') => out.push('\u{c}'),
                Some('u') => {
                    let hex: String = (0..4).filter_map(|_| it.next()).collect();
                    let unit = u16::from_str_radix(&hex, 16).unwrap();
                    if (0xd800..0xdc00).contains(&unit) {
                        assert_eq!((it.next(), it.next()), (Some('\\'), Some('u')));
                        let hex: String = (0..4).filter_map(|_| it.next()).collect();
                        let low = u16::from_str_radix(&hex, 16).unwrap();
                        out.push_str(&String::from_utf16(&[unit, low]).unwrap());
                    } else {
                        out.push(char::from_u32(unit as u32).unwrap());
                    }
                }
                Some(c) => out.push(c),
                None => {}
            }
        }
        out
    }

    #[test]
    fn properties_values_come_back_whole_on_one_latin1_line() {
        for v in HOSTILE {
            let e = properties(v);
            assert!(!e.contains('\n') && !e.contains('\r') && e.is_ascii(), "{v:?} -> {e:?}");
            assert!(!e.starts_with(' ') && !e.starts_with('#') && !e.starts_with('!'), "{v:?} -> {e:?}");
            assert_eq!(java_unescape(&e), *v, "{v:?} -> {e:?}");
        }
    }

    #[test]
    fn xml_text_parses_back() {
        for v in HOSTILE {
            let doc = format!("<a b=\"{}\">{}</a>", xml_text(v), xml_text(v));
            let parsed = roxmltree::Document::parse(&doc).unwrap_or_else(|e| panic!("{v:?}: {e}"));
            let root = parsed.root_element();
            assert_eq!(root.attribute("b"), Some(*v), "{v:?}");
            assert_eq!(root.text().unwrap_or(""), *v, "{v:?}");
        }
        let doc = format!("<a>{}</a>", xml_text("bell\u{7}"));
        assert!(roxmltree::Document::parse(&doc).is_ok(), "a control character breaks the document");
    }

    #[test]
    fn xml_comments_stay_comments() {
        for v in HOSTILE {
            let doc = format!("<!-- {} --><a/>", xml_comment(v));
            assert!(roxmltree::Document::parse(&doc).is_ok(), "{v:?} -> {doc}");
        }
    }

    /// How MySQL reads a quoted literal (sql_mode without NO_BACKSLASH_ESCAPES).
    fn mysql_unquote(s: &str) -> String {
        let inner = &s[1..s.len() - 1];
        let mut out = String::new();
        let mut it = inner.chars();
        while let Some(c) = it.next() {
            match c {
                '\\' => match it.next().unwrap() {
                    '0' => out.push('\0'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    'Z' => out.push('\u{1a}'),
                    c => out.push(c),
                },
                '\'' => {
                    assert_eq!(it.next(), Some('\''), "a lone quote ends the literal early in {s:?}");
                    out.push('\'');
                }
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn mysql_literals_come_back_whole() {
        for v in HOSTILE.iter().chain(&["\0", "x\\' OR 1=1 -- "]) {
            assert_eq!(mysql_unquote(&mysql_str(v)), *v, "{v:?}");
        }
    }

    #[test]
    fn identifiers_double_their_quote() {
        assert_eq!(pg_ident("a\"b").unwrap(), "\"a\"\"b\"");
        assert_eq!(mysql_ident("a`b").unwrap(), "`a``b`");
        assert!(pg_ident("a\0").is_err());
        assert!(mysql_ident("a\0").is_err());
        assert_eq!(sql_quote("it's"), "'it''s'");
    }

    #[test]
    fn mycnf_and_pgconf_values_stay_on_their_line() {
        for v in HOSTILE {
            for e in [mycnf(v), pgconf(v)] {
                assert!(!e.contains('\n') && !e.contains('\r'), "{v:?} -> {e:?}");
            }
            // Inside '...', every quote of the value is doubled, so none closes the string.
            let pg = pgconf(v);
            assert_eq!(pg.replace("''", "").matches('\'').count(), 0, "{v:?} -> {pg:?}");
            let my = mycnf(v);
            assert!(my == *v || (my.starts_with('"') && my.ends_with('"')), "{v:?} -> {my:?}");
            assert!(
                my == *v || v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()),
                "{v:?} quoted needlessly"
            );
        }
    }

    #[test]
    fn ruby_strings_interpolate_nothing() {
        for v in HOSTILE {
            let program = format!("print {}", ruby_str(v));
            let out = std::process::Command::new("ruby")
                .arg("-e")
                .arg(&program)
                .output()
                .expect("ruby runs the Vagrantfile's strings (apt-get install ruby)");
            assert_eq!(String::from_utf8(out.stdout).unwrap(), *v, "{program}");
        }
    }

    #[test]
    fn systemd_words_hold_no_line_break_or_expansion() {
        for v in HOSTILE {
            for e in [systemd_exec_word(v), systemd_env_word(v)] {
                assert!(!e.contains('\n') && !e.contains('\r'), "{v:?} -> {e:?}");
                assert_eq!(e.replace("%%", "").matches('%').count(), 0, "{v:?} -> {e:?}");
            }
            assert_eq!(systemd_exec_word(v).replace("$$", "").matches('$').count(), 0, "{v:?}");
        }
        assert_eq!(systemd_exec_word("-Xmx1g"), "-Xmx1g");
        assert_eq!(systemd_exec_word("a b"), "\"a b\"");
        assert_eq!(systemd_exec_word("50%"), "50%%");
        assert_eq!(systemd_exec_word("say \"hi\""), "\"say \\\"hi\\\"\"");
        assert_eq!(systemd_exec_word("a\nb"), "\"a\\nb\"");
        assert!(systemd_value("/x\nExecStartPre=/bin/sh").is_err());
        assert_eq!(systemd_value("50% of %h").unwrap(), "50%% of %%h");
    }

    #[test]
    fn cron_lines_stay_one_line() {
        assert!(cron_word("/x\n* * * * * root id").is_err());
        assert_eq!(cron_word("/a%b").unwrap(), "'/a\\%b'");
        assert!(cron_env("/x\ny").is_err());
        assert!(cron_env("a'b\"c").is_err());
        assert_eq!(cron_env("/var/lib/provision").unwrap(), "\"/var/lib/provision\"");
        assert!(cron_fields("@reboot").is_err());
        assert!(cron_fields("0 * * * * root").is_err());
        assert!(cron_fields("0 * * * $(id)").is_err());
        assert_eq!(cron_fields("0 * * * *").unwrap(), "0 * * * *");
        assert!(cron_word("\\%").is_err());
        for v in HOSTILE.iter().filter(|v| !v.contains(['\n', '\r', '\\'])) {
            let word = cron_word(v).unwrap();
            // cron gives sh the line with each \% turned back into %.
            assert_eq!(through_sh(&word.replace("\\%", "%")), *v, "{v:?}");
        }
    }
}
