//! Sending results to the Department's server (`khien scan host --send`, double-click
//! mode with `[send]` in khien.toml), so nothing is lost on the way.
//!
//! The result is first written to the outbox folder; then every file in the outbox is
//! posted, oldest name first, gzip-compressed, with the unit's token. A delivered file
//! (accepted, or already there) leaves the outbox; when the server cannot be reached or
//! refuses for a passing reason (busy, rate limit, server error) the files stay and are
//! sent at the next run; a file the server refuses for good (wrong unit, quarantined,
//! not a result) moves to `refused/` beside its reason, for a person to look at.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::SendSettings;
use crate::i18n::{Lang, tr};
use crate::serve::{UPLOAD_PATH, UploadReply};

/// The outbox's default name, beside the executable.
pub const OUTBOX_DIR_NAME: &str = "khien-outbox";

/// What happened to one file of the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server has it (accepted now, or already held).
    Sent(UploadReply),
    /// Still in the outbox, for the next run; the reason.
    Queued { vi: String, en: String },
    /// Refused for good; moved to `refused/`.
    Refused { reply: UploadReply, kept: PathBuf },
}

/// One delivery attempt of one file.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub file: String,
    pub outcome: Outcome,
}

/// The outbox folder: `--outbox`, else `[send] outbox` (relative to khien.toml's
/// folder), else `khien-outbox` beside the executable.
pub fn outbox_dir(
    settings: &SendSettings,
    config_source: Option<&str>,
    explicit: Option<&Path>,
) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    if let Some(o) = &settings.outbox {
        let p = PathBuf::from(o);
        if p.is_absolute() {
            return p;
        }
        let base = config_source
            .and_then(|s| Path::new(s).parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        return base.join(p);
    }
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join(OUTBOX_DIR_NAME)))
        .unwrap_or_else(|| PathBuf::from(OUTBOX_DIR_NAME))
}

fn resolve_ca(settings: &SendSettings, config_source: Option<&str>) -> Option<PathBuf> {
    let ca = settings.ca_file.as_ref()?;
    let p = PathBuf::from(ca);
    if p.is_absolute() {
        return Some(p);
    }
    let base = config_source
        .and_then(|s| Path::new(s).parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    Some(base.join(p))
}

fn client(settings: &SendSettings, config_source: Option<&str>) -> Result<reqwest::Client, String> {
    let pem = match resolve_ca(settings, config_source) {
        Some(p) => Some(
            crate::io::read_bounded_bytes(&p, crate::io::MAX_PEM_BYTES)
                .map_err(|e| format!("[send] ca_file {}: {e}", p.display()))?,
        ),
        None => None,
    };
    let roots = crate::collect::web::tls::root_store(pem.as_deref())?;
    let tls = rustls::ClientConfig::builder_with_provider(crate::collect::web::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(concat!("khien/", env!("CARGO_PKG_VERSION")))
        // The token never follows a redirect to another place.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| e.to_string())
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// A status the client retries at the next run.
fn transient(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || status >= 500
}

/// Posts one file; `Ok(reply)` for 2xx, `Err(Ok(reply))` for a refusal for good,
/// `Err(Err(reason))` for a passing failure.
async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> Result<UploadReply, Result<(u16, UploadReply), (String, String)>> {
    let resp = client
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(body)
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_connect() {
                ("không kết nối được máy chủ", "cannot connect to the server")
            } else if e.is_timeout() {
                (
                    "máy chủ không trả lời kịp",
                    "the server did not answer in time",
                )
            } else {
                ("lỗi mạng", "network error")
            };
            return Err(Err((format!("{}: {e}", why.0), format!("{}: {e}", why.1))));
        }
    };
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let reply: Option<UploadReply> = serde_json::from_str(&text).ok();
    if (200..300).contains(&status) {
        return Ok(reply.unwrap_or_else(|| UploadReply::new("accepted", "Đã gửi.", "Sent.")));
    }
    if transient(status) {
        let (vi, en) = match &reply {
            Some(r) => (r.message.clone(), r.message_en.clone()),
            None => (
                format!("máy chủ trả lời HTTP {status}"),
                format!("the server answered HTTP {status}"),
            ),
        };
        return Err(Err((vi, en)));
    }
    Err(Ok((
        status,
        reply.unwrap_or_else(|| {
            UploadReply::new(
                "refused",
                format!("Máy chủ từ chối (HTTP {status})."),
                format!("The server refused it (HTTP {status})."),
            )
        }),
    )))
}

/// Puts `json` in the outbox as `name` (a file name ending in `.json`), then sends
/// everything the outbox holds. Errors only when the outbox cannot be written: then
/// the result is not in it, and the caller says so.
pub fn queue_and_send(
    settings: &SendSettings,
    config_source: Option<&str>,
    outbox: &Path,
    name: &str,
    json: &[u8],
) -> Result<Vec<Delivery>, String> {
    std::fs::create_dir_all(outbox).map_err(|e| format!("{}: {e}", outbox.display()))?;
    // Never over a result still waiting (two scans in the same minute share a name).
    let stem = name.strip_suffix(".json").unwrap_or(name);
    let mut path = outbox.join(name);
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = outbox.join(format!("{stem}-{n}.json"));
    }
    crate::report::write_atomically(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(send_outbox(settings, config_source, outbox))
}

/// Sends every `*.json` of the outbox, oldest name first; stops at the first passing
/// failure (the server is down: the rest would fail the same way).
pub fn send_outbox(
    settings: &SendSettings,
    config_source: Option<&str>,
    outbox: &Path,
) -> Vec<Delivery> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(outbox)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = Vec::new();
    if files.is_empty() {
        return out;
    }
    let queued_all = |out: &mut Vec<Delivery>, files: &[PathBuf], vi: &str, en: &str| {
        for f in files {
            out.push(Delivery {
                file: file_name(f),
                outcome: Outcome::Queued {
                    vi: vi.to_string(),
                    en: en.to_string(),
                },
            });
        }
    };
    let client = match client(settings, config_source) {
        Ok(c) => c,
        Err(e) => {
            queued_all(&mut out, &files, &e, &e);
            return out;
        }
    };
    let url = format!("{}{UPLOAD_PATH}", settings.url.trim_end_matches('/'));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            queued_all(&mut out, &files, &e.to_string(), &e.to_string());
            return out;
        }
    };
    for (i, f) in files.iter().enumerate() {
        let bytes = match std::fs::read(f) {
            Ok(b) => b,
            Err(e) => {
                out.push(Delivery {
                    file: file_name(f),
                    outcome: Outcome::Queued {
                        vi: format!("không đọc được tệp: {e}"),
                        en: format!("cannot read the file: {e}"),
                    },
                });
                continue;
            }
        };
        match runtime.block_on(post(&client, &url, &settings.token, gzip(&bytes))) {
            Ok(reply) => {
                let _ = std::fs::remove_file(f);
                out.push(Delivery {
                    file: file_name(f),
                    outcome: Outcome::Sent(reply),
                });
            }
            Err(Ok((_, reply))) => {
                let dir = outbox.join("refused");
                let kept = dir.join(file_name(f));
                let moved = std::fs::create_dir_all(&dir)
                    .and_then(|()| std::fs::rename(f, &kept))
                    .and_then(|()| {
                        std::fs::write(
                            kept.with_extension("reason.txt"),
                            format!("{}\n{}\n", reply.message, reply.message_en),
                        )
                    });
                let kept = if moved.is_ok() { kept } else { f.clone() };
                out.push(Delivery {
                    file: file_name(f),
                    outcome: Outcome::Refused { reply, kept },
                });
            }
            Err(Err((vi, en))) => {
                queued_all(&mut out, &files[i..], &vi, &en);
                break;
            }
        }
    }
    out
}

/// Sends a finished scan's result with the `[send]` settings of `config`: the file is
/// named as double-click mode names it and goes through the outbox (`explicit`, else
/// `[send] outbox`, else `default_dir`/khien-outbox, else beside the executable).
/// Returns the people's account of what happened and the deliveries.
pub fn send_result(
    config: &crate::config::LocalConfig,
    explicit: Option<&Path>,
    default_dir: Option<&Path>,
    result: &crate::findings::ResultDocument,
    lang: Lang,
) -> Result<(String, Vec<Delivery>), String> {
    let Some(settings) = &config.send else {
        return Err(tr(
            lang,
            "--send cần mục [send] (url, token) trong khien.toml; Sở cấp mục này cho từng trường",
            "--send needs a [send] section (url, token) in khien.toml; the Department hands one to each school",
        )
        .to_string());
    };
    let source = config.source.as_deref();
    let outbox = match (explicit, &settings.outbox, default_dir) {
        (None, None, Some(d)) => d.join(OUTBOX_DIR_NAME),
        _ => outbox_dir(settings, source, explicit),
    };
    let machine = result
        .targets
        .first()
        .map(|t| t.target.id.clone())
        .unwrap_or_else(|| "khien".into());
    let stem = crate::cli::windows::output_file_stem(
        result.unit.as_ref().map(|u| u.code.as_str()),
        &machine,
        result.evaluated_at,
    );
    let json = crate::report::to_json(result);
    let name = format!("{stem}.json");
    let deliveries =
        queue_and_send(settings, source, &outbox, &name, json.as_bytes()).map_err(|e| {
            format!(
                "{}: {e}",
                tr(
                    lang,
                    "không ghi được vào hộp thư đi, kết quả chưa được gửi",
                    "cannot write to the outbox, the result was not sent"
                )
            )
        })?;
    Ok((describe(&deliveries, &outbox, lang), deliveries))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What happened, one line per file, for people.
pub fn describe(deliveries: &[Delivery], outbox: &Path, lang: Lang) -> String {
    let mut s = String::new();
    for d in deliveries {
        let line = match &d.outcome {
            Outcome::Sent(reply) => format!(
                "{} {}: {}",
                tr(lang, "Đã gửi về Sở", "Sent to the Department"),
                d.file,
                reply.message(lang)
            ),
            Outcome::Queued { vi, en } => format!(
                "{} {} ({}); {} {}",
                tr(lang, "Chưa gửi được", "Not sent yet"),
                d.file,
                match lang {
                    Lang::Vi => vi,
                    Lang::En => en,
                },
                tr(
                    lang,
                    "kết quả nằm trong hộp thư đi và sẽ được gửi ở lần chạy sau:",
                    "the result is in the outbox and will be sent at the next run:"
                ),
                outbox.display()
            ),
            Outcome::Refused { reply, kept } => format!(
                "{} {}: {} ({} {})",
                tr(lang, "Sở từ chối", "The Department refused"),
                d.file,
                reply.message(lang),
                tr(lang, "tệp được giữ ở", "the file is kept at"),
                kept.display()
            ),
        };
        s.push_str(&line);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_statuses_are_retried_and_others_are_not() {
        for s in [408, 429, 500, 502, 503] {
            assert!(transient(s), "{s}");
        }
        for s in [400, 401, 403, 413, 422] {
            assert!(!transient(s), "{s}");
        }
    }

    #[test]
    fn an_unreachable_server_leaves_the_result_in_the_outbox() {
        // A port nothing listens on: bound, then closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let settings = SendSettings {
            url: format!("http://127.0.0.1:{port}"),
            token: "khien_x".into(),
            ca_file: None,
            outbox: None,
        };
        let d = queue_and_send(&settings, None, dir.path(), "a.json", b"{}").unwrap();
        assert!(matches!(&d[0].outcome, Outcome::Queued { .. }), "{d:?}");
        assert!(dir.path().join("a.json").is_file());
        // A second result of the same name waits beside the first.
        let d = queue_and_send(&settings, None, dir.path(), "a.json", b"{ }").unwrap();
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(std::fs::read(dir.path().join("a-2.json")).unwrap(), b"{ }");
        assert_eq!(std::fs::read(dir.path().join("a.json")).unwrap(), b"{}");
        let text = describe(&d, dir.path(), Lang::Vi);
        assert!(text.contains("Chưa gửi được a.json"), "{text}");
        assert!(text.contains("lần chạy sau"), "{text}");
    }
}
