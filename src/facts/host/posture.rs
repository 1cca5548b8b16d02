//! Facts about how a machine is configured (issue 3): operating-system support,
//! updates, firewall, accounts, password policy, remote access, legacy protocols,
//! screen lock, disk encryption and anti-malware management. Each struct is filled
//! by every platform's collector so that one rule serves Windows and Linux; what a
//! platform cannot read is unknown with the reason, never guessed.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::Fact;

/// Whether the vendor still publishes security updates for this OS (H05).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LifecycleFacts {
    /// The product line as found in the end-of-life table, e.g. `Windows 10 22H2
    /// (Home/Pro)` or `Debian 12`.
    pub product: Fact<String>,
    /// Windows edition (`Professional`, `Core` = Home, `ServerStandard`...); the
    /// distribution's id on Linux (`debian`, `ubuntu`, `rhel`...).
    pub edition: Fact<String>,
    /// Windows build number or the distribution's version id.
    pub build: Fact<String>,
    /// Windows feature update (`22H2`, `24H2`); the release name on Linux.
    pub display_version: Fact<String>,
    /// End of the vendor's security updates for this exact version and edition.
    #[schemars(with = "Fact<String>")]
    pub support_ends_at: Fact<Timestamp>,
    /// The date the shipped end-of-life table was last checked (shown in reports).
    pub table_date: String,
}

/// Operating-system updates (H06).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateFacts {
    /// When an update was last installed successfully.
    #[schemars(with = "Fact<String>")]
    pub last_installed_at: Fact<Timestamp>,
    /// The machine waits for a restart to finish installing updates.
    pub reboot_pending: Fact<bool>,
    /// Where it was read: `apt history`, `dnf log`, `windows hotfixes`...
    pub source: String,
    /// Security updates published for this machine are not installed (issue 14).
    /// Debian/Ubuntu: some installed package is older than the version in apt's
    /// lists of the security suite (unknown when those lists are stale). Windows:
    /// no update was installed since the latest monthly security release
    /// (`security_release_due`).
    #[serde(default = "not_collected::<bool>")]
    pub security_updates_pending: Fact<bool>,
    /// The packages behind `security_updates_pending` (Debian/Ubuntu).
    #[serde(default = "not_collected::<Vec<PendingPackage>>")]
    pub pending_security_packages: Fact<Vec<PendingPackage>>,
    /// When the security suite's lists that apt holds were published (the
    /// `InRelease` date): how fresh the answer above is.
    #[serde(default = "not_collected::<Timestamp>")]
    #[schemars(with = "Fact<String>")]
    pub lists_published_at: Fact<Timestamp>,
    /// Windows: the monthly security release (second Tuesday, "Update Tuesday")
    /// that a machine is expected to have installed by now, a week after it.
    #[serde(default = "not_collected::<Timestamp>")]
    #[schemars(with = "Fact<String>")]
    pub security_release_due: Fact<Timestamp>,
}

/// A package with a security update waiting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PendingPackage {
    /// Package name.
    pub name: String,
    /// The installed version.
    pub installed: String,
    /// The version in the security suite.
    pub available: String,
}

/// The value of a fact added after a fact document was written.
pub fn not_collected<T>() -> Fact<T> {
    Fact::unknown(
        crate::facts::ReasonCode::NotRecorded,
        "not in this fact document (written by an older khien)",
    )
}

/// The host firewall (H07): one profile per Windows network profile (domain,
/// private, public), or per active Linux firewall (ufw, firewalld, nftables, iptables).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FirewallFacts {
    /// The firewall profiles.
    pub profiles: Fact<Vec<FirewallProfile>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FirewallProfile {
    /// Profile name (`Domain`, `Private`, `Public`) or the Linux firewall's name (`ufw`, `nftables`...).
    pub name: String,
    /// The profile is switched on.
    pub enabled: bool,
    /// Inbound connections not allowed by a rule are blocked (drop or reject).
    pub blocks_inbound: Fact<bool>,
}

/// Local accounts (H10, H12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccountFacts {
    /// Every local account, one entry each.
    pub users: Fact<Vec<LocalAccount>>,
    /// Names of the members of the local administrators group, found by its SID
    /// S-1-5-32-544 on Windows (never by its localized name); UID 0 accounts and
    /// members of sudo/wheel/admin on Linux.
    pub administrators: Fact<Vec<String>>,
    /// The built-in Guest account (RID 501 on Windows) is enabled.
    pub guest_enabled: Fact<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LocalAccount {
    /// Account name.
    pub name: String,
    /// SID on Windows, UID on Linux.
    pub id: String,
    /// The account can log on (not disabled or locked).
    pub enabled: Fact<bool>,
    /// A person's account (Windows user account; a Linux account with a login shell
    /// and a UID in the user range, or UID 0), as opposed to a service account.
    pub interactive: bool,
    /// Member of the local administrators (or UID 0 / sudo group); unknown when
    /// the group's members could not be read.
    pub administrator: Fact<bool>,
    /// The account has a password: false for Windows accounts with
    /// `PasswordRequired = false` and Linux accounts with an empty hash.
    pub password_set: Fact<bool>,
    /// The account never logged on.
    pub never_used: Fact<bool>,
    /// Its last logon; null when it never logged on.
    #[schemars(with = "Fact<Option<String>>")]
    pub last_used_at: Fact<Option<Timestamp>>,
}

/// The machine's password and lockout policy (H11).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PasswordPolicyFacts {
    /// Minimum password length, in characters.
    pub min_length: Fact<u64>,
    /// Failed logons before the account locks; 0 = never locks.
    pub lockout_threshold: Fact<u64>,
    /// Maximum password age in days; 0 = passwords never expire.
    pub max_age_days: Fact<u64>,
    /// Where it was read.
    pub source: String,
}

/// Remote access (H08).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RemoteAccessFacts {
    /// Remote Desktop (RDP) on Windows.
    pub rdp: RdpFacts,
    /// The SSH server.
    pub ssh: SshFacts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RdpFacts {
    /// Remote Desktop accepts connections.
    pub enabled: Fact<bool>,
    /// Network-level authentication is required.
    pub nla_required: Fact<bool>,
    /// The port Remote Desktop listens on (3389 by default).
    pub port: Fact<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SshFacts {
    /// An SSH server (sshd) is installed.
    pub installed: bool,
    /// sshd's `permitrootlogin`: `yes`, `no`, `prohibit-password`, `forced-commands-only`.
    pub permit_root_login: Fact<String>,
    /// sshd accepts password logons (`passwordauthentication`).
    pub password_authentication: Fact<bool>,
    /// `sshd -T` (effective) or `sshd_config` (files read, with sshd's defaults).
    pub source: String,
}

/// Legacy, insecure protocols and AutoRun (H09). Plain-text listeners (Telnet, FTP,
/// rsh) are read from `listening_ports`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LegacyFacts {
    /// The SMB server accepts SMBv1 (Windows; Samba's `server min protocol`).
    pub smb1_enabled: Fact<bool>,
    /// AutoRun is disabled for every drive type (Windows only).
    pub autorun_disabled: Fact<bool>,
}

/// Locking the screen when idle (H13).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScreenLockFacts {
    /// The machine has a graphical desktop (a server without one has no screen to lock).
    pub desktop: Fact<bool>,
    /// Idle time before the screen locks, in seconds; 0 = never.
    pub timeout_seconds: Fact<u64>,
    /// Unlocking asks for the password.
    pub password_required: Fact<bool>,
    /// Where the screen-lock settings were read.
    pub source: String,
}

/// Time synchronisation (H17): logs, certificates and backups are judged by the
/// clock, so it must follow a time server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimeSyncFacts {
    /// The clock is kept synchronised. Linux: the kernel's clock status says so (what
    /// `timedatectl` shows as "System clock synchronized"). Windows: the Windows
    /// Time service is set to synchronise (not disabled, `Type` NTP, NT5DS or
    /// AllSync) and `w32tm` does not show the local CMOS clock as its source; how
    /// long ago it last succeeded is `logging.last_time_sync_at`.
    pub synchronized: Fact<bool>,
    /// Time services found: the daemons running on Linux (`systemd-timesyncd`,
    /// `chronyd`, `ntpd`...), `W32Time` with its type and servers on Windows.
    pub services: Fact<Vec<String>>,
    /// How `synchronized` was read.
    pub source: String,
}

/// Encryption of fixed volumes (H14).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EncryptionFacts {
    /// Fixed volumes, one entry each.
    pub volumes: Fact<Vec<VolumeEncryption>>,
    /// Why a volume may be unencryptable, e.g. Windows Home has no BitLocker.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VolumeEncryption {
    /// `C:` or a mount point such as `/home`.
    pub mount_point: String,
    /// Encrypted with protection on (BitLocker protection on; LUKS/dm-crypt below it).
    pub encrypted: Fact<bool>,
    /// `bitlocker`, `luks`, or empty.
    pub method: String,
}

/// Central management of the anti-malware (H03). Management agents found running
/// are matched in the rules against the policy's allow-list; this adds what cannot
/// be seen in the process list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AvManagementFacts {
    /// Microsoft Defender for Endpoint onboarding state is 1 (Windows), or `mdatp`
    /// reports an organisation (Linux).
    pub defender_for_endpoint_onboarded: Fact<bool>,
    /// Defender settings come from Group Policy or MDM (`Policies\Microsoft\Windows
    /// Defender` has values).
    pub defender_policy_managed: Fact<bool>,
}

/// System logs kept for investigating an incident (H17).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LoggingFacts {
    /// Logs survive a restart: journald's storage is persistent, or a syslog
    /// daemon writes to /var/log (Linux); always on Windows.
    pub persistent: Fact<bool>,
    /// Windows: the Security event log's maximum size, in bytes.
    pub security_log_max_bytes: Fact<u64>,
    /// Windows: what the Security log does when full (`Retention`,
    /// `AutoBackupLogFiles`): `overwrite` the oldest events, `archive` the full log
    /// and start a new one, or `stop` recording until someone clears it.
    #[serde(default = "not_collected::<String>")]
    pub security_log_when_full: Fact<String>,
    /// Windows: the audit policy of logons and logoffs (`AuditQuerySystemPolicy`;
    /// needs administrator rights).
    #[serde(default = "not_collected::<LogonAuditing>")]
    pub logon_auditing: Fact<LogonAuditing>,
    /// When the clock was last synchronised successfully, where the OS records it
    /// (systemd-timesyncd; on Windows the time since the last good sync shown by
    /// `w32tm /query /status /verbose`, which needs the Windows Time service running).
    #[schemars(with = "Fact<String>")]
    pub last_time_sync_at: Fact<Timestamp>,
    /// How it was read.
    pub source: String,
}

/// Which logon events Windows writes to the Security log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LogonAuditing {
    /// Successful logons (event 4624) are audited.
    pub logon_success: bool,
    /// Failed logons (event 4625), the trace of password guessing, are audited.
    pub logon_failure: bool,
    /// Logoffs (event 4634) are audited.
    pub logoff_success: bool,
}

/// A fact document written before `logging` existed.
pub fn logging_not_collected() -> LoggingFacts {
    LoggingFacts {
        persistent: not_collected(),
        security_log_max_bytes: not_collected(),
        security_log_when_full: not_collected(),
        logon_auditing: not_collected(),
        last_time_sync_at: not_collected(),
        source: String::new(),
    }
}
