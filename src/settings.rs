//! Typed settings: the limits that bound what collectors do (file-system walks,
//! Windows queries, the website crawl), validated when `khien.toml` is loaded and
//! passed explicitly to the code that uses them. Policy parameters are only what
//! rules read; nothing here is global state.

use std::time::Duration;

use crate::config::LocalConfig;
use crate::pdata::crawl::CrawlLimits;
use crate::policy::Policy;

/// Everything a scan's collectors are tuned by.
#[derive(Clone, Debug)]
pub struct Settings {
    pub host: HostSettings,
    /// `scan web --crawl-personal-data` (W11), from `[crawl]`.
    pub crawl: CrawlLimits,
}

/// Limits of the host collectors.
#[derive(Clone, Debug)]
pub struct HostSettings {
    /// Deadline of each WMI/COM query on Windows (`[limits] wmi_query_seconds`).
    pub query_timeout: Duration,
    /// The age a backup may reach when its `[[backup]]` entry sets none: the policy
    /// parameter `default_backup_max_age_days`, which HOST-BKP rules judge by.
    pub default_backup_max_age_days: f64,
}

/// The backup age used when neither the configuration nor the policy gives one.
const FALLBACK_BACKUP_MAX_AGE_DAYS: f64 = 7.0;

impl Settings {
    /// The settings in force for a unit's configuration under a policy.
    pub fn new(policy: &Policy, config: &LocalConfig) -> Settings {
        let params = policy.param_values(&config.params);
        let default_backup_max_age_days = params
            .get("default_backup_max_age_days")
            .and_then(|v| v.as_f64())
            .filter(|d| d.is_finite() && *d > 0.0)
            .unwrap_or(FALLBACK_BACKUP_MAX_AGE_DAYS);
        Settings {
            host: HostSettings {
                query_timeout: config.limits.query_timeout(),
                default_backup_max_age_days,
            },
            crawl: config.crawl.limits(),
        }
    }
}
