//! Dates in registers and waivers: TOML dates (`2026-04-30`) or the way Vietnamese
//! documents write them (`30/04/2026`), and "today" in Vietnam for an instant.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{TimeZone, offset};

use crate::i18n::Lang;

/// Why a text is not a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateError {
    /// Not written as `YYYY-MM-DD` or `DD/MM/YYYY`.
    Format(String),
    /// Well written, but no such day (`31/02/2026`).
    NotInCalendar(String),
}

impl DateError {
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (DateError::Format(t), Lang::Vi) => {
                format!("`{t}` không phải ngày dạng YYYY-MM-DD hoặc DD/MM/YYYY")
            }
            (DateError::Format(t), Lang::En) => {
                format!("`{t}` is not a date (YYYY-MM-DD or DD/MM/YYYY)")
            }
            (DateError::NotInCalendar(t), Lang::Vi) => format!("ngày `{t}` không có trên lịch"),
            (DateError::NotInCalendar(t), Lang::En) => format!("`{t}` is not a calendar date"),
        }
    }
}

impl std::fmt::Display for DateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

/// Parses `YYYY-MM-DD` or `D/M/YYYY` into a date that exists in the calendar.
pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let text = text.trim();
    let parts: Vec<&str> = if text.contains('/') {
        let mut p: Vec<&str> = text.split('/').collect();
        p.reverse();
        p
    } else {
        text.split('-').collect()
    };
    let format = || DateError::Format(text.to_string());
    let [y, m, d] = parts.as_slice() else {
        return Err(format());
    };
    let number = |s: &str, len: std::ops::RangeInclusive<usize>| -> Result<i64, DateError> {
        if !len.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format());
        }
        s.parse::<i64>().map_err(|_| format())
    };
    let (y, m, d) = (number(y, 4..=4)?, number(m, 1..=2)?, number(d, 1..=2)?);
    Date::new(y as i16, m as i8, d as i8).map_err(|_| DateError::NotInCalendar(text.to_string()))
}

/// Parses an instant: RFC 3339 with an offset, or a local date and time
/// (`2026-10-03T08:15:00`, `2026-10-03 08:15`) taken in Vietnam (UTC+7).
pub fn parse_instant(text: &str) -> Result<Timestamp, DateError> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    text.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(TimeZone::fixed(offset(7))).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| DateError::Format(text.to_string()))
}

/// `YYYY-MM-DD`, the form facts and rules use.
pub fn format_date(d: Date) -> String {
    d.strftime("%Y-%m-%d").to_string()
}

/// The calendar date in Vietnam (UTC+7) at an instant.
pub fn today_in_vietnam(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::fixed(offset(7))).date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_notations_and_bad_dates() {
        assert_eq!(
            parse_date("2026-04-30").unwrap(),
            Date::constant(2026, 4, 30)
        );
        assert_eq!(
            parse_date("30/4/2026").unwrap(),
            Date::constant(2026, 4, 30)
        );
        assert!(matches!(
            parse_date("2026-02-30"),
            Err(DateError::NotInCalendar(_))
        ));
        assert!(
            parse_date("31/02/2026")
                .unwrap_err()
                .text(Lang::Vi)
                .contains("không có trên lịch")
        );
        assert!(parse_date("31/02/2026").is_err());
        assert!(parse_date("26-04-30").is_err());
        assert!(parse_date("tháng 4").is_err());
        assert!(parse_date("2026-4").is_err());
    }

    #[test]
    fn instants_default_to_vietnamese_time() {
        let t = parse_instant("2026-10-03T08:15:00").unwrap();
        assert_eq!(t.to_string(), "2026-10-03T01:15:00Z");
        assert_eq!(parse_instant("2026-10-03T08:15:00+07:00").unwrap(), t);
        assert!(parse_instant("03/10/2026 8h15").is_err());
    }

    #[test]
    fn today_is_the_vietnamese_date() {
        let at: Timestamp = "2026-04-30T17:30:00Z".parse().unwrap();
        assert_eq!(today_in_vietnam(at), Date::constant(2026, 5, 1));
        assert_eq!(format_date(Date::constant(2026, 5, 1)), "2026-05-01");
    }
}
