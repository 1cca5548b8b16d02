//! Personal-data exposure (rules H15 and W11): citizen ID numbers (CCCD) in the
//! documents of shared folders and on school websites.
//!
//! - [`detect`]: finds and validates ID numbers in text, masks them.
//! - [`extract`]: the text of spreadsheets, Word documents, PDF, CSV and plain text.
//! - [`isolate`]: those parsers run in a child process with memory and time limits.
//! - [`shares`]: the host's Samba and NFS shares and who can read them.
//! - [`scan`]: walks folders on both cores and builds the host facts.
//! - [`crawl`]: a polite same-host crawl of a website over a [`crawl::PageFetcher`].
//!
//! File and page contents never leave this module: only counts and masked samples.

pub mod crawl;
pub mod detect;
pub mod extract;
pub mod isolate;
pub mod scan;
pub mod shares;

use std::time::Duration;

use serde::Deserialize;

use crate::facts::pdata::PersonalDataFacts;
use extract::ExtractLimits;

/// The `[personal_data]` section of khien.toml.
///
/// ```toml
/// [personal_data]
/// folders = ['D:\DuLieu\HocSinh', '/srv/samba/chung']
/// scan_shares = true      # also scan every Samba/NFS share's folder
/// max_file_mb = 50        # larger documents are skipped (and listed)
/// max_seconds_per_file = 20
/// max_seconds = 900       # the whole scan; documents after that are left unread
/// max_files = 200000      # per folder
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalDataConfig {
    #[serde(default)]
    pub folders: Vec<String>,
    #[serde(default = "yes")]
    pub scan_shares: bool,
    #[serde(default = "default_max_file_mb")]
    pub max_file_mb: f64,
    #[serde(default = "default_max_seconds_per_file")]
    pub max_seconds_per_file: f64,
    #[serde(default = "default_max_seconds")]
    pub max_seconds: f64,
    #[serde(default = "default_max_files")]
    pub max_files: u64,
}

fn yes() -> bool {
    true
}
fn default_max_file_mb() -> f64 {
    50.0
}
fn default_max_seconds_per_file() -> f64 {
    20.0
}
fn default_max_seconds() -> f64 {
    900.0
}
fn default_max_files() -> u64 {
    200_000
}

impl Default for PersonalDataConfig {
    fn default() -> Self {
        PersonalDataConfig {
            folders: Vec::new(),
            scan_shares: yes(),
            max_file_mb: default_max_file_mb(),
            max_seconds_per_file: default_max_seconds_per_file(),
            max_seconds: default_max_seconds(),
            max_files: default_max_files(),
        }
    }
}

impl PersonalDataConfig {
    pub fn extract_limits(&self) -> ExtractLimits {
        ExtractLimits {
            max_file_bytes: (self.max_file_mb * 1024.0 * 1024.0) as u64,
            max_duration: Duration::from_secs_f64(self.max_seconds_per_file),
            ..ExtractLimits::default()
        }
    }
}

/// The year now, in Vietnam's time zone (UTC+7): bounds plausible birth years in
/// ID numbers. Read once per scan, never inside the detector.
pub fn current_year() -> u16 {
    jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
        .year()
        .try_into()
        .unwrap_or(u16::MAX)
}

/// The personal-data facts of this host: its shares, then every configured and
/// shared folder scanned. `current_year` bounds plausible birth years.
pub fn collect_host(config: &PersonalDataConfig, current_year: u16) -> PersonalDataFacts {
    let shares = shares::local_shares();
    let roots = scan::roots(config, &shares);
    let folders = scan::scan(&roots, &shares, config, current_year);
    // Share names and paths can hold an ID (`[hoso_068090001234]`): masked once the
    // scan no longer needs them, like every path leaving this module.
    let shares = shares.map(|list| list.into_iter().map(shares::masked).collect());
    PersonalDataFacts { shares, folders }
}
