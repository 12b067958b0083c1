//! Fetching the best-100 pages: a User-Agent, a bound on requests at once, timeouts, and retries
//! with backoff on 5xx answers and connection errors.

use std::time::Duration;

use futures::StreamExt;

use super::layout::{self, Item, Layout};
use crate::model::Category;

/// How pages are fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Replaces the scheme, host and port of every category URL (a local stand-in for the site).
    pub source: Option<String>,
    /// Requests at once.
    pub concurrency: usize,
    /// Time allowed to one request.
    pub timeout: Duration,
    /// Attempts per page.
    pub attempts: u32,
    /// The first backoff; it doubles after each failed attempt.
    pub backoff: Duration,
    /// Items each category must have.
    pub expected: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            source: None,
            concurrency: 4,
            timeout: Duration::from_secs(15),
            attempts: 4,
            backoff: Duration::from_millis(500),
            expected: 100,
        }
    }
}

/// A category that could not be collected: which, from where, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {name} ({url}): {reason}")]
pub struct CategoryError {
    /// The category's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The URL fetched.
    pub url: String,
    /// What was wrong.
    pub reason: String,
}

/// `url` with its scheme, host and port replaced by those of `base`.
pub fn rewrite(url: &str, base: &str) -> Result<String, String> {
    let mut u = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let b = reqwest::Url::parse(base).map_err(|e| format!("--source {base}: {e}"))?;
    u.set_scheme(b.scheme()).map_err(|_| format!("--source {base}: cannot use its scheme"))?;
    u.set_host(b.host_str()).map_err(|e| format!("--source {base}: {e}"))?;
    u.set_port(b.port()).map_err(|_| format!("--source {base}: cannot use its port"))?;
    Ok(u.to_string())
}

async fn fetch(client: &reqwest::Client, url: &str, o: &FetchOptions) -> Result<String, String> {
    let mut wait = o.backoff;
    let mut last = String::new();
    for attempt in 1..=o.attempts {
        match client.get(url).send().await {
            Ok(resp) if resp.status().is_success() => match resp.text().await {
                Ok(body) => return Ok(body),
                Err(e) => last = format!("the body broke off: {e}"),
            },
            Ok(resp) if resp.status().is_server_error() => last = format!("HTTP {}", resp.status()),
            Ok(resp) => return Err(format!("HTTP {} (not retried)", resp.status())),
            Err(e) if e.is_timeout() => last = format!("no answer within {}s", o.timeout.as_secs()),
            Err(e) => last = format!("{e}"),
        }
        if attempt < o.attempts {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
    Err(format!("{last} (after {} attempts)", o.attempts))
}

/// Fetches and parses one category's page.
async fn category(
    client: &reqwest::Client,
    c: &Category,
    o: &FetchOptions,
) -> Result<(Layout, Vec<Item>), CategoryError> {
    let url = match &o.source {
        Some(base) => rewrite(&c.url, base),
        None => Ok(c.url.clone()),
    };
    let err = |url: &str, reason: String| CategoryError {
        code: c.code.clone(),
        name: c.name.clone(),
        url: url.to_string(),
        reason,
    };
    let url = url.map_err(|r| err(&c.url, r))?;
    let body = fetch(client, &url, o).await.map_err(|r| err(&url, r))?;
    let (layout, items) = layout::parse(&body).map_err(|r| err(&url, r))?;
    layout::check(&items, o.expected).map_err(|r| err(&url, format!("{} layout: {r}", layout.name())))?;
    Ok((layout, items))
}

/// Every category's items, in the categories' order; each category's outcome on its own.
pub async fn crawl(categories: &[Category], o: &FetchOptions) -> Vec<Result<(Layout, Vec<Item>), CategoryError>> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("provision/", env!("CARGO_PKG_VERSION"), " (+best-100 hourly collection)"))
        .timeout(o.timeout)
        .connect_timeout(o.timeout)
        .build()
        .expect("an HTTP client");
    futures::stream::iter(categories.iter().map(|c| category(&client, c, o)))
        .buffered(o.concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn rewrite_keeps_path_and_query() {
        assert_eq!(
            rewrite("http://mobile.gmarket.co.kr/Best/Category?code=G01", "http://127.0.0.1:8000").unwrap(),
            "http://127.0.0.1:8000/Best/Category?code=G01"
        );
    }
}
