//! Passwords and keys the cluster needs: generated once, kept in a state file that only its
//! owner may read, reused by every later render, never printed.
//!
//! Once a cluster's secrets were rendered or deployed, a missing or incomplete secrets file is
//! refused rather than filled with new values (which would no longer match the databases and
//! NiFi's stored flow), unless regenerating is asked for. The one exception is
//! `metastore_root_password`, added after the others: a file written before it existed lacks
//! it, nothing deployed uses it yet, so it is generated. It is written first, so a file cut at
//! a line boundary never lacks it alone.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

/// Every secret of one cluster. Its `Debug` form names no value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    /// The password of the metastore database server's root user (MySQL; MariaDB's root logs
    /// in through its socket only).
    pub metastore_root_password: String,
    /// The Hive metastore database user's password.
    pub metastore_password: String,
    /// The mart database user's password.
    pub mart_password: String,
    /// NiFi's sensitive-properties key; it must never change once NiFi has stored a flow.
    pub nifi_sensitive_key: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").finish_non_exhaustive()
    }
}

/// The state file as stored, where a later version may have added keys an old file lacks.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    metastore_root_password: Option<String>,
    metastore_password: Option<String>,
    mart_password: Option<String>,
    nifi_sensitive_key: Option<String>,
}

/// What the crawler host keeps: the mart's password only.
#[derive(Serialize)]
struct CrawlerCopy<'a> {
    mart_password: &'a str,
}

/// A problem with the secrets file. No message ever quotes the file's contents.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// Reading or writing failed.
    #[error("secrets file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not what `provision` wrote.
    #[error(
        "secrets file {path} is damaged: {message}\nhint: restore it from a backup; deleting it makes new passwords that no longer match the running databases"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong, in words of `provision`'s own (never the file's text).
        message: String,
    },
    /// Users other than its owner may read the file.
    #[error(
        "secrets file {path} may be read by other users (mode {mode:o})\nhint: run `chmod 600 {path}` (and consider changing the secrets it holds)"
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Keys are missing although the cluster's secrets were already used.
    #[error(
        "secrets file {path} {problem}\nhint: restore {path} from a backup (the render folder's files and the hosts hold the values in use); run again with --regenerate-secrets only to make new values for the missing keys, which the databases and NiFi's stored flow will not know"
    )]
    Missing {
        /// The file.
        path: PathBuf,
        /// What is missing, and what shows the secrets were used.
        problem: String,
    },
}

impl Stored {
    /// Every key with its value, if the file has it.
    fn entries(&self) -> [(&'static str, Option<&str>); 4] {
        [
            ("metastore_root_password", self.metastore_root_password.as_deref()),
            ("metastore_password", self.metastore_password.as_deref()),
            ("mart_password", self.mart_password.as_deref()),
            ("nifi_sensitive_key", self.nifi_sensitive_key.as_deref()),
        ]
    }
}

/// What a kept secret may be: 12 to 256 letters, digits, `-` or `_`, so that no file or
/// command it reaches needs more than its writer's quoting.
fn secret_grammar(v: &str) -> bool {
    (12..=256).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn random(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// The line (from 1) of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

impl Secrets {
    /// The secrets file of a cluster whose state folder is `state_dir`.
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join("secrets.toml")
    }

    /// Reads the secrets file; `None` when it does not exist yet or lacks a key.
    pub fn load(path: &Path) -> Result<Option<Secrets>, SecretsError> {
        Ok(Self::read(path)?.and_then(|s| {
            Some(Secrets {
                metastore_root_password: s.metastore_root_password?,
                metastore_password: s.metastore_password?,
                mart_password: s.mart_password?,
                nifi_sensitive_key: s.nifi_sensitive_key?,
            })
        }))
    }

    /// Reads the crawler host's copy (see [`Secrets::crawler_toml`]), which needs only
    /// `mart_password`; the secrets it does not hold are left empty, since nothing that runs
    /// on the crawler host reads them. `None` when the file does not exist or lacks it.
    pub fn load_crawler_copy(path: &Path) -> Result<Option<Secrets>, SecretsError> {
        Ok(Self::read(path)?.and_then(|s| {
            Some(Secrets {
                metastore_root_password: s.metastore_root_password.unwrap_or_default(),
                metastore_password: s.metastore_password.unwrap_or_default(),
                mart_password: s.mart_password?,
                nifi_sensitive_key: s.nifi_sensitive_key.unwrap_or_default(),
            })
        }))
    }

    /// The file's keys; `None` when it does not exist. A file other users may read is refused.
    fn read(path: &Path) -> Result<Option<Stored>, SecretsError> {
        let io = |source| SecretsError::Io { path: path.into(), source };
        let mut file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io(source)),
        };
        let mode = file.metadata().map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SecretsError::Exposed { path: path.into(), mode });
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let damaged = |message: String| SecretsError::Damaged { path: path.into(), message };
        let text = String::from_utf8(bytes).map_err(|_| damaged("it is not UTF-8 text".into()))?;
        // toml's messages may quote what they could not read, which can be a secret: only the
        // line is named.
        let stored: Stored = toml::from_str(&text).map_err(|e| {
            let line = e.span().map_or(String::new(), |s| format!("line {}: ", line_of(&text, s.start)));
            damaged(format!(
                "{line}not a `key = \"value\"` line of a known key (metastore_root_password, metastore_password, mart_password, nifi_sensitive_key)"
            ))
        })?;
        for (key, value) in stored.entries() {
            if let Some(v) = value
                && !secret_grammar(v)
            {
                return Err(damaged(format!(
                    "{key} is not 12 to 256 letters, digits, '-' or '_' (the value is not shown)"
                )));
            }
        }
        Ok(Some(stored))
    }

    /// The kept secrets, with every missing one generated, and the names of those generated.
    /// `used` says what shows that the cluster's secrets were already rendered or deployed;
    /// then, or when the file exists but lacks keys, missing keys are refused unless
    /// `regenerate`. Nothing is written: see [`Secrets::save`].
    pub fn obtain(
        path: &Path,
        used: Option<&str>,
        regenerate: bool,
    ) -> Result<(Secrets, Vec<&'static str>), SecretsError> {
        let stored = Self::read(path)?;
        let exists = stored.is_some();
        let s = stored.unwrap_or_default();
        let kept = [
            ("metastore_password", s.metastore_password.is_none()),
            ("mart_password", s.mart_password.is_none()),
            ("nifi_sensitive_key", s.nifi_sensitive_key.is_none()),
        ];
        let lacking: Vec<&str> = kept.iter().filter(|(_, missing)| *missing).map(|(k, _)| *k).collect();
        if !lacking.is_empty() && !regenerate {
            let refuse = |problem: String| SecretsError::Missing { path: path.into(), problem };
            if exists {
                return Err(refuse(format!(
                    "lacks {} (provision writes every key: the file was cut short or edited)",
                    lacking.join(", ")
                )));
            }
            if let Some(used) = used {
                return Err(refuse(format!("does not exist, but {used}")));
            }
        }
        let mut generated = Vec::new();
        let mut take = |name: &'static str, v: Option<String>, len: usize| {
            v.unwrap_or_else(|| {
                generated.push(name);
                random(len)
            })
        };
        let secrets = Secrets {
            metastore_root_password: take("metastore_root_password", s.metastore_root_password, 24),
            metastore_password: take("metastore_password", s.metastore_password, 24),
            mart_password: take("mart_password", s.mart_password, 24),
            nifi_sensitive_key: take("nifi_sensitive_key", s.nifi_sensitive_key, 32),
        };
        Ok((secrets, generated))
    }

    /// Writes the secrets file atomically: into a new file created 0600 with a random name
    /// (never through an existing name or link), then renamed over the old one. A state
    /// folder it creates is marked as provision's (see [`crate::state`]); it keeps its usual
    /// mode, as it also holds the hosts' folders of the local topology, which daemons running
    /// as other users must traverse.
    pub fn save(&self, path: &Path) -> Result<(), SecretsError> {
        let io = |source| SecretsError::Io { path: path.into(), source };
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        crate::state::create(dir).map_err(io)?;
        let mut tmp = tempfile::Builder::new().prefix(".secrets.").suffix(".tmp").tempfile_in(dir).map_err(io)?;
        tmp.as_file_mut().set_permissions(fs::Permissions::from_mode(0o600)).map_err(io)?;
        tmp.write_all(self.to_toml().as_bytes()).and_then(|_| tmp.as_file().sync_all()).map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// The secrets file's text.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("secrets serialize")
    }

    /// The crawler host's copy of the secrets file: only what its hourly run needs.
    pub fn crawler_toml(&self) -> String {
        toml::to_string(&CrawlerCopy { mart_password: &self.mart_password }).expect("secrets serialize")
    }

    /// Every secret value.
    pub fn values(&self) -> [&str; 4] {
        [&self.metastore_root_password, &self.metastore_password, &self.mart_password, &self.nifi_sensitive_key]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str, mode: u32) -> PathBuf {
        let path = dir.join("secrets.toml");
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    fn full() -> Secrets {
        Secrets::obtain(Path::new("/nonexistent/secrets.toml"), None, false).unwrap().0
    }

    #[test]
    fn a_new_cluster_gets_every_secret_generated() {
        let (s, generated) = Secrets::obtain(Path::new("/nonexistent/secrets.toml"), None, false).unwrap();
        assert_eq!(generated.len(), 4);
        assert!(s.values().iter().all(|v| v.len() >= 24));
    }

    #[test]
    fn a_missing_file_of_a_used_cluster_is_refused_unless_regenerating() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        let err = Secrets::obtain(&path, Some("out holds a render"), false).unwrap_err().to_string();
        assert!(err.contains("does not exist, but out holds a render"), "{err}");
        assert!(err.contains("--regenerate-secrets"), "{err}");
        assert_eq!(Secrets::obtain(&path, Some("out holds a render"), true).unwrap().1.len(), 4);
    }

    #[test]
    fn a_file_cut_at_a_line_boundary_never_gets_a_new_nifi_key() {
        let dir = tempfile::tempdir().unwrap();
        let text = full().to_toml();
        let lines: Vec<&str> = text.lines().collect();
        for keep in 0..lines.len() {
            let cut: String = lines[..keep].iter().map(|l| format!("{l}\n")).collect();
            let path = write(dir.path(), &cut, 0o600);
            let err = Secrets::obtain(&path, None, false).unwrap_err();
            assert!(matches!(err, SecretsError::Missing { .. }), "{keep} lines: {err}");
            assert!(err.to_string().contains("nifi_sensitive_key"), "{keep} lines: {err}");
        }
    }

    #[test]
    fn only_the_root_password_may_be_added_to_an_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let s = full();
        let old = format!(
            "metastore_password = \"{}\"\nmart_password = \"{}\"\nnifi_sensitive_key = \"{}\"\n",
            s.metastore_password, s.mart_password, s.nifi_sensitive_key
        );
        let path = write(dir.path(), &old, 0o600);
        let (got, generated) = Secrets::obtain(&path, Some("deployed"), false).unwrap();
        assert_eq!(generated, ["metastore_root_password"]);
        assert_eq!(got.nifi_sensitive_key, s.nifi_sensitive_key);
    }

    #[test]
    fn a_file_others_may_read_is_refused_with_the_chmod_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &full().to_toml(), 0o644);
        let err = Secrets::obtain(&path, None, false).unwrap_err().to_string();
        assert!(err.contains(&format!("chmod 600 {}", path.display())), "{err}");
        assert!(Secrets::load(&path).is_err());
    }

    #[test]
    fn a_kept_value_outside_the_grammar_is_refused_unshown() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["short", "with space and more", "new\\nline-injected=1", "quote'\\\"-------"] {
            let text = format!(
                "{}metastore_password = \"{bad}\"\n",
                full()
                    .to_toml()
                    .lines()
                    .filter(|l| !l.starts_with("metastore_password"))
                    .map(|l| format!("{l}\n"))
                    .collect::<String>()
            );
            let path = write(dir.path(), &text, 0o600);
            let e = Secrets::load(&path).unwrap_err().to_string();
            assert!(e.contains("metastore_password is not 12 to 256"), "{bad:?}: {e}");
            assert!(!e.contains(bad), "{bad:?} shown: {e}");
        }
    }

    #[test]
    fn a_damaged_file_is_named_by_line_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let s = full();
        for text in [
            format!("metastore_password = \"{}\nmart_password = 1\n", s.metastore_password),
            format!("metastore_password = {}\n", s.metastore_password),
            format!("{} = \"x\"\n", s.metastore_password),
            "metastore_password = 123456789\n".to_string(),
        ] {
            let path = write(dir.path(), &text, 0o600);
            let err = Secrets::obtain(&path, None, false).unwrap_err();
            let message = err.to_string();
            assert!(matches!(err, SecretsError::Damaged { .. }), "{message}");
            assert!(message.contains("line 1"), "{message}");
            assert!(!message.contains(&s.metastore_password) && !message.contains("123456789"), "{message}");
        }
    }

    #[test]
    fn saving_creates_the_file_0600_and_never_follows_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        fs::write(&target, "").unwrap();
        let path = dir.path().join("state/secrets.toml");
        fs::create_dir(dir.path().join("state")).unwrap();
        std::os::unix::fs::symlink(&target, path.with_extension("toml.tmp")).unwrap();
        let s = full();
        s.save(&path).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "", "the secrets went through the link");
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(Secrets::load(&path).unwrap(), Some(s));
    }

    #[test]
    fn the_crawler_copy_holds_the_mart_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let s = full();
        let text = s.crawler_toml();
        for v in [&s.metastore_password, &s.metastore_root_password, &s.nifi_sensitive_key] {
            assert!(!text.contains(v.as_str()));
        }
        let path = write(dir.path(), &text, 0o600);
        assert_eq!(Secrets::load_crawler_copy(&path).unwrap().unwrap().mart_password, s.mart_password);
        assert_eq!(Secrets::load(&path).unwrap(), None, "the controller's loader needs every key");
    }
}
