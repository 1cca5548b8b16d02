//! What happens to one upload once its token is known: decompress within the size
//! limit, read it as a result document, check the units and the dates, keep the file
//! by its content address and ingest it into the history in one transaction.
//!
//! Blocking code (file system, SQLite, PostgreSQL): the routes call it on tokio's
//! blocking threads.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::http::StatusCode;
use jiff::Timestamp;

use super::UploadReply;
use super::ledger::{Ledger, TokenRecord, UploadStatus, sha256_hex};
use crate::history::HistoryStore;
use crate::i18n::Lang;
use crate::report::input::{ResultInput, parse_result};

/// A history store shared by the server's threads.
pub type SharedStore = Mutex<Box<dyn HistoryStore + Send>>;

/// Everything an upload needs.
pub struct Ingestor {
    pub data_dir: PathBuf,
    pub ledger: Mutex<Ledger>,
    pub store: SharedStore,
    pub max_bytes: u64,
    pub clock_skew: std::time::Duration,
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
        let (status, reply) = self.process_inner(token, body, gzip);
        let unit = token.unit_code.as_str();
        let detail = format!(
            "{} {}{}",
            status.as_u16(),
            reply.status,
            reply
                .sha256
                .as_deref()
                .map(|s| format!(" {s}"))
                .unwrap_or_default()
        );
        let event = match reply.status.as_str() {
            "accepted" | "duplicate" => "upload",
            "quarantined" => "quarantine",
            _ => "refusal",
        };
        if let Ok(l) = self.ledger.lock() {
            let _ = l.audit(
                event,
                Some(unit),
                Some(remote),
                &format!("{detail}: {}", reply.message_en),
            );
        }
        tracing::info!(unit, remote, status = status.as_u16(), outcome = %reply.status, sha256 = reply.sha256.as_deref().unwrap_or(""), "upload");
        (status, reply)
    }

    fn process_inner(
        &self,
        token: &TokenRecord,
        body: &[u8],
        gzip: bool,
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
        let stats = match self.store.lock() {
            Ok(mut store) => store.ingest(&mut std::iter::once(doc)),
            Err(e) => return server_error(e),
        };
        let stats = match stats {
            Ok(s) => s,
            Err(e) => return server_error(e),
        };
        if let Err(e) = self.ledger.lock().map_err(|e| e.to_string()).and_then(|l| {
            l.record_upload(
                &sha,
                &token.unit_code,
                UploadStatus::Accepted,
                None,
                bytes.len() as u64,
            )
            .map_err(|e| e.to_string())
        }) {
            return server_error(e);
        }
        with_sha((
            StatusCode::OK,
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
            ),
        ))
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
