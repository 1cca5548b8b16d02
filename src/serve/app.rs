//! The HTTP side of `khien serve`: routes, limits, security headers, structured logs
//! and the server's life from start to a graceful stop on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::config::{Database, ServeConfig, Transport};
use super::ingest::{Ingestor, Writer};
use super::ledger::Ledger;
use super::reports::{ReportCache, ReportSource};
use super::{UPLOAD_PATH, UploadReply};
use crate::history::{HistoryStore, SqliteStore};
use crate::report::inventory::Inventory;
use jiff::Timestamp;

/// What every request shares.
pub struct AppState {
    pub ingestor: Ingestor,
    /// Uploads per token (keyed by the token's row id).
    pub upload_limiter: DefaultKeyedRateLimiter<i64>,
    /// Requests cut at this size; bigger uploads get 413.
    pub max_body: usize,
    pub web: super::web::WebState,
    /// The period reports the pages show.
    pub reports: Arc<ReportCache>,
}

fn reply(code: StatusCode, r: &UploadReply) -> Response {
    (code, axum::Json(r)).into_response()
}

fn unauthorized() -> Response {
    let mut resp = reply(
        StatusCode::UNAUTHORIZED,
        &UploadReply::new(
            "refused",
            "Từ chối: thiếu mã gửi (token) hoặc mã không còn hiệu lực. Hãy xin Sở mã mới và chép mục [send] vào khien.toml.",
            "Refused: the token is missing or no longer valid. Ask the Department for a new one and copy its [send] section into khien.toml.",
        ),
    );
    resp.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    resp
}

/// `POST /api/v1/results`: a result document, gzip-compressed or not, with a bearer token.
async fn upload(
    State(st): State<Arc<AppState>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let remote = remote.ip().to_string();
    let headers: &HeaderMap = req.headers();
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    // The token is checked before the body is read: a stranger cannot make the
    // server read megabytes.
    let Some(presented) = presented else {
        audit_refusal(&st, None, &remote, "no token");
        return unauthorized();
    };
    let st2 = st.clone();
    let token = tokio::task::spawn_blocking(move || {
        st2.ingestor
            .ledger
            .lock()
            .map_err(|e| e.to_string())
            .and_then(|l| l.lookup(&presented).map_err(|e| e.to_string()))
    })
    .await;
    let token = match token {
        Ok(Ok(Some(t))) => t,
        Ok(Ok(None)) => {
            audit_refusal(&st, None, &remote, "unknown or revoked token");
            return unauthorized();
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "token lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Err(e) => {
            tracing::error!(error = %e, "token lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if st.upload_limiter.check_key(&token.id).is_err() {
        audit_refusal(&st, Some(&token.unit_code), &remote, "upload rate limit");
        let mut resp = reply(
            StatusCode::TOO_MANY_REQUESTS,
            &UploadReply::new(
                "refused",
                "Đơn vị gửi quá nhiều lần trong một phút; kết quả được giữ lại và gửi ở lần chạy sau.",
                "Too many uploads from this unit in a minute; the result is kept and sent at the next run.",
            ),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return resp;
    }
    let body = match axum::body::to_bytes(req.into_body(), st.max_body).await {
        Ok(b) => b,
        Err(_) => {
            let (code, r) = st
                .ingestor
                .process(&token, &vec![0; st.max_body + 1], false, &remote);
            return reply(code, &r);
        }
    };
    tracing::info!(unit = %token.unit_code, %remote, bytes = body.len(), "upload received");
    let st2 = st.clone();
    // Runs to the end even if the client goes away, so an ingest is never cut short
    // (graceful shutdown waits for it too).
    let done =
        tokio::task::spawn_blocking(move || st2.ingestor.process(&token, &body, gzip, &remote))
            .await;
    match done {
        Ok((code, r)) => reply(code, &r),
        Err(e) => {
            tracing::error!(error = %e, "upload task failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn audit_refusal(st: &AppState, unit: Option<&str>, remote: &str, why: &str) {
    tracing::warn!(unit = unit.unwrap_or(""), remote, why, "upload refused");
    if let Ok(l) = st.ingestor.ledger.lock() {
        let _ = l.audit("refusal", unit, Some(remote), why);
    }
}

/// `GET /healthz`: 200 when the server can read its book and its store.
async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    let ok = tokio::task::spawn_blocking(move || {
        let ledger = st.ingestor.ledger.lock().map_err(|e| e.to_string())?;
        ledger.ping().map_err(|e| e.to_string())?;
        let store = st.reports.store().lock().map_err(|e| e.to_string())?;
        store.data_until().map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    })
    .await;
    match ok {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable\n").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable\n").into_response(),
    }
}

/// The headers khien's own website rules ask of a site.
async fn security_headers(req: Request, next: axum::middleware::Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    for (name, value) in [
        ("strict-transport-security", "max-age=31536000"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    resp
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Body::from("không có trang này / not found\n"),
    )
        .into_response()
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/favicon.ico", get(super::web::favicon))
        .route(UPLOAD_PATH, post(upload))
        .route("/", get(super::web::dashboard))
        .route(
            "/login",
            get(super::web::login_form).post(super::web::login),
        )
        .route("/logout", post(super::web::logout))
        .route("/unit/{code}", get(super::web::unit_page))
        .route("/commune/{name}", get(super::web::commune_page))
        .route("/machine", get(super::web::machine_page))
        .route("/debt", get(super::web::debt_list))
        .route("/download/{format}", get(super::web::download))
        .fallback(not_found)
        // The upload route reads its body itself, within `max_body`.
        .layer(DefaultBodyLimit::max(state.max_body))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(120),
        ))
        .with_state(state)
}

/// Opens a connection to the history store the configuration names (the server
/// opens two: one the writer owns, one the pages read through).
pub fn open_store(database: &Database) -> Result<Box<dyn HistoryStore + Send>, String> {
    match database {
        Database::Sqlite(path) => {
            let store =
                SqliteStore::open_shared(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(Box::new(store))
        }
        Database::Postgres(url) => {
            let store = crate::history::PostgresStore::connect(url)
                .map_err(|e| format!("{}: {e}", crate::history::postgres::redact(url)))?;
            Ok(Box::new(store))
        }
    }
}

/// Builds the shared state: data folders, `serve.db`, the store, the register.
pub fn state(cfg: &ServeConfig) -> Result<Arc<AppState>, String> {
    let register = crate::register::load_file(&cfg.register).map_err(|d| d.to_string())?;
    let policy = crate::policy::load_sources(crate::policy::embedded_sources(), "embedded")
        .map_err(|d| d.to_string())?;
    let params = policy.param_values(&Default::default());
    let due_days = crate::report::compliance::due_days(&params);
    let stale_days = crate::report::compliance::stale_days(&params);
    let report_deadlines = crate::report::compliance::report_deadlines(&params);
    let incident_report_hours = crate::report::compliance::incident_report_hours(&params);
    for sub in ["", "received", "quarantine"] {
        let d = cfg.data_dir.join(sub);
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let ledger_path = cfg.data_dir.join("serve.db");
    let ledger = Arc::new(Mutex::new(
        Ledger::open(&ledger_path).map_err(|e| format!("{}: {e}", ledger_path.display()))?,
    ));
    let writing = open_store(&cfg.database)?;
    let reading = open_store(&cfg.database)?;
    let reports = ReportCache::start(
        ReportSource {
            store: Mutex::new(reading),
            inventory: Inventory::from_register(&register),
            due_days: due_days.clone(),
            stale_days,
            report_deadlines,
            incident_report_hours,
        },
        cfg.page_lag,
    );
    // The dashboard of the province for the current year is kept ready.
    if let Ok(year) = Timestamp::now()
        .to_zoned(crate::report::period::vietnam())
        .year()
        .to_string()
        .parse()
    {
        reports.keep_ready(None, year);
    }
    let on_commit = Arc::downgrade(&reports);
    let writer = Writer::start(
        writing,
        ledger.clone(),
        Box::new(move || {
            if let Some(r) = on_commit.upgrade() {
                r.committed();
            }
        }),
    );
    let per_minute = NonZeroU32::new(cfg.uploads_per_minute).unwrap_or(NonZeroU32::MIN);
    Ok(Arc::new(AppState {
        reports,
        ingestor: Ingestor {
            data_dir: cfg.data_dir.clone(),
            ledger,
            writer,
            max_bytes: cfg.max_upload_bytes,
            clock_skew: cfg.clock_skew,
        },
        upload_limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        max_body: cfg.max_upload_bytes as usize,
        web: super::web::WebState {
            accounts: cfg.accounts.clone(),
            sessions: Mutex::new(Default::default()),
            // Ten attempts a minute per address, then wait.
            login_limiter: RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(10).expect("10 > 0"),
            )),
            register,
            due_days,
            stale_days,
            report_deadlines,
            incident_report_hours,
        },
    }))
}

fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<rustls::ServerConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no PEM certificate", cert.display()));
    }
    let key_der =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(crate::collect::web::tls::provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .map_err(|e| format!("{} / {}: {e}", cert.display(), key.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Runs the server until SIGTERM or Ctrl-C, then stops accepting, lets requests in
/// flight (ingests included) finish within the grace period, and returns.
pub fn run(cfg: ServeConfig) -> Result<(), String> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
    let st = state(&cfg)?;
    let tls = match &cfg.transport {
        Transport::Tls { cert, key } => Some(tls_config(cert, key)?),
        Transport::BehindProxy => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let handle: axum_server::Handle<SocketAddr> = axum_server::Handle::new();
        let grace = cfg.shutdown_grace;
        let h = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!(
                grace_seconds = grace.as_secs(),
                "stopping: finishing requests in flight"
            );
            h.graceful_shutdown(Some(grace));
        });
        let h = handle.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        tokio::spawn(async move {
            if let Some(addr) = h.listening().await {
                tracing::info!(%addr, scheme, "listening");
                // One line on standard output, for scripts and tests that need the port.
                println!("khien serve: {scheme}://{addr}");
                use std::io::Write as _;
                let _ = std::io::stdout().flush();
            }
        });
        super::schedule::spawn(st.clone(), &cfg);
        let app = router(st).into_make_service_with_connect_info::<SocketAddr>();
        let served = match tls {
            Some(tls) => {
                axum_server::bind_rustls(
                    cfg.listen,
                    axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(tls)),
                )
                .handle(handle)
                .serve(app)
                .await
            }
            None => {
                axum_server::bind(cfg.listen)
                    .handle(handle)
                    .serve(app)
                    .await
            }
        };
        served.map_err(|e| format!("{}: {e}", cfg.listen))
    })?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
