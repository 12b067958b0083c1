//! Fetching the best-100 pages: a User-Agent, a bound on requests at once, timeouts, retries
//! with backoff on 5xx answers and connection errors, `Retry-After` honoured on 429 and 503
//! within the page's budget, redirects followed only within the host requested, and the body
//! decoded in the charset the page declares.

use std::time::{Duration, Instant};

use futures::StreamExt;

use super::charset::{self, CharsetError};
use super::layout::{self, CheckError, Item, Layout};
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
#[derive(Debug, thiserror::Error)]
#[error("{code} {name} ({url}): {reason}")]
pub struct CategoryError {
    /// The category's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The URL fetched.
    pub url: String,
    /// What was wrong.
    pub reason: Reason,
}

/// Why a category could not be collected.
#[derive(Debug, thiserror::Error)]
pub enum Reason {
    /// Its URL could not be pointed at `--source`.
    #[error("{0}")]
    Source(RewriteError),
    /// Its page could not be fetched.
    #[error("{0}")]
    Fetch(FetchError),
    /// The page is in no known layout, or its layout could not be read.
    #[error("{0}")]
    Layout(String),
    /// The page's items are not a complete best list.
    #[error("{} layout: {error}", layout.name())]
    Check {
        /// The page's layout.
        layout: Layout,
        /// The first problem.
        error: CheckError,
    },
}

/// Why a URL does not parse.
pub type UrlError = <reqwest::Url as std::str::FromStr>::Err;

/// A category URL that cannot be pointed at `--source`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    /// The category's URL is not one.
    #[error("{url}: {error}")]
    Url {
        /// The URL.
        url: String,
        /// Why it does not parse.
        error: UrlError,
    },
    /// `--source` is not a URL, or its host cannot replace the URL's.
    #[error("--source {base}: {error}")]
    Base {
        /// The `--source` value.
        base: String,
        /// Why it does not parse.
        error: UrlError,
    },
    /// The URL cannot take the scheme of `--source`.
    #[error("--source {0}: cannot use its scheme")]
    Scheme(String),
    /// The URL cannot take the port of `--source`.
    #[error("--source {0}: cannot use its port")]
    Port(String),
}

/// `url` with its scheme, host and port replaced by those of `base`.
pub fn rewrite(url: &str, base: &str) -> Result<String, RewriteError> {
    let bad_base = |error| RewriteError::Base { base: base.to_string(), error };
    let mut u = reqwest::Url::parse(url).map_err(|error| RewriteError::Url { url: url.to_string(), error })?;
    let b = reqwest::Url::parse(base).map_err(bad_base)?;
    u.set_scheme(b.scheme()).map_err(|_| RewriteError::Scheme(base.to_string()))?;
    u.set_host(b.host_str()).map_err(bad_base)?;
    u.set_port(b.port()).map_err(|_| RewriteError::Port(base.to_string()))?;
    Ok(u.to_string())
}

/// A page that could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Every attempt failed; the last one's failure.
    #[error("{last} (after {attempts} attempts)")]
    Attempts {
        /// How the last attempt failed.
        last: Attempt,
        /// Attempts made.
        attempts: u32,
    },
    /// The site asked to wait longer than the page's budget has left.
    #[error(
        "{last} with Retry-After {}s, more than the {}s left of the page's budget ({attempts} attempts of {}s each)",
        asked.as_secs(),
        left.as_secs(),
        timeout.as_secs()
    )]
    Budget {
        /// The answer that asked to wait.
        last: Attempt,
        /// The wait asked for.
        asked: Duration,
        /// What was left of the budget.
        left: Duration,
        /// Attempts per page.
        attempts: u32,
        /// Time allowed to one request.
        timeout: Duration,
    },
    /// An answer that is not retried.
    #[error("HTTP {0} (not retried)")]
    Status(reqwest::StatusCode),
    /// A redirect that is not followed: the policy's reason.
    #[error("{0}")]
    Redirect(String),
    /// The body is not text in the encoding it declares.
    #[error("{0}")]
    Charset(CharsetError),
}

/// How one attempt to fetch a page failed.
#[derive(Debug, thiserror::Error)]
pub enum Attempt {
    /// No attempt was made (none were allowed).
    #[error("")]
    None,
    /// The body broke off.
    #[error("the body broke off: {0}")]
    Body(reqwest::Error),
    /// An answer that is retried (429 or 5xx).
    #[error("HTTP {0}")]
    Status(reqwest::StatusCode),
    /// No answer within the request's timeout.
    #[error("no answer within {}s", .0.as_secs())]
    Timeout(Duration),
    /// The request failed otherwise.
    #[error("{0}")]
    Request(reqwest::Error),
}

/// Redirects followed in a row before giving up, as browsers do.
const MAX_REDIRECTS: usize = 10;

/// Follows a redirect only to the origin (scheme, host and port) of the URL first requested.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let (from, to) = (attempt.previous()[0].origin(), attempt.url().origin());
        if from != to {
            let (from, to) = (from.ascii_serialization(), to.ascii_serialization());
            attempt.error(format!("redirected from {from} to {to}: only redirects within {from} are followed"))
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// The innermost cause of `e`, where the redirect policy's reason is.
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut e = e;
    while let Some(source) = e.source() {
        e = source;
    }
    e.to_string()
}

/// How long a `Retry-After` value asks to wait at `now`: delay-seconds, or an HTTP-date (one in
/// the past is no wait). Anything else is no answer.
fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.with_timezone(&chrono::Utc) - now).to_std().unwrap_or(Duration::ZERO))
}

async fn fetch(client: &reqwest::Client, url: &str, o: &FetchOptions) -> Result<String, FetchError> {
    // What a page may take, waits included: as long as every attempt timing out would.
    let budget = o.timeout * o.attempts;
    let started = Instant::now();
    let mut backoff = o.backoff;
    let mut last = Attempt::None;
    for attempt in 1..=o.attempts {
        let mut wait = backoff;
        match client.get(url).send().await {
            Ok(resp) if resp.status().is_success() => {
                let content_type =
                    resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
                match resp.bytes().await {
                    Ok(body) => return charset::decode(&body, content_type.as_deref()).map_err(FetchError::Charset),
                    Err(e) => last = Attempt::Body(e),
                }
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS || resp.status().is_server_error() => {
                last = Attempt::Status(resp.status());
                let asked = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry_after(v, chrono::Utc::now()));
                if let Some(asked) = asked
                    && attempt < o.attempts
                {
                    let left = budget.saturating_sub(started.elapsed());
                    if asked > left {
                        return Err(FetchError::Budget { last, asked, left, attempts: o.attempts, timeout: o.timeout });
                    }
                    wait = asked;
                }
            }
            Ok(resp) => return Err(FetchError::Status(resp.status())),
            Err(e) if e.is_redirect() => return Err(FetchError::Redirect(innermost(&e))),
            Err(e) if e.is_timeout() => last = Attempt::Timeout(o.timeout),
            Err(e) => last = Attempt::Request(e),
        }
        if attempt < o.attempts {
            tokio::time::sleep(wait).await;
            backoff *= 2;
        }
    }
    Err(FetchError::Attempts { last, attempts: o.attempts })
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
    let err = |url: &str, reason: Reason| CategoryError {
        code: c.code.clone(),
        name: c.name.clone(),
        url: url.to_string(),
        reason,
    };
    let url = url.map_err(|r| err(&c.url, Reason::Source(r)))?;
    let body = fetch(client, &url, o).await.map_err(|r| err(&url, Reason::Fetch(r)))?;
    let (layout, items) = layout::parse(&body).map_err(|r| err(&url, Reason::Layout(r)))?;
    layout::check(&items, o.expected).map_err(|error| err(&url, Reason::Check { layout, error }))?;
    Ok((layout, items))
}

/// Every category's items, in the categories' order; each category's outcome on its own.
pub async fn crawl(categories: &[Category], o: &FetchOptions) -> Vec<Result<(Layout, Vec<Item>), CategoryError>> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("provision/", env!("CARGO_PKG_VERSION"), " (+best-100 hourly collection)"))
        .timeout(o.timeout)
        .connect_timeout(o.timeout)
        .redirect(redirect_policy())
        .build()
        .expect("an HTTP client");
    futures::stream::iter(categories.iter().map(|c| category(&client, c, o)))
        .buffered(o.concurrency.max(1))
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{retry_after, rewrite};

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc2822("Wed, 21 Oct 2015 07:28:00 GMT").unwrap().to_utc();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:30:30 GMT", now), Some(Duration::from_secs(150)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("-5", now), None);
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn rewrite_keeps_path_and_query() {
        assert_eq!(
            rewrite("http://mobile.gmarket.co.kr/Best/Category?code=G01", "http://127.0.0.1:8000").unwrap(),
            "http://127.0.0.1:8000/Best/Category?code=G01"
        );
    }
}
