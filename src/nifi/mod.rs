//! NiFi as the pipeline's workflow tool: the flow provision wants on it ([`flow`], pure), its
//! REST API ([`api`]), the flow deployed through it idempotently ([`deploy`]) and watched
//! ([`monitor`]), and an hour handed
//! to the flow's input port over NiFi's site-to-site HTTP protocol ([`transfer`]), which NiFi
//! serves on its own web address (its ListenHTTP processor would listen on every interface).

pub mod api;
pub mod deploy;
pub mod flow;
pub mod monitor;
pub mod transfer;

/// NiFi could not be reached, or refused or failed a request.
#[derive(Debug, thiserror::Error)]
pub enum NifiError {
    /// The request did not reach NiFi, or its answer did not arrive.
    #[error("NiFi at {url}: {source}")]
    Http {
        /// The request's URL.
        url: String,
        /// Why.
        source: reqwest::Error,
    },
    /// NiFi answered with an error status.
    #[error("NiFi at {url} answered {status}: {body}")]
    Status {
        /// The request's URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of its answer.
        body: String,
    },
    /// NiFi's answer lacked what the request is for.
    #[error("NiFi at {url}: the answer has no {what}")]
    Answer {
        /// The request's URL.
        url: String,
        /// What is missing.
        what: &'static str,
    },
    /// The deployed flow cannot be replaced safely now.
    #[error("{0}")]
    Unsafe(String),
    /// NiFi reported another checksum of an hour than the one sent: the transfer was cancelled.
    #[error("NiFi received {received} for the hour's checksum, not {sent}: the transfer was cancelled")]
    Checksum {
        /// The checksum of what was sent.
        sent: u32,
        /// What NiFi computed.
        received: String,
    },
}
