//! Dates in registers and waivers: TOML dates (`2026-04-30`) or the way Vietnamese
//! documents write them (`30/04/2026`), and "today" in Vietnam for an instant.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{TimeZone, offset};

/// Parses `YYYY-MM-DD` or `D/M/YYYY` into a date that exists in the calendar.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let parts: Vec<&str> = if text.contains('/') {
        let mut p: Vec<&str> = text.split('/').collect();
        p.reverse();
        p
    } else {
        text.split('-').collect()
    };
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("`{text}` is not a date (YYYY-MM-DD or DD/MM/YYYY)"));
    };
    let number = |s: &str, max_len: usize| -> Result<i64, String> {
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{text}` is not a date (YYYY-MM-DD or DD/MM/YYYY)"));
        }
        s.parse::<i64>().map_err(|e| e.to_string())
    };
    let (y, m, d) = (number(y, 4)?, number(m, 2)?, number(d, 2)?);
    if y.to_string().len() != 4 {
        return Err(format!("`{text}`: the year must have 4 digits"));
    }
    Date::new(y as i16, m as i8, d as i8).map_err(|_| format!("`{text}` is not a calendar date"))
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
        assert!(parse_date("2026-02-30").unwrap_err().contains("calendar"));
        assert!(parse_date("31/02/2026").is_err());
        assert!(parse_date("26-04-30").is_err());
        assert!(parse_date("tháng 4").is_err());
        assert!(parse_date("2026-4").is_err());
    }

    #[test]
    fn today_is_the_vietnamese_date() {
        let at: Timestamp = "2026-04-30T17:30:00Z".parse().unwrap();
        assert_eq!(today_in_vietnam(at), Date::constant(2026, 5, 1));
        assert_eq!(format_date(Date::constant(2026, 5, 1)), "2026-05-01");
    }
}
