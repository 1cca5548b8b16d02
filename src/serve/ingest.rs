//! What happens to one upload once its token is known: decompress within the size
//! limit, read it as a result document, check the units and the dates, keep the file
//! by its content address and ingest it into the history in one transaction.
//!
//! Blocking code (file system, SQLite, PostgreSQL): the routes call it on tokio's
//! blocking threads.
//!
//! Ingests are committed in groups ([`Writer`]): one thread owns the store's writing
//! connection, takes every checked document waiting and applies them in one
//! transaction (one sync to disk for all), records them in the ledger in one more,
//! and only then answers each upload. An upload is answered "accepted" only once it
//! is on disk, as before; a killed server answered nothing for its last group, so
//! the clients resend it.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use jiff::Timestamp;

use super::UploadReply;
use super::ledger::{AcceptedUpload, Ledger, TokenRecord, UploadStatus, sha256_hex};
use crate::history::{HistoryStore, IngestStats};
use crate::i18n::Lang;
use crate::report::input::{ResultInput, parse_result};

/// A history store shared by the server's threads.
pub type SharedStore = Mutex<Box<dyn HistoryStore + Send>>;

/// Everything an upload needs.
pub struct Ingestor {
    pub data_dir: PathBuf,
    pub ledger: Arc<Mutex<Ledger>>,
    pub writer: Writer,
    pub max_bytes: u64,
    pub clock_skew: std::time::Duration,
}

/// Most documents applied in one transaction.
const MAX_GROUP: usize = 256;

/// A checked document waiting for its group commit.
struct Job {
    doc: ResultInput,
    record: AcceptedUpload,
    answer: mpsc::SyncSender<Result<IngestStats, String>>,
}

/// The queue to the thread that writes the history (see the module doc).
pub struct Writer {
    queue: Mutex<mpsc::Sender<Job>>,
}

impl Writer {
    /// Starts the writing thread with the store's writing connection; `committed` is
    /// called after each group is on disk (the pages' cache listens).
    pub fn start(
        mut store: Box<dyn HistoryStore + Send>,
        ledger: Arc<Mutex<Ledger>>,
        committed: Box<dyn Fn() + Send>,
    ) -> Writer {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("khien-writer".into())
            .spawn(move || {
                // Ends when every sender is gone (the server stopped).
                while let Ok(first) = rx.recv() {
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP
                        && let Ok(more) = rx.try_recv()
                    {
                        group.push(more);
                    }
                    commit_group(&mut *store, &ledger, group, &committed);
                }
            })
            .expect("a thread for the history writer");
        Writer {
            queue: Mutex::new(tx),
        }
    }

    /// Queues a document and waits until its group is committed.
    fn apply(&self, doc: ResultInput, record: AcceptedUpload) -> Result<IngestStats, String> {
        let (answer, wait) = mpsc::sync_channel(1);
        self.queue
            .lock()
            .map_err(|e| e.to_string())?
            .send(Job {
                doc,
                record,
                answer,
            })
            .map_err(|_| "the history writer has stopped".to_string())?;
        wait.recv()
            .map_err(|_| "the history writer has stopped".to_string())?
    }
}

/// Applies a group in one transaction, then records it in the ledger, then answers.
/// When the group's transaction fails, each document is tried alone, so one that the
/// store refuses does not take the others down with it.
/// Applies a group, records it, says so to `committed` (the pages' reports are then
/// out of date) and only then answers each upload: a school that reads its page
/// after the answer sees its upload.
fn commit_group(
    store: &mut dyn HistoryStore,
    ledger: &Mutex<Ledger>,
    group: Vec<Job>,
    committed: &dyn Fn(),
) {
    let (docs, rest): (Vec<ResultInput>, Vec<(AcceptedUpload, _)>) = group
        .into_iter()
        .map(|j| (j.doc, (j.record, j.answer)))
        .unzip();
    let results: Vec<Result<IngestStats, String>> = match store.ingest_each(&docs) {
        Ok(each) => each.into_iter().map(Ok).collect(),
        Err(e) if docs.len() == 1 => vec![Err(e.to_string())],
        Err(e) => {
            tracing::warn!(error = %e, documents = docs.len(), "group ingest failed: one by one");
            docs.into_iter()
                .map(|d| {
                    store
                        .ingest_each(std::slice::from_ref(&d))
                        .map(|mut v| v.pop().unwrap_or_default())
                        .map_err(|e| e.to_string())
                })
                .collect()
        }
    };
    let (mut records, answers): (Vec<AcceptedUpload>, Vec<_>) = rest.into_iter().unzip();
    for (r, res) in records.iter_mut().zip(&results) {
        if let Ok(stats) = res {
            r.detail = audit_detail(StatusCode::OK, &accepted(stats), &r.sha256);
        }
    }
    let ok: Vec<AcceptedUpload> = records
        .into_iter()
        .zip(&results)
        .filter(|(_, res)| res.is_ok())
        .map(|(r, _)| r)
        .collect();
    let recorded = ledger
        .lock()
        .map_err(|e| e.to_string())
        .and_then(|l| l.record_accepted(&ok).map_err(|e| e.to_string()));
    committed();
    for (answer, res) in answers.into_iter().zip(results) {
        let res = match (&recorded, res) {
            (Err(e), Ok(_)) => Err(e.clone()),
            (_, res) => res,
        };
        // The request may have gone (client timeout): nothing to answer.
        let _ = answer.send(res);
    }
}

/// The reply to an applied upload.
fn accepted(stats: &IngestStats) -> UploadReply {
    UploadReply::new(
        "accepted",
        format!(
            "Đã nhận kết quả: {} đối tượng, {} phát hiện được ghi vào lịch sử.",
            stats.targets_applied, stats.findings_applied
        ),
        format!(
            "Result received: {} targets, {} findings recorded in the history.",
            stats.targets_applied, stats.findings_applied
        ),
    )
}

/// The audit log's line for an answered upload.
fn audit_detail(status: StatusCode, reply: &UploadReply, sha: &str) -> String {
    format!(
        "{} {}{}: {}",
        status.as_u16(),
        reply.status,
        if sha.is_empty() {
            String::new()
        } else {
            format!(" {sha}")
        },
        reply.message_en
    )
}

/// Where an accepted document is kept: `received/ab/abcdef….json`.
pub fn received_path(data_dir: &Path, sha: &str) -> PathBuf {
    data_dir
        .join("received")
        .join(&sha[..2])
        .join(format!("{sha}.json"))
}

/// Where a quarantined document is kept, with its reason beside it.
pub fn quarantine_path(data_dir: &Path, sha: &str) -> PathBuf {
    data_dir.join("quarantine").join(format!("{sha}.json"))
}

fn too_large(max: u64) -> (StatusCode, UploadReply) {
    let mb = max as f64 / (1024.0 * 1024.0);
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        UploadReply::new(
            "refused",
            format!("Tệp kết quả quá lớn: máy chủ nhận tối đa {mb:.1} MB."),
            format!("The result file is too large: the server takes at most {mb:.1} MB."),
        ),
    )
}

/// Writes `bytes` to `path` unless a file is already there (content-addressed: the
/// same name means the same content).
fn keep(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.is_file() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::report::write_atomically(path, bytes)
}

fn server_error(e: impl std::fmt::Display) -> (StatusCode, UploadReply) {
    tracing::error!(error = %e, "upload failed on the server");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        UploadReply::new(
            "error",
            "Máy chủ gặp lỗi khi lưu kết quả; kết quả sẽ được gửi lại ở lần chạy sau.",
            "The server failed to store the result; it will be sent again at the next run.",
        ),
    )
}

impl Ingestor {
    /// Decompresses (when `gzip`) and checks one upload of `token`'s unit, and stores
    /// it when it passes. Returns the HTTP status and the reply.
    pub fn process(
        &self,
        token: &TokenRecord,
        body: &[u8],
        gzip: bool,
        remote: &str,
    ) -> (StatusCode, UploadReply) {
        let (status, reply) = self.process_inner(token, body, gzip, remote);
        let unit = token.unit_code.as_str();
        let detail = audit_detail(status, &reply, reply.sha256.as_deref().unwrap_or(""));
        let event = match reply.status.as_str() {
            "accepted" | "duplicate" => "upload",
            "quarantined" => "quarantine",
            _ => "refusal",
        };
        // An accepted upload's line was written with its group commit.
        if reply.status != "accepted"
            && let Ok(l) = self.ledger.lock()
        {
            let _ = l.audit(event, Some(unit), Some(remote), &detail);
        }
        tracing::info!(unit, remote, status = status.as_u16(), outcome = %reply.status, sha256 = reply.sha256.as_deref().unwrap_or(""), "upload");
        (status, reply)
    }

    fn process_inner(
        &self,
        token: &TokenRecord,
        body: &[u8],
        gzip: bool,
        remote: &str,
    ) -> (StatusCode, UploadReply) {
        if body.len() as u64 > self.max_bytes {
            return too_large(self.max_bytes);
        }
        let bytes: std::borrow::Cow<[u8]> = if gzip {
            // Bounded: a small gzip bomb must not become gigabytes in memory.
            let mut out = Vec::new();
            let read = flate2::read::GzDecoder::new(body)
                .take(self.max_bytes + 1)
                .read_to_end(&mut out);
            if let Err(e) = read {
                return (
                    StatusCode::BAD_REQUEST,
                    UploadReply::new(
                        "refused",
                        format!("Dữ liệu nén gzip bị hỏng: {e}. Hãy gửi lại bằng khien."),
                        format!("The gzip data is damaged: {e}. Send it again with khien."),
                    ),
                );
            }
            if out.len() as u64 > self.max_bytes {
                return too_large(self.max_bytes);
            }
            out.into()
        } else {
            body.into()
        };
        let sha = sha256_hex(&bytes);
        let with_sha = |(code, mut reply): (StatusCode, UploadReply)| {
            reply.sha256 = Some(sha.clone());
            (code, reply)
        };

        match self.ledger.lock().map(|l| l.upload_status(&sha)) {
            Ok(Ok(Some(s))) if s == UploadStatus::Accepted.as_str() => {
                return with_sha((
                    StatusCode::OK,
                    UploadReply::new(
                        "duplicate",
                        "Kết quả này máy chủ đã nhận trước đó; không ghi lại lần hai.",
                        "The server already has this result; it is not stored twice.",
                    ),
                ));
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return server_error(e),
            Err(e) => return server_error(e),
        }

        let name = Path::new("upload").join(format!("{sha}.json"));
        let doc = match parse_result(&name, &bytes, Lang::Vi) {
            Ok(d) => d,
            Err(vi) => {
                let en = parse_result(&name, &bytes, Lang::En)
                    .err()
                    .map(|e| e.message)
                    .unwrap_or_default();
                return with_sha((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    UploadReply::new(
                        "refused",
                        format!("Không phải tài liệu kết quả khien hợp lệ: {}", vi.message),
                        format!("Not a valid khien result document: {en}"),
                    ),
                ));
            }
        };

        if !token.admin
            && let Some(reply) = wrong_unit(&doc, &token.unit_code)
        {
            return with_sha((StatusCode::FORBIDDEN, reply));
        }

        if let Some((vi, en)) = future_dated(&doc, Timestamp::now(), self.clock_skew) {
            let path = quarantine_path(&self.data_dir, &sha);
            let stored = keep(&path, &bytes).and_then(|()| {
                crate::report::write_atomically(&path.with_extension("reason.txt"), en.as_bytes())
            });
            if let Err(e) = stored {
                return server_error(e);
            }
            if let Err(e) = self.ledger.lock().map_err(|e| e.to_string()).and_then(|l| {
                l.record_upload(
                    &sha,
                    &token.unit_code,
                    UploadStatus::Quarantined,
                    Some(&en),
                    bytes.len() as u64,
                )
                .map_err(|e| e.to_string())
            }) {
                return server_error(e);
            }
            return with_sha((
                StatusCode::UNPROCESSABLE_ENTITY,
                UploadReply::new(
                    "quarantined",
                    format!(
                        "Kết quả bị cách ly, không đưa vào lịch sử: {vi}. Hãy chỉnh đồng hồ máy tính rồi quét lại."
                    ),
                    format!(
                        "The result is quarantined and not applied: {en}. Set the computer's clock right and scan again."
                    ),
                ),
            ));
        }

        // Kept as received before it is applied: a crash after this point leaves a
        // file and no rows, and the client's resend applies it.
        if let Err(e) = keep(&received_path(&self.data_dir, &sha), &bytes) {
            return server_error(e);
        }
        let record = AcceptedUpload {
            sha256: sha.clone(),
            unit_code: token.unit_code.clone(),
            bytes: bytes.len() as u64,
            remote: remote.to_string(),
            detail: String::new(),
        };
        match self.writer.apply(doc, record) {
            Ok(stats) => with_sha((StatusCode::OK, accepted(&stats))),
            Err(e) => server_error(e),
        }
    }
}

/// A refusal when a target of the document belongs to another unit than the token's.
pub fn wrong_unit(doc: &ResultInput, unit: &str) -> Option<UploadReply> {
    let t = doc.targets.iter().find(|t| t.unit_code != unit)?;
    let claimed = if t.unit_code.is_empty() {
        "(không có mã đơn vị)".to_string()
    } else {
        t.unit_code.clone()
    };
    let claimed_en = if t.unit_code.is_empty() {
        "(no unit code)".to_string()
    } else {
        t.unit_code.clone()
    };
    Some(UploadReply::new(
        "refused",
        format!(
            "Từ chối: kết quả của máy `{}` ghi đơn vị `{claimed}`, nhưng mã gửi (token) là của đơn vị `{unit}`. \
             Hãy sửa mục [unit] code trong khien.toml cho đúng mã đơn vị của trường, hoặc dùng đúng token Sở cấp cho đơn vị đó.",
            t.id
        ),
        format!(
            "Refused: the result of `{}` names unit `{claimed_en}`, but the token belongs to unit `{unit}`. \
             Put the school's own unit code in [unit] code of khien.toml, or use the token the Department issued for that unit.",
            t.id
        ),
    ))
}

/// Why a document is dated in the future beyond the allowed clock skew, if it is.
pub fn future_dated(
    doc: &ResultInput,
    now: Timestamp,
    skew: std::time::Duration,
) -> Option<(String, String)> {
    let limit = now
        .checked_add(jiff::SignedDuration::try_from(skew).unwrap_or_default())
        .unwrap_or(now);
    let minutes = skew.as_secs() / 60;
    if doc.evaluated_at > limit {
        return Some((
            format!(
                "thời điểm đánh giá {} ở tương lai (máy chủ: {now}, cho phép lệch {minutes} phút)",
                doc.evaluated_at
            ),
            format!(
                "evaluation time {} is in the future (server: {now}, allowed skew {minutes} minutes)",
                doc.evaluated_at
            ),
        ));
    }
    let t = doc.targets.iter().find(|t| t.collected_at > limit)?;
    Some((
        format!(
            "máy `{}` thu thập lúc {} ở tương lai (máy chủ: {now}, cho phép lệch {minutes} phút)",
            t.id, t.collected_at
        ),
        format!(
            "target `{}` was collected at {}, in the future (server: {now}, allowed skew {minutes} minutes)",
            t.id, t.collected_at
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // No unit in the header (the reader refuses a header unit its targets contradict):
    // each target names its own.
    const DOC: &str = r#"{"schema":"khien-result/1",
      "evaluated_at":"2026-05-01T00:00:00Z",
      "targets":[{"target":{"kind":"host","id":"PC-01","unit":{"code":"U1"}},"collected_at":"2026-05-01T00:00:00Z","findings":[]},
                 {"target":{"kind":"host","id":"PC-02","unit":{"code":"U2"}},"collected_at":"2026-05-01T00:00:00Z","findings":[]}]}"#;

    #[test]
    fn every_target_must_belong_to_the_tokens_unit() {
        let doc = parse_result(Path::new("a.json"), DOC.as_bytes(), Lang::Vi).unwrap();
        let r = wrong_unit(&doc, "U1").unwrap();
        assert!(
            r.message.contains("`PC-02` ghi đơn vị `U2`"),
            "{}",
            r.message
        );
        assert!(r.message.contains("token"), "{}", r.message);
        let r = wrong_unit(&doc, "U2").unwrap();
        assert!(
            r.message_en.contains("`PC-01` names unit `U1`"),
            "{}",
            r.message_en
        );
        let one = DOC.replace(r#""code":"U2""#, r#""code":"U1""#);
        let doc = parse_result(Path::new("a.json"), one.as_bytes(), Lang::Vi).unwrap();
        assert!(wrong_unit(&doc, "U1").is_none());
    }

    #[test]
    fn dates_past_the_allowed_skew_are_future() {
        let doc = parse_result(Path::new("a.json"), DOC.as_bytes(), Lang::Vi).unwrap();
        let skew = std::time::Duration::from_secs(15 * 60);
        let at: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
        assert!(future_dated(&doc, at, skew).is_none());
        let early: Timestamp = "2026-04-30T23:50:00Z".parse().unwrap();
        assert!(future_dated(&doc, early, skew).is_none(), "within the skew");
        let earlier: Timestamp = "2026-04-30T23:40:00Z".parse().unwrap();
        let (vi, en) = future_dated(&doc, earlier, skew).unwrap();
        assert!(
            vi.contains("ở tương lai") && en.contains("15 minutes"),
            "{vi} / {en}"
        );
    }
}
