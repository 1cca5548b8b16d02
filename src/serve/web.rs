//! The Department's web pages of `khien serve`, rendered on the server, without
//! JavaScript or external assets, Vietnamese by default (`?lang=en`):
//!
//! - `/` the dashboard: the period report of the province (or, for a school's
//!   account, of its unit) from the same code as `khien report` (`report::html`);
//! - `/unit/CODE` one unit's report with its machines and websites; `/commune/NAME`
//!   one commune's indicators and units (`report::html::render_commune`);
//!   `/machine?unit=…&kind=…&id=…` a target's latest findings, worst first
//!   (`report::html::render_target`); `/debt` the debt list filtered by unit, commune,
//!   rule, severity and overdue (query parameters), paginated;
//! - `/download/html|xlsx|csv|json` the period report through the report writers.
//!
//! Access: accounts from `[[account]]` in khien-serve.toml (argon2 hashes), a login
//! form with a CSRF token, login attempts rate-limited per address, session cookies
//! `Secure; HttpOnly; SameSite=Strict`, every login written to the audit log. An
//! account with `unit` sees that unit only: commune pages and other units' pages and
//! machines answer 403.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::DefaultKeyedRateLimiter;
use jiff::Timestamp;
use serde::Deserialize;

use super::app::AppState;
use super::config::Account;
use super::ledger::new_token;
use crate::findings::Status;
use crate::history::{FindingState, Window};
use crate::i18n::{Lang, tr};
use crate::policy::Severity;
use crate::register::Register;
use crate::report::compliance::{self, ComplianceReport};
use crate::report::period::{Period, format_date};
use crate::report::safe::html as esc;
use crate::report::tables::kind_label;

/// Sessions last this long without a new login.
const SESSION_HOURS: i64 = 8;
/// Rows of the debt list per page.
pub const PAGE_SIZE: usize = 50;
const SESSION_COOKIE: &str = "khien_session";
const LOGIN_COOKIE: &str = "khien_login";

#[derive(Clone, Debug)]
pub struct Session {
    pub account: String,
    /// A school's account: its unit only.
    pub unit: Option<String>,
    /// Echoed by every form of the session.
    pub csrf: String,
    pub expires: Timestamp,
}

/// What the pages share.
pub struct WebState {
    pub accounts: Vec<Account>,
    pub sessions: Mutex<HashMap<String, Session>>,
    pub login_limiter: DefaultKeyedRateLimiter<IpAddr>,
    pub register: Register,
    pub due_days: BTreeMap<Severity, i64>,
    pub stale_days: i64,
    /// The half-year report deadlines (month, day), every year.
    pub report_deadlines: [(i8, i8); 2],
    /// K18's reporting limit in hours (`register_incident_report_hours`).
    pub incident_report_hours: f64,
}

/// An argon2id hash (PHC string) of `password`, for `[[account]] password_hash`.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; Secure; HttpOnly; SameSite=Strict"
    ))
    .expect("cookie values are hex")
}

fn lang_of(q: &HashMap<String, String>) -> Lang {
    match q.get("lang").map(String::as_str) {
        Some("en") => Lang::En,
        _ => Lang::Vi,
    }
}

/// The session of a request, if it has a live one.
fn session(st: &AppState, headers: &HeaderMap) -> Option<Session> {
    let id = cookie(headers, SESSION_COOKIE)?;
    let mut sessions = st.web.sessions.lock().ok()?;
    match sessions.get(id) {
        Some(s) if s.expires > Timestamp::now() => Some(s.clone()),
        Some(_) => {
            sessions.remove(id);
            None
        }
        None => None,
    }
}

fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut().insert(
        header::LOCATION,
        HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/")),
    );
    r
}

fn page(lang: Lang, title: &str, nav: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>{nav}<main>{body}</main></body></html>",
        esc(title)
    )
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a}main{padding:1rem 2rem}nav.khien{background:#0b3d6b;color:#fff;padding:.5rem 2rem;display:flex;gap:1rem;flex-wrap:wrap;align-items:center}nav.khien a{color:#fff}nav.khien form{margin:0 0 0 auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}th{background:#eef}form.filters{display:flex;gap:.5rem;flex-wrap:wrap;margin:1rem 0}.sev-critical,.sev-high{color:#a00;font-weight:bold}.err{color:#a00}section.site{max-width:1100px;margin:1rem auto;padding:0 12px}ul.communes{columns:3;padding-left:1.2rem}";

fn nav(s: &Session, lang: Lang) -> String {
    let l = if lang == Lang::En { "?lang=en" } else { "" };
    let amp = if lang == Lang::En { "&amp;lang=en" } else { "" };
    let mut n = String::from("<nav class=\"khien\">");
    let _ = write!(
        n,
        "<strong>khien</strong><a href=\"/{l}\">{}</a><a href=\"/debt{l}\">{}</a>",
        tr(lang, "Tổng quan", "Dashboard"),
        tr(lang, "Danh sách nợ tuân thủ", "Debt list"),
    );
    let _ = write!(
        n,
        "<span>{}:",
        tr(lang, "Tải báo cáo kỳ", "Download the period report")
    );
    for f in ["html", "xlsx", "csv", "json"] {
        let _ = write!(n, " <a href=\"/download/{f}{l}\">{}</a>", f.to_uppercase());
    }
    n.push_str("</span>");
    let other = if lang == Lang::En {
        "<a href=\"?lang=vi\">Tiếng Việt</a>".to_string()
    } else {
        "<a href=\"?lang=en\">English</a>".to_string()
    };
    n.push_str(&other);
    let _ = write!(
        n,
        "<form method=\"post\" action=\"/logout{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><span>{} </span><button>{}</button></form></nav>",
        amp.replace("&amp;", "?"),
        esc(&s.csrf),
        esc(&s.account),
        tr(lang, "Đăng xuất", "Log out")
    );
    n
}

fn html_response(code: StatusCode, body: String) -> Response {
    let mut r = (code, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn forbidden(lang: Lang, s: &Session) -> Response {
    html_response(
        StatusCode::FORBIDDEN,
        page(
            lang,
            "403",
            &nav(s, lang),
            &format!(
                "<p class=\"err\">{}</p>",
                tr(
                    lang,
                    "Tài khoản này chỉ xem được đơn vị của mình.",
                    "This account sees its own unit only."
                )
            ),
        ),
    )
}

fn login_page(lang: Lang, csrf: &str, message: Option<&str>) -> String {
    let msg = message
        .map(|m| format!("<p class=\"err\">{}</p>", esc(m)))
        .unwrap_or_default();
    let l = if lang == Lang::En { "?lang=en" } else { "" };
    page(
        lang,
        tr(lang, "Đăng nhập — khien", "Log in — khien"),
        "<nav class=\"khien\"><strong>khien</strong></nav>",
        &format!(
            "<h1>{}</h1>{msg}<form method=\"post\" action=\"/login{l}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><p><label>{} <input name=\"name\" autocomplete=\"username\" required></label></p><p><label>{} <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label></p><p><button>{}</button></p></form>",
            tr(
                lang,
                "Đăng nhập hệ thống thu nhận kết quả rà soát",
                "Log in to the scan results server"
            ),
            esc(csrf),
            tr(lang, "Tài khoản", "Account"),
            tr(lang, "Mật khẩu", "Password"),
            tr(lang, "Đăng nhập", "Log in"),
        ),
    )
}

/// `GET /favicon.ico`: nothing (browsers ask for it on every site; a 404 would be
/// logged as an error in their consoles).
pub async fn favicon() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    r
}

/// `GET /login`: the form, with a fresh CSRF token in a cookie and in the form.
pub async fn login_form(Query(q): Query<HashMap<String, String>>) -> Response {
    let lang = lang_of(&q);
    let Ok(token) = new_token() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut r = html_response(StatusCode::OK, login_page(lang, &token, None));
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, &token, 600));
    r
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    csrf: String,
}

/// `POST /login`.
pub async fn login(
    State(st): State<Arc<AppState>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = lang_of(&q);
    let remote_ip = remote.ip();
    let audit = |event: &str, detail: &str| {
        tracing::info!(account = %form.name, remote = %remote_ip, event, "login");
        if let Ok(l) = st.ingestor.ledger.lock() {
            let _ = l.audit(
                event,
                None,
                Some(&remote_ip.to_string()),
                &format!("{}: {detail}", form.name),
            );
        }
    };
    if st.web.login_limiter.check_key(&remote_ip).is_err() {
        audit("login_limited", "too many attempts");
        let mut r = html_response(
            StatusCode::TOO_MANY_REQUESTS,
            login_page(
                lang,
                "",
                Some(tr(
                    lang,
                    "Quá nhiều lần đăng nhập từ địa chỉ này; hãy đợi một phút rồi thử lại.",
                    "Too many login attempts from this address; wait a minute and try again.",
                )),
            ),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return r;
    }
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || expected != form.csrf {
        audit("login_refused", "CSRF token missing or wrong");
        return html_response(
            StatusCode::FORBIDDEN,
            login_page(
                lang,
                "",
                Some(tr(
                    lang,
                    "Biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang đăng nhập.",
                    "The form expired or is not valid; reload the login page.",
                )),
            ),
        );
    }
    let account = st
        .web
        .accounts
        .iter()
        .find(|a| a.name == form.name)
        .cloned();
    let password = form.password.clone();
    // argon2 is slow on purpose: off the async threads.
    let ok = tokio::task::spawn_blocking(move || match &account {
        Some(a) => verify_password(&password, &a.password_hash).then(|| a.clone()),
        None => {
            // The same work for an unknown name, so timing does not tell names apart.
            let _ = verify_password(&password, DUMMY_HASH);
            None
        }
    })
    .await
    .ok()
    .flatten();
    let Some(account) = ok else {
        audit("login_failed", "wrong name or password");
        let fresh = new_token().unwrap_or_default();
        let mut r = html_response(
            StatusCode::UNAUTHORIZED,
            login_page(
                lang,
                &fresh,
                Some(tr(
                    lang,
                    "Sai tài khoản hoặc mật khẩu.",
                    "Wrong account or password.",
                )),
            ),
        );
        r.headers_mut()
            .append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, &fresh, 600));
        return r;
    };
    let (Ok(id), Ok(csrf)) = (new_token(), new_token()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let expires = Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(SESSION_HOURS))
        .unwrap_or_else(|_| Timestamp::now());
    if let Ok(mut s) = st.web.sessions.lock() {
        s.retain(|_, v| v.expires > Timestamp::now());
        s.insert(
            id.clone(),
            Session {
                account: account.name.clone(),
                unit: account.unit.clone(),
                csrf,
                expires,
            },
        );
    }
    audit("login", "ok");
    let mut r = redirect(if lang == Lang::En { "/?lang=en" } else { "/" });
    let h = r.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &id, SESSION_HOURS * 3600),
    );
    h.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0));
    r
}

/// A valid argon2id hash of a random password, for the unknown-name path.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Gk9Jr6SYH3u1QypVHGS1mOBmuyq2hS1x4UPV7NwbN1I";

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let Some(s) = session(&st, &headers) else {
        return redirect("/login");
    };
    if s.csrf != form.csrf {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let (Some(id), Ok(mut sessions)) = (cookie(&headers, SESSION_COOKIE), st.web.sessions.lock())
    {
        sessions.remove(id);
    }
    let mut r = redirect("/login");
    r.headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    r
}

fn period_of(q: &HashMap<String, String>) -> Result<Period, String> {
    match q.get("period") {
        Some(p) => p.parse::<Period>().map_err(|e| e.to_string()),
        None => {
            let year = Timestamp::now()
                .to_zoned(crate::report::period::vietnam())
                .year();
            year.to_string()
                .parse::<Period>()
                .map_err(|e| e.to_string())
        }
    }
}

/// The period report for `unit` (or the province), kept by [`super::reports`].
async fn build_report(
    st: &Arc<AppState>,
    unit: Option<String>,
    period: Period,
) -> Result<Arc<ComplianceReport>, String> {
    let st = st.clone();
    tokio::task::spawn_blocking(move || st.reports.get(unit, period))
        .await
        .map_err(|e| e.to_string())?
}

fn server_error(e: String) -> Response {
    tracing::error!(error = %e, "page failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "lỗi máy chủ / server error\n",
    )
        .into_response()
}

/// A page of the report's look (`html`, a whole document) with the site's navigation
/// and `extra` (the server's links) on top.
fn report_page(html: String, s: &Session, lang: Lang, extra: &str) -> Response {
    let html = html.replacen(
        "<body>",
        &format!("<body><style>{CSS}</style>{}{extra}", nav(s, lang)),
        1,
    );
    html_response(StatusCode::OK, html)
}

/// `?lang=en` or nothing, to append to a link without a query.
fn lang_query(lang: Lang) -> &'static str {
    if lang == Lang::En { "?lang=en" } else { "" }
}

/// `&lang=en` or nothing, to append to a link with a query (raw; escape for HTML).
fn lang_param(lang: Lang) -> &'static str {
    if lang == Lang::En { "&lang=en" } else { "" }
}

/// One path segment, percent-encoded (a space is `%20` there, not `+`).
fn segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn query_value(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn unit_href(code: &str, lang: Lang) -> String {
    format!("/unit/{}{}", segment(code), lang_query(lang))
}

fn commune_href(name: &str, lang: Lang) -> String {
    format!("/commune/{}{}", segment(name), lang_query(lang))
}

fn machine_href(unit: &str, kind: &str, id: &str, lang: Lang) -> String {
    format!(
        "/machine?unit={}&kind={}&id={}{}",
        query_value(unit),
        query_value(kind),
        query_value(id),
        lang_param(lang)
    )
}

/// The latest findings of the targets of `unit` last scanned in `[from, to]`.
async fn findings_of(
    st: &Arc<AppState>,
    unit: String,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<FindingState>, String> {
    let st = st.clone();
    tokio::task::spawn_blocking(move || {
        let store = st.reports.store().lock().map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        store
            .visit_findings(
                &Window {
                    from,
                    to,
                    unit: Some(unit),
                },
                &mut |f| out.push(f),
            )
            .map_err(|e| e.to_string())?;
        Ok(out)
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The unit's machines and websites of the period, worst first, each linking to its
/// page.
fn targets_section(findings: &[FindingState], lang: Lang) -> String {
    #[derive(Default)]
    struct Row {
        collected: Option<Timestamp>,
        fail: u64,
        unknown: u64,
        pass: u64,
    }
    let mut rows: BTreeMap<(&str, &str, &str), Row> = BTreeMap::new();
    for f in findings {
        let r = rows
            .entry((f.unit_code.as_str(), f.kind.as_str(), f.target_id.as_str()))
            .or_default();
        r.collected = r.collected.max(Some(f.collected_at));
        match f.status {
            Status::Fail => r.fail += 1,
            Status::Unknown => r.unknown += 1,
            Status::Pass => r.pass += 1,
            Status::Waived | Status::NotApplicable => {}
        }
    }
    let mut rows: Vec<_> = rows.into_iter().collect();
    rows.sort_by(|a, b| {
        (b.1.fail, b.1.unknown)
            .cmp(&(a.1.fail, a.1.unknown))
            .then_with(|| crate::report::collate::natural_cmp(a.0.2, b.0.2))
    });
    let mut out = format!(
        "<section class=\"site\" id=\"may\"><h2>{} ({})</h2>",
        tr(
            lang,
            "Máy tính và website của đơn vị",
            "The unit's computers and websites"
        ),
        rows.len()
    );
    if rows.is_empty() {
        let _ = write!(
            out,
            "<p>{}</p></section>",
            tr(
                lang,
                "Chưa có kết quả nào trong kỳ.",
                "No results in the period yet."
            )
        );
        return out;
    }
    let _ = write!(
        out,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>",
        tr(lang, "Đối tượng", "Target"),
        tr(lang, "Loại", "Kind"),
        tr(lang, "Lần quét gần nhất", "Last scan"),
        tr(lang, "Không đạt", "Fail"),
        tr(lang, "Không xác định", "Unknown"),
        tr(lang, "Đạt", "Pass"),
    );
    for ((unit, kind, id), r) in &rows {
        let _ = write!(
            out,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&machine_href(unit, kind, id, lang)),
            esc(id),
            esc(&kind_label(kind, lang)),
            r.collected.map(format_date).unwrap_or_default(),
            if r.fail > 0 { " bad" } else { "" },
            r.fail,
            r.unknown,
            r.pass,
        );
    }
    out.push_str("</tbody></table></section>");
    out
}

/// The province's communes, each linking to its page, for the dashboard.
fn communes_section(report: &ComplianceReport, lang: Lang) -> String {
    let mut out = format!(
        "<section class=\"site\" id=\"xa\"><h2>{}</h2><ul class=\"communes\">",
        tr(lang, "Xã/phường", "Communes")
    );
    for c in &report.debt_by_commune {
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a> <span class=\"muted\">({} {}, {} {})</span></li>",
            esc(&commune_href(&c.commune, lang)),
            esc(&c.commune),
            c.open,
            tr(lang, "nợ mở", "open"),
            c.overdue,
            tr(lang, "quá hạn", "overdue"),
        );
    }
    out.push_str("</ul></section>");
    out
}

/// The period's window of targets, as the report reads it.
fn period_window(period: Period) -> (Timestamp, Timestamp) {
    (period.start(), Timestamp::now().min(period.end()))
}

/// `GET /`: the dashboard.
pub async fn dashboard(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q);
    let Some(s) = session(&st, &headers) else {
        return redirect("/login");
    };
    let period = match period_of(&q) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("period: {e}\n")).into_response(),
    };
    let report = match build_report(&st, s.unit.clone(), period).await {
        Ok(r) => r,
        Err(e) => return server_error(e),
    };
    // The Department's dashboard links to the communes; a school's, to its machines.
    let extra = match &s.unit {
        None => communes_section(&report, lang),
        Some(unit) => {
            let (from, to) = period_window(period);
            match findings_of(&st, unit.clone(), from, to).await {
                Ok(f) => targets_section(&f, lang),
                Err(e) => return server_error(e),
            }
        }
    };
    report_page(crate::report::html::render(&report, lang), &s, lang, &extra)
}

/// `GET /unit/CODE`.
pub async fn unit_page(
    State(st): State<Arc<AppState>>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q);
    let Some(s) = session(&st, &headers) else {
        return redirect("/login");
    };
    if s.unit.as_ref().is_some_and(|u| *u != code) {
        return forbidden(lang, &s);
    }
    let period = match period_of(&q) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("period: {e}\n")).into_response(),
    };
    let report = match build_report(&st, Some(code.clone()), period).await {
        Ok(r) => r,
        Err(e) => return server_error(e),
    };
    let (from, to) = period_window(period);
    let targets = match findings_of(&st, code, from, to).await {
        Ok(f) => targets_section(&f, lang),
        Err(e) => return server_error(e),
    };
    report_page(
        crate::report::html::render(&report, lang),
        &s,
        lang,
        &targets,
    )
}

fn not_found_page(lang: Lang, s: &Session, what: &str) -> Response {
    html_response(
        StatusCode::NOT_FOUND,
        page(
            lang,
            "404",
            &nav(s, lang),
            &format!("<p class=\"err\">{}</p>", esc(what)),
        ),
    )
}

/// `GET /commune/NAME`: a commune's indicators and units (Department accounts only).
pub async fn commune_page(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q);
    let Some(s) = session(&st, &headers) else {
        return redirect("/login");
    };
    if s.unit.is_some() {
        return forbidden(lang, &s);
    }
    let period = match period_of(&q) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("period: {e}\n")).into_response(),
    };
    let report = match build_report(&st, None, period).await {
        Ok(r) => r,
        Err(e) => return server_error(e),
    };
    let unit_link = |code: &str| unit_href(code, lang);
    let links = crate::report::html::Links {
        unit: &unit_link,
        debt: format!("/debt?commune={}{}", query_value(&name), lang_param(lang)),
    };
    match crate::report::html::render_commune(&report, &name, lang, &links) {
        Some(html) => report_page(html, &s, lang, ""),
        None => not_found_page(
            lang,
            &s,
            &format!(
                "{}: {name}",
                tr(
                    lang,
                    "Không có đơn vị nào của danh mục ở xã/phường này",
                    "No unit of the register is in this commune"
                )
            ),
        ),
    }
}

/// `GET /machine?unit=…&kind=…&id=…`: a target's latest findings, worst first.
pub async fn machine_page(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q);
    let Some(s) = session(&st, &headers) else {
        return redirect("/login");
    };
    let field = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (unit, kind, id) = (field("unit"), field("kind"), field("id"));
    if unit.is_empty() || kind.is_empty() || id.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "cần unit, kind và id / unit, kind and id are required\n",
        )
            .into_response();
    }
    if s.unit.as_ref().is_some_and(|u| *u != unit) {
        return forbidden(lang, &s);
    }
    // The target's latest scan, whatever the period (a day ahead for clock skew).
    let to = Timestamp::now()
        .checked_add(jiff::SignedDuration::from_hours(24))
        .unwrap_or_else(|_| Timestamp::now());
    let findings = match findings_of(&st, unit.clone(), Timestamp::UNIX_EPOCH, to).await {
        Ok(f) => f,
        Err(e) => return server_error(e),
    };
    let findings: Vec<FindingState> = findings
        .into_iter()
        .filter(|f| f.kind == kind && f.target_id == id)
        .collect();
    let st2 = st.clone();
    let texts = tokio::task::spawn_blocking(move || {
        let store = st2.reports.store().lock().map_err(|e| e.to_string())?;
        store.rule_texts().map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let texts = match texts {
        Ok(t) => t,
        Err(e) => return server_error(e),
    };
    match crate::report::html::render_target(&findings, &texts, lang, &unit_href(&unit, lang)) {
        Some(html) => report_page(html, &s, lang, ""),
        None => not_found_page(
            lang,
            &s,
            &format!(
                "{}: {id}",
                tr(
                    lang,
                    "Chưa có kết quả nào của đối tượng này",
                    "No results of this target yet"
                )
            ),
        ),
    }
}

/// The debt list's filters, from the query string.
#[derive(Clone, Debug, Default)]
pub struct DebtFilter {
    pub unit: Option<String>,
    pub commune: Option<String>,
    pub rule: Option<String>,
    pub severity: Option<Severity>,
    pub overdue: bool,
    pub page: usize,
}

impl DebtFilter {
    pub fn from_query(q: &HashMap<String, String>) -> DebtFilter {
        let some = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        DebtFilter {
            unit: some("unit"),
            commune: some("commune"),
            rule: some("rule"),
            severity: some("severity").and_then(|s| {
                Severity::ALL_DESCENDING
                    .into_iter()
                    .find(|v| v.as_str() == s)
            }),
            overdue: q.get("overdue").is_some_and(|v| v == "1" || v == "on"),
            page: q
                .get("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1)
                .max(1),
        }
    }

    pub fn matches(&self, d: &compliance::DebtItem) -> bool {
        self.unit.as_ref().is_none_or(|u| *u == d.unit_code)
            && self.commune.as_ref().is_none_or(|c| *c == d.commune)
            && self.rule.as_ref().is_none_or(|r| *r == d.rule)
            && self.severity.is_none_or(|s| s == d.severity)
            && (!self.overdue || d.overdue)
    }

    /// The query string of these filters on another page.
    fn query(&self, page: usize, lang: Lang) -> String {
        let mut parts = Vec::new();
        let mut push = |k: &str, v: &str| {
            parts.push(format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            ));
        };
        if let Some(u) = &self.unit {
            push("unit", u);
        }
        if let Some(c) = &self.commune {
            push("commune", c);
        }
        if let Some(r) = &self.rule {
            push("rule", r);
        }
        if let Some(s) = self.severity {
            push("severity", s.as_str());
        }
        if self.overdue {
            push("overdue", "1");
        }
        if lang == Lang::En {
            push("lang", "en");
        }
        push("page", &page.to_string());
        parts.join("&amp;")
    }
}

/// `GET /debt`.
pub async fn debt_list(
    State(st): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q);
    let Some(s) = session(&st, &headers) else {
        return redirect("/login");
    };
    let mut filter = DebtFilter::from_query(&q);
    if let Some(own) = &s.unit {
        if filter.unit.as_ref().is_some_and(|u| u != own) {
            return forbidden(lang, &s);
        }
        filter.unit = Some(own.clone());
    }
    let period = match period_of(&q) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("period: {e}\n")).into_response(),
    };
    let report = match build_report(&st, s.unit.clone(), period).await {
        Ok(r) => r,
        Err(e) => return server_error(e),
    };
    let rows: Vec<&compliance::DebtItem> =
        report.debt.iter().filter(|d| filter.matches(d)).collect();
    let pages = rows.len().div_ceil(PAGE_SIZE).max(1);
    let page_no = filter.page.min(pages);
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{} — {}</h1>",
        tr(lang, "Danh sách nợ tuân thủ", "Compliance debt list"),
        esc(&report.period)
    );
    // The filters: a plain GET form.
    let opt = |v: &Option<String>| esc(v.as_deref().unwrap_or(""));
    let _ = write!(
        body,
        "<form class=\"filters\" method=\"get\" action=\"/debt\">{}<label>{} <input name=\"unit\" value=\"{}\"></label><label>{} <input name=\"commune\" value=\"{}\"></label><label>{} <input name=\"rule\" value=\"{}\"></label><label>{} <select name=\"severity\"><option value=\"\">—</option>",
        if lang == Lang::En {
            "<input type=\"hidden\" name=\"lang\" value=\"en\">"
        } else {
            ""
        },
        tr(lang, "Đơn vị", "Unit"),
        opt(&filter.unit),
        tr(lang, "Xã/phường", "Commune"),
        opt(&filter.commune),
        tr(lang, "Quy tắc", "Rule"),
        opt(&filter.rule),
        tr(lang, "Mức độ", "Severity"),
    );
    for sev in Severity::ALL_DESCENDING {
        let _ = write!(
            body,
            "<option value=\"{0}\"{1}>{2}</option>",
            sev.as_str(),
            if filter.severity == Some(sev) {
                " selected"
            } else {
                ""
            },
            esc(sev.label().get(lang)),
        );
    }
    let _ = write!(
        body,
        "</select></label><label><input type=\"checkbox\" name=\"overdue\" value=\"1\"{}> {}</label><button>{}</button></form>",
        if filter.overdue { " checked" } else { "" },
        tr(lang, "chỉ quá hạn", "overdue only"),
        tr(lang, "Lọc", "Filter"),
    );
    let _ = write!(
        body,
        "<p>{} {} — {} {page_no}/{pages}</p>",
        rows.len(),
        tr(lang, "mục", "items"),
        tr(lang, "trang", "page"),
    );
    let _ = write!(
        body,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        tr(lang, "Đơn vị", "Unit"),
        tr(lang, "Xã/phường", "Commune"),
        tr(lang, "Đối tượng", "Target"),
        tr(lang, "Quy tắc", "Rule"),
        tr(lang, "Mức độ", "Severity"),
        tr(lang, "Mở từ", "Open since"),
        tr(lang, "Số ngày", "Days"),
        tr(lang, "Hạn", "Due"),
    );
    for d in rows.iter().skip((page_no - 1) * PAGE_SIZE).take(PAGE_SIZE) {
        let title = report
            .rule_texts
            .get(&d.rule)
            .map(|t| {
                if lang == Lang::En {
                    &t.title_en
                } else {
                    &t.title_vi
                }
            })
            .cloned()
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td><a href=\"{}\">{}</a> {}</td><td>{}</td><td><a href=\"{}\">{}</a></td><td>{} {}</td><td class=\"sev-{}\">{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            esc(&unit_href(&d.unit_code, lang)),
            esc(&d.unit_code),
            esc(&d.unit_name),
            if s.unit.is_none() {
                format!(
                    "<a href=\"{}\">{}</a>",
                    esc(&commune_href(&d.commune, lang)),
                    esc(&d.commune)
                )
            } else {
                esc(&d.commune)
            },
            esc(&machine_href(
                &d.unit_code,
                &d.target_kind,
                &d.target_id,
                lang
            )),
            esc(&d.target_id),
            esc(&d.rule),
            esc(&title),
            d.severity.as_str(),
            esc(d.severity.label().get(lang)),
            d.open_since.strftime("%Y-%m-%d"),
            d.age_days,
            d.due.strftime("%Y-%m-%d"),
            if d.overdue {
                tr(lang, " (quá hạn)", " (overdue)")
            } else {
                ""
            },
        );
    }
    body.push_str("</tbody></table><p>");
    if page_no > 1 {
        let _ = write!(
            body,
            "<a rel=\"prev\" href=\"/debt?{}\">← {}</a> ",
            filter.query(page_no - 1, lang),
            tr(lang, "Trang trước", "Previous")
        );
    }
    if page_no < pages {
        let _ = write!(
            body,
            "<a rel=\"next\" href=\"/debt?{}\">{} →</a>",
            filter.query(page_no + 1, lang),
            tr(lang, "Trang sau", "Next")
        );
    }
    body.push_str("</p>");
    html_response(
        StatusCode::OK,
        page(
            lang,
            tr(lang, "Danh sách nợ tuân thủ", "Compliance debt list"),
            &nav(&s, lang),
            &body,
        ),
    )
}

/// `GET /download/FORMAT`: the period report as a file.
pub async fn download(
    State(st): State<Arc<AppState>>,
    Path(format): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&q);
    let Some(s) = session(&st, &headers) else {
        return redirect("/login");
    };
    let period = match period_of(&q) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("period: {e}\n")).into_response(),
    };
    let report = match build_report(&st, s.unit.clone(), period).await {
        Ok(r) => r,
        Err(e) => return server_error(e),
    };
    let (bytes, mime, ext) = match format.as_str() {
        "html" => (
            crate::report::html::render(&report, lang).into_bytes(),
            "text/html; charset=utf-8",
            "html",
        ),
        "json" => match serde_json::to_vec_pretty(&*report) {
            Ok(b) => (b, "application/json", "json"),
            Err(e) => return server_error(e.to_string()),
        },
        "csv" => {
            let mut out = Vec::new();
            if let Err(e) = crate::report::delimited::write(&report, lang, &mut out) {
                return server_error(e.to_string());
            }
            (out, "text/csv; charset=utf-8", "csv")
        }
        "xlsx" => match crate::report::xlsx::render(&report, lang) {
            Ok(b) => (
                b,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Err(e) => return server_error(e.to_string()),
        },
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let scope = s.unit.clone().unwrap_or_else(|| "tinh".into());
    let name: String = format!("khien-bao-cao-{}-{scope}.{ext}", report.period)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify_with_argon2id() {
        let h = hash_password("mật khẩu đủ dài").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("mật khẩu đủ dài", &h));
        assert!(!verify_password("mat khau", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; khien_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        let c = set_cookie(SESSION_COOKIE, "abc", 60);
        let c = c.to_str().unwrap();
        for part in ["Secure", "HttpOnly", "SameSite=Strict"] {
            assert!(c.contains(part), "{c}");
        }
    }
}
