//! Facts about one machine (a school PC, a server).
//!
//! The normalised parts (`antivirus.products`, `backups`) are filled by every
//! platform's collector, so that one rule serves Windows, Linux and macOS; the
//! platform-specific raw readings (`antivirus.clamav`, ...) are kept beside them as
//! evidence.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Fact;

pub mod posture;
pub use posture::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HostFacts {
    /// The operating system.
    pub os: OsFacts,
    /// Mounted disks and partitions.
    pub disks: Fact<Vec<Disk>>,
    /// Names of running processes, sorted and deduplicated.
    pub processes: Fact<Vec<String>>,
    /// TCP ports waiting for connections.
    pub listening_ports: Fact<Vec<ListeningPort>>,
    /// Anti-malware on the machine (H01–H04).
    pub antivirus: AntivirusFacts,
    /// One entry per backup location declared in the local configuration.
    pub backups: Vec<BackupFacts>,
    /// Backups set up on the machine without being declared (File History,
    /// Timeshift, scheduled rsync/borg/restic jobs, backup agents): one exists,
    /// its age is not judged.
    #[serde(default = "not_collected::<Vec<DiscoveredBackup>>")]
    pub discovered_backups: Fact<Vec<DiscoveredBackup>>,
    /// What the machine is for, from `khien.toml` (`[machine] role`, else `[unit]
    /// role`): `server`, `staff` (the default) or `lab`. Rules may depend on it.
    #[serde(default = "default_role")]
    pub role: String,
    // Configuration facts (issue 3), see `posture`.
    pub lifecycle: LifecycleFacts,
    pub updates: UpdateFacts,
    pub firewall: FirewallFacts,
    pub accounts: AccountFacts,
    pub password_policy: PasswordPolicyFacts,
    pub remote_access: RemoteAccessFacts,
    pub legacy: LegacyFacts,
    pub screen_lock: ScreenLockFacts,
    pub encryption: EncryptionFacts,
    pub time_sync: TimeSyncFacts,
    #[serde(default = "logging_not_collected")]
    pub logging: LoggingFacts,

    /// Citizen ID numbers in configured and shared folders (rule H15).
    pub personal_data: super::pdata::PersonalDataFacts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OsFacts {
    /// `windows`, `linux` or `macos`.
    pub family: String,
    /// Distribution or product name, e.g. `Debian GNU/Linux`, `Windows 10 Pro`.
    pub name: Fact<String>,
    /// Operating-system version.
    pub version: Fact<String>,
    /// Operating-system kernel version.
    pub kernel: Fact<String>,
    /// The machine's name.
    pub hostname: Fact<String>,
    /// Time since the last start, in seconds.
    pub uptime_seconds: Fact<u64>,
    /// Whether khien ran with administrator (root) rights.
    pub elevated: Fact<bool>,
    /// Whether this is a container (Docker, Podman, LXC): its host's anti-malware
    /// protects it, so per-machine rules do not apply inside it.
    pub container: Fact<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Disk {
    /// Mount point (`/`, `/home`) or drive letter (`C:`).
    pub mount_point: String,
    /// Block device or volume name (e.g. `/dev/sda1`, `C:`).
    pub device: String,
    /// File system (`NTFS`, `ext4`...).
    pub file_system: String,
    /// Total size, in bytes.
    pub total_bytes: u64,
    /// Free space, in bytes.
    pub free_bytes: u64,
    /// A removable disk (USB drive, memory card).
    pub removable: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ListeningPort {
    /// `tcp` or `tcp6`.
    pub protocol: String,
    /// The address listened on (`0.0.0.0`, `::`, `127.0.0.1`...).
    pub address: String,
    /// Port number.
    pub port: u16,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AntivirusFacts {
    /// Every anti-malware product found, whatever the platform.
    pub products: Fact<Vec<AntivirusProduct>>,
    /// ClamAV's own readings (Linux, macOS; also present on Windows when installed).
    pub clamav: ClamAvFacts,
    /// Central management signals beyond the process list (H03).
    pub management: AvManagementFacts,
}

/// One anti-malware product, normalised across platforms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AntivirusProduct {
    /// Product name.
    pub name: String,
    /// Where khien found it: `clamav`, `security_center`, `defender`, `service`.
    pub source: String,
    /// Installed and protecting: the engine runs and is switched on.
    pub active: Fact<bool>,
    /// On-access (real-time) scanning is on.
    pub realtime: Fact<bool>,
    /// When its malware signatures were last built or updated.
    #[schemars(with = "Fact<String>")]
    pub signatures_updated_at: Fact<Timestamp>,
    /// The product itself reports its signatures up to date (Security Center's
    /// signature flag, Defender's `DefenderSignaturesOutOfDate`), where it gives no date.
    pub signatures_up_to_date: Fact<bool>,
    /// Its licence or subscription has expired (Security Center state "expired").
    pub expired: Fact<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClamAvFacts {
    /// A ClamAV program or database was found.
    pub installed: bool,
    /// The scanning daemon `clamd` runs.
    pub daemon_running: Fact<bool>,
    /// The on-access scanner `clamonacc` runs.
    pub on_access_running: Fact<bool>,
    /// The signature updater `freshclam` runs (as a daemon).
    pub updater_running: Fact<bool>,
    /// The database folder that was read.
    pub database_dir: Option<String>,
    /// Each `main`/`daily`/`bytecode` database header read.
    pub databases: Vec<ClamAvDatabase>,
    /// Build time of the newest database: the age of the signatures.
    #[schemars(with = "Fact<String>")]
    pub signatures_built_at: Fact<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClamAvDatabase {
    /// The database file (`main.cvd`, `daily.cld`...).
    pub file: String,
    /// The database version.
    pub version: Fact<u64>,
    /// Number of signatures in the database.
    pub signatures: Fact<u64>,
    /// When this database was built.
    #[schemars(with = "Fact<String>")]
    pub built_at: Fact<Timestamp>,
}

fn default_role() -> String {
    "staff".into()
}

/// A backup found set up on the machine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiscoveredBackup {
    /// `File History`, `Timeshift`, `rsync`, `Veeam Agent for Windows`...
    pub tool: String,
    /// Where it was seen: a settings file, a scheduled job, a service or process,
    /// or the Windows user whose File History it is.
    pub location: String,
    /// When its settings or job last changed, where it has a file.
    #[schemars(with = "Fact<String>")]
    pub last_changed_at: Fact<Timestamp>,
}

/// What khien found at one declared backup location.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BackupFacts {
    /// The name given in the configuration, e.g. `hoc-ba`.
    pub name: String,
    /// The folder holding the backups.
    pub path: String,
    /// Glob of the backup files, e.g. `*.zip`.
    pub pattern: String,
    /// Maximum age allowed for the newest backup, in days.
    pub max_age_days: f64,
    /// The data this backup protects (paths on this machine).
    pub protects: Vec<String>,
    /// Number of matching files found.
    pub file_count: Fact<u64>,
    /// Total size of the matching files, in bytes.
    pub total_bytes: Fact<u64>,
    /// The newest matching file.
    pub newest_file: Fact<String>,
    /// When the newest backup file was last modified.
    #[schemars(with = "Fact<String>")]
    pub newest_modified_at: Fact<Timestamp>,
    /// The backup sits on the same physical disk as some data it protects.
    pub same_disk_as_data: Fact<bool>,
}

/// Why a file could not be read, as a reason code: a permission error means
/// "run as administrator", which reports group and say in the user's language.
pub fn io_reason(e: &std::io::Error) -> super::ReasonCode {
    use super::ReasonCode;
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => ReasonCode::NeedsAdmin,
        std::io::ErrorKind::NotFound => ReasonCode::NotConfigured,
        std::io::ErrorKind::InvalidData => ReasonCode::Unparsable,
        std::io::ErrorKind::TimedOut => ReasonCode::Timeout,
        _ => ReasonCode::Error,
    }
}
