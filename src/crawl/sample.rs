//! The sample site `provision verify` crawls: the recorded best-100 pages shipped in `pages/`
//! (the 2021 mobile layout, titles that are hard to carry: quotes, commas, backslashes, emoji,
//! formula-like prefixes), served on loopback at the paths of Gmarket's category URLs.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The recorded page of each category code.
const PAGES: &[(&str, &str)] = &[
    ("G01", include_str!("../../pages/mobile2021/G01.html")),
    ("G02", include_str!("../../pages/mobile2021/G02.html")),
    ("G03", include_str!("../../pages/mobile2021/G03.html")),
    ("G04", include_str!("../../pages/mobile2021/G04.html")),
    ("G05", include_str!("../../pages/mobile2021/G05.html")),
    ("G06", include_str!("../../pages/mobile2021/G06.html")),
    ("G07", include_str!("../../pages/mobile2021/G07.html")),
    ("G08", include_str!("../../pages/mobile2021/G08.html")),
    ("G09", include_str!("../../pages/mobile2021/G09.html")),
    ("G10", include_str!("../../pages/mobile2021/G10.html")),
    ("G11", include_str!("../../pages/mobile2021/G11.html")),
    ("G12", include_str!("../../pages/mobile2021/G12.html")),
];

/// The page answering a request line's target, if any.
fn page(target: &str) -> Option<&'static str> {
    let code = target.strip_prefix("/Best/Category?code=")?;
    PAGES.iter().find(|(c, _)| *c == code).map(|(_, html)| *html)
}

/// A running sample site; it stops when dropped.
pub struct SampleSite {
    /// Its base URL, e.g. `http://127.0.0.1:41234`, for `--source`.
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SampleSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(mut stream: tokio::net::TcpStream) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 65536 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    let target = text.split_whitespace().nth(1).unwrap_or("");
    let response = match page(target) {
        Some(html) => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
            html.len()
        ),
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Starts the sample site on a free loopback port.
pub async fn start() -> std::io::Result<SampleSite> {
    start_on(std::net::Ipv4Addr::LOCALHOST).await
}

/// Starts the sample site on a free port of `address`, e.g. the machines' bridge, where the
/// crawler host's scheduled run can reach it.
pub async fn start_on(address: std::net::Ipv4Addr) -> std::io::Result<SampleSite> {
    let listener = TcpListener::bind((address, 0)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream));
        }
    });
    Ok(SampleSite { base, task })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_original_category_has_a_page_of_100_items() {
        for c in crate::model::original_categories() {
            let html = page(&format!("/Best/Category?code={}", c.code)).unwrap_or_else(|| panic!("{}", c.code));
            let (_, items) = crate::crawl::layout::parse(html).unwrap_or_else(|e| panic!("{}: {e}", c.code));
            assert_eq!(items.len(), 100, "{}", c.code);
        }
        assert_eq!(page("/Best/Category?code=G13"), None);
    }
}
