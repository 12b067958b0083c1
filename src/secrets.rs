//! Passwords and keys the cluster needs: generated once, kept in a state file that only its
//! owner may read, reused by every later render, never printed.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

/// Every secret of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    /// The Hive metastore database user's password.
    pub metastore_password: String,
    /// The mart database user's password.
    pub mart_password: String,
    /// NiFi's sensitive-properties key; it must never change once NiFi has stored a flow.
    pub nifi_sensitive_key: String,
}

/// The state file as stored, where a later version may have added keys an old file lacks.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    metastore_password: Option<String>,
    mart_password: Option<String>,
    nifi_sensitive_key: Option<String>,
}

/// A problem with the secrets file.
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
        /// What is wrong.
        message: String,
    },
}

fn random(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
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
                metastore_password: s.metastore_password?,
                mart_password: s.mart_password?,
                nifi_sensitive_key: s.nifi_sensitive_key?,
            })
        }))
    }

    fn read(path: &Path) -> Result<Option<Stored>, SecretsError> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SecretsError::Io { path: path.into(), source }),
        };
        toml::from_str(&text)
            .map(Some)
            .map_err(|e| SecretsError::Damaged { path: path.into(), message: e.message().to_string() })
    }

    /// The kept secrets, with any missing one generated; `true` when something was generated.
    /// Nothing is written: see [`Secrets::save`].
    pub fn load_or_generate(path: &Path) -> Result<(Secrets, bool), SecretsError> {
        let stored = Self::read(path)?.unwrap_or_default();
        let mut generated = false;
        let mut take = |v: Option<String>, len: usize| {
            v.unwrap_or_else(|| {
                generated = true;
                random(len)
            })
        };
        let secrets = Secrets {
            metastore_password: take(stored.metastore_password, 24),
            mart_password: take(stored.mart_password, 24),
            nifi_sensitive_key: take(stored.nifi_sensitive_key, 32),
        };
        Ok((secrets, generated))
    }

    /// Writes the secrets file atomically with mode 0600. (Its folder also holds the hosts'
    /// folders of the local topology, which daemons running as other users must traverse.)
    pub fn save(&self, path: &Path) -> Result<(), SecretsError> {
        let io = |source| SecretsError::Io { path: path.into(), source };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("toml.tmp");
        let text = self.to_toml();
        let mut f =
            fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(io)?;
        f.write_all(text.as_bytes()).and_then(|_| f.sync_all()).map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    }

    /// The secrets file's text.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("secrets serialize")
    }

    /// Every secret value, so output can be redacted.
    pub fn values(&self) -> [&str; 3] {
        [&self.metastore_password, &self.mart_password, &self.nifi_sensitive_key]
    }

    /// `text` with every secret value replaced by `********`.
    pub fn redact(&self, text: &str) -> String {
        self.values().iter().filter(|v| !v.is_empty()).fold(text.to_string(), |t, v| t.replace(v, "********"))
    }
}
