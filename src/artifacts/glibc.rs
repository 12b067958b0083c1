//! The C library an executable needs: the newest glibc symbol version its dynamic string table
//! names, so `up` can tell before any step whether the `provision` binary it sends will run on
//! the crawler host's OS.

use std::path::Path;

use object::{Architecture, BinaryFormat, Object, ObjectSection};

use super::ArtifactError;

/// The newest `GLIBC_<major>.<minor>` version `exe` needs, `None` when it needs none (a static
/// executable). Anything but an x86-64 ELF executable is refused, as is a dynamically linked
/// one whose dynamic strings cannot be found.
pub fn newest_needed(exe: &Path) -> Result<Option<(u32, u32)>, ArtifactError> {
    let data = std::fs::read(exe).map_err(super::io(exe))?;
    let refuse = |why: String| ArtifactError::other(exe, why);
    let file = object::File::parse(&*data).map_err(|e| refuse(format!("not an executable for Linux: {e}")))?;
    if file.format() != BinaryFormat::Elf || file.architecture() != Architecture::X86_64 {
        return Err(refuse(format!(
            "not an executable for Linux on x86-64 ({:?}, {:?})",
            file.format(),
            file.architecture()
        )));
    }
    let Some(dynstr) = file.section_by_name(".dynstr") else {
        if file.section_by_name(".interp").is_some() || file.sections().next().is_none() {
            return Err(refuse("its dynamic strings are unreadable (section headers stripped?)".into()));
        }
        return Ok(None);
    };
    let strings = dynstr.data().map_err(|e| refuse(format!("unreadable .dynstr: {e}")))?;
    Ok(strings.split(|b| *b == 0).filter_map(version).max())
}

/// `(major, minor)` of a symbol version name such as `GLIBC_2.2.5`.
fn version(name: &[u8]) -> Option<(u32, u32)> {
    let rest = std::str::from_utf8(name).ok()?.strip_prefix("GLIBC_")?;
    let mut parts = rest.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_names_are_read_and_others_ignored() {
        assert_eq!(version(b"GLIBC_2.2.5"), Some((2, 2)));
        assert_eq!(version(b"GLIBC_2.34"), Some((2, 34)));
        assert_eq!(version(b"GLIBC_PRIVATE"), None);
        assert_eq!(version(b"GCC_3.0"), None);
    }

    #[test]
    fn this_test_binary_needs_some_glibc_2_and_a_text_file_is_no_executable() {
        let (major, minor) = newest_needed(&std::env::current_exe().unwrap()).unwrap().expect("dynamically linked");
        assert_eq!(major, 2);
        assert!(minor >= 17, "{minor}");
        let text = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(text.path(), "#!/bin/sh\n").unwrap();
        let err = newest_needed(text.path()).unwrap_err().to_string();
        assert!(err.contains("not an executable for Linux"), "{err}");
    }
}
