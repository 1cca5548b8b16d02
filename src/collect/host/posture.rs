//! The configuration facts each platform collector returns (issue 3), gathered in
//! one struct so the seam stays a single function per platform.

use crate::facts::host::{
    AccountFacts, AvManagementFacts, EncryptionFacts, FirewallFacts, LegacyFacts, LifecycleFacts,
    PasswordPolicyFacts, RdpFacts, RemoteAccessFacts, ScreenLockFacts, SshFacts, TimeSyncFacts,
    UpdateFacts,
};
use crate::facts::{Fact, ReasonCode};

/// What the platform read about the machine's configuration.
pub struct Posture {
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
    pub management: AvManagementFacts,
    pub logging: crate::facts::host::LoggingFacts,
    /// Backups set up without being declared (see `backup_discovery`).
    pub discovered_backups: Fact<Vec<crate::facts::host::DiscoveredBackup>>,
}

impl Posture {
    /// Every fact unknown for the same reason (a platform khien cannot read yet).
    pub fn unknown(reason: ReasonCode, detail: &str) -> Posture {
        fn u<T>(reason: ReasonCode, detail: &str) -> Fact<T> {
            Fact::unknown(reason, detail)
        }
        Posture {
            lifecycle: LifecycleFacts {
                product: u(reason, detail),
                edition: u(reason, detail),
                build: u(reason, detail),
                display_version: u(reason, detail),
                support_ends_at: u(reason, detail),
                table_date: super::lifecycle::table_date().to_string(),
            },
            updates: UpdateFacts {
                last_installed_at: u(reason, detail),
                reboot_pending: u(reason, detail),
                source: String::new(),
                security_updates_pending: u(reason, detail),
                pending_security_packages: u(reason, detail),
                lists_published_at: u(reason, detail),
                security_release_due: u(reason, detail),
            },
            firewall: FirewallFacts {
                profiles: u(reason, detail),
            },
            accounts: AccountFacts {
                users: u(reason, detail),
                administrators: u(reason, detail),
                guest_enabled: u(reason, detail),
            },
            password_policy: PasswordPolicyFacts {
                min_length: u(reason, detail),
                lockout_threshold: u(reason, detail),
                max_age_days: u(reason, detail),
                source: String::new(),
            },
            remote_access: RemoteAccessFacts {
                rdp: RdpFacts {
                    enabled: u(reason, detail),
                    nla_required: u(reason, detail),
                    port: u(reason, detail),
                },
                ssh: SshFacts {
                    installed: false,
                    permit_root_login: u(reason, detail),
                    password_authentication: u(reason, detail),
                    source: String::new(),
                },
            },
            legacy: LegacyFacts {
                smb1_enabled: u(reason, detail),
                autorun_disabled: u(reason, detail),
            },
            screen_lock: ScreenLockFacts {
                desktop: u(reason, detail),
                timeout_seconds: u(reason, detail),
                password_required: u(reason, detail),
                source: String::new(),
            },
            encryption: EncryptionFacts {
                volumes: u(reason, detail),
                hint: String::new(),
            },
            management: AvManagementFacts {
                defender_for_endpoint_onboarded: u(reason, detail),
                defender_policy_managed: u(reason, detail),
            },
            discovered_backups: u(reason, detail),
            logging: crate::facts::host::LoggingFacts {
                persistent: u(reason, detail),
                security_log_max_bytes: u(reason, detail),
                security_log_when_full: u(reason, detail),
                logon_auditing: u(reason, detail),
                last_time_sync_at: u(reason, detail),
                source: String::new(),
            },
            time_sync: TimeSyncFacts {
                synchronized: u(reason, detail),
                services: u(reason, detail),
                source: String::new(),
            },
        }
    }
}
