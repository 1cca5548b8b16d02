//! Reporting periods of the plans (KH-CĐS-2026-2030 VI): the 6-month report
//! (`2026-H1`, due before 05/6) and the annual report (`2026`, due before 05/12).
//! Periods are in Vietnam time (UTC+7, no daylight saving).

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, date};
use jiff::tz::{self, TimeZone};
use serde::Serialize;

/// Vietnam's time zone as a fixed offset: it has had no daylight saving since 1975,
/// and a fixed offset needs no time-zone database on the school's machine.
pub fn vietnam() -> TimeZone {
    TimeZone::fixed(tz::offset(7))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Period {
    Half { year: i16, half: u8 },
    Year(i16),
}

impl Period {
    /// The half-year that contains `t` (Vietnam time).
    pub fn half_containing(t: Timestamp) -> Period {
        let d = t.to_zoned(vietnam()).date();
        Period::Half {
            year: d.year(),
            half: if d.month() <= 6 { 1 } else { 2 },
        }
    }

    pub fn first_day(self) -> Date {
        match self {
            Period::Half { year, half: 1 } | Period::Year(year) => date(year, 1, 1),
            Period::Half { year, .. } => date(year, 7, 1),
        }
    }

    /// The first day after the period.
    pub fn day_after(self) -> Date {
        match self {
            Period::Half { year, half: 1 } => date(year, 7, 1),
            Period::Half { year, .. } | Period::Year(year) => date(year + 1, 1, 1),
        }
    }

    pub fn start(self) -> Timestamp {
        start_of(self.first_day())
    }

    /// The last second of the period.
    pub fn end(self) -> Timestamp {
        start_of(self.day_after()) - jiff::SignedDuration::from_secs(1)
    }

    /// The date the report is due at the Department: 05/6 for the first half, 05/12 otherwise.
    pub fn report_due(self) -> Date {
        self.report_due_on([(6, 5), (12, 5)])
    }

    /// The date the report is due, from the yearly (month, day) deadlines of the
    /// six-monthly and the annual report (policy parameter `register_report_deadlines`).
    pub fn report_due_on(self, deadlines: [(i8, i8); 2]) -> Date {
        let (year, (m, d)) = match self {
            Period::Half { year, half: 1 } => (year, deadlines[0]),
            Period::Half { year, .. } | Period::Year(year) => (year, deadlines[1]),
        };
        Date::new(year, m, d).unwrap_or_else(|_| date(year, m, 28))
    }
}

fn start_of(d: Date) -> Timestamp {
    d.to_zoned(vietnam())
        .expect("midnight exists in a fixed offset")
        .timestamp()
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Half { year, half } => write!(f, "{year}-H{half}"),
            Period::Year(year) => write!(f, "{year}"),
        }
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}`: use a year (`2026`) or a half-year (`2026-H1`, `2026-H2`)");
        let (year, half) = match s.trim().split_once(['-', '_']) {
            Some((y, h)) => (y, Some(h)),
            None => (s.trim(), None),
        };
        let year: i16 = year.parse().map_err(|_| bad())?;
        if !(2000..=2200).contains(&year) {
            return Err(bad());
        }
        match half.map(|h| h.to_ascii_uppercase()) {
            None => Ok(Period::Year(year)),
            Some(h) if h == "H1" => Ok(Period::Half { year, half: 1 }),
            Some(h) if h == "H2" => Ok(Period::Half { year, half: 2 }),
            Some(_) => Err(bad()),
        }
    }
}

/// A date as people read it in Vietnam: `05/06/2026`.
pub fn format_date(t: Timestamp) -> String {
    t.to_zoned(vietnam()).strftime("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_years_and_years() {
        let h1: Period = "2026-H1".parse().unwrap();
        assert_eq!(h1.start().to_string(), "2025-12-31T17:00:00Z");
        assert_eq!(h1.end().to_string(), "2026-06-30T16:59:59Z");
        assert_eq!(h1.report_due(), date(2026, 6, 5));
        let y: Period = "2026".parse().unwrap();
        assert_eq!(y.report_due(), date(2026, 12, 5));
        // Valid every year, and from the policy's month/day.
        let h1_2031: Period = "2031-H1".parse().unwrap();
        assert_eq!(h1_2031.report_due(), date(2031, 6, 5));
        assert_eq!(h1_2031.report_due_on([(6, 10), (12, 5)]), date(2031, 6, 10));
        assert_eq!(y.end().to_string(), "2026-12-31T16:59:59Z");
        assert!("2026-H3".parse::<Period>().is_err());
        assert!("26".parse::<Period>().is_err());
        assert_eq!("2026-h2".parse::<Period>().unwrap().to_string(), "2026-H2");
        // 30/06 at 17:30 UTC is already 01/07 in Vietnam.
        let t: Timestamp = "2026-06-30T17:30:00Z".parse().unwrap();
        assert_eq!(Period::half_containing(t).to_string(), "2026-H2");
        let t: Timestamp = "2026-06-30T16:59:59Z".parse().unwrap();
        assert_eq!(Period::half_containing(t).to_string(), "2026-H1");
    }
}
