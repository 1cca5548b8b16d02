//! `khien-serve.toml`, the central server's configuration, read and checked with every
//! error at its position (the same diagnostics as `khien.toml` and the register).
//!
//! ```toml
//! listen = "0.0.0.0:8443"
//! data_dir = "/var/lib/khien"          # received files, quarantine, the SQLite store
//! register = "/etc/khien/danh-muc.toml"
//! public_url = "https://khien.lamdong.edu.vn"   # what schools put in [send] url
//! # database = "postgres://khien@127.0.0.1/khien"   # default: SQLite in data_dir
//! max_upload_mb = 8
//! clock_skew_minutes = 15
//! uploads_per_minute = 30            # per token
//! page_lag_seconds = 5               # pages may show the history this much behind
//!
//! [tls]
//! cert = "/etc/khien/tls/fullchain.pem"
//! key = "/etc/khien/tls/privkey.pem"
//! # or, with TLS ended by a reverse proxy in front:  behind_proxy = true
//!
//! [schedule]                        # optional: the daily `scan web --register`
//! web_scan_at = "02:30"             # Asia/Ho_Chi_Minh
//! ```
//!
//! Relative paths are taken from the folder of the configuration file, so the server
//! does not depend on the folder it was started from.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::diagnostic::Code;
use crate::i18n::Localized;
use crate::policy::{Diagnostics, SourceFile};
use crate::spanned_toml::{self, TomlFile};

/// The default name, looked for in the working folder.
pub const DEFAULT_FILE_NAME: &str = "khien-serve.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServeConfig {
    listen: Spanned<String>,
    data_dir: Spanned<String>,
    register: Spanned<String>,
    #[serde(default)]
    public_url: Option<Spanned<String>>,
    #[serde(default)]
    database: Option<Spanned<String>>,
    #[serde(default)]
    behind_proxy: Option<Spanned<bool>>,
    #[serde(default)]
    tls: Option<Spanned<RawTls>>,
    #[serde(default)]
    max_upload_mb: Option<Spanned<f64>>,
    #[serde(default)]
    clock_skew_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    uploads_per_minute: Option<Spanned<i64>>,
    #[serde(default)]
    shutdown_grace_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    page_lag_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    account: Vec<Spanned<RawAccount>>,
    #[serde(default)]
    schedule: Option<Spanned<RawSchedule>>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    web_scan_at: Spanned<String>,
    #[serde(default)]
    concurrency: Option<Spanned<i64>>,
    #[serde(default)]
    per_ip: Option<Spanned<i64>>,
    #[serde(default)]
    per_ip_rate: Option<Spanned<i64>>,
    #[serde(default)]
    timeout_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    site_timeout_seconds: Option<Spanned<i64>>,
    #[serde(default)]
    max_run_minutes: Option<Spanned<i64>>,
    #[serde(default)]
    resolve: Vec<Spanned<String>>,
    #[serde(default)]
    ca_file: Option<Spanned<String>>,
}

/// `[schedule]`: the server runs `khien scan web --register` itself once a day and
/// ingests the result as the Department's own upload. The scan options are
/// `khien scan web`'s, with its polite defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// Time of day in Asia/Ho_Chi_Minh.
    pub web_scan_at: jiff::civil::Time,
    pub concurrency: u32,
    pub per_ip: u32,
    pub per_ip_rate: u32,
    pub timeout_seconds: u32,
    pub site_timeout_seconds: u32,
    /// A run still going after this long is stopped (and retried the next day).
    pub max_run: std::time::Duration,
    /// `HOST:IP` pairs, as `scan web --resolve` (split DNS on the Department's network).
    pub resolve: Vec<String>,
    /// Extra CA certificates trusted by the scan (`scan web --ca-file`).
    pub ca_file: Option<PathBuf>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    name: String,
    password_hash: Spanned<String>,
    #[serde(default)]
    unit: Option<String>,
}

/// A login of the web pages: a Department account, or a school's (with `unit`),
/// which sees that unit only.
#[derive(Clone, Debug)]
pub struct Account {
    pub name: String,
    /// argon2 PHC string (`khien serve hash-password` makes one).
    pub password_hash: String,
    pub unit: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Spanned<String>,
    key: Spanned<String>,
}

/// How the server's connections are secured.
#[derive(Clone, Debug, PartialEq)]
pub enum Transport {
    /// TLS here, from PEM files.
    Tls { cert: PathBuf, key: PathBuf },
    /// Plain HTTP: a reverse proxy in front ends TLS.
    BehindProxy,
}

/// Where the history lives.
#[derive(Clone, Debug, PartialEq)]
pub enum Database {
    /// One SQLite file (the default: `history.db` in the data folder).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://…`).
    Postgres(String),
}

/// A checked server configuration.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The file it was read from.
    pub source: PathBuf,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub register: PathBuf,
    /// The address schools send to; `https://<listen>` when not given.
    pub public_url: String,
    pub database: Database,
    pub transport: Transport,
    pub max_upload_bytes: u64,
    pub clock_skew: std::time::Duration,
    pub uploads_per_minute: u32,
    pub shutdown_grace: std::time::Duration,
    /// How far behind the latest ingest a page may be (see [`super::reports`]).
    pub page_lag: std::time::Duration,
    pub accounts: Vec<Account>,
    /// The daily website scan, when configured.
    pub schedule: Option<Schedule>,
}

pub const DEFAULT_MAX_UPLOAD_MB: f64 = 8.0;
pub const DEFAULT_CLOCK_SKEW_MINUTES: i64 = 15;
pub const DEFAULT_UPLOADS_PER_MINUTE: i64 = 30;
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: i64 = 30;
pub const DEFAULT_PAGE_LAG_SECONDS: i64 = 5;

impl ServeConfig {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<ServeConfig, Diagnostics> {
        let mut diags = Diagnostics::default();
        match spanned_toml::read_file(
            &mut diags,
            path,
            1024 * 1024,
            Localized::new(
                "không đọc được cấu hình máy chủ",
                "cannot read the server configuration",
            ),
            Localized::new(
                "kiểm tra đường dẫn đưa cho --config (mặc định: khien-serve.toml)",
                "check the path given to --config (default: khien-serve.toml)",
            ),
        ) {
            Some(f) => Self::check(path, diags, f),
            None => Err(diags),
        }
    }

    /// Checks the text of a configuration read from `path`.
    pub fn parse(path: &Path, file: SourceFile) -> Result<ServeConfig, Diagnostics> {
        let mut diags = Diagnostics::default();
        let f = diags.add_file(file);
        Self::check(path, diags, f)
    }

    fn check(path: &Path, mut diags: Diagnostics, f: usize) -> Result<ServeConfig, Diagnostics> {
        let Some(raw) = TomlFile::new(&mut diags, f).parse_whole::<RawServeConfig>(
            "khien-serve.toml",
            Localized::new(
                "khien-serve.toml nhận: listen, data_dir, register, public_url, database, behind_proxy, [tls], max_upload_mb, clock_skew_minutes, uploads_per_minute, shutdown_grace_seconds, page_lag_seconds, [[account]], [schedule] (web_scan_at, concurrency, per_ip, per_ip_rate, timeout_seconds, site_timeout_seconds, max_run_minutes, resolve, ca_file); xem docs/serve.md",
                "khien-serve.toml accepts: listen, data_dir, register, public_url, database, behind_proxy, [tls], max_upload_mb, clock_skew_minutes, uploads_per_minute, shutdown_grace_seconds, page_lag_seconds, [[account]], [schedule] (web_scan_at, concurrency, per_ip, per_ip_rate, timeout_seconds, site_timeout_seconds, max_run_minutes, resolve, ca_file); see docs/serve.md",
            ),
        ) else {
            return Err(diags);
        };
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let resolve_path = |s: &str| -> PathBuf {
            let p = Path::new(s);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };

        let listen = match raw.listen.get_ref().parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                TomlFile::new(&mut diags, f).error(
                    Code::InvalidValue,
                    raw.listen.span(),
                    (
                        format!(
                            "`listen`: `{}` không phải địa chỉ IP:cổng",
                            raw.listen.get_ref()
                        ),
                        "ví dụ: listen = \"0.0.0.0:8443\" hoặc \"127.0.0.1:8080\"",
                    ),
                    (
                        format!(
                            "`listen`: `{}` is not an IP:port address",
                            raw.listen.get_ref()
                        ),
                        "for example: listen = \"0.0.0.0:8443\" or \"127.0.0.1:8080\"",
                    ),
                );
                None
            }
        };

        let resolve = resolve_path;
        let register = resolve(raw.register.get_ref());
        if !register.is_file() {
            TomlFile::new(&mut diags, f).error(
                Code::FileUnreadable,
                raw.register.span(),
                (
                    format!("`register`: không có tệp {}", register.display()),
                    "đưa đường dẫn tới danh mục đơn vị của Sở (như cho `khien scan register`)",
                ),
                (
                    format!("`register`: no file {}", register.display()),
                    "give the path to the Department's register (as for `khien scan register`)",
                ),
            );
        }

        let data_dir = resolve(raw.data_dir.get_ref());

        let behind_proxy = raw.behind_proxy.as_ref().is_some_and(|b| *b.get_ref());
        let transport = match (&raw.tls, behind_proxy) {
            (Some(tls), false) => {
                let tls = tls.get_ref();
                let mut files = Vec::new();
                for (field, value) in [("cert", &tls.cert), ("key", &tls.key)] {
                    let p = resolve(value.get_ref());
                    if !p.is_file() {
                        TomlFile::new(&mut diags, f).error(Code::FileUnreadable, value.span(),
                            (
                                format!("`tls.{field}`: không có tệp {}", p.display()),
                                "tệp PEM của chứng thư (cert, kèm chuỗi trung gian) và khóa riêng (key)",
                            ),
                            (
                                format!("`tls.{field}`: no file {}", p.display()),
                                "the PEM files of the certificate (cert, with the intermediate chain) and of the private key (key)",
                            ),
                        );
                    }
                    files.push(p);
                }
                let key = files.pop().unwrap_or_default();
                let cert = files.pop().unwrap_or_default();
                Some(Transport::Tls { cert, key })
            }
            (None, true) => Some(Transport::BehindProxy),
            (Some(tls), true) => {
                TomlFile::new(&mut diags, f).error(Code::InvalidValue, tls.span(),
                    (
                        "có cả [tls] lẫn behind_proxy = true".to_string(),
                        "chọn một: [tls] khi khien serve tự mã hóa, behind_proxy = true khi proxy ngược phía trước lo TLS",
                    ),
                    (
                        "both [tls] and behind_proxy = true".to_string(),
                        "choose one: [tls] when khien serve encrypts itself, behind_proxy = true when a reverse proxy in front ends TLS",
                    ),
                );
                None
            }
            (None, false) => {
                TomlFile::new(&mut diags, f).error(Code::InvalidValue, 0..0,
                    (
                        "thiếu [tls] (cert, key) hoặc behind_proxy = true".to_string(),
                        "kết quả của các trường không được đi qua mạng không mã hóa; thêm [tls] hoặc đặt behind_proxy = true nếu có proxy ngược lo TLS",
                    ),
                    (
                        "missing [tls] (cert, key) or behind_proxy = true".to_string(),
                        "schools' results must not cross the network unencrypted; add [tls], or set behind_proxy = true when a reverse proxy ends TLS",
                    ),
                );
                None
            }
        };

        let database = match &raw.database {
            None => Some(Database::Sqlite(data_dir.join("history.db"))),
            Some(d) => {
                let s = d.get_ref().trim();
                if s.starts_with("postgres://") || s.starts_with("postgresql://") {
                    Some(Database::Postgres(s.to_string()))
                } else if s.starts_with("sqlite:") {
                    Some(Database::Sqlite(resolve(s.trim_start_matches("sqlite:"))))
                } else {
                    TomlFile::new(&mut diags, f).error(Code::InvalidValue, d.span(),
                        (
                            format!("`database`: `{s}` không phải postgres://… hay sqlite:TỆP"),
                            "bỏ trống để dùng SQLite trong data_dir, hoặc database = \"postgres://người-dùng@máy/csdl\"",
                        ),
                        (
                            format!("`database`: `{s}` is neither postgres://… nor sqlite:FILE"),
                            "leave it out for SQLite in data_dir, or database = \"postgres://user@host/db\"",
                        ),
                    );
                    None
                }
            }
        };

        let max_upload_bytes = match &raw.max_upload_mb {
            None => (DEFAULT_MAX_UPLOAD_MB * 1024.0 * 1024.0) as u64,
            Some(v) if v.get_ref().is_finite() && *v.get_ref() > 0.0 && *v.get_ref() <= 64.0 => {
                (v.get_ref() * 1024.0 * 1024.0) as u64
            }
            Some(v) => {
                TomlFile::new(&mut diags, f).error(
                    Code::InvalidValue,
                    v.span(),
                    (
                        "`max_upload_mb` phải lớn hơn 0 và không quá 64",
                        "mặc định 8",
                    ),
                    (
                        "`max_upload_mb` must be more than 0 and at most 64",
                        "the default is 8",
                    ),
                );
                0
            }
        };
        let mut int_field = |v: &Option<Spanned<i64>>, name: &str, default: i64, max: i64| match v {
            None => default,
            Some(v) if (0..=max).contains(v.get_ref()) => *v.get_ref(),
            Some(v) => {
                TomlFile::new(&mut diags, f).error(
                    Code::InvalidValue,
                    v.span(),
                    (
                        format!("`{name}` phải từ 0 đến {max}"),
                        format!("mặc định {default}"),
                    ),
                    (
                        format!("`{name}` must be from 0 to {max}"),
                        format!("the default is {default}"),
                    ),
                );
                default
            }
        };
        let clock_skew = int_field(
            &raw.clock_skew_minutes,
            "clock_skew_minutes",
            DEFAULT_CLOCK_SKEW_MINUTES,
            24 * 60,
        );
        let uploads_per_minute = int_field(
            &raw.uploads_per_minute,
            "uploads_per_minute",
            DEFAULT_UPLOADS_PER_MINUTE,
            1_000_000,
        );
        let grace = int_field(
            &raw.shutdown_grace_seconds,
            "shutdown_grace_seconds",
            DEFAULT_SHUTDOWN_GRACE_SECONDS,
            3600,
        );
        let page_lag = int_field(
            &raw.page_lag_seconds,
            "page_lag_seconds",
            DEFAULT_PAGE_LAG_SECONDS,
            3600,
        );

        let public_url = match &raw.public_url {
            Some(u) => match url::Url::parse(u.get_ref()) {
                Ok(parsed) if matches!(parsed.scheme(), "https" | "http") => {
                    u.get_ref().trim_end_matches('/').to_string()
                }
                _ => {
                    TomlFile::new(&mut diags, f).error(Code::InvalidValue, u.span(),
                        (
                            format!(
                                "`public_url`: `{}` không phải địa chỉ https://…",
                                u.get_ref()
                            ),
                            "địa chỉ mà các trường gửi kết quả tới, ví dụ https://khien.lamdong.edu.vn",
                        ),
                        (
                            format!(
                                "`public_url`: `{}` is not an https://… address",
                                u.get_ref()
                            ),
                            "the address schools send to, e.g. https://khien.lamdong.edu.vn",
                        ),
                    );
                    String::new()
                }
            },
            None => match (&listen, &transport) {
                (Some(a), Some(Transport::Tls { .. })) => format!("https://{a}"),
                (Some(a), _) => format!("http://{a}"),
                _ => String::new(),
            },
        };

        let mut accounts: Vec<Account> = Vec::new();
        for a in &raw.account {
            let r = a.get_ref();
            if argon2::password_hash::PasswordHash::new(r.password_hash.get_ref()).is_err() {
                TomlFile::new(&mut diags, f).error(
                    Code::InvalidValue,
                    r.password_hash.span(),
                    (
                        format!(
                            "tài khoản `{}`: `password_hash` không phải mã băm argon2",
                            r.name
                        ),
                        "tạo bằng: khien serve hash-password (gõ mật khẩu vào đầu vào chuẩn)",
                    ),
                    (
                        format!(
                            "account `{}`: `password_hash` is not an argon2 hash",
                            r.name
                        ),
                        "make one with: khien serve hash-password (the password on standard input)",
                    ),
                );
            }
            if r.name.trim().is_empty() || accounts.iter().any(|x| x.name == r.name) {
                TomlFile::new(&mut diags, f).error(
                    Code::Duplicate,
                    a.span(),
                    (
                        format!("tài khoản `{}`: tên trống hoặc trùng", r.name),
                        "mỗi [[account]] một tên riêng",
                    ),
                    (
                        format!("account `{}`: empty or repeated name", r.name),
                        "give each [[account]] its own name",
                    ),
                );
            }
            accounts.push(Account {
                name: r.name.clone(),
                password_hash: r.password_hash.get_ref().clone(),
                unit: r.unit.clone(),
            });
        }
        let schedule = raw.schedule.as_ref().map(|sched| {
            let r = sched.get_ref();
            let web_scan_at = match r.web_scan_at.get_ref().parse::<jiff::civil::Time>() {
                Ok(t) => t,
                Err(_) => {
                    TomlFile::new(&mut diags, f).error(Code::InvalidValue, r.web_scan_at.span(),
                        (
                            format!(
                                "`schedule.web_scan_at`: `{}` không phải giờ trong ngày",
                                r.web_scan_at.get_ref()
                            ),
                            "giờ theo múi giờ Việt Nam (Asia/Ho_Chi_Minh), dạng GIỜ:PHÚT, ví dụ web_scan_at = \"02:30\"",
                        ),
                        (
                            format!(
                                "`schedule.web_scan_at`: `{}` is not a time of day",
                                r.web_scan_at.get_ref()
                            ),
                            "a time in Vietnam's time zone (Asia/Ho_Chi_Minh) as HH:MM, e.g. web_scan_at = \"02:30\"",
                        ),
                    );
                    jiff::civil::Time::midnight()
                }
            };
            let mut bounded = |v: &Option<Spanned<i64>>, name: &str, default: i64, min: i64, max: i64| match v {
                None => default as u32,
                Some(v) if (min..=max).contains(v.get_ref()) => *v.get_ref() as u32,
                Some(v) => {
                    TomlFile::new(&mut diags, f).error(Code::InvalidValue, v.span(),
                        (
                            format!("`schedule.{name}` phải từ {min} đến {max}"),
                            format!("mặc định {default} (như khien scan web)"),
                        ),
                        (
                            format!("`schedule.{name}` must be from {min} to {max}"),
                            format!("the default is {default} (as khien scan web)"),
                        ),
                    );
                    default as u32
                }
            };
            // scan web's own defaults: the politeness a school's host is owed.
            let concurrency = bounded(&r.concurrency, "concurrency", 64, 1, 1024);
            let per_ip = bounded(&r.per_ip, "per_ip", 4, 1, 64);
            let per_ip_rate = bounded(&r.per_ip_rate, "per_ip_rate", 20, 0, 1000);
            let timeout_seconds = bounded(&r.timeout_seconds, "timeout_seconds", 10, 1, 300);
            let site_timeout_seconds =
                bounded(&r.site_timeout_seconds, "site_timeout_seconds", 120, 1, 3600);
            let max_run_minutes = bounded(&r.max_run_minutes, "max_run_minutes", 360, 1, 1440);
            let mut resolve = Vec::new();
            for item in &r.resolve {
                let ok = item.get_ref().split_once(':').is_some_and(|(host, ip)| {
                    !host.is_empty()
                        && ip
                            .trim_start_matches('[')
                            .trim_end_matches(']')
                            .parse::<std::net::IpAddr>()
                            .is_ok()
                });
                if ok {
                    resolve.push(item.get_ref().clone());
                } else {
                    TomlFile::new(&mut diags, f).error(Code::InvalidValue, item.span(),
                        (
                            format!("`schedule.resolve`: `{}` không phải TÊN_MÁY:ĐỊA_CHỈ_IP", item.get_ref()),
                            "như --resolve của khien scan web, ví dụ \"truong.edu.vn:10.0.0.5\"",
                        ),
                        (
                            format!("`schedule.resolve`: `{}` is not HOST:IP", item.get_ref()),
                            "as khien scan web --resolve, e.g. \"school.edu.vn:10.0.0.5\"",
                        ),
                    );
                }
            }
            let ca_file = r.ca_file.as_ref().map(|c| {
                let p = resolve_path(c.get_ref());
                if !p.is_file() {
                    TomlFile::new(&mut diags, f).error(Code::FileUnreadable, c.span(),
                        (
                            format!("`schedule.ca_file`: không có tệp {}", p.display()),
                            "tệp PEM các chứng thư CA mà lượt rà soát tin thêm",
                        ),
                        (
                            format!("`schedule.ca_file`: no file {}", p.display()),
                            "a PEM file of CA certificates the scan also trusts",
                        ),
                    );
                }
                p
            });
            Schedule {
                web_scan_at,
                concurrency,
                per_ip,
                per_ip_rate,
                timeout_seconds,
                site_timeout_seconds,
                max_run: std::time::Duration::from_secs(u64::from(max_run_minutes) * 60),
                resolve,
                ca_file,
            }
        });
        spanned_toml::finish(diags, || ServeConfig {
            schedule,
            accounts,
            source: path.to_path_buf(),
            listen: listen.expect("checked"),
            data_dir,
            register,
            public_url,
            database: database.expect("checked"),
            transport: transport.expect("checked"),
            max_upload_bytes,
            clock_skew: std::time::Duration::from_secs(clock_skew as u64 * 60),
            uploads_per_minute: uploads_per_minute.max(1) as u32,
            shutdown_grace: std::time::Duration::from_secs(grace as u64),
            page_lag: std::time::Duration::from_secs(page_lag as u64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServeConfig, Diagnostics> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("reg.toml"), "").unwrap();
        let path = dir.path().join("khien-serve.toml");
        ServeConfig::parse(&path, SourceFile::new("khien-serve.toml", text))
    }

    #[test]
    fn a_minimal_proxy_config_gets_the_defaults() {
        let c = parse(
            "listen = \"127.0.0.1:8080\"\ndata_dir = \"data\"\nregister = \"reg.toml\"\nbehind_proxy = true\n",
        )
        .unwrap();
        assert_eq!(c.transport, Transport::BehindProxy);
        assert_eq!(c.max_upload_bytes, 8 * 1024 * 1024);
        assert!(matches!(&c.database, Database::Sqlite(p) if p.ends_with("data/history.db")));
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let err = parse(
            "listen = \"nowhere\"\ndata_dir = \"data\"\nregister = \"missing.toml\"\nbehind_proxy = true\nmax_upload_mb = -1\n",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("khien-serve.toml:1:10: [K202] `listen`"),
            "{text}"
        );
        assert!(
            text.contains("khien-serve.toml:3:12: [K101] `register`"),
            "{text}"
        );
        assert!(
            text.contains("khien-serve.toml:5:17: [K202] `max_upload_mb`"),
            "{text}"
        );
    }

    #[test]
    fn tls_or_proxy_must_be_chosen_and_unknown_fields_are_refused() {
        let err = parse("listen = \"127.0.0.1:1\"\ndata_dir = \"d\"\nregister = \"reg.toml\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("missing [tls]"), "{err}");
        let err = parse(
            "listen = \"127.0.0.1:1\"\ndata_dir = \"d\"\nregister = \"reg.toml\"\nbehind_proxy = true\nlisten_port = 3\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains(":5:1:"), "{err}");
        let err = parse(
            "listen = \"127.0.0.1:1\"\ndata_dir = \"d\"\nregister = \"reg.toml\"\nbehind_proxy = true\ndatabase = \"mysql://x\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("`database`"), "{err}");
    }

    #[test]
    fn a_schedule_gets_scan_webs_polite_defaults_and_positioned_errors() {
        let base = "listen = \"127.0.0.1:1\"\ndata_dir = \"d\"\nregister = \"reg.toml\"\nbehind_proxy = true\n";
        let c = parse(&format!("{base}[schedule]\nweb_scan_at = \"02:30\"\n")).unwrap();
        let s = c.schedule.unwrap();
        assert_eq!(s.web_scan_at, jiff::civil::time(2, 30, 0, 0));
        assert_eq!((s.concurrency, s.per_ip, s.per_ip_rate), (64, 4, 20));
        assert_eq!((s.timeout_seconds, s.site_timeout_seconds), (10, 120));
        assert!(s.resolve.is_empty() && s.ca_file.is_none());
        assert!(parse(base).unwrap().schedule.is_none());
        let err = parse(&format!(
            "{base}[schedule]\nweb_scan_at = \"25:00\"\nper_ip = 0\nresolve = [\"nowhere\"]\nca_file = \"none.pem\"\n"
        ))
        .unwrap_err()
        .to_string();
        for expected in [
            "khien-serve.toml:6:15: [K202] `schedule.web_scan_at`: `25:00`",
            "khien-serve.toml:7:10: [K202] `schedule.per_ip` must be from 1 to 64",
            "khien-serve.toml:8:12: [K202] `schedule.resolve`: `nowhere` is not HOST:IP",
            "khien-serve.toml:9:11: [K101] `schedule.ca_file`: no file",
        ] {
            assert!(err.contains(expected), "{expected}\n{err}");
        }
    }
}
