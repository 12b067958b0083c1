//! The folders `provision` makes on the controlling machine: the state folder and the host
//! folders of the local topology. Each gets [`MARKER`] when provision creates it, and
//! `down --purge` removes only marked folders, never one that holds the inventory.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file that marks a folder as made by `provision`.
pub const MARKER: &str = ".provision-state";

/// What the state folder holds of provision's own, besides the marker and emptied folders:
/// the secrets, the runs' logs, and the clients' launchers of `provision env`.
const STATE_FILES: [&str; 3] = ["secrets.toml", "runs", "client"];

/// Why a folder is not purged.
#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    /// The folder was not made by provision.
    #[error(
        "{0} was not made by provision (it has no {MARKER}); nothing was removed\nhint: check state_dir and root in the inventory; a folder made by an older provision has no marker: remove it yourself"
    )]
    Unmarked(PathBuf),
    /// The folder holds the inventory.
    #[error(
        "{dir} holds the inventory {inventory}; nothing was removed\nhint: give state_dir and root folders of their own, away from the inventory"
    )]
    HoldsInventory {
        /// The folder.
        dir: PathBuf,
        /// The inventory file.
        inventory: PathBuf,
    },
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path it failed on.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Creates `dir` with its marker when it does not exist; an existing folder is left as it is.
pub fn create(dir: &Path) -> io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    fs::write(dir.join(MARKER), "Made by provision; `provision down --purge` may remove this folder.\n")
}

/// Checks that `dir` may be removed: absent, or marked and not holding `inventory`.
pub fn removable(dir: &Path, inventory: &Path) -> Result<(), PurgeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PurgeError::Io { path, source }
    };
    if !dir.exists() {
        return Ok(());
    }
    let canonical = dir.canonicalize().map_err(io(dir))?;
    let inventory_at = inventory.canonicalize().map_err(io(inventory))?;
    if inventory_at.starts_with(&canonical) {
        return Err(PurgeError::HoldsInventory { dir: dir.to_path_buf(), inventory: inventory.to_path_buf() });
    }
    if !dir.join(MARKER).is_file() {
        return Err(PurgeError::Unmarked(dir.to_path_buf()));
    }
    Ok(())
}

/// Removes what provision keeps in the state folder `dir` (checked with [`removable`]): the
/// secrets, the run logs, folders left empty, then the marker and the folder itself, unless
/// other files remain; their names are returned, and the folder is kept with them.
pub fn purge(dir: &Path) -> Result<Vec<String>, PurgeError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PurgeError::Io { path, source }
    };
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut kept = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().map_err(io(&path))?.is_dir();
        if name == MARKER {
            continue;
        }
        if STATE_FILES.contains(&name.as_str()) {
            if is_dir { fs::remove_dir_all(&path) } else { fs::remove_file(&path) }.map_err(io(&path))?;
        } else if !(is_dir && fs::remove_dir(&path).is_ok()) {
            kept.push(name);
        }
    }
    if kept.is_empty() {
        fs::remove_file(dir.join(MARKER)).map_err(io(dir))?;
        fs::remove_dir(dir).map_err(io(dir))?;
    }
    kept.sort();
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_folder_is_marked_and_an_existing_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("a/state");
        create(&made).unwrap();
        assert!(made.join(MARKER).is_file());
        create(dir.path()).unwrap();
        assert!(!dir.path().join(MARKER).exists());
        let inventory = dir.path().join("inv.toml");
        fs::write(&inventory, "").unwrap();
        assert!(matches!(removable(dir.path(), &inventory), Err(PurgeError::HoldsInventory { .. })));
        assert!(removable(&made, &inventory).is_ok());
        fs::remove_file(made.join(MARKER)).unwrap();
        assert!(matches!(removable(&made, &inventory), Err(PurgeError::Unmarked(_))));
    }

    #[test]
    fn purge_keeps_files_provision_did_not_make() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        create(&state).unwrap();
        fs::create_dir_all(state.join("runs/1-up")).unwrap();
        fs::create_dir_all(state.join("hosts")).unwrap();
        fs::create_dir_all(state.join("client/bin")).unwrap();
        fs::write(state.join("client/bin/hdfs"), "#!/bin/sh\n").unwrap();
        fs::write(state.join("secrets.toml"), "x").unwrap();
        fs::write(state.join("notes.txt"), "mine").unwrap();
        assert_eq!(purge(&state).unwrap(), ["notes.txt"]);
        assert_eq!(fs::read_to_string(state.join("notes.txt")).unwrap(), "mine");
        assert!(!state.join("secrets.toml").exists() && !state.join("runs").exists() && !state.join("hosts").exists());
        assert!(!state.join("client").exists(), "the launchers of provision env were kept");
        fs::remove_file(state.join("notes.txt")).unwrap();
        assert!(purge(&state).unwrap().is_empty());
        assert!(!state.exists());
    }
}
