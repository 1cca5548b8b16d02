//! Operating-system support (H05): matches what the platform collector read
//! (Windows build and edition, Linux os-release) against the dated end-of-life
//! table shipped in `data/os-eol.toml`. Pure functions, tested on every OS.

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use crate::facts::host::LifecycleFacts;
use crate::facts::{Fact, ReasonCode};

const TABLE_TOML: &str = include_str!("../../../data/os-eol.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    checked: String,
    windows: Vec<WindowsEntry>,
    linux: Vec<LinuxEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowsEntry {
    product: String,
    kind: WindowsKind,
    build_min: u32,
    build_max: u32,
    editions: EditionGroup,
    ends: Date,
    #[serde(default)]
    #[allow(dead_code)] // kept in the table for people
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinuxEntry {
    product: String,
    ids: Vec<String>,
    version: String,
    ends: Date,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// Client or server, from `Win32_OperatingSystem.ProductType` (1 = workstation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowsKind {
    Client,
    Server,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EditionGroup {
    All,
    HomePro,
    Enterprise,
    Ltsc,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| toml::from_str(TABLE_TOML).expect("data/os-eol.toml is valid"))
}

/// The date the end-of-life table was last checked.
pub fn table_date() -> &'static str {
    &table().checked
}

/// The servicing channel of a Windows `EditionID` (registry `CurrentVersion`).
fn edition_group(edition_id: &str) -> Option<EditionGroup> {
    let e = edition_id.to_ascii_lowercase();
    if e.starts_with("enterprises") || e.starts_with("iotenterprises") {
        Some(EditionGroup::Ltsc)
    } else if e.starts_with("core") || e.starts_with("professional") {
        Some(EditionGroup::HomePro)
    } else if e.starts_with("enterprise")
        || e.starts_with("education")
        || e.starts_with("iotenterprise")
    {
        Some(EditionGroup::Enterprise)
    } else {
        None
    }
}

fn end_of_day_utc(d: Date) -> Fact<Timestamp> {
    // Vendors end support on a day; count the whole day as supported.
    match d.at(23, 59, 59, 0).to_zoned(jiff::tz::TimeZone::UTC) {
        Ok(z) => Fact::known(z.timestamp()),
        Err(e) => Fact::unknown(ReasonCode::Error, e.to_string()),
    }
}

/// What the Windows collector read, for [`windows`].
#[derive(Clone, Debug, Default)]
pub struct WindowsVersion {
    pub kind: Option<WindowsKind>,
    pub build: Option<u32>,
    /// `EditionID`, e.g. `Professional`, `Core`, `ServerStandard`.
    pub edition_id: Option<String>,
    /// `DisplayVersion` (20H2 and later) or `ReleaseId`.
    pub display_version: Option<String>,
}

fn opt_fact<T>(v: Option<T>, what: &str) -> Fact<T> {
    v.map_or_else(
        || Fact::unknown(ReasonCode::Unsupported, format!("{what} could not be read")),
        Fact::known,
    )
}

/// Looks a Windows version up in the table.
pub fn windows(v: &WindowsVersion) -> LifecycleFacts {
    let mut facts = LifecycleFacts {
        product: Fact::unknown(ReasonCode::Unsupported, "Windows version not read"),
        edition: opt_fact(v.edition_id.clone(), "EditionID"),
        build: opt_fact(v.build.map(|b| b.to_string()), "the build number"),
        display_version: opt_fact(v.display_version.clone(), "DisplayVersion"),
        support_ends_at: Fact::unknown(ReasonCode::Unsupported, "Windows version not read"),
        table_date: table_date().to_string(),
    };
    let (Some(kind), Some(build)) = (v.kind, v.build) else {
        return facts;
    };
    let group = v.edition_id.as_deref().and_then(edition_group);
    let found = table().windows.iter().find(|e| {
        e.kind == kind
            && (e.build_min..=e.build_max).contains(&build)
            && match e.editions {
                EditionGroup::All => true,
                wanted => group == Some(wanted),
            }
    });
    match found {
        Some(e) => {
            facts.product = Fact::known(e.product.clone());
            facts.support_ends_at = end_of_day_utc(e.ends);
        }
        None => {
            let detail = format!(
                "{kind:?} build {build} edition {} is not in the end-of-life table of {}",
                v.edition_id.as_deref().unwrap_or("?"),
                table_date()
            );
            facts.product = Fact::unknown(ReasonCode::Unsupported, detail.clone());
            facts.support_ends_at = Fact::unknown(ReasonCode::Unsupported, detail);
        }
    }
    facts
}

/// Reads `KEY=value` pairs of an os-release file (values may be quoted).
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            Some((k.trim().to_string(), v.to_string()))
        })
        .collect()
}

/// Looks a Linux distribution up in the table, from its `/etc/os-release`.
pub fn linux(os_release: Option<&str>) -> LifecycleFacts {
    fn unknown<T>(d: &str) -> Fact<T> {
        Fact::unknown(ReasonCode::Unsupported, d.to_string())
    }
    let Some(text) = os_release else {
        return LifecycleFacts {
            product: unknown("/etc/os-release is missing"),
            edition: unknown("/etc/os-release is missing"),
            build: unknown("/etc/os-release is missing"),
            display_version: unknown("/etc/os-release is missing"),
            support_ends_at: unknown("/etc/os-release is missing"),
            table_date: table_date().to_string(),
        };
    };
    let kv = parse_os_release(text);
    let get = |k: &str| kv.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let id = get("ID").unwrap_or_default().to_ascii_lowercase();
    let version_id = get("VERSION_ID");
    let mut facts = LifecycleFacts {
        product: unknown("not in the end-of-life table"),
        edition: opt_fact(get("ID"), "ID in /etc/os-release"),
        build: opt_fact(version_id.clone(), "VERSION_ID in /etc/os-release"),
        display_version: opt_fact(
            get("VERSION_CODENAME").or_else(|| get("VERSION")),
            "VERSION in /etc/os-release",
        ),
        support_ends_at: unknown("not in the end-of-life table"),
        table_date: table_date().to_string(),
    };
    let Some(version_id) = version_id else {
        let d = format!("{id} has no VERSION_ID (a testing or rolling release)");
        facts.product = unknown(&d);
        facts.support_ends_at = unknown(&d);
        return facts;
    };
    let found = table().linux.iter().find(|e| {
        e.ids.contains(&id)
            && (version_id == e.version
                || version_id
                    .strip_prefix(&e.version)
                    .is_some_and(|rest| rest.starts_with('.'))
                    && id != "ubuntu")
    });
    if let Some(e) = found {
        facts.product = Fact::known(e.product.clone());
        facts.support_ends_at = end_of_day_utc(e.ends);
    } else {
        let d = format!(
            "{id} {version_id} is not in the end-of-life table of {}",
            table_date()
        );
        facts.product = unknown(&d);
        facts.support_ends_at = unknown(&d);
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(kind: WindowsKind, build: u32, edition: &str) -> LifecycleFacts {
        windows(&WindowsVersion {
            kind: Some(kind),
            build: Some(build),
            edition_id: Some(edition.into()),
            display_version: None,
        })
    }

    fn ends(f: &LifecycleFacts) -> String {
        f.support_ends_at.value().unwrap().to_string()
    }

    #[test]
    fn the_table_loads_and_is_dated() {
        assert_eq!(table_date(), "2026-11-22");
        assert!(table().windows.iter().all(|e| e.build_min <= e.build_max));
    }

    #[test]
    fn windows_11_home_and_enterprise_differ() {
        let home = win(WindowsKind::Client, 26100, "Core");
        assert_eq!(home.product.value().unwrap(), "Windows 11 24H2 (Home/Pro)");
        assert_eq!(ends(&home), "2026-10-13T23:59:59Z");
        let edu = win(WindowsKind::Client, 26100, "Education");
        assert_eq!(ends(&edu), "2027-10-12T23:59:59Z");
        let ltsc = win(WindowsKind::Client, 26100, "EnterpriseS");
        assert_eq!(ends(&ltsc), "2029-10-09T23:59:59Z");
    }

    #[test]
    fn server_and_client_builds_share_numbers() {
        assert_eq!(
            win(WindowsKind::Server, 17763, "ServerStandard")
                .product
                .value()
                .unwrap(),
            "Windows Server 2019"
        );
        assert_eq!(
            win(WindowsKind::Client, 17763, "Professional")
                .product
                .value()
                .unwrap(),
            "Windows 10 (before 22H2)"
        );
        assert_eq!(
            win(WindowsKind::Client, 7601, "Professional")
                .product
                .value()
                .unwrap(),
            "Windows 7"
        );
    }

    #[test]
    fn unknown_builds_and_editions_stay_unknown() {
        let f = win(WindowsKind::Client, 30000, "Professional");
        assert!(f.support_ends_at.value().is_none());
        // An edition outside the known channels does not match a channel-specific row.
        let f = win(WindowsKind::Client, 22631, "Mystery");
        assert!(f.support_ends_at.value().is_none());
        let f = windows(&WindowsVersion::default());
        assert!(f.product.value().is_none());
    }

    #[test]
    fn linux_distributions() {
        let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n";
        let f = linux(Some(debian));
        assert_eq!(f.product.value().unwrap(), "Debian 12");
        assert_eq!(ends(&f), "2028-06-30T23:59:59Z");
        let rocky = "NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.4\"\n";
        assert_eq!(
            linux(Some(rocky)).product.value().unwrap(),
            "Enterprise Linux 9 (RHEL and rebuilds)"
        );
        let ubuntu = "ID=ubuntu\nVERSION_ID=\"20.04\"\n";
        assert_eq!(ends(&linux(Some(ubuntu))), "2025-05-31T23:59:59Z");
        // Ubuntu 20.10 must not match 20.04 by prefix.
        assert!(
            linux(Some("ID=ubuntu\nVERSION_ID=\"20.10\"\n"))
                .support_ends_at
                .value()
                .is_none()
        );
        assert!(linux(Some("ID=debian\n")).support_ends_at.value().is_none());
        assert!(linux(None).product.value().is_none());
    }
}
