//! A snapshot of everything the Windows collector reads (registry values, WMI rows,
//! the password policy), and its interpretation into facts. The collector on
//! Windows fills a [`Snapshot`]; the tests load recorded or constructed snapshots
//! from `fixtures/windows/`. Both go through [`interpret`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{RegistrySnapshot, accounts, antivirus, as_u64, audit, field, rows, system, w32tm};
use crate::collect::host::posture::Posture;
use crate::collect::host::{backup_discovery, lifecycle};
use crate::facts::host::{
    AntivirusProduct, AvManagementFacts, EncryptionFacts, FirewallFacts, LegacyFacts,
    ListeningPort, RemoteAccessFacts, SshFacts, UpdateFacts,
};
use crate::facts::{Fact, ReasonCode, Unknown, UnknownMarker};

/// WMI queries, by namespace and class; the keys of [`Snapshot::wmi`].
pub mod query {
    pub const SECURITY_CENTER: &str = r"root\SecurityCenter2:AntiVirusProduct";
    pub const DEFENDER: &str = r"root\Microsoft\Windows\Defender:MSFT_MpComputerStatus";
    pub const SERVICES: &str = r"root\cimv2:Win32_Service";
    pub const USERS: &str = r"root\cimv2:Win32_UserAccount";
    pub const ADMIN_GROUP: &str = r"root\cimv2:Win32_Group(S-1-5-32-544)";
    pub const ADMIN_MEMBERS: &str = r"root\cimv2:Win32_Group(S-1-5-32-544) members";
    pub const LOGIN_PROFILES: &str = r"root\cimv2:Win32_NetworkLoginProfile";
    pub const HOTFIXES: &str = r"root\cimv2:Win32_QuickFixEngineering";
    pub const FIXED_DISKS: &str = r"root\cimv2:Win32_LogicalDisk";
    pub const BITLOCKER: &str =
        r"root\cimv2\Security\MicrosoftVolumeEncryption:Win32_EncryptableVolume";
    pub const SMB1_FEATURE: &str = r"root\cimv2:Win32_OptionalFeature(SMB1Protocol)";
    pub const TCP: &str = r"root\StandardCimv2:MSFT_NetTCPConnection";
}

/// `USER_MODALS_INFO_0` and `_3` fields used.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetUserModals {
    pub min_passwd_len: u32,
    /// Seconds; 0xFFFFFFFF = never.
    pub max_passwd_age: u32,
    pub lockout_threshold: Option<u32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Where the snapshot comes from (fixtures say whether recorded or constructed).
    #[serde(default, rename = "_source", skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// When it was taken; facts that depend on the date (the monthly security
    /// release due) are computed for this time, or for now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<jiff::Timestamp>,
    #[serde(default)]
    pub registry: RegistrySnapshot,
    /// Query → rows (an array or one object), or `{"$unknown": {reason, detail}}`.
    #[serde(default)]
    pub wmi: BTreeMap<String, Value>,
    /// `NetUserModalsGet`, or why it failed.
    #[serde(default)]
    pub net_user_modals: Option<Result<NetUserModals, Unknown>>,
    /// `AuditQuerySystemPolicy` for the Logon and Logoff subcategories, or why it
    /// failed (absent in snapshots taken before it was read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_policy: Option<Result<Vec<audit::AuditPolicyEntry>, Unknown>>,
    /// What `w32tm /query /status /verbose` printed, or why it could not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w32tm_status: Option<Result<String, Unknown>>,
}

impl Snapshot {
    /// The rows of a query, or why there are none.
    pub fn rows(&self, q: &str) -> Result<&Value, Unknown> {
        match self.wmi.get(q) {
            None => Err(Unknown::new(ReasonCode::Error, format!("{q}: not queried"))),
            Some(v) => match serde_json::from_value::<UnknownMarker>(v.clone()) {
                Ok(m) => Err(m.unknown),
                Err(_) => Ok(v),
            },
        }
    }
}

/// What a snapshot says: the posture and the anti-malware products.
pub struct WindowsFacts {
    pub posture: Posture,
    pub antivirus: Fact<Vec<AntivirusProduct>>,
    pub listening_ports: Fact<Vec<ListeningPort>>,
}

fn from_rows<T>(r: Result<&Value, Unknown>, f: impl FnOnce(&Value) -> T) -> Fact<T> {
    match r {
        Ok(v) => Fact::known(f(v)),
        Err(e) => Fact::from_unknown(e),
    }
}

pub fn interpret(s: &Snapshot) -> WindowsFacts {
    let reg = &s.registry;
    let version = system::windows_version(reg);
    let edition = version.edition_id.clone();

    let wsc = s
        .rows(query::SECURITY_CENTER)
        .map(antivirus::parse_security_center);
    let defender = s.rows(query::DEFENDER).and_then(|v| {
        antivirus::parse_defender(v)
            .ok_or_else(|| Unknown::new(ReasonCode::Unparsable, "MSFT_MpComputerStatus is empty"))
    });
    let services = s
        .rows(query::SERVICES)
        .map(antivirus::products_from_services);
    let av = antivirus::products(wsc, defender, services);

    let last_update = match s.rows(query::HOTFIXES) {
        Ok(v) => system::last_hotfix(v).map_or_else(
            || {
                Fact::unknown(
                    ReasonCode::Unparsable,
                    "no InstalledOn date among the hotfixes",
                )
            },
            Fact::known,
        ),
        Err(e) => Fact::from_unknown(e),
    };

    let now = s.collected_at.unwrap_or_else(jiff::Timestamp::now);
    let due = system::security_release_due(now);
    let security_updates_pending = match s.rows(query::HOTFIXES) {
        Ok(v) => system::newest_security_update(v).map_or_else(
            || {
                Fact::unknown(
                    ReasonCode::Unparsable,
                    "no InstalledOn date among the hotfixes",
                )
            },
            |t| Fact::known(t < due),
        ),
        Err(e) => Fact::from_unknown(e),
    };

    let (mde, managed) = system::defender_management(reg);
    let smb1_state = s
        .rows(query::SMB1_FEATURE)
        .ok()
        .and_then(|v| rows(v).into_iter().next().cloned())
        .and_then(|r| field(&r, "InstallState").and_then(as_u64));

    let fixed = s.rows(query::FIXED_DISKS).cloned().unwrap_or(Value::Null);
    let (volumes, hint) = system::bitlocker(&fixed, s.rows(query::BITLOCKER), edition.as_deref());

    let password_policy = match &s.net_user_modals {
        Some(Ok(m)) => {
            accounts::password_policy(m.min_passwd_len, m.max_passwd_age, m.lockout_threshold)
        }
        Some(Err(e)) => {
            let mut p = accounts::password_policy(0, 0, None);
            p.min_length = Fact::from_unknown(e.clone());
            p.max_age_days = Fact::from_unknown(e.clone());
            p.lockout_threshold = Fact::from_unknown(e.clone());
            p
        }
        None => {
            let e = Unknown::new(ReasonCode::Error, "NetUserModalsGet not called");
            let mut p = accounts::password_policy(0, 0, None);
            p.min_length = Fact::from_unknown(e.clone());
            p.max_age_days = Fact::from_unknown(e.clone());
            p.lockout_threshold = Fact::from_unknown(e);
            p
        }
    };

    let accounts = match s.rows(query::USERS) {
        Ok(users) => accounts::accounts(
            users,
            s.rows(query::ADMIN_MEMBERS),
            s.rows(query::LOGIN_PROFILES).unwrap_or(&Value::Null),
        ),
        Err(e) => crate::facts::host::AccountFacts {
            users: Fact::from_unknown(e.clone()),
            administrators: Fact::from_unknown(e.clone()),
            guest_enabled: Fact::from_unknown(e),
        },
    };

    let posture = Posture {
        lifecycle: lifecycle::windows(&version),
        updates: UpdateFacts {
            last_installed_at: last_update,
            reboot_pending: Fact::known(system::reboot_pending(reg)),
            source: "Win32_QuickFixEngineering".into(),
            security_updates_pending,
            pending_security_packages: Fact::unknown(
                ReasonCode::Unsupported,
                "Windows: judged by the date of the newest security update, not per package",
            ),
            lists_published_at: Fact::unknown(
                ReasonCode::Unsupported,
                "apt's lists exist on Debian and Ubuntu only",
            ),
            security_release_due: Fact::known(due),
        },
        firewall: FirewallFacts {
            profiles: Fact::known(system::firewall_profiles(reg)),
        },
        accounts,
        password_policy,
        remote_access: RemoteAccessFacts {
            rdp: system::rdp(reg),
            ssh: SshFacts {
                installed: reg.contains_key(system::SSHD_SERVICE),
                permit_root_login: Fact::unknown(
                    ReasonCode::Unsupported,
                    "OpenSSH server settings are not read on Windows",
                ),
                password_authentication: Fact::unknown(
                    ReasonCode::Unsupported,
                    "OpenSSH server settings are not read on Windows",
                ),
                source: String::new(),
            },
        },
        legacy: LegacyFacts {
            smb1_enabled: Fact::known(system::smb1_enabled(reg, smb1_state)),
            autorun_disabled: Fact::known(system::autorun_disabled(reg)),
        },
        screen_lock: system::screen_lock(reg),
        time_sync: {
            let mut t = system::time_sync(reg);
            let status = s.w32tm_status.as_ref().and_then(|r| r.as_ref().ok());
            if let Some(Ok(st)) = status.map(|text| w32tm::parse(text))
                && st.local_clock
            {
                t.synchronized = Fact::known(false);
                t.source
                    .push_str("; w32tm: the source is the local CMOS clock");
            } else if status.is_some() {
                t.source.push_str("; w32tm /query /status /verbose");
            }
            t
        },
        encryption: EncryptionFacts { volumes, hint },
        management: AvManagementFacts {
            defender_for_endpoint_onboarded: Fact::known(mde),
            defender_policy_managed: Fact::known(managed),
        },
        logging: crate::collect::host::logging::windows(
            reg,
            s.audit_policy.as_ref(),
            s.w32tm_status.as_ref(),
            now,
        ),
        discovered_backups: {
            let scheduled = reg.contains_key(system::WINDOWS_BACKUP_SCHEDULE);
            match s.rows(query::SERVICES) {
                Ok(services) => Fact::known(backup_discovery::windows(scheduled, services)),
                Err(_) if scheduled => Fact::known(backup_discovery::windows(true, &Value::Null)),
                Err(e) => Fact::from_unknown(e),
            }
        },
    };
    WindowsFacts {
        posture,
        antivirus: av,
        listening_ports: from_rows(s.rows(query::TCP), system::listening_ports),
    }
}

/// A whole fact set from a snapshot, as the Windows collector would build it, with
/// the given process list; used to evaluate fixtures through the real policy.
pub fn host_facts(s: &Snapshot, processes: Fact<Vec<String>>) -> crate::facts::host::HostFacts {
    use crate::facts::host::{AntivirusFacts, ClamAvFacts, HostFacts, OsFacts};
    let w = interpret(s);
    let version = system::windows_version(&s.registry);
    fn not_read<T>() -> Fact<T> {
        Fact::unknown(ReasonCode::Unsupported, "not in the snapshot")
    }
    HostFacts {
        os: OsFacts {
            family: "windows".into(),
            name: super::reg_str(&s.registry, system::CURRENT_VERSION, "ProductName")
                .map_or_else(not_read, |n| Fact::known(n.to_string())),
            version: version
                .build
                .map_or_else(not_read, |b| Fact::known(b.to_string())),
            kernel: not_read(),
            hostname: not_read(),
            uptime_seconds: not_read(),
            elevated: not_read(),
            container: not_read(),
        },
        disks: not_read(),
        processes,
        listening_ports: w.listening_ports,
        antivirus: AntivirusFacts {
            products: w.antivirus,
            clamav: ClamAvFacts {
                installed: false,
                daemon_running: Fact::known(false),
                on_access_running: Fact::known(false),
                updater_running: Fact::known(false),
                database_dir: None,
                databases: Vec::new(),
                signatures_built_at: Fact::unknown(ReasonCode::Unsupported, "ClamAV not installed"),
            },
            management: w.posture.management,
        },
        backups: Vec::new(),
        discovered_backups: w.posture.discovered_backups,
        role: "staff".into(),
        lifecycle: w.posture.lifecycle,
        updates: w.posture.updates,
        firewall: w.posture.firewall,
        accounts: w.posture.accounts,
        password_policy: w.posture.password_policy,
        remote_access: w.posture.remote_access,
        legacy: w.posture.legacy,
        screen_lock: w.posture.screen_lock,
        time_sync: w.posture.time_sync,
        logging: w.posture.logging,
        encryption: w.posture.encryption,
        // Snapshots hold no share list and no folder is configured for them.
        personal_data: crate::facts::pdata::PersonalDataFacts {
            shares: not_read(),
            folders: Vec::new(),
        },
    }
}
