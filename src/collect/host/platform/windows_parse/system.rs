//! Windows settings read from the registry and WMI: version and edition (H05),
//! updates (H06), firewall profiles (H07), Remote Desktop (H08), SMBv1 and AutoRun
//! (H09), screen lock (H13), BitLocker (H14), Defender management (H03), time
//! synchronisation (H17).

use serde_json::Value;

use super::{RegistrySnapshot, as_u64, field, parse_datetime, reg_str, reg_u64, rows};
use crate::collect::host::lifecycle::{WindowsKind, WindowsVersion};
use crate::facts::host::{
    FirewallProfile, RdpFacts, ScreenLockFacts, TimeSyncFacts, VolumeEncryption,
};
use crate::facts::{Fact, ReasonCode, Unknown};

pub const CURRENT_VERSION: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
pub const PRODUCT_OPTIONS: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\ProductOptions";
const FW_LOCAL: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy";
const FW_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall";
pub const TERMINAL_SERVER: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server";
pub const RDP_TCP: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp";
pub const RDP_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services";
pub const LANMAN_SERVER: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters";
pub const EXPLORER_POLICY_HKLM: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer";
pub const EXPLORER_POLICY_HKCU: &str =
    r"HKCU\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer";
pub const SYSTEM_POLICY: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System";
pub const DESKTOP_POLICY: &str = r"HKCU\Software\Policies\Microsoft\Windows\Control Panel\Desktop";
pub const DESKTOP: &str = r"HKCU\Control Panel\Desktop";
pub const WU_REBOOT: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
pub const CBS_REBOOT: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
pub const MDE_STATUS: &str = r"HKLM\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status";
pub const DEFENDER_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender";
/// Present when the OpenSSH server is installed.
/// Windows 7's Backup and Restore keeps its schedule here once one is set.
pub const WINDOWS_BACKUP_SCHEDULE: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsBackup\ScheduleParams";
pub const SSHD_SERVICE: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\sshd";
/// The Windows Time service: `Start` (2 automatic, 3 manual or on trigger, 4
/// disabled) and, under `Parameters`, `Type` and `NtpServer`; Group Policy's
/// values (`Policies\Microsoft\W32Time\Parameters`) win over the local ones.
pub const W32TIME_SERVICE: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\W32Time";
pub const W32TIME_PARAMETERS: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\W32Time\Parameters";
pub const W32TIME_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\W32Time\Parameters";

/// The firewall profiles: (name shown, local key, policy key).
const PROFILES: &[(&str, &str, &str)] = &[
    ("domain", "DomainProfile", "DomainProfile"),
    ("private", "StandardProfile", "PrivateProfile"),
    ("public", "PublicProfile", "PublicProfile"),
];

/// Every registry key the Windows collector reads.
pub fn registry_keys() -> Vec<String> {
    let mut keys: Vec<String> = [
        CURRENT_VERSION,
        PRODUCT_OPTIONS,
        TERMINAL_SERVER,
        RDP_TCP,
        RDP_POLICY,
        LANMAN_SERVER,
        EXPLORER_POLICY_HKLM,
        EXPLORER_POLICY_HKCU,
        SYSTEM_POLICY,
        DESKTOP_POLICY,
        DESKTOP,
        WU_REBOOT,
        CBS_REBOOT,
        MDE_STATUS,
        DEFENDER_POLICY,
        SSHD_SERVICE,
        W32TIME_SERVICE,
        W32TIME_PARAMETERS,
        W32TIME_POLICY,
        WINDOWS_BACKUP_SCHEDULE,
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    for (_, local, policy) in PROFILES {
        keys.push(format!(r"{FW_LOCAL}\{local}"));
        keys.push(format!(r"{FW_POLICY}\{policy}"));
    }
    keys
}

/// Version facts for the end-of-life table. `ProductType` in ProductOptions is
/// `WinNT` on clients, `ServerNT`/`LanmanNT` on servers.
pub fn windows_version(reg: &RegistrySnapshot) -> WindowsVersion {
    let kind = reg_str(reg, PRODUCT_OPTIONS, "ProductType").map(|t| {
        if t.eq_ignore_ascii_case("WinNT") {
            WindowsKind::Client
        } else {
            WindowsKind::Server
        }
    });
    WindowsVersion {
        kind,
        build: reg_u64(reg, CURRENT_VERSION, "CurrentBuildNumber")
            .or_else(|| reg_u64(reg, CURRENT_VERSION, "CurrentBuild"))
            .and_then(|b| u32::try_from(b).ok()),
        edition_id: reg_str(reg, CURRENT_VERSION, "EditionID").map(String::from),
        display_version: reg_str(reg, CURRENT_VERSION, "DisplayVersion")
            .or_else(|| reg_str(reg, CURRENT_VERSION, "ReleaseId"))
            .map(String::from),
    }
}

/// The newest `InstalledOn` of `Win32_QuickFixEngineering` rows: `M/D/YYYY` (the
/// form Windows gives), `D/M/YYYY` when a row shows the list is day-first (a first
/// number above 12, as wine writes it), or on some old systems a hexadecimal
/// FILETIME. A list with both forms in it, or only ambiguous dates of a day-first
/// list, cannot be told apart from a month-first one; Windows itself writes
/// month-first.
pub fn last_hotfix(v: &Value) -> Option<jiff::Timestamp> {
    let dates: Vec<&Value> = rows(v)
        .into_iter()
        .filter_map(|r| field(r, "InstalledOn"))
        .collect();
    let slash_parts = |s: &str| -> Option<(u32, u32, i16)> {
        let mut parts = s.trim().split('/');
        let p = (
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
            parts.next()?.parse().ok()?,
        );
        parts.next().is_none().then_some(p)
    };
    let slashed: Vec<(u32, u32, i16)> = dates
        .iter()
        .filter_map(|d| slash_parts(d.as_str()?))
        .collect();
    let day_first = slashed.iter().any(|&(a, b, _)| a > 12 && b <= 12)
        && !slashed.iter().any(|&(a, b, _)| b > 12 && a <= 12);
    dates
        .into_iter()
        .filter_map(|d| {
            if let Some(t) = parse_datetime(d) {
                return Some(t);
            }
            let s = d.as_str()?.trim();
            if let Ok(ft) = u64::from_str_radix(s, 16)
                && s.len() == 16
            {
                // 100-ns intervals since 1601-01-01.
                let unix = (ft / 10_000_000) as i64 - 11_644_473_600;
                return jiff::Timestamp::from_second(unix).ok();
            }
            let (a, b, y) = slash_parts(s)?;
            let (m, d) = if day_first { (b, a) } else { (a, b) };
            // Date::new, not civil::date: a malformed date must not panic.
            let date =
                jiff::civil::Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()?;
            date.to_zoned(jiff::tz::TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp())
        })
        .max()
}

/// Days after the monthly security release by which a machine is expected to have
/// installed it (automatic updates install within days; a week leaves room for a
/// machine switched off over a weekend).
pub const SECURITY_RELEASE_GRACE_DAYS: i64 = 7;

/// The monthly security release a machine should have installed at `now`: the
/// latest second Tuesday of a month ("Update Tuesday", Microsoft's documented
/// release day of security updates) at least [`SECURITY_RELEASE_GRACE_DAYS`] ago,
/// as a date at 00:00 UTC (hotfix dates carry no time).
pub fn security_release_due(now: jiff::Timestamp) -> jiff::Timestamp {
    use jiff::civil::{Date, Weekday};
    use jiff::tz::TimeZone;
    let latest =
        now.to_zoned(TimeZone::UTC).date() - jiff::Span::new().days(SECURITY_RELEASE_GRACE_DAYS);
    let second_tuesday = |y: i16, m: i8| -> Date {
        let first = Date::new(y, m, 1).expect("first of a month");
        let offset = (Weekday::Tuesday.to_monday_zero_offset()
            - first.weekday().to_monday_zero_offset())
        .rem_euclid(7);
        first + jiff::Span::new().days(i64::from(offset) + 7)
    };
    let mut day = second_tuesday(latest.year(), latest.month());
    if day > latest {
        let prev = latest.first_of_month() - jiff::Span::new().days(1);
        day = second_tuesday(prev.year(), prev.month());
    }
    day.to_zoned(TimeZone::UTC)
        .expect("a date in range")
        .timestamp()
}

/// The install date of the newest security update (`Description` "Security
/// Update", which monthly cumulative updates are) among hotfix rows; of any update
/// when no row says what it is (old systems, wine).
pub fn newest_security_update(v: &Value) -> Option<jiff::Timestamp> {
    let all = rows(v);
    let security: Vec<Value> = all
        .iter()
        .filter(|r| {
            field(r, "Description")
                .and_then(Value::as_str)
                .is_some_and(|d| d.contains("Security"))
        })
        .map(|r| (*r).clone())
        .collect();
    if security.is_empty() {
        last_hotfix(v)
    } else {
        last_hotfix(&Value::Array(security))
    }
}

/// Time synchronisation from the Windows Time service's settings. A standalone
/// Windows 10/11 runs W32Time on demand (manual, trigger start) and syncs with
/// `time.windows.com` weekly, so a stopped service is normal; what turns sync off is
/// `Type = NoSync` or the service disabled. Whether the last sync succeeded is not
/// in the registry.
pub fn time_sync(reg: &RegistrySnapshot) -> TimeSyncFacts {
    let source = "W32Time settings (registry: Start, Type, NtpServer)".to_string();
    if !reg.contains_key(W32TIME_SERVICE) {
        let why =
            "the Windows Time service (W32Time) is not installed or its key could not be read";
        return TimeSyncFacts {
            synchronized: Fact::unknown(ReasonCode::Unsupported, why),
            services: Fact::unknown(ReasonCode::Unsupported, why),
            source,
        };
    }
    let setting = |name: &str| {
        reg_str(reg, W32TIME_POLICY, name).or_else(|| reg_str(reg, W32TIME_PARAMETERS, name))
    };
    let disabled = reg_u64(reg, W32TIME_SERVICE, "Start") == Some(4);
    let sync_type = setting("Type");
    let mut description = format!("W32Time (Type {}", sync_type.unwrap_or("?"));
    if let Some(servers) = setting("NtpServer") {
        description.push_str(&format!(", NtpServer {servers}"));
    }
    if disabled {
        description.push_str(", disabled");
    }
    description.push(')');
    let synchronized = match sync_type {
        _ if disabled => Fact::known(false),
        Some(t) if t.eq_ignore_ascii_case("NoSync") => Fact::known(false),
        Some(t)
            if ["NTP", "NT5DS", "AllSync"]
                .iter()
                .any(|k| t.eq_ignore_ascii_case(k)) =>
        {
            Fact::known(true)
        }
        Some(other) => Fact::unknown(
            ReasonCode::Unparsable,
            format!("W32Time Type {other:?} is not one of NTP, NT5DS, AllSync, NoSync"),
        ),
        None => Fact::unknown(ReasonCode::Unsupported, "W32Time has no Type setting"),
    };
    TimeSyncFacts {
        synchronized,
        services: Fact::known(vec![description]),
        source,
    }
}

pub fn reboot_pending(reg: &RegistrySnapshot) -> bool {
    reg.contains_key(WU_REBOOT) || reg.contains_key(CBS_REBOOT)
}

/// Each profile: Group Policy values override the local ones. Without a value the
/// firewall is on and blocks inbound (Windows' defaults).
pub fn firewall_profiles(reg: &RegistrySnapshot) -> Vec<FirewallProfile> {
    PROFILES
        .iter()
        .map(|(name, local, policy)| {
            let local = format!(r"{FW_LOCAL}\{local}");
            let policy = format!(r"{FW_POLICY}\{policy}");
            let get = |v: &str| reg_u64(reg, &policy, v).or_else(|| reg_u64(reg, &local, v));
            FirewallProfile {
                name: (*name).to_string(),
                enabled: get("EnableFirewall").is_none_or(|e| e != 0),
                // DefaultInboundAction: 1 = block, 0 = allow.
                blocks_inbound: Fact::known(get("DefaultInboundAction").is_none_or(|a| a != 0)),
            }
        })
        .collect()
}

pub fn rdp(reg: &RegistrySnapshot) -> RdpFacts {
    let get = |v: &str, local: &str| reg_u64(reg, RDP_POLICY, v).or_else(|| reg_u64(reg, local, v));
    let deny = get("fDenyTSConnections", TERMINAL_SERVER);
    RdpFacts {
        enabled: deny.map_or_else(
            || Fact::unknown(ReasonCode::Unsupported, "fDenyTSConnections not found"),
            |d| Fact::known(d == 0),
        ),
        // Windows' default since Vista is NLA on.
        nla_required: Fact::known(get("UserAuthentication", RDP_TCP).is_none_or(|u| u != 0)),
        port: Fact::known(reg_u64(reg, RDP_TCP, "PortNumber").unwrap_or(3389)),
    }
}

/// SMBv1 server: off when `LanmanServer\Parameters\SMB1 = 0` or the optional
/// feature `SMB1Protocol` is not enabled (`Win32_OptionalFeature.InstallState`:
/// 1 enabled, 2 disabled, 3 absent). Windows 7 has no such feature and serves
/// SMBv1 unless the registry value turns it off.
pub fn smb1_enabled(reg: &RegistrySnapshot, feature_state: Option<u64>) -> bool {
    if reg_u64(reg, LANMAN_SERVER, "SMB1") == Some(0) {
        return false;
    }
    feature_state.is_none_or(|s| s == 1)
}

/// AutoRun is off for all drives when `NoDriveTypeAutoRun` has every bit of 0xFF
/// (machine or user policy), or `NoAutorun = 1`.
pub fn autorun_disabled(reg: &RegistrySnapshot) -> bool {
    [EXPLORER_POLICY_HKLM, EXPLORER_POLICY_HKCU]
        .iter()
        .any(|k| {
            reg_u64(reg, k, "NoDriveTypeAutoRun").is_some_and(|v| v & 0xFF == 0xFF)
                || reg_u64(reg, k, "NoAutorun") == Some(1)
        })
}

/// The machine inactivity limit (`InactivityTimeoutSecs`) locks the session; else the
/// screen saver locks when active and secure (policy values first).
pub fn screen_lock(reg: &RegistrySnapshot) -> ScreenLockFacts {
    let mut facts = ScreenLockFacts {
        // Every Windows edition but Server Core has a desktop.
        desktop: Fact::known(true),
        timeout_seconds: Fact::known(0),
        password_required: Fact::known(false),
        source: "registry".into(),
    };
    if let Some(secs) = reg_u64(reg, SYSTEM_POLICY, "InactivityTimeoutSecs").filter(|s| *s > 0) {
        facts.timeout_seconds = Fact::known(secs);
        facts.password_required = Fact::known(true);
        facts.source = "InactivityTimeoutSecs".into();
        return facts;
    }
    let get = |v: &str| reg_u64(reg, DESKTOP_POLICY, v).or_else(|| reg_u64(reg, DESKTOP, v));
    let active = get("ScreenSaveActive").is_some_and(|a| a == 1);
    let secure = get("ScreenSaverIsSecure").is_some_and(|s| s == 1);
    if active {
        facts.timeout_seconds = Fact::known(get("ScreenSaveTimeOut").unwrap_or(0));
        facts.password_required = Fact::known(secure);
        facts.source = "screen saver".into();
    }
    facts
}

/// BitLocker state of each fixed volume, from `Win32_LogicalDisk` (DriveType 3)
/// rows and `Win32_EncryptableVolume` rows (`ProtectionStatus` 1 = on).
pub fn bitlocker(
    fixed: &Value,
    encryptable: Result<&Value, Unknown>,
    edition_id: Option<&str>,
) -> (Fact<Vec<VolumeEncryption>>, String) {
    let home = edition_id.is_some_and(|e| e.to_ascii_lowercase().starts_with("core"));
    let hint = if home {
        "Windows Home has no BitLocker management (only Device encryption on some devices)"
            .to_string()
    } else {
        String::new()
    };
    let drives: Vec<String> = rows(fixed)
        .into_iter()
        .filter(|r| {
            field(r, "DriveType")
                .and_then(as_u64)
                .is_none_or(|t| t == 3)
        })
        .filter_map(|r| field(r, "DeviceID")?.as_str().map(String::from))
        .collect();
    let enc_rows = match encryptable {
        Ok(v) => rows(v),
        Err(e) if home && e.reason != ReasonCode::NeedsAdmin => {
            // No BitLocker provider on Home: nothing is BitLocker-encrypted.
            return (
                Fact::known(
                    drives
                        .into_iter()
                        .map(|d| VolumeEncryption {
                            mount_point: d,
                            encrypted: Fact::known(false),
                            method: String::new(),
                        })
                        .collect(),
                ),
                hint,
            );
        }
        Err(e) => return (Fact::from_unknown(e), hint),
    };
    let list = drives
        .into_iter()
        .map(|d| {
            let row = enc_rows.iter().find(|r| {
                field(r, "DriveLetter")
                    .and_then(Value::as_str)
                    .is_some_and(|l| l.eq_ignore_ascii_case(&d))
            });
            let encrypted = match row
                .and_then(|r| field(r, "ProtectionStatus"))
                .and_then(as_u64)
            {
                Some(1) => Fact::known(true),
                Some(0) => Fact::known(false),
                // 2 = unknown (a locked volume), or no row at all.
                Some(_) => Fact::unknown(
                    ReasonCode::Unsupported,
                    "ProtectionStatus = unknown (volume locked?)",
                ),
                None => Fact::known(false),
            };
            let method = if encrypted.value() == Some(&true) {
                "bitlocker"
            } else {
                ""
            };
            VolumeEncryption {
                mount_point: d,
                encrypted,
                method: method.into(),
            }
        })
        .collect();
    (Fact::known(list), hint)
}

/// Defender for Endpoint onboarding (`OnboardingState = 1`) and Group Policy/MDM
/// settings for Defender (any value under its policy key).
pub fn defender_management(reg: &RegistrySnapshot) -> (bool, bool) {
    (
        reg_u64(reg, MDE_STATUS, "OnboardingState") == Some(1),
        reg.get(DEFENDER_POLICY).is_some_and(|v| !v.is_empty()),
    )
}

/// Listening TCP ports from `MSFT_NetTCPConnection` rows (`State` 2 = Listen).
pub fn listening_ports(v: &Value) -> Vec<crate::facts::host::ListeningPort> {
    let mut out: Vec<_> = rows(v)
        .into_iter()
        .filter(|r| field(r, "State").and_then(as_u64) == Some(2))
        .filter_map(|r| {
            let address = field(r, "LocalAddress")?.as_str()?.to_string();
            let port = u16::try_from(field(r, "LocalPort").and_then(as_u64)?).ok()?;
            Some(crate::facts::host::ListeningPort {
                protocol: if address.contains(':') { "tcp6" } else { "tcp" }.into(),
                address,
                port,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.port, &a.address).cmp(&(b.port, &b.address)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hotfix_dates_in_every_form_and_garbage_ignored() {
        let rows = json!([
            {"HotFixID": "KB1", "InstalledOn": "9/10/2026"},
            {"HotFixID": "KB2", "InstalledOn": "13/45/2026"},
            {"HotFixID": "KB3", "InstalledOn": "0/0/0"},
            {"HotFixID": "KB4", "InstalledOn": "01d9f2a3c4b5a6b7"},
            {"HotFixID": "KB5", "InstalledOn": ""},
            {"HotFixID": "KB6"}
        ]);
        assert_eq!(
            last_hotfix(&rows).unwrap().to_string(),
            "2026-09-10T00:00:00Z"
        );
        assert!(last_hotfix(&json!([{"InstalledOn": "99/99/9999"}])).is_none());
    }

    #[test]
    fn time_sync_from_w32time_settings() {
        let reg_with = |entries: &[(&str, &str, Value)]| {
            let mut reg = RegistrySnapshot::new();
            for (key, name, value) in entries {
                reg.entry(key.to_string())
                    .or_default()
                    .insert(name.to_string(), value.clone());
            }
            reg
        };
        // Standalone Windows 11: manual (trigger) start, NTP with time.windows.com.
        let t = time_sync(&reg_with(&[
            (W32TIME_SERVICE, "Start", json!(3)),
            (W32TIME_PARAMETERS, "Type", json!("NTP")),
            (
                W32TIME_PARAMETERS,
                "NtpServer",
                json!("time.windows.com,0x9"),
            ),
        ]));
        assert_eq!(t.synchronized.value(), Some(&true));
        assert_eq!(
            t.services.value().unwrap()[0],
            "W32Time (Type NTP, NtpServer time.windows.com,0x9)"
        );
        // Group Policy says NoSync: off, whatever the local setting.
        let t = time_sync(&reg_with(&[
            (W32TIME_SERVICE, "Start", json!(3)),
            (W32TIME_PARAMETERS, "Type", json!("NTP")),
            (W32TIME_POLICY, "Type", json!("NoSync")),
        ]));
        assert_eq!(t.synchronized.value(), Some(&false));
        // The service disabled: off.
        let t = time_sync(&reg_with(&[
            (W32TIME_SERVICE, "Start", json!(4)),
            (W32TIME_PARAMETERS, "Type", json!("NT5DS")),
        ]));
        assert_eq!(t.synchronized.value(), Some(&false));
        // No W32Time key (wine): unknown, not off.
        let t = time_sync(&RegistrySnapshot::new());
        assert_eq!(
            t.synchronized.unknown_reason().unwrap().reason,
            ReasonCode::Unsupported
        );
        // A type khien does not know: unknown.
        let t = time_sync(&reg_with(&[
            (W32TIME_SERVICE, "Start", json!(2)),
            (W32TIME_PARAMETERS, "Type", json!("Sometimes")),
        ]));
        assert!(t.synchronized.value().is_none());
    }

    #[test]
    fn day_first_hotfix_dates_are_read_as_such() {
        // As wine 8.0 writes them (recorded): 22/2/2022 is 22 February.
        let rows = json!([
            {"HotFixID": "KB1234567", "InstalledOn": "22/2/2022"},
            {"HotFixID": "KB2", "InstalledOn": "3/4/2022"}
        ]);
        assert_eq!(
            last_hotfix(&rows).unwrap().to_string(),
            "2022-04-03T00:00:00Z"
        );
        // Month-first stays month-first: 3/4 is 4 March when 2/22 is in the list.
        let rows = json!([{"InstalledOn": "2/22/2022"}, {"InstalledOn": "3/4/2022"}]);
        assert_eq!(
            last_hotfix(&rows).unwrap().to_string(),
            "2022-03-04T00:00:00Z"
        );
    }

    #[test]
    fn firewall_policy_overrides_local_settings() {
        let mut reg = RegistrySnapshot::new();
        reg.insert(
            format!(r"{FW_LOCAL}\PublicProfile"),
            [("EnableFirewall".to_string(), json!(0))].into(),
        );
        reg.insert(
            format!(r"{FW_POLICY}\PublicProfile"),
            [
                ("EnableFirewall".to_string(), json!(1)),
                ("DefaultInboundAction".to_string(), json!(0)),
            ]
            .into(),
        );
        let p = firewall_profiles(&reg);
        let public = p.iter().find(|p| p.name == "public").unwrap();
        assert!(public.enabled);
        assert_eq!(public.blocks_inbound.value(), Some(&false));
        // Nothing set: Windows' defaults (on, block inbound).
        assert!(p.iter().find(|p| p.name == "domain").unwrap().enabled);
    }

    #[test]
    fn the_security_release_due_is_the_second_tuesday_a_week_ago() {
        let due = |now: &str| security_release_due(now.parse().unwrap()).to_string();
        // November 2026: Tuesdays 3 and 10; a week after the 10th it is due.
        assert_eq!(due("2026-11-23T00:00:00Z"), "2026-11-10T00:00:00Z");
        assert_eq!(due("2026-11-17T00:00:00Z"), "2026-11-10T00:00:00Z");
        // Before that week is over, October's (the 13th) is the one due.
        assert_eq!(due("2026-11-16T23:00:00Z"), "2026-10-13T00:00:00Z");
        // Across a year: January 2027's second Tuesday is the 12th.
        assert_eq!(due("2027-01-10T00:00:00Z"), "2026-12-08T00:00:00Z");
    }

    #[test]
    fn the_newest_security_update_ignores_other_updates() {
        let rows = serde_json::json!([
            {"HotFixID": "KB1", "Description": "Security Update", "InstalledOn": "10/15/2026"},
            {"HotFixID": "KB2", "Description": "Update", "InstalledOn": "11/20/2026"}
        ]);
        assert_eq!(
            newest_security_update(&rows).unwrap().to_string(),
            "2026-10-15T00:00:00Z"
        );
        let plain = serde_json::json!([{"HotFixID": "KB3", "InstalledOn": "11/20/2026"}]);
        assert_eq!(
            newest_security_update(&plain).unwrap().to_string(),
            "2026-11-20T00:00:00Z"
        );
    }
}
