//! The local host collector: OS, disks, processes, listening ports, anti-malware and
//! backups. Everything OS-specific goes through [`platform`].

pub mod apt;
mod backup;
pub mod backup_discovery;
pub mod clamav;
pub mod lifecycle;
pub mod linux_av;
pub mod platform;
pub mod posture;

use std::path::PathBuf;

use sysinfo::{Disks, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::config::LocalConfig;
use crate::facts::host::{AntivirusFacts, Disk, HostFacts, OsFacts};
use crate::facts::{Fact, ReasonCode, TargetIdentity, TargetKind};

/// What a host scan needs besides the machine itself.
pub struct HostScanOptions<'a> {
    pub config: &'a LocalConfig,
    /// Used for backups whose configuration sets no maximum age.
    pub default_backup_max_age_days: f64,
    /// Deadline of each WMI/COM query on Windows (`[limits] wmi_query_seconds`).
    pub query_timeout: std::time::Duration,
}

/// Collects every host fact. Never fails: what cannot be read is unknown.
pub fn collect(opts: &HostScanOptions) -> (TargetIdentity, HostFacts) {
    platform::prepare(opts.query_timeout);
    let os = os_facts();
    let processes = processes();
    let dirs: Vec<PathBuf> = clamav::DATABASE_DIRS.iter().map(PathBuf::from).collect();
    let clamav = clamav::collect(&processes, &dirs, platform::clamav_binaries_found());

    let mut products = platform::antivirus_products(&processes);
    let products = match (&mut products, clamav::as_product(&clamav)) {
        (Fact::Known(list), Some(p)) => {
            list.push(p);
            products
        }
        // Platform detection failed but ClamAV is there: ClamAV alone is still an answer
        // only when it is active; otherwise the other products might have been active.
        (Fact::Unknown(_), Some(p)) if p.active.value() == Some(&true) => Fact::known(vec![p]),
        _ => products,
    };

    let backups = opts
        .config
        .backups
        .iter()
        .map(|b| backup::collect(b, opts.default_backup_max_age_days, opts.config.limits))
        .collect();

    let listening_ports = platform::listening_ports();
    let posture = platform::posture(&processes, &listening_ports);

    let id = os
        .hostname
        .value()
        .cloned()
        .unwrap_or_else(|| "localhost".to_string());
    let facts = HostFacts {
        os,
        disks: disks(),
        processes,
        listening_ports,
        antivirus: AntivirusFacts {
            products,
            clamav,
            management: posture.management,
        },
        backups,
        discovered_backups: windows_file_history(posture.discovered_backups),
        role: opts.config.role.as_str().to_string(),
        lifecycle: posture.lifecycle,
        updates: posture.updates,
        firewall: posture.firewall,
        accounts: posture.accounts,
        password_policy: posture.password_policy,
        remote_access: posture.remote_access,
        legacy: posture.legacy,
        screen_lock: posture.screen_lock,
        encryption: posture.encryption,
        time_sync: posture.time_sync,

        personal_data: crate::pdata::collect_host(
            &opts.config.personal_data,
            crate::pdata::current_year(),
        ),
    };
    let target = TargetIdentity {
        kind: TargetKind::Host,
        id,
        unit: opts.config.unit.clone(),
    };
    (target, facts)
}

/// On Windows, File History is configured per user in files under the users'
/// folders (not in the snapshot of registry and WMI): added here.
fn windows_file_history(
    found: Fact<Vec<crate::facts::host::DiscoveredBackup>>,
) -> Fact<Vec<crate::facts::host::DiscoveredBackup>> {
    #[cfg(windows)]
    let found = {
        let drive = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
        let users = PathBuf::from(format!(r"{drive}\Users"));
        let history = backup_discovery::file_history(&users);
        match found {
            Fact::Known(mut list) => {
                list.extend(history);
                Fact::known(list)
            }
            unknown if history.is_empty() => unknown,
            _ => Fact::known(history),
        }
    };
    found
}

fn from_sysinfo<T>(r: Result<T, sysinfo::Error>) -> Fact<T> {
    match r {
        Ok(v) => Fact::known(v),
        Err(e) => Fact::unknown(ReasonCode::Unsupported, format!("{e:?}")),
    }
}

fn os_facts() -> OsFacts {
    OsFacts {
        family: std::env::consts::OS.to_string(),
        name: from_sysinfo(System::long_os_version()),
        version: from_sysinfo(System::os_version()),
        kernel: from_sysinfo(System::kernel_version()),
        hostname: from_sysinfo(System::host_name()),
        uptime_seconds: from_sysinfo(System::uptime()),
        elevated: platform::elevated(),
        container: platform::container(),
    }
}

fn processes() -> Fact<Vec<String>> {
    let mut sys = match System::new() {
        Ok(s) => s,
        Err(e) => return Fact::unknown(ReasonCode::Unsupported, format!("{e:?}")),
    };
    sys.refresh_processes_specifics(ProcessesToUpdate::All, true, ProcessRefreshKind::nothing());
    let mut names: Vec<String> = sys
        .processes()
        .values()
        .map(|p| p.name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Fact::unknown(ReasonCode::Unsupported, "the process list is empty");
    }
    names.sort_unstable();
    names.dedup();
    Fact::known(names)
}

fn disks() -> Fact<Vec<Disk>> {
    match Disks::new_with_refreshed_list() {
        Ok(disks) => Fact::known(
            disks
                .iter()
                .map(|d| Disk {
                    mount_point: d.mount_point().display().to_string(),
                    device: d.name().to_string_lossy().into_owned(),
                    file_system: d.file_system().to_string_lossy().into_owned(),
                    total_bytes: d.total_space(),
                    free_bytes: d.available_space(),
                    removable: d.is_removable(),
                })
                .collect(),
        ),
        Err(e) => Fact::unknown(ReasonCode::Unsupported, format!("{e:?}")),
    }
}
