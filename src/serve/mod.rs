//! `khien serve`: the central collection server of the Department (issue 17).
//!
//! The same executable receives every school's result documents over HTTPS (rustls)
//! or plain HTTP behind a reverse proxy, checks each against the token of the unit that
//! sent it, keeps the file as received (content-addressed) and ingests it into the
//! findings history (SQLite by default, PostgreSQL on request) in one transaction.
//!
//! - [`config`]: `khien-serve.toml`, checked with positioned errors.
//! - [`ledger`]: `serve.db`, tokens (hashed), uploads and the audit log.
//! - [`app`]: the HTTP routes and the server's life (logs, graceful shutdown).
//! - [`ingest`]: one upload checked, kept and committed with others in one transaction.
//! - [`reports`]: the period reports the pages show, built once and shared.
//! - [`web`]: the Department's pages (dashboard, communes, units, machines, debt list,
//!   downloads, logins).
//! - [`schedule`]: the daily `scan web --register` the server runs itself (`[schedule]`).
//! - [`command`]: the `khien serve` command line, with `khien serve tokens`.
//!
//! The client side (`khien scan host --send`, the outbox) is [`crate::send`].

pub mod app;
pub mod command;
pub mod config;
pub mod ingest;
pub mod ledger;
pub mod reports;
pub mod schedule;
pub mod web;

use serde::{Deserialize, Serialize};

/// Where result documents are posted, under the server's address.
pub const UPLOAD_PATH: &str = "/api/v1/results";

/// The server's answer to an upload, read by the client to tell the user what
/// happened in their language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReply {
    /// `accepted`, `duplicate`, `quarantined` or `refused`.
    pub status: String,
    /// What happened, in Vietnamese.
    pub message: String,
    /// The same in English.
    pub message_en: String,
    /// Content address of the document received, when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl UploadReply {
    pub fn new(status: &str, vi: impl Into<String>, en: impl Into<String>) -> UploadReply {
        UploadReply {
            status: status.to_string(),
            message: vi.into(),
            message_en: en.into(),
            sha256: None,
        }
    }

    pub fn message(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::Vi => &self.message,
            crate::i18n::Lang::En => &self.message_en,
        }
    }
}
