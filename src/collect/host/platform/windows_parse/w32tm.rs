//! Whether Windows Time really synchronises (H17): `w32tm /query /status /verbose`,
//! the documented tool that shows the state of the running W32Time service.
//!
//! Its labels and the date of "Last Successful Sync Time" follow the display
//! language and the regional format, so they are not relied on. What is read:
//! - the last line of the verbose block, "Time since Last Good Sync Time:
//!   1151.1621906s" (an English label is recognised, any other language by its
//!   position: it is the last field w32tm prints), a number of seconds in any
//!   language (decimal point or comma);
//! - the reference ID `0x4C4F434C` ("LOCL"), which w32tm prints when the clock runs
//!   from the local CMOS clock, not from a time server.
//!
//! The outputs in the tests are constructed (see `fixtures/windows/README.md`).

use jiff::{SignedDuration, Timestamp};

use crate::facts::{Fact, ReasonCode, Unknown};

/// The arguments khien gives `w32tm.exe`.
pub const W32TM_ARGS: [&str; 3] = ["/query", "/status", "/verbose"];

/// "LOCL": the reference ID of the local CMOS clock.
const LOCAL_CLOCK_REFID: &str = "0x4C4F434C";

/// What `w32tm /query /status /verbose` says.
#[derive(Clone, Debug, PartialEq)]
pub struct W32tmStatus {
    /// Seconds since the last successful synchronisation.
    pub since_last_sync: Option<f64>,
    /// The clock follows the local CMOS clock, no time server.
    pub local_clock: bool,
}

/// `1151.1621906s` or `1151,1621906s` as seconds.
fn seconds(value: &str) -> Option<f64> {
    let v = value.trim().strip_suffix('s')?.trim().replace(',', ".");
    v.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0)
}

/// Parses the output; `Err` when it holds no status (an error message of w32tm,
/// such as "The service has not been started").
pub fn parse(text: &str) -> Result<W32tmStatus, String> {
    let fields: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    // A status has at least the nine fields of the short form.
    if fields.len() < 9 {
        let first = text.lines().map(str::trim).find(|l| !l.is_empty());
        return Err(format!(
            "w32tm printed no status: {}",
            first.unwrap_or("(nothing)")
        ));
    }
    let since_last_sync = fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Time since Last Good Sync Time"))
        .or(fields.last())
        .and_then(|(_, v)| seconds(v));
    let local_clock = text
        .to_ascii_uppercase()
        .contains(LOCAL_CLOCK_REFID.to_ascii_uppercase().as_str());
    Ok(W32tmStatus {
        since_last_sync,
        local_clock,
    })
}

/// When the clock was last synchronised, from the output read at `now`.
pub fn last_sync_at(output: Option<&Result<String, Unknown>>, now: Timestamp) -> Fact<Timestamp> {
    let text = match output {
        None => return Fact::unknown(ReasonCode::NotRecorded, "w32tm was not run"),
        Some(Err(e)) => return Fact::from_unknown(e.clone()),
        Some(Ok(t)) => t,
    };
    match parse(text) {
        Ok(W32tmStatus {
            since_last_sync: Some(s),
            ..
        }) => SignedDuration::try_from_secs_f64(s)
            .ok()
            .and_then(|d| now.checked_sub(d).ok())
            .map_or_else(
                || {
                    Fact::unknown(
                        ReasonCode::Unparsable,
                        format!("w32tm: {s} s since the last sync"),
                    )
                },
                Fact::known,
            ),
        Ok(_) => Fact::unknown(
            ReasonCode::Unparsable,
            "w32tm /query /status /verbose shows no time since the last good sync",
        ),
        Err(e) => Fact::unknown(ReasonCode::Error, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Constructed from Microsoft Learn's description of `w32tm /query /status
    /// /verbose` (Windows 10, English).
    const ENGLISH: &str = "Leap Indicator: 0(no warning)
Stratum: 4 (secondary reference - syncd by (S)NTP)
Precision: -23 (119.209ns per tick)
Root Delay: 0.0312500s
Root Dispersion: 7.7768712s
ReferenceId: 0x14653905 (source IP:  20.101.57.9)
Last Successful Sync Time: 12/7/2026 9:15:02 PM
Source: time.windows.com,0x9
Poll Interval: 10 (1024s)

Phase Offset: 0.0023581s
ClockRate: 0.0156250s
State Machine: 2 (Sync)
Time Source: time.windows.com,0x9 (source IP:  20.101.57.9)
Time Source Flags: 0 (None)
Server Role: 0 (None)
Last Sync Error: 0 (The command completed successfully.)
Time since Last Good Sync Time: 3600.5000000s
";

    /// The same with translated labels and a day-first date (constructed): only
    /// the position and the number are read.
    const TRANSLATED: &str = "Chỉ báo bước nhảy: 0(không cảnh báo)
Tầng: 4 (tham chiếu thứ cấp - đồng bộ bởi (S)NTP)
Độ chính xác: -23 (119,209ns mỗi nhịp)
Độ trễ gốc: 0,0312500s
Độ phân tán gốc: 7,7768712s
ReferenceId: 0x14653905 (IP nguồn:  20.101.57.9)
Lần đồng bộ thành công cuối: 07/12/2026 21:15:02
Nguồn: time.windows.com,0x9
Khoảng thăm dò: 10 (1024s)

Độ lệch pha: 0,0023581s
Tốc độ đồng hồ: 0,0156250s
Máy trạng thái: 2 (Đồng bộ)
Nguồn thời gian: time.windows.com,0x9 (IP nguồn:  20.101.57.9)
Cờ nguồn thời gian: 0 (Không)
Vai trò máy chủ: 0 (Không)
Lỗi đồng bộ cuối: 0 (Lệnh đã hoàn tất thành công.)
Thời gian từ lần đồng bộ tốt cuối: 864000,2500000s
";

    #[test]
    fn seconds_since_the_last_sync_in_any_language() {
        let s = parse(ENGLISH).unwrap();
        assert_eq!(s.since_last_sync, Some(3600.5));
        assert!(!s.local_clock);
        let s = parse(TRANSLATED).unwrap();
        assert_eq!(s.since_last_sync, Some(864_000.25));
        let now: Timestamp = "2026-12-07T14:15:02Z".parse().unwrap();
        let at = last_sync_at(Some(&Ok(TRANSLATED.into())), now);
        assert_eq!(at.value().unwrap().to_string(), "2026-11-27T14:15:01.75Z");
    }

    #[test]
    fn the_local_clock_and_errors() {
        let local = ENGLISH.replace(
            "ReferenceId: 0x14653905 (source IP:  20.101.57.9)",
            "ReferenceId: 0x4C4F434C (source name:  \"LOCL\")",
        );
        assert!(parse(&local).unwrap().local_clock);
        // The service stopped: w32tm prints an error, not a status.
        let stopped =
            "The following error occurred: The service has not been started. (0x80070426)\n";
        let at = last_sync_at(Some(&Ok(stopped.into())), Timestamp::UNIX_EPOCH);
        let why = at.unknown_reason().unwrap();
        assert_eq!(why.reason, ReasonCode::Error);
        assert!(why.detail.contains("has not been started"), "{why:?}");
        // The short form has no time since the last good sync.
        let short: String = ENGLISH.lines().take(9).collect::<Vec<_>>().join("\n");
        let at = last_sync_at(Some(&Ok(short)), Timestamp::UNIX_EPOCH);
        assert_eq!(at.unknown_reason().unwrap().reason, ReasonCode::Unparsable);
        assert!(last_sync_at(None, Timestamp::UNIX_EPOCH).value().is_none());
    }
}
