//! Apache release archives: downloaded once from a mirror with progress, checked against the
//! checksum Apache published beside them (or one the inventory pins), and unpacked.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

use super::ArtifactError;
use crate::catalog::ApacheRelease;
pub use crate::model::digest::{Algorithm, Digest};

/// A new hasher of `algorithm`.
fn hasher(algorithm: Algorithm) -> Box<dyn sha2::digest::DynDigest> {
    match algorithm {
        Algorithm::Sha512 => Box::new(sha2::Sha512::new()),
        Algorithm::Sha256 => Box::new(sha2::Sha256::new()),
        Algorithm::Sha1 => Box::new(sha1::Sha1::new()),
    }
}

/// The checksum files Apache may publish beside a release, strongest first.
pub const PUBLISHED: &[(&str, Algorithm)] = &[
    (".sha512", Algorithm::Sha512),
    (".mds", Algorithm::Sha512),
    (".sha256", Algorithm::Sha256),
    (".sha1", Algorithm::Sha1),
];

/// Reads the digest of `file` for `algorithm` out of a published checksum file, in any of the
/// forms Apache's releases used: `<hex>  <file>` (sha512sum), `<hex>` alone, BSD's
/// `SHA512 (<file>) = <hex>`, and gpg's `<file>: <HEX GROUPS>` or `.mds` files whose
/// `SHA512 = ` value spans several lines. A digest the file gives for another file is not taken.
pub fn published_digest(text: &str, file: &str, algorithm: Algorithm) -> Option<String> {
    let n = algorithm.hex_len();
    let label = algorithm.name().to_ascii_uppercase();
    // Labelled forms: the digits follow the first '=' after the label; whatever names a file
    // before that '=' (gpg's `<file>:` prefix, BSD's `(<file>)`) must name `file`.
    let mut from = 0;
    while let Some(i) = text[from..].find(&label) {
        let label_at = from + i;
        let after = label_at + label.len();
        from = after;
        let line_start = text[..label_at].rfind('\n').map_or(0, |p| p + 1);
        let rest = &text[after..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let Some(eq) = rest[..line_end].find('=') else { continue };
        let named: String = format!("{}{}", &text[line_start..label_at], &rest[..eq])
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, ':' | '(' | ')'))
            .collect();
        if !(named.is_empty() || base_name(&named) == file) {
            continue;
        }
        if let Some(hex) = hex_run(&rest[eq + 1..], n) {
            return Some(hex);
        }
    }
    // gpg's `<file>: <hex groups>`, wrapped over several lines (the name may carry a folder).
    for (at, _) in text.match_indices(file) {
        let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
        let before = text[line_start..at].trim();
        if !(before.is_empty() || (before.ends_with('/') && !before.contains(char::is_whitespace))) {
            continue;
        }
        if let Some(rest) = text[at + file.len()..].trim_start().strip_prefix(':')
            && let Some(hex) = hex_run(rest, n)
        {
            return Some(hex);
        }
    }
    // One line each: `<hex> [*]<file>` or `<hex>`.
    for line in text.lines() {
        let line = line.trim();
        if let Some(hex) = hex_run(line, n) {
            let after: String = line.chars().filter(|c| !c.is_whitespace()).skip(n).collect();
            let named = after.trim_start_matches('*');
            if named.is_empty() || base_name(named) == file {
                return Some(hex);
            }
        }
    }
    None
}

/// The last component of a path as a checksum file names it (`./f`, `dist/f`).
fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Exactly `n` hex digits at the start of `s` (spaces and line breaks between them allowed,
/// as gpg prints them), followed by something other than a hex digit.
fn hex_run(s: &str, n: usize) -> Option<String> {
    let mut out = String::with_capacity(n);
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_hexdigit() {
            if out.len() == n {
                return None;
            }
            out.push(c.to_ascii_lowercase());
        } else if !c.is_whitespace() || out.len() == n {
            break;
        }
        chars.next();
    }
    (out.len() == n).then_some(out)
}

/// One release archive to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The archive: its path below a mirror's root and the folder it unpacks to.
    pub archive: ApacheRelease,
    /// Where the archive is downloaded from (a mirror's root URL).
    pub mirror: String,
    /// Where its published checksum is read from (Apache's own archive by default).
    pub checksums: String,
    /// A digest the inventory pins; when set, no published checksum is read.
    pub pinned: Option<Digest>,
}

impl Release {
    /// The archive's file name.
    pub fn file_name(&self) -> &str {
        self.archive.file_name()
    }

    /// The archive's URL on the mirror.
    pub fn url(&self) -> String {
        format!("{}/{}", self.mirror.trim_end_matches('/'), self.archive.path)
    }
}

fn client() -> Result<reqwest::blocking::Client, ArtifactError> {
    reqwest::blocking::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(20))
        // For the blocking client this bounds each read of the body, not the whole download:
        // a stalled mirror fails instead of hanging.
        .timeout(std::time::Duration::from_secs(60))
        .user_agent(concat!("provision/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ArtifactError::Download { url: String::new(), message: e.to_string() })
}

/// The digest the archive must have: the pin, else the strongest checksum published beside
/// it on the checksum site.
pub fn expected(release: &Release) -> Result<Digest, ArtifactError> {
    if let Some(pin) = &release.pinned {
        return Ok(pin.clone());
    }
    let client = client()?;
    let base = format!("{}/{}", release.checksums.trim_end_matches('/'), release.archive.path);
    let mut tried = Vec::new();
    for (suffix, algorithm) in PUBLISHED {
        let url = format!("{base}{suffix}");
        let failed = |e: reqwest::Error| ArtifactError::Download { url: url.clone(), message: chain(&e) };
        let resp = client.get(&url).send().map_err(failed)?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            tried.push(url);
            continue;
        }
        let text = resp.error_for_status().and_then(|r| r.text()).map_err(failed)?;
        return published_digest(&text, release.file_name(), *algorithm)
            .map(|hex| Digest { algorithm: *algorithm, hex })
            .ok_or_else(|| ArtifactError::Download {
                url,
                message: format!("no {} digest of {} in it", algorithm.name(), release.file_name()),
            });
    }
    Err(ArtifactError::Download { url: base, message: format!("no published checksum (tried {})", tried.join(", ")) })
}

/// The error's causes on one line (reqwest's own message only repeats the URL, which the
/// error names already), or the error itself when it has none.
fn chain(e: &dyn std::error::Error) -> String {
    let Some(first) = e.source() else { return e.to_string() };
    let mut out = first.to_string();
    let mut source = first.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Downloads the archive into `into` (a file), hashing it as it arrives, and checks it against
/// `expected`; `progress` hears (bytes so far, total when known). A mismatch removes the file.
/// Returns the archive's digests in every algorithm, so a digest pinned later in any of them
/// can be checked against the cached copy without downloading it again.
pub fn download(
    release: &Release,
    expected: &Digest,
    into: &Path,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Vec<Digest>, ArtifactError> {
    let url = release.url();
    let failed = |message: String| ArtifactError::Download { url: url.clone(), message };
    let mut resp = client()?.get(&url).send().and_then(|r| r.error_for_status()).map_err(|e| failed(chain(&e)))?;
    let total = resp.content_length();
    let mut out = std::fs::File::create(into).map_err(super::io(into))?;
    let algorithms = [Algorithm::Sha512, Algorithm::Sha256, Algorithm::Sha1];
    let mut hashers: Vec<_> = algorithms.iter().map(|a| hasher(*a)).collect();
    let mut buf = vec![0u8; 1 << 16];
    let mut got = 0u64;
    loop {
        let n = resp.read(&mut buf).map_err(|e| failed(format!("after {got} bytes: {}", chain(&e))))?;
        if n == 0 {
            break;
        }
        for h in &mut hashers {
            h.update(&buf[..n]);
        }
        out.write_all(&buf[..n]).map_err(super::io(into))?;
        got += n as u64;
        progress(got, total);
    }
    // No fsync: the archive is unpacked and removed right away.
    if let Some(t) = total.filter(|t| *t != got) {
        let _ = std::fs::remove_file(into);
        return Err(failed(format!("the download ended after {got} of {t} bytes")));
    }
    let digests: Vec<Digest> =
        algorithms.iter().zip(hashers).map(|(a, h)| Digest { algorithm: *a, hex: hex::encode(h.finalize()) }).collect();
    let found = digests.iter().find(|d| d.algorithm == expected.algorithm).expect("every algorithm is hashed");
    if found.hex != expected.hex {
        let _ = std::fs::remove_file(into);
        return Err(ArtifactError::Checksum { url, expected: expected.to_string(), found: found.to_string() });
    }
    Ok(digests)
}

/// Unpacks `archive` (`.tar.gz`/`.tgz` or `.zip`) into `work` and returns the folder its
/// release unpacked to (`top`).
pub fn unpack(archive: &Path, top: &str, work: &Path) -> Result<PathBuf, ArtifactError> {
    let name = archive.to_string_lossy();
    if name.ends_with(".zip") {
        let file = std::fs::File::open(archive).map_err(super::io(archive))?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| ArtifactError::other(archive, e.to_string()))?;
        zip.extract(work).map_err(|e| ArtifactError::other(archive, e.to_string()))?;
    } else {
        let out = Command::new("tar")
            .args(["--no-same-owner", "-xzf"])
            .arg(archive)
            .arg("-C")
            .arg(work)
            .output()
            .map_err(super::io(archive))?;
        if !out.status.success() {
            return Err(ArtifactError::other(archive, String::from_utf8_lossy(&out.stderr).trim()));
        }
    }
    let dir = work.join(top);
    if !dir.is_dir() {
        return Err(ArtifactError::other(archive, format!("it has no folder {top}")));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA512: &str = "0d9b2c2f1a7e8b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4";

    #[test]
    fn every_form_apache_published_yields_the_digest() {
        let upper = SHA512.to_ascii_uppercase();
        let groups: Vec<String> = upper.as_bytes().chunks(8).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        let file = "hadoop-3.1.0.tar.gz";
        let forms = [
            format!("{SHA512}  {file}\n"),
            format!("{SHA512} *{file}\n"),
            format!("{SHA512}\n"),
            format!("SHA512 ({file}) = {SHA512}\n"),
            format!("{file}: {}\n", groups.join(" ")),
            format!("{file}: {}\n{}{}\n", groups[..6].join(" "), " ".repeat(file.len() + 2), groups[6..].join(" ")),
            format!(
                "{file}:    MD5 = 01 23 45 67 89 AB CD EF  01 23 45 67 89 AB CD EF\n{file}:   SHA1 = 0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567\n{file}: SHA512 = {}\n                      {}\n",
                groups[..8].join(" "),
                groups[8..].join(" ")
            ),
        ];
        let forms = [
            forms.to_vec(),
            vec![
                format!("{SHA512}  ./{file}\n"),
                format!("SHA512 (dist/{file}) = {SHA512}\n"),
                format!("/build/source/target/artifacts/{file}: SHA512 = {}\n", groups.join(" ")),
            ],
        ]
        .concat();
        for text in &forms {
            assert_eq!(published_digest(text, file, Algorithm::Sha512).as_deref(), Some(SHA512), "{text}");
        }
    }

    #[test]
    fn a_checksum_file_of_another_file_or_algorithm_yields_nothing() {
        let file = "hadoop-3.1.0.tar.gz";
        assert_eq!(published_digest(&format!("{SHA512}  hadoop-3.1.1.tar.gz\n"), file, Algorithm::Sha512), None);
        assert_eq!(published_digest(&format!("{}  {file}\n", &SHA512[..64]), file, Algorithm::Sha512), None);
        assert_eq!(published_digest(&format!("{SHA512}0  {file}\n"), file, Algorithm::Sha512), None);
        assert_eq!(published_digest("<html>Not Found</html>", file, Algorithm::Sha256), None);
        assert_eq!(
            published_digest(&format!("SHA512 (hadoop-3.1.1.tar.gz) = {SHA512}\n"), file, Algorithm::Sha512),
            None
        );
        assert_eq!(
            published_digest(&format!("hadoop-3.1.1.tar.gz: SHA512 = {SHA512}\n"), file, Algorithm::Sha512),
            None
        );
        let two = format!("SHA512 (hadoop-3.1.1.tar.gz) = {}\nSHA512 ({file}) = {SHA512}\n", "ab".repeat(64));
        assert_eq!(published_digest(&two, file, Algorithm::Sha512).as_deref(), Some(SHA512));
    }

    #[test]
    fn pins_need_a_known_algorithm_and_a_whole_digest() {
        let pin = Digest::parse_pin(&format!("sha512:{}", SHA512.to_ascii_uppercase())).unwrap();
        assert_eq!((pin.algorithm, pin.hex.as_str()), (Algorithm::Sha512, SHA512));
        assert_eq!(pin.to_string(), format!("sha512:{SHA512}"));
        assert!(Digest::parse_pin(&format!("md5:{}", &SHA512[..32])).is_none());
        assert!(Digest::parse_pin(&format!("sha256:{SHA512}")).is_none());
        assert!(Digest::parse_pin("sha1:not-hex-at-all-not-hex-at-all-not-hex!").is_none());
    }
}
