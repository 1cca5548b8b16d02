//! The school's local configuration, `khien.toml`: who runs the scan (unit), which
//! backups protect which data, parameter overrides and walk limits.
//!
//! ```toml
//! [unit]
//! code = "THPT-BL-01"
//! name = "Trường THPT Bảo Lộc"
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

use crate::facts::UnitRef;
use crate::policy::{Diagnostics, ParamValue, Policy, SourceFile};

/// The name khien looks for beside the executable and in the working folder.
pub const DEFAULT_FILE_NAME: &str = "khien.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    unit: Option<UnitRef>,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<ParamValue>>,
    #[serde(default)]
    backup: Vec<BackupLocation>,
    #[serde(default)]
    limits: WalkLimits,
    #[serde(default)]
    personal_data: Option<Spanned<crate::pdata::PersonalDataConfig>>,
    #[serde(default)]
    send: Option<Spanned<SendSettings>>,
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

/// Bounds on file-system walks, so a scan never runs away on a huge disk.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkLimits {
    /// Files examined per backup location before stopping.
    #[serde(default = "default_max_files")]
    pub max_files: u64,
    /// Seconds spent per backup location before stopping.
    #[serde(default = "default_max_seconds")]
    pub max_seconds: f64,
}

fn default_max_files() -> u64 {
    200_000
}
fn default_max_seconds() -> f64 {
    20.0
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            max_files: default_max_files(),
            max_seconds: default_max_seconds(),
        }
    }
}

/// A validated local configuration.
#[derive(Clone, Debug, Default)]
pub struct LocalConfig {
    pub unit: Option<UnitRef>,
    pub params: BTreeMap<String, ParamValue>,
    pub backups: Vec<BackupLocation>,
    pub limits: WalkLimits,
    /// Folders to scan for personal data (rule H15) and the scan's limits.
    pub personal_data: crate::pdata::PersonalDataConfig,
    /// Where finished results are sent (`[send]`), if anywhere.
    pub send: Option<SendSettings>,
    /// Where it was read from, if anywhere.
    pub source: Option<String>,
}

impl LocalConfig {
    /// Reads and checks a configuration file against the policy it will be used with.
    pub fn load(path: &Path, policy: &Policy) -> Result<LocalConfig, Diagnostics> {
        let mut diags = Diagnostics::default();
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let f = diags.add_file(SourceFile::new(name, ""));
                diags.error(
                    f,
                    0..0,
                    format!("cannot read the configuration: {e}"),
                    Some("check the path given to --config".into()),
                );
                return Err(diags);
            }
        };
        Self::parse(SourceFile::new(name, text), policy)
    }

    pub fn parse(file: SourceFile, policy: &Policy) -> Result<LocalConfig, Diagnostics> {
        let mut diags = Diagnostics::default();
        let source = file.name.clone();
        let f = diags.add_file(file);
        let raw: RawConfig = match toml::from_str(&diags.files[f].text) {
            Ok(r) => r,
            Err(e) => {
                let message = e.message().trim().to_string();
                let help = if message.contains("unknown field") {
                    "khien.toml accepts [unit], [params], [[backup]], [limits], [personal_data] and [send]; see README.md"
                } else {
                    "fix the value; see the example configuration in README.md"
                };
                diags.error(f, e.span().unwrap_or(0..0), message, Some(help.into()));
                return Err(diags);
            }
        };
        let mut params = BTreeMap::new();
        for (name, value) in raw.params {
            match policy.params.get(name.get_ref()) {
                None => diags.error(
                    f,
                    name.span(),
                    format!("the policy has no parameter `{}`", name.get_ref()),
                    Some(format!(
                        "parameters: {}",
                        policy.params.keys().cloned().collect::<Vec<_>>().join(", ")
                    )),
                ),
                Some(decl) if !decl.default.same_type(value.get_ref()) => diags.error(
                    f,
                    value.span(),
                    format!(
                        "`{}` must be of type {}, not {}",
                        name.get_ref(),
                        decl.default.type_name(),
                        value.get_ref().type_name()
                    ),
                    Some(format!("the policy's default is {}", decl.default)),
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
            if b.max_age_days.is_some_and(|d| d.is_nan() || d <= 0.0) {
                diags.error(
                    f,
                    0..0,
                    format!("backup `{}`: max_age_days must be more than 0", b.name),
                    Some("give the number of days, e.g. max_age_days = 7".into()),
                );
            }
        }
        let (personal_data, pd_span) = match raw.personal_data {
            Some(s) => (s.get_ref().clone(), s.span()),
            None => (Default::default(), 0..0),
        };
        for (field, problem) in personal_data.problems() {
            diags.error(
                f,
                pd_span.clone(),
                format!("[personal_data] {field}: {problem}"),
                Some("see docs/pdata.md for the [personal_data] section".into()),
            );
        }
        if let Some(send) = &raw.send {
            let s = send.get_ref();
            let url_ok = url::Url::parse(&s.url)
                .is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
            if !url_ok {
                diags.error(
                    f,
                    send.span(),
                    format!("[send] url: `{}` is not an https:// address", s.url),
                    Some("copy the [send] section the Department gave the school".into()),
                );
            }
            if s.token.trim().is_empty() {
                diags.error(
                    f,
                    send.span(),
                    "[send] token is empty",
                    Some("copy the [send] section the Department gave the school".into()),
                );
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        Ok(LocalConfig {
            send: raw.send.map(Spanned::into_inner),
            unit: raw.unit,
            params,
            backups: raw.backup,
            limits: raw.limits,
            personal_data,
            source: Some(source),
        })
    }
}
