//! NiFi's canvas in headless Chromium (Debian's `chromium`): the deployed flow's group opened in
//! NiFi's own UI, a screenshot of it, and the names the page drew, as the browser built them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the browser drew of a process group.
pub struct Drawn {
    /// The screenshot.
    pub png: PathBuf,
    /// Its width and height, from the PNG's header.
    pub size: (u32, u32),
    /// The processor names on the canvas, as drawn (NiFi shortens long ones with `…`).
    pub processors: Vec<String>,
    /// The group the canvas shows, as its highlighted breadcrumb at the bottom names it.
    pub current: Vec<String>,
}

/// Chromium's flags: headless, as root, and never reaching anything but NiFi's own address.
fn flags(host: &str, profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--no-pings",
        "--no-proxy-server",
        "--window-size=1600,1000",
        // NiFi's UI polls; the page is given this much virtual time to draw.
        "--virtual-time-budget=30000",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        format!("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {host}"),
        format!("--user-data-dir={}", profile.display()),
    ])
    .collect()
}

/// Runs Chromium with `extra` on `url`; its standard output.
fn chromium(host: &str, profile: &Path, extra: &str, url: &str) -> String {
    let out = Command::new("timeout")
        .arg("180")
        .arg("chromium")
        .args(flags(host, profile))
        .arg(extra)
        .arg(url)
        .output()
        .expect("chromium (scripts/setup.sh test installs it)");
    assert!(out.status.success(), "chromium {extra} {url}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The texts of the elements of `class` in `dom`.
fn texts(dom: &str, class: &str) -> Vec<String> {
    let marker = format!("class=\"{class}\"");
    dom.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &dom[i + marker.len()..];
            let text = &rest[rest.find('>')? + 1..];
            Some(text[..text.find('<')?].to_string())
        })
        .collect()
}

/// Opens group `group` of the NiFi at `address` (`host:port`) in Chromium, saves a screenshot
/// at `png`, and reads back what the page drew.
pub fn draw(address: &str, group: &str, png: &Path) -> Drawn {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    let profile = tempfile::tempdir().unwrap();
    let url = format!("http://{address}/nifi/?processGroupId={group}");
    chromium(host, profile.path(), &format!("--screenshot={}", png.display()), &url);
    let dom = chromium(host, profile.path(), "--dump-dom", &url);
    let bytes = std::fs::read(png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is no PNG", png.display());
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    let current = texts(&dom, "link link-bold").iter().map(|t| t.trim().to_string()).collect();
    Drawn { png: png.to_path_buf(), size: (be(16), be(20)), processors: texts(&dom, "processor-name"), current }
}

/// Whether `drawn`, perhaps shortened by NiFi with a trailing `…`, shows `name`.
pub fn shows(drawn: &str, name: &str) -> bool {
    match drawn.strip_suffix('…') {
        Some(start) => !start.is_empty() && name.starts_with(start),
        None => drawn == name,
    }
}
