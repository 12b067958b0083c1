//! Writes a rendered [`Tree`] to a folder as a whole, or compares it with one.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{File, Tree};

/// The file that marks a folder as written by `provision render`, so it may be replaced.
pub const MARKER: &str = ".provision-render";

/// How a folder differs from a rendered tree, one file at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Rendered but absent from the folder.
    Added(File),
    /// In the folder but no longer rendered.
    Removed {
        /// Path inside the folder.
        rel: String,
        /// What the folder holds.
        old: String,
        /// The mode the folder's file has.
        old_mode: u32,
    },
    /// In both, with other contents or mode.
    Changed {
        /// The rendered file.
        file: File,
        /// What the folder holds.
        old: String,
        /// The mode the folder's file has.
        old_mode: u32,
    },
}

impl Change {
    /// The path inside the folder.
    pub fn rel(&self) -> String {
        match self {
            Change::Added(f) | Change::Changed { file: f, .. } => f.rel_path(),
            Change::Removed { rel, .. } => rel.clone(),
        }
    }
}

/// Why a tree could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The folder holds something `provision` did not write.
    #[error(
        "{0} exists and was not written by `provision render` (it has no {MARKER})\nhint: choose another --out, or remove that folder"
    )]
    Foreign(PathBuf),
    /// A rendered file's path would leave the folder.
    #[error("{0} would be written outside the render folder")]
    Outside(String),
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path it failed on.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
    move |source| WriteError::Io { path: path.to_path_buf(), source }
}

/// Replaces `dir` with exactly the files of `tree`: written beside it first (into a new
/// folder only this user may enter, each file created with its final mode), then swapped in,
/// so a failure leaves the old folder as it was.
pub fn write(tree: &Tree, dir: &Path) -> Result<(), WriteError> {
    check_owned(dir)?;
    check_contained(tree)?;
    let name = dir.file_name().map_or("render".into(), |n| n.to_string_lossy().into_owned());
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_err(parent))?;
    let staging =
        tempfile::Builder::new().prefix(&format!(".{name}.new-")).tempdir_in(parent).map_err(io_err(parent))?.keep();
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let result = write_all(tree, &staging).and_then(|_| {
        if dir.exists() {
            fs::rename(dir, &old).map_err(io_err(dir))?;
        }
        fs::rename(&staging, dir).map_err(io_err(dir))
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
        if old.exists() && !dir.exists() {
            let _ = fs::rename(&old, dir);
        }
    }
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io_err(&old))?;
    }
    result
}

/// Refuses a folder that exists, holds something and has no marker: `provision` did not write
/// it, so it is neither read nor replaced.
fn check_owned(dir: &Path) -> Result<(), WriteError> {
    if dir.exists() && !dir.join(MARKER).exists() && fs::read_dir(dir).map_err(io_err(dir))?.next().is_some() {
        return Err(WriteError::Foreign(dir.to_path_buf()));
    }
    Ok(())
}

/// Refuses a tree with a file whose path is absolute or has a `.` or `..` component.
fn check_contained(tree: &Tree) -> Result<(), WriteError> {
    for f in tree.files.values() {
        let rel = f.rel_path();
        if rel.is_empty() || !Path::new(&rel).components().all(|c| matches!(c, std::path::Component::Normal(_))) {
            return Err(WriteError::Outside(rel));
        }
    }
    Ok(())
}

/// A new file at `path` (never an existing one or a link) created with `mode`, holding `content`.
fn create(path: &Path, content: &str, mode: u32) -> Result<(), WriteError> {
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(io_err(path))?;
    // The umask may have taken bits away: they are put back on the open file, never added to a secret's.
    file.set_permissions(fs::Permissions::from_mode(mode)).map_err(io_err(path))?;
    file.write_all(content.as_bytes()).map_err(io_err(path))
}

fn write_all(tree: &Tree, root: &Path) -> Result<(), WriteError> {
    create(&root.join(MARKER), "Written by `provision render`; replaced as a whole by every render.\n", 0o644)?;
    // Each folder is made once: a host's files share a few folders, and asking again for
    // every file is a system call per file that fails.
    let mut made = std::collections::HashSet::new();
    for f in tree.files.values() {
        let path = root.join(f.rel_path());
        if let Some(p) = path.parent()
            && !made.contains(p)
        {
            fs::create_dir_all(p).map_err(io_err(p))?;
            made.insert(p.to_path_buf());
        }
        create(&path, &f.content, f.mode)?;
    }
    // Written: the folder gets the usual mode of a render folder (its secret files stay 0600).
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).map_err(io_err(root))
}

/// Every file below `dir` (but the marker) with its contents and mode, keyed by relative path.
fn read_all(dir: &Path) -> io::Result<BTreeMap<String, (String, u32)>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let entry = entry?;
            let path = entry.path();
            let meta = entry.metadata()?;
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(dir).expect("below dir").to_string_lossy().into_owned();
            if rel == MARKER {
                continue;
            }
            if meta.is_symlink() {
                // Never followed: a render writes no links, so one is simply not a rendered file.
                out.insert(rel, ("(a symbolic link)".into(), 0));
                continue;
            }
            let bytes = fs::read(&path)?;
            out.insert(rel, (String::from_utf8_lossy(&bytes).into_owned(), meta.permissions().mode() & 0o7777));
        }
    }
    Ok(out)
}

/// How `dir` differs from `tree`, in path order; empty when they agree. A folder `provision`
/// did not write is refused before anything in it is read.
pub fn compare(tree: &Tree, dir: &Path) -> Result<Vec<Change>, WriteError> {
    check_owned(dir)?;
    check_contained(tree)?;
    let mut on_disk = read_all(dir).map_err(io_err(dir))?;
    let mut changes = Vec::new();
    for (rel, f) in &tree.files {
        match on_disk.remove(rel) {
            None => changes.push(Change::Added(f.clone())),
            Some((old, old_mode)) if *old != *f.content || old_mode != f.mode => {
                changes.push(Change::Changed { file: f.clone(), old, old_mode })
            }
            Some(_) => {}
        }
    }
    changes.extend(on_disk.into_iter().map(|(rel, (old, old_mode))| Change::Removed { rel, old, old_mode }));
    changes.sort_by_key(Change::rel);
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_with(path: &str) -> Tree {
        let mut t = Tree::default();
        t.add_controller(path, "x\n".into());
        t
    }

    #[test]
    fn a_file_outside_the_folder_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        for bad in ["../escaped", "a/../../escaped", "/etc/escaped", "./x/../../escaped"] {
            let t = tree_with(bad);
            assert!(matches!(write(&t, &out), Err(WriteError::Outside(_))), "{bad} written");
            assert!(matches!(compare(&t, &out), Err(WriteError::Outside(_))), "{bad} compared");
            assert!(!dir.path().join("escaped").exists() && !out.exists(), "{bad} left files");
        }
        write(&tree_with("ok/file"), &out).unwrap();
        assert!(out.join("ok/file").exists() && out.join(MARKER).exists());
    }

    #[test]
    fn a_folder_provision_did_not_write_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        // Reading a FIFO with no writer blocks: a compare that read the folder would hang.
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        std::thread::spawn(move || tx.send(matches!(compare(&tree_with("a"), &path), Err(WriteError::Foreign(_)))));
        let refused = rx.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(refused, Ok(true), "the foreign folder was read or not refused");
        assert!(matches!(write(&tree_with("a"), dir.path()), Err(WriteError::Foreign(_))));
        assert!(fifo.exists() && !dir.path().join("a").exists());
    }
}
