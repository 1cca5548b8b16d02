//! The school's local configuration, `khien.toml`: who runs the scan (unit), which
//! backups protect which data, parameter overrides, and the limits of collectors
//! (`[limits]`, `[crawl]`, checked to be finite and in range when loaded; see
//! [`crate::settings`]).
//!
//! ```toml
//! [unit]
//! code = "THPT-BL-01"
//! name = "Trường THPT Bảo Lộc"
//!
//! role = "staff"        # server, staff or lab; [machine] role overrides it
//!
//! [params]
//! max_signature_age_days = 5
//!
//! [[backup]]
//! name = "hoc-ba"
//! path = 'D:\SaoLuu\HocBa'
//! pattern = "*.zip"
//! max_age_days = 7
//! protects = ['C:\HocBa']
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::diagnostic::Code;
use crate::facts::UnitRef;
use crate::i18n::Localized;
use crate::policy::{Diagnostics, ParamValue, Policy, SourceFile};
use crate::spanned_toml::{self, TomlFile};

/// The largest khien.toml read: a configuration is a few kilobytes.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The name khien looks for beside the executable and in the working folder.
pub const DEFAULT_FILE_NAME: &str = "khien.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    unit: Option<RawUnit>,
    #[serde(default)]
    machine: Option<RawMachine>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<ParamValue>>,
    #[serde(default)]
    backup: Vec<BackupLocation>,
    #[serde(default)]
    limits: WalkLimits,
    #[serde(default)]
    crawl: CrawlConfig,
    #[serde(default)]
    personal_data: Option<Spanned<crate::pdata::PersonalDataConfig>>,
    #[serde(default)]
    report: Option<ReportHeading>,
    #[serde(default)]
    send: Option<Spanned<SendSettings>>,
}

/// The official heading of a report filed with the Province or the Ministry
/// (`[report]`, optional): issuing body, document number, place and date, signer.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportHeading {
    /// The governing body above the issuer ("UBND TỈNH LÂM ĐỒNG").
    #[serde(default)]
    pub parent_body: Option<String>,
    /// The issuing body ("SỞ GIÁO DỤC VÀ ĐÀO TẠO").
    pub issuer: String,
    /// The document number ("125/BC-SGDĐT").
    #[serde(default)]
    pub number: Option<String>,
    /// Where it is signed ("Lâm Đồng").
    #[serde(default)]
    pub place: Option<String>,
    /// The date on the document (a TOML date); the day of the report when absent.
    #[serde(default)]
    pub date: Option<toml::value::Datetime>,
    /// The signer's title ("KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC").
    #[serde(default)]
    pub signer_title: Option<String>,
    #[serde(default)]
    pub signer: Option<String>,
}

impl ReportHeading {
    /// The document date as a calendar day, when given as one.
    pub fn day(&self) -> Option<jiff::civil::Date> {
        let d = self.date.as_ref()?.date?;
        jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok()
    }
}

/// `[send]`: where `khien scan host --send` and double-click mode send the result
/// (the Department's `khien serve`), with the unit's token. See docs/serve.md.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendSettings {
    /// The server's address, e.g. `https://khien.lamdong.edu.vn`.
    pub url: String,
    /// The unit's token, as the Department issued it.
    pub token: String,
    /// Extra CA certificate (PEM) for a server with a certificate of its own CA.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// Folder for results not yet delivered; default: `khien-outbox` beside the executable.
    #[serde(default)]
    pub outbox: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    code: String,
    #[serde(default)]
    name: String,
    /// The role of the unit's machines unless `[machine] role` says otherwise.
    #[serde(default)]
    role: Option<MachineRole>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMachine {
    #[serde(default)]
    role: Option<MachineRole>,
}

/// What a machine is used for (requirements.md's tiers): rules and severities may
/// depend on it, e.g. disk encryption (H14) is asked of staff machines and of
/// machines holding personal data, not of classroom lab PCs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MachineRole {
    /// A server (file, web, database) of the unit.
    Server,
    /// A teacher's or an administrator's computer (the default).
    #[default]
    Staff,
    /// A classroom or lab computer shared by pupils.
    Lab,
}

impl MachineRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MachineRole::Server => "server",
            MachineRole::Staff => "staff",
            MachineRole::Lab => "lab",
        }
    }
}

/// A backup location to check.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupLocation {
    pub name: String,
    /// Folder that holds the backup files (searched recursively).
    pub path: String,
    /// File-name glob (`*` and `?`), e.g. `*.zip`; all files when absent.
    #[serde(default = "default_pattern")]
    pub pattern: String,
    /// Maximum age of the newest backup; the policy's default when absent.
    #[serde(default)]
    pub max_age_days: Option<f64>,
    /// The data this backup protects; used to tell whether it sits on the same disk.
    #[serde(default)]
    pub protects: Vec<String>,
}

fn default_pattern() -> String {
    "*".to_string()
}

/// Bounds on file-system walks and local queries, so a scan never runs away on a
/// huge disk or a hung service (`[limits]`).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkLimits {
    /// Files examined per backup location before stopping.
    #[serde(default = "default_max_files")]
    pub max_files: u64,
    /// Seconds spent per backup location before stopping.
    #[serde(default = "default_max_seconds")]
    pub max_seconds: f64,
    /// Windows: longest wait for one WMI query; past it that fact is unknown
    /// (timed out) and the scan still finishes.
    #[serde(default = "default_wmi_query_seconds")]
    pub wmi_query_seconds: f64,
}

fn default_max_files() -> u64 {
    200_000
}
fn default_max_seconds() -> f64 {
    20.0
}
fn default_wmi_query_seconds() -> f64 {
    crate::collect::host::platform::bounded::DEFAULT_TIMEOUT.as_secs_f64()
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            max_files: default_max_files(),
            max_seconds: default_max_seconds(),
            wmi_query_seconds: default_wmi_query_seconds(),
        }
    }
}

impl WalkLimits {
    /// The deadline of one WMI query (validated at load: finite, 1 s to 1 h).
    pub fn query_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.wmi_query_seconds)
    }

    /// The walk deadline per backup location (validated at load).
    pub fn walk_deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.max_seconds)
    }
}

/// Bounds of the website crawl for personal data (`[crawl]`, rule W11).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlConfig {
    /// Link depth from the start page.
    #[serde(default = "crawl_defaults::max_depth")]
    pub max_depth: u32,
    /// URLs fetched from one site, pages and documents together.
    #[serde(default = "crawl_defaults::max_urls")]
    pub max_urls: u64,
    /// Pause between two requests to the same site.
    #[serde(default = "crawl_defaults::delay_ms")]
    pub delay_ms: u64,
    /// Time for crawling one site, apart from its other checks.
    #[serde(default = "crawl_defaults::max_seconds")]
    pub max_seconds: u64,
    /// Most data read from one page or document.
    #[serde(default = "crawl_defaults::max_document_mb")]
    pub max_document_mb: u64,
}

mod crawl_defaults {
    use crate::pdata::crawl::CrawlLimits;
    pub fn max_depth() -> u32 {
        CrawlLimits::default().max_depth
    }
    pub fn max_urls() -> u64 {
        CrawlLimits::default().max_urls as u64
    }
    pub fn delay_ms() -> u64 {
        CrawlLimits::default().delay.as_millis() as u64
    }
    pub fn max_seconds() -> u64 {
        CrawlLimits::default().time_budget.as_secs()
    }
    pub fn max_document_mb() -> u64 {
        (CrawlLimits::default().max_response_bytes / (1024 * 1024)) as u64
    }
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            max_depth: crawl_defaults::max_depth(),
            max_urls: crawl_defaults::max_urls(),
            delay_ms: crawl_defaults::delay_ms(),
            max_seconds: crawl_defaults::max_seconds(),
            max_document_mb: crawl_defaults::max_document_mb(),
        }
    }
}

impl CrawlConfig {
    /// The crawl's limits (values validated at load).
    pub fn limits(&self) -> crate::pdata::crawl::CrawlLimits {
        use std::time::Duration;
        crate::pdata::crawl::CrawlLimits {
            max_depth: self.max_depth,
            max_urls: self.max_urls as usize,
            delay: Duration::from_millis(self.delay_ms),
            time_budget: Duration::from_secs(self.max_seconds),
            max_response_bytes: (self.max_document_mb as usize).saturating_mul(1024 * 1024),
            ..crate::pdata::crawl::CrawlLimits::default()
        }
    }
}

/// A number of the configuration checked against its allowed range.
struct RangeCheck {
    path: [&'static str; 2],
    value: f64,
    min: f64,
    max: f64,
    /// Whether the minimum itself is allowed (else the value must exceed it).
    min_inclusive: bool,
}

impl RangeCheck {
    fn new(path: [&'static str; 2], value: f64, min: f64, max: f64) -> Self {
        RangeCheck {
            path,
            value,
            min,
            max,
            min_inclusive: true,
        }
    }
    fn above(path: [&'static str; 2], value: f64, min: f64, max: f64) -> Self {
        RangeCheck {
            min_inclusive: false,
            ..RangeCheck::new(path, value, min, max)
        }
    }
    fn ok(&self) -> bool {
        let v = self.value;
        v.is_finite()
            && (if self.min_inclusive {
                v >= self.min
            } else {
                v > self.min
            })
            && v <= self.max
    }
}

/// A validated local configuration.
#[derive(Clone, Debug, Default)]
pub struct LocalConfig {
    pub unit: Option<UnitRef>,
    /// `[machine] role`, else `[unit] role`, else staff.
    pub role: MachineRole,
    pub params: BTreeMap<String, ParamValue>,
    pub backups: Vec<BackupLocation>,
    pub limits: WalkLimits,
    /// Bounds of the website crawl (`scan web --crawl-personal-data`).
    pub crawl: CrawlConfig,
    /// Folders to scan for personal data (rule H15) and the scan's limits.
    pub personal_data: crate::pdata::PersonalDataConfig,
    /// The official heading of filed reports (`[report]`).
    pub report: Option<ReportHeading>,
    /// Where finished results are sent (`[send]`), if anywhere.
    pub send: Option<SendSettings>,
    /// Where it was read from, if anywhere.
    pub source: Option<String>,
}

impl LocalConfig {
    /// Reads and checks a configuration file against the policy it will be used with.
    pub fn load(path: &Path, policy: &Policy) -> Result<LocalConfig, Diagnostics> {
        let mut diags = Diagnostics::default();
        match spanned_toml::read_file(
            &mut diags,
            path,
            MAX_CONFIG_BYTES,
            Localized::new(
                "không đọc được tệp cấu hình",
                "cannot read the configuration",
            ),
            Localized::new(
                "kiểm tra đường dẫn đưa cho --config (một tệp khien.toml)",
                "check the path given to --config (a khien.toml file)",
            ),
        ) {
            Some(f) => Self::check(diags, f, policy),
            None => Err(diags),
        }
    }

    pub fn parse(file: SourceFile, policy: &Policy) -> Result<LocalConfig, Diagnostics> {
        let mut diags = Diagnostics::default();
        let f = diags.add_file(file);
        Self::check(diags, f, policy)
    }

    fn check(
        mut diags: Diagnostics,
        f: usize,
        policy: &Policy,
    ) -> Result<LocalConfig, Diagnostics> {
        let source = diags.files[f].name.clone();
        let Some(raw) = TomlFile::new(&mut diags, f).parse_whole::<RawConfig>(
            "khien.toml",
            Localized::new(
                "khien.toml gồm các mục [unit], [machine], [params], [[backup]], [limits], [crawl], [personal_data], [send] và [report]; xem README.md và docs/report.md",
                "khien.toml accepts [unit], [machine], [params], [[backup]], [limits], [crawl], [personal_data], [send] and [report]; see README.md and docs/report.md",
            ),
        ) else {
            return Err(diags);
        };
        let mut params = BTreeMap::new();
        for (name, value) in raw.params {
            match policy.params.get(name.get_ref()) {
                None => {
                    let names = policy.params.keys().cloned().collect::<Vec<_>>().join(", ");
                    diags.error(
                        Code::UnknownReference,
                        f,
                        name.span(),
                        Localized::new(
                            format!("bộ quy tắc không có tham số `{}`", name.get_ref()),
                            format!("the policy has no parameter `{}`", name.get_ref()),
                        ),
                        Some(Localized::new(
                            format!("các tham số: {names}"),
                            format!("parameters: {names}"),
                        )),
                    )
                }
                Some(decl) if !decl.default.same_type(value.get_ref()) => diags.error(
                    Code::WrongType,
                    f,
                    value.span(),
                    Localized::new(
                        format!(
                            "`{}` phải có kiểu {}, không phải {}",
                            name.get_ref(),
                            decl.default.type_name(),
                            value.get_ref().type_name()
                        ),
                        format!(
                            "`{}` must be of type {}, not {}",
                            name.get_ref(),
                            decl.default.type_name(),
                            value.get_ref().type_name()
                        ),
                    ),
                    Some(Localized::new(
                        format!("giá trị mặc định của bộ quy tắc là {}", decl.default),
                        format!("the policy's default is {}", decl.default),
                    )),
                ),
                Some(decl) => {
                    params.insert(
                        name.into_inner(),
                        value.into_inner().coerce_like(&decl.default),
                    );
                }
            }
        }
        for b in &raw.backup {
            if b.max_age_days
                .is_some_and(|d| !(d.is_finite() && d > 0.0 && d <= 36_500.0))
            {
                diags.error(
                    Code::OutOfRange,
                    f,
                    0..0,
                    Localized::new(
                        format!("bản sao lưu `{}`: max_age_days phải là số ngày lớn hơn 0 (tối đa 36500)", b.name),
                        format!("backup `{}`: max_age_days must be a number of days above 0 (at most 36500)", b.name),
                    ),
                    Some(Localized::new(
                        "ghi số ngày, ví dụ max_age_days = 7",
                        "give the number of days, e.g. max_age_days = 7",
                    )),
                );
            }
        }
        let text = &diags.files[f].text;
        let pd = raw.personal_data.as_ref().map(|p| p.get_ref());
        let checks = [
            RangeCheck::new(
                ["limits", "max_files"],
                raw.limits.max_files as f64,
                1.0,
                1e9,
            ),
            RangeCheck::above(
                ["limits", "max_seconds"],
                raw.limits.max_seconds,
                0.0,
                86_400.0,
            ),
            RangeCheck::new(
                ["limits", "wmi_query_seconds"],
                raw.limits.wmi_query_seconds,
                1.0,
                3_600.0,
            ),
            RangeCheck::new(
                ["crawl", "max_depth"],
                raw.crawl.max_depth as f64,
                0.0,
                100.0,
            ),
            RangeCheck::new(["crawl", "max_urls"], raw.crawl.max_urls as f64, 1.0, 1e6),
            RangeCheck::new(
                ["crawl", "delay_ms"],
                raw.crawl.delay_ms as f64,
                0.0,
                60_000.0,
            ),
            RangeCheck::new(
                ["crawl", "max_seconds"],
                raw.crawl.max_seconds as f64,
                1.0,
                86_400.0,
            ),
            RangeCheck::new(
                ["crawl", "max_document_mb"],
                raw.crawl.max_document_mb as f64,
                1.0,
                4_096.0,
            ),
        ]
        .into_iter()
        .chain(pd.into_iter().flat_map(|p| {
            [
                RangeCheck::above(
                    ["personal_data", "max_file_mb"],
                    p.max_file_mb,
                    0.0,
                    4_096.0,
                ),
                RangeCheck::above(
                    ["personal_data", "max_seconds_per_file"],
                    p.max_seconds_per_file,
                    0.0,
                    3_600.0,
                ),
                RangeCheck::above(
                    ["personal_data", "max_seconds"],
                    p.max_seconds,
                    0.0,
                    86_400.0,
                ),
            ]
        }));
        let mut range_errors = Vec::new();
        for c in checks {
            if !c.ok() {
                let span = crate::policy::toml_value_span(text, &c.path).unwrap_or(0..0);
                let (bound_vi, bound_en) = if c.min_inclusive {
                    ("từ", "from")
                } else {
                    ("lớn hơn", "above")
                };
                let (section, key, v, min, max) = (c.path[0], c.path[1], c.value, c.min, c.max);
                range_errors.push((
                    span,
                    Localized::new(
                        format!(
                            "[{section}] {key} = {v}: phải là một số {bound_vi} {min} đến {max}"
                        ),
                        format!(
                            "[{section}] {key} = {v}: must be a number {bound_en} {min} to {max}"
                        ),
                    ),
                    Localized::new(
                        format!("ghi một số {bound_vi} {min} đến {max}"),
                        format!("give a number {bound_en} {min} to {max}"),
                    ),
                ));
            }
        }
        for (span, message, help) in range_errors {
            diags.error(Code::OutOfRange, f, span, message, Some(help));
        }
        let (personal_data, pd_span) = match raw.personal_data {
            Some(s) => (s.get_ref().clone(), s.span()),
            None => (Default::default(), 0..0),
        };
        // Its numbers were checked above with the other ranges.
        if personal_data.folders.iter().any(|d| d.trim().is_empty()) {
            let span =
                crate::policy::toml_value_span(&diags.files[f].text, &["personal_data", "folders"])
                    .unwrap_or(pd_span);
            diags.error(
                Code::InvalidValue,
                f,
                span,
                Localized::new(
                    "[personal_data] folders: có một đường dẫn thư mục để trống",
                    "[personal_data] folders: a folder path is empty",
                ),
                Some(Localized::new(
                    "xóa mục trống hoặc ghi đường dẫn thư mục; xem docs/pdata.md",
                    "remove the empty entry or give the folder's path; see docs/pdata.md",
                )),
            );
        }
        if let Some(send) = &raw.send {
            let s = send.get_ref();
            let url_ok = url::Url::parse(&s.url)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if !url_ok {
                diags.error(
                    Code::InvalidValue,
                    f,
                    send.span(),
                    Localized::new(
                        format!("[send] url: `{}` không phải địa chỉ https://", s.url),
                        format!("[send] url: `{}` is not an https:// address", s.url),
                    ),
                    Some(Localized::new(
                        "chép nguyên mục [send] mà Sở gửi cho trường",
                        "copy the [send] section the Department gave the school",
                    )),
                );
            }
            if s.token.trim().is_empty() {
                diags.error(
                    Code::MissingKey,
                    f,
                    send.span(),
                    Localized::new("[send] token đang để trống", "[send] token is empty"),
                    Some(Localized::new(
                        "chép nguyên mục [send] mà Sở gửi cho trường",
                        "copy the [send] section the Department gave the school",
                    )),
                );
            }
        }
        let role = raw
            .machine
            .and_then(|m| m.role)
            .or(raw.unit.as_ref().and_then(|u| u.role))
            .unwrap_or_default();
        spanned_toml::finish(diags, || LocalConfig {
            unit: raw.unit.map(|u| UnitRef {
                code: u.code,
                name: u.name,
            }),
            role,
            send: raw.send.map(Spanned::into_inner),
            params,
            backups: raw.backup,
            limits: raw.limits,
            crawl: raw.crawl,
            personal_data,
            report: raw.report,
            source: Some(source),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LocalConfig, Diagnostics> {
        let policy =
            crate::policy::load_sources(crate::policy::embedded_sources(), "embedded").unwrap();
        LocalConfig::parse(SourceFile::new("khien.toml", text), &policy)
    }

    #[test]
    fn machine_role_overrides_the_units_and_defaults_to_staff() {
        assert_eq!(parse("").unwrap().role, MachineRole::Staff);
        let c = parse("[unit]\ncode = \"THPT-BL-01\"\nrole = \"lab\"\n").unwrap();
        assert_eq!(c.role, MachineRole::Lab);
        assert_eq!(c.unit.unwrap().code, "THPT-BL-01");
        let c =
            parse("[unit]\ncode = \"X\"\nrole = \"lab\"\n[machine]\nrole = \"server\"\n").unwrap();
        assert_eq!(c.role, MachineRole::Server);
        let e = parse("[machine]\nrole = \"teacher\"\n").unwrap_err();
        assert!(format!("{e:?}").contains("teacher"), "{e:?}");
    }
}
