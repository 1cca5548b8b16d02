//! Parsers of what the Windows collector reads: WMI rows (as JSON objects, the shape
//! both `Get-CimInstance ... | ConvertTo-Json` and khien's WMI reader give) and
//! registry snapshots. They are pure functions, compiled and tested on every OS
//! against `fixtures/windows/*.json`; only `platform/windows.rs` talks to Windows.

pub mod accounts;
pub mod antivirus;
pub mod audit;
pub mod cim;
pub mod disks;
pub mod snapshot;
pub mod system;
pub mod w32tm;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

/// Registry values read by the collector: key path (`HKLM\...`) → value name →
/// value (DWORDs as numbers, strings as strings). A key that exists but holds no
/// value is present with an empty map; a missing key is absent.
pub type RegistrySnapshot = BTreeMap<String, BTreeMap<String, Value>>;

/// A registry value as a number (DWORD/QWORD, or a numeric string such as the
/// screen saver's `"900"`).
pub fn reg_u64(reg: &RegistrySnapshot, key: &str, name: &str) -> Option<u64> {
    as_u64(reg.get(key)?.get(name)?)
}

pub fn reg_str<'a>(reg: &'a RegistrySnapshot, key: &str, name: &str) -> Option<&'a str> {
    reg.get(key)?.get(name)?.as_str()
}

pub fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_i64().map(|i| i as u32 as u64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(u64::from(*b)),
        _ => None,
    }
}

pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_u64().map(|n| n != 0),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A field of a WMI row. WMI property names are case-insensitive and providers
/// differ in how they spell them (`DeviceID` on Windows, `DeviceId` under wine).
pub fn field<'a>(row: &'a Value, name: &str) -> Option<&'a Value> {
    row.get(name)
        .or_else(|| {
            row.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

/// A WMI or PowerShell date: CIM `yyyymmddHHMMSS.ffffff+UUU` (offset in minutes),
/// PowerShell 5.1 JSON `/Date(milliseconds)/`, or RFC 3339.
pub fn parse_datetime(v: &Value) -> Option<Timestamp> {
    let s = v.as_str()?.trim();
    if let Some(ms) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        let ms: i64 = ms.split(['+', '-']).next()?.parse().ok()?;
        return Timestamp::from_millisecond(ms).ok();
    }
    if s.len() >= 21 && s.as_bytes()[14] == b'.' && s[..14].bytes().all(|b| b.is_ascii_digit()) {
        let civil = jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", &s[..14]).ok()?;
        let sign = match s.as_bytes().get(21) {
            Some(b'-') => -1,
            _ => 1,
        };
        let minutes: i32 = s.get(22..25)?.trim().parse().ok()?;
        let offset = jiff::tz::Offset::from_seconds(sign * minutes * 60).ok()?;
        return civil
            .to_zoned(offset.to_time_zone())
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    // A zone-less ISO time (PowerShell 7 for DateTimeKind.Unspecified): taken as UTC.
    s.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
}

/// One WMI query result as rows; PowerShell writes a single row as an object.
pub fn rows(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_in_every_format() {
        let want = "2026-11-20T03:00:00Z";
        for v in [
            json!("20261120100000.000000+420"),
            json!("/Date(1795143600000)/"),
            json!("2026-11-20T10:00:00+07:00"),
            json!("2026-11-20T03:00:00"),
        ] {
            assert_eq!(parse_datetime(&v).unwrap().to_string(), want, "{v}");
        }
        assert!(parse_datetime(&json!("yesterday")).is_none());
        assert!(parse_datetime(&json!(12)).is_none());
    }

    #[test]
    fn numbers_and_flags() {
        assert_eq!(as_u64(&json!("900")), Some(900));
        assert_eq!(as_u64(&json!(-1)), Some(u64::from(u32::MAX)));
        assert_eq!(as_bool(&json!("True")), Some(true));
        assert_eq!(as_bool(&json!(0)), Some(false));
    }

    #[test]
    fn field_names_match_whatever_their_case() {
        // Windows spells it DeviceID, wine's WMI DeviceId (recorded under wine 8.0).
        let row = json!({"DeviceId": "C:", "DriveType": 3, "Name": null});
        assert_eq!(field(&row, "DeviceID"), Some(&json!("C:")));
        assert_eq!(field(&row, "DriveType"), Some(&json!(3)));
        assert_eq!(field(&row, "Name"), None);
        assert_eq!(field(&row, "Missing"), None);
    }
}
