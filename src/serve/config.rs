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
}

pub const DEFAULT_MAX_UPLOAD_MB: f64 = 8.0;
pub const DEFAULT_CLOCK_SKEW_MINUTES: i64 = 15;
pub const DEFAULT_UPLOADS_PER_MINUTE: i64 = 30;
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: i64 = 30;
pub const DEFAULT_PAGE_LAG_SECONDS: i64 = 5;

/// A message and its help in (Vietnamese, English), kept both: the language is
/// chosen when the diagnostics are rendered.
fn both(
    vi: (impl Into<String>, impl Into<String>),
    en: (impl Into<String>, impl Into<String>),
) -> (Localized, Localized) {
    (Localized::new(vi.0, en.0), Localized::new(vi.1, en.1))
}

impl ServeConfig {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<ServeConfig, Diagnostics> {
        let name = path.display().to_string();
        match crate::io::read_bounded_text(path, 1024 * 1024) {
            Ok(text) => Self::parse(path, SourceFile::new(name, text)),
            Err(e) => {
                let mut diags = Diagnostics::default();
                let f = diags.add_file(SourceFile::new(name, ""));
                let (m, h) = both(
                    (
                        format!("không đọc được cấu hình máy chủ: {e}"),
                        "kiểm tra đường dẫn đưa cho --config (mặc định: khien-serve.toml)",
                    ),
                    (
                        format!("cannot read the server configuration: {e}"),
                        "check the path given to --config (default: khien-serve.toml)",
                    ),
                );
                diags.error(Code::FileUnreadable, f, 0..0, m, Some(h));
                Err(diags)
            }
        }
    }

    /// Checks the text of a configuration read from `path`.
    pub fn parse(path: &Path, file: SourceFile) -> Result<ServeConfig, Diagnostics> {
        let mut diags = Diagnostics::default();
        let f = diags.add_file(file);
        let raw: RawServeConfig = match toml::from_str(&diags.files[f].text) {
            Ok(r) => r,
            Err(e) => {
                let message = e.message().trim().to_string();
                let help = Localized::new(
                    "khien-serve.toml nhận: listen, data_dir, register, public_url, database, behind_proxy, [tls], max_upload_mb, clock_skew_minutes, uploads_per_minute, shutdown_grace_seconds, page_lag_seconds, [[account]]; xem docs/serve.md",
                    "khien-serve.toml accepts: listen, data_dir, register, public_url, database, behind_proxy, [tls], max_upload_mb, clock_skew_minutes, uploads_per_minute, shutdown_grace_seconds, page_lag_seconds, [[account]]; see docs/serve.md",
                );
                diags.error(
                    Code::of_toml_error(&e),
                    f,
                    e.span().unwrap_or(0..0),
                    Localized::new(message.clone(), message),
                    Some(help),
                );
                return Err(diags);
            }
        };
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let resolve = |s: &str| -> PathBuf {
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
                let (m, h) = both(
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
                diags.error(Code::InvalidValue, f, raw.listen.span(), m, Some(h));
                None
            }
        };

        let register = resolve(raw.register.get_ref());
        if !register.is_file() {
            let (m, h) = both(
                (
                    format!("`register`: không có tệp {}", register.display()),
                    "đưa đường dẫn tới danh mục đơn vị của Sở (như cho `khien scan register`)",
                ),
                (
                    format!("`register`: no file {}", register.display()),
                    "give the path to the Department's register (as for `khien scan register`)",
                ),
            );
            diags.error(Code::FileUnreadable, f, raw.register.span(), m, Some(h));
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
                        let (m, h) = both(
                            (
                                format!("`tls.{field}`: không có tệp {}", p.display()),
                                "tệp PEM của chứng thư (cert, kèm chuỗi trung gian) và khóa riêng (key)",
                            ),
                            (
                                format!("`tls.{field}`: no file {}", p.display()),
                                "the PEM files of the certificate (cert, with the intermediate chain) and of the private key (key)",
                            ),
                        );
                        diags.error(Code::FileUnreadable, f, value.span(), m, Some(h));
                    }
                    files.push(p);
                }
                let key = files.pop().unwrap_or_default();
                let cert = files.pop().unwrap_or_default();
                Some(Transport::Tls { cert, key })
            }
            (None, true) => Some(Transport::BehindProxy),
            (Some(tls), true) => {
                let (m, h) = both(
                    (
                        "có cả [tls] lẫn behind_proxy = true".to_string(),
                        "chọn một: [tls] khi khien serve tự mã hóa, behind_proxy = true khi proxy ngược phía trước lo TLS",
                    ),
                    (
                        "both [tls] and behind_proxy = true".to_string(),
                        "choose one: [tls] when khien serve encrypts itself, behind_proxy = true when a reverse proxy in front ends TLS",
                    ),
                );
                diags.error(Code::InvalidValue, f, tls.span(), m, Some(h));
                None
            }
            (None, false) => {
                let (m, h) = both(
                    (
                        "thiếu [tls] (cert, key) hoặc behind_proxy = true".to_string(),
                        "kết quả của các trường không được đi qua mạng không mã hóa; thêm [tls] hoặc đặt behind_proxy = true nếu có proxy ngược lo TLS",
                    ),
                    (
                        "missing [tls] (cert, key) or behind_proxy = true".to_string(),
                        "schools' results must not cross the network unencrypted; add [tls], or set behind_proxy = true when a reverse proxy ends TLS",
                    ),
                );
                diags.error(Code::InvalidValue, f, 0..0, m, Some(h));
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
                    let (m, h) = both(
                        (
                            format!("`database`: `{s}` không phải postgres://… hay sqlite:TỆP"),
                            "bỏ trống để dùng SQLite trong data_dir, hoặc database = \"postgres://người-dùng@máy/csdl\"",
                        ),
                        (
                            format!("`database`: `{s}` is neither postgres://… nor sqlite:FILE"),
                            "leave it out for SQLite in data_dir, or database = \"postgres://user@host/db\"",
                        ),
                    );
                    diags.error(Code::InvalidValue, f, d.span(), m, Some(h));
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
                let (m, h) = both(
                    (
                        "`max_upload_mb` phải lớn hơn 0 và không quá 64",
                        "mặc định 8",
                    ),
                    (
                        "`max_upload_mb` must be more than 0 and at most 64",
                        "the default is 8",
                    ),
                );
                diags.error(Code::InvalidValue, f, v.span(), m, Some(h));
                0
            }
        };
        let mut int_field = |v: &Option<Spanned<i64>>, name: &str, default: i64, max: i64| match v {
            None => default,
            Some(v) if (0..=max).contains(v.get_ref()) => *v.get_ref(),
            Some(v) => {
                let (m, h) = both(
                    (
                        format!("`{name}` phải từ 0 đến {max}"),
                        format!("mặc định {default}"),
                    ),
                    (
                        format!("`{name}` must be from 0 to {max}"),
                        format!("the default is {default}"),
                    ),
                );
                diags.error(Code::InvalidValue, f, v.span(), m, Some(h));
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
                    let (m, h) = both(
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
                    diags.error(Code::InvalidValue, f, u.span(), m, Some(h));
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
                let (m, h) = both(
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
                diags.error(Code::InvalidValue, f, r.password_hash.span(), m, Some(h));
            }
            if r.name.trim().is_empty() || accounts.iter().any(|x| x.name == r.name) {
                let (m, h) = both(
                    (
                        format!("tài khoản `{}`: tên trống hoặc trùng", r.name),
                        "mỗi [[account]] một tên riêng",
                    ),
                    (
                        format!("account `{}`: empty or repeated name", r.name),
                        "give each [[account]] its own name",
                    ),
                );
                diags.error(Code::Duplicate, f, a.span(), m, Some(h));
            }
            accounts.push(Account {
                name: r.name.clone(),
                password_hash: r.password_hash.get_ref().clone(),
                unit: r.unit.clone(),
            });
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(ServeConfig {
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
}
