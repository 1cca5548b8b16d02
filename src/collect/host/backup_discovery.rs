//! Backups set up on the machine but not declared in `khien.toml` (H16, issue 14):
//! a PC holding pupils' ID numbers with no backup at all must fail, so khien looks
//! for the backup tools schools use, where they keep their settings.
//!
//! - Linux: Timeshift's settings file with a schedule on; backup programs (rsnapshot,
//!   borg, restic, duplicity, rdiff-backup, rsync, rclone) named in the system's
//!   scheduled jobs (cron, systemd units); backup agents running (Bacula, Bareos,
//!   UrBackup, Veeam).
//! - Windows: File History's per-user configuration
//!   (`%LOCALAPPDATA%\Microsoft\Windows\FileHistory\Configuration\Config*.xml`),
//!   Windows 7's Backup and Restore schedule
//!   (`HKLM\...\WindowsBackup\ScheduleParams`), and backup services running
//!   (Windows Server Backup's engine, Veeam, Acronis, Macrium, AOMEI, Cobian, UrBackup).
//!
//! A discovered backup says that one is set up, not that it is recent: only declared
//! backups (`[[backup]]`) are checked for age and disk (HOST-BKP-001/002).
//!
//! Pure functions over paths and lists, so every OS compiles and tests them.

use std::path::Path;

use jiff::Timestamp;

use crate::facts::Fact;
use crate::facts::host::DiscoveredBackup;

/// Backup programs recognised in scheduled jobs, as whole words.
const LINUX_TOOLS: &[&str] = &[
    "rsnapshot",
    "borg",
    "borgmatic",
    "restic",
    "duplicity",
    "duply",
    "rdiff-backup",
    "rsync",
    "rclone",
    "deja-dup",
    "timeshift",
];

/// Backup agents by process name (Linux).
const LINUX_AGENTS: &[(&str, &str)] = &[
    ("bacula-fd", "Bacula"),
    ("bareos-fd", "Bareos"),
    ("urbackupclientbackend", "UrBackup"),
    ("urbackupclientb", "UrBackup"),
    ("veeamservice", "Veeam Agent for Linux"),
];

/// Backup services by service name (Windows, case-insensitive).
pub const WINDOWS_SERVICES: &[(&str, &str)] = &[
    ("wbengine", "Windows Server Backup / Windows Backup"),
    ("VeeamEndpointBackupSvc", "Veeam Agent for Windows"),
    ("AcrSch2Svc", "Acronis"),
    ("MacriumService", "Macrium Reflect"),
    ("Backupper Service", "AOMEI Backupper"),
    ("CobianReflectorService", "Cobian Reflector"),
    ("UrBackupClientBackend", "UrBackup"),
];

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// Backup programs named by the uncommented lines of a cron table or a systemd unit.
pub fn tools_in_job(text: &str) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        for w in words(line) {
            if let Some(t) = LINUX_TOOLS.iter().find(|t| **t == w)
                && !found.contains(t)
            {
                found.push(t);
            }
        }
    }
    found
}

/// Timeshift's settings (`/etc/timeshift/timeshift.json`, or `/etc/timeshift.json`
/// before 20.x): a schedule is on when one of its `schedule_*` flags is `"true"`.
pub fn timeshift_scheduled(json: &str) -> Option<bool> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let obj = v.as_object()?;
    Some(
        obj.iter()
            .filter(|(k, _)| k.starts_with("schedule_"))
            .any(|(_, v)| v.as_str() == Some("true") || v.as_bool() == Some(true)),
    )
}

fn modified(path: &Path) -> Fact<Timestamp> {
    match std::fs::metadata(path).and_then(|m| m.modified()) {
        Ok(t) => Timestamp::try_from(t).map_or_else(
            |e| Fact::unknown(crate::facts::ReasonCode::Error, e.to_string()),
            Fact::known,
        ),
        Err(e) => Fact::unknown(
            crate::facts::host::io_reason(&e),
            format!("{}: {e}", path.display()),
        ),
    }
}

/// Linux: everything found under `root` (`/` on a machine) and in `processes`.
pub fn linux(root: &Path, processes: &Fact<Vec<String>>) -> Fact<Vec<DiscoveredBackup>> {
    let mut out = Vec::new();
    for p in ["etc/timeshift/timeshift.json", "etc/timeshift.json"] {
        let path = root.join(p);
        if let Ok(text) = std::fs::read_to_string(&path)
            && timeshift_scheduled(&text) == Some(true)
        {
            out.push(DiscoveredBackup {
                tool: "Timeshift".into(),
                location: format!("/{p}"),
                last_changed_at: modified(&path),
            });
        }
    }
    let mut jobs: Vec<std::path::PathBuf> = vec![root.join("etc/crontab")];
    let mut unreadable = Vec::new();
    for dir in [
        "etc/cron.d",
        "etc/cron.daily",
        "etc/cron.weekly",
        "etc/cron.monthly",
        "etc/systemd/system",
        "var/spool/cron/crontabs",
    ] {
        match std::fs::read_dir(root.join(dir)) {
            Ok(entries) => jobs.extend(entries.flatten().map(|e| e.path())),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                unreadable.push(format!("/{dir}"))
            }
            Err(_) => {}
        }
    }
    for path in jobs {
        let is_job = path.is_file()
            && (path.extension().is_none()
                || path
                    .extension()
                    .is_some_and(|e| e == "service" || e == "timer"));
        if !is_job {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for tool in tools_in_job(&text) {
            let shown = path.strip_prefix(root).unwrap_or(&path);
            out.push(DiscoveredBackup {
                tool: tool.to_string(),
                location: format!("/{}", shown.display()),
                last_changed_at: modified(&path),
            });
        }
    }
    if let Some(procs) = processes.value() {
        for (proc_name, product) in LINUX_AGENTS {
            if procs.iter().any(|p| p == proc_name) {
                out.push(DiscoveredBackup {
                    tool: (*product).to_string(),
                    location: format!("process {proc_name}"),
                    last_changed_at: Fact::unknown(
                        crate::facts::ReasonCode::Unsupported,
                        "a running agent: its backups are kept on its server",
                    ),
                });
            }
        }
    }
    // Users' crontabs need root: none found without it is not "none".
    if out.is_empty() && !unreadable.is_empty() {
        return Fact::unknown(
            crate::facts::ReasonCode::NeedsAdmin,
            format!(
                "no backup found, and {} could not be read",
                unreadable.join(", ")
            ),
        );
    }
    Fact::known(out)
}

/// Windows File History: each user's `Config*.xml` under `users_dir` (`C:\Users`).
pub fn file_history(users_dir: &Path) -> Vec<DiscoveredBackup> {
    let mut out = Vec::new();
    let Ok(users) = std::fs::read_dir(users_dir) else {
        return out;
    };
    for user in users.flatten() {
        let config = ["AppData", "Local", "Microsoft", "Windows", "FileHistory"]
            .iter()
            .fold(user.path(), |p, c| p.join(c))
            .join("Configuration");
        let Ok(files) = std::fs::read_dir(&config) else {
            continue;
        };
        let newest = files
            .flatten()
            .filter(|f| {
                let n = f.file_name().to_string_lossy().to_ascii_lowercase();
                n.starts_with("config") && n.ends_with(".xml")
            })
            .map(|f| f.path())
            .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
        if let Some(path) = newest {
            out.push(DiscoveredBackup {
                tool: "File History".into(),
                location: format!("{}", user.file_name().to_string_lossy()),
                last_changed_at: modified(&path),
            });
        }
    }
    out
}

/// Windows: Backup and Restore's schedule key and backup services that run.
pub fn windows(schedule_key_present: bool, services: &serde_json::Value) -> Vec<DiscoveredBackup> {
    use crate::collect::host::platform::windows_parse::{field, rows};
    let mut out = Vec::new();
    if schedule_key_present {
        out.push(DiscoveredBackup {
            tool: "Backup and Restore (Windows 7)".into(),
            location:
                crate::collect::host::platform::windows_parse::system::WINDOWS_BACKUP_SCHEDULE
                    .into(),
            last_changed_at: Fact::unknown(
                crate::facts::ReasonCode::Unsupported,
                "the schedule's last run is not read",
            ),
        });
    }
    for r in rows(services) {
        let Some(name) = field(r, "Name").and_then(|v| v.as_str()) else {
            continue;
        };
        let running = field(r, "State").and_then(|v| v.as_str()) == Some("Running");
        if let Some((svc, product)) = WINDOWS_SERVICES
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(name))
            && running
        {
            out.push(DiscoveredBackup {
                tool: (*product).to_string(),
                location: format!("service {svc}"),
                last_changed_at: Fact::unknown(
                    crate::facts::ReasonCode::Unsupported,
                    "a running service: its last backup is not read",
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_programs_in_scheduled_jobs() {
        let cron = "# m h dom mon dow user command\n# 0 2 * * * root borg create ...\n30 1 * * * root /usr/bin/rsync -a /srv/hocba/ /mnt/usb/hocba/\n0 3 * * 0 root restic backup /home\n";
        assert_eq!(tools_in_job(cron), ["rsync", "restic"]);
        // Debian's own daily jobs name no backup program ("backups" of dpkg's
        // status are not a backup of the data).
        assert!(
            tools_in_job("#!/bin/sh\ncd /var/backups\n/usr/libexec/dpkg/dpkg-db-backup\n")
                .is_empty()
        );
    }

    #[test]
    fn timeshift_schedules() {
        assert_eq!(
            timeshift_scheduled(
                r#"{"backup_device_uuid":"x","schedule_daily":"true","schedule_weekly":"false"}"#
            ),
            Some(true)
        );
        assert_eq!(
            timeshift_scheduled(r#"{"schedule_daily":"false","schedule_boot":"false"}"#),
            Some(false)
        );
        assert_eq!(timeshift_scheduled("not json"), None);
    }

    #[test]
    fn linux_root_with_a_cron_job_and_file_history_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/cron.d")).unwrap();
        let empty = linux(dir.path(), &Fact::known(vec![]));
        assert_eq!(empty.value().map(Vec::len), Some(0));
        std::fs::write(
            dir.path().join("etc/cron.d/sao-luu"),
            "0 18 * * 1-5 root rsync -a /srv/hocba /mnt/sao-luu\n",
        )
        .unwrap();
        let found = linux(dir.path(), &Fact::known(vec!["bareos-fd".into()]));
        let found = found.value().unwrap();
        assert_eq!(found[0].tool, "rsync");
        assert_eq!(found[0].location, "/etc/cron.d/sao-luu");
        assert_eq!(found[1].tool, "Bareos");

        let users = tempfile::tempdir().unwrap();
        let cfg = users.path().join(
            [
                "thuy",
                "AppData",
                "Local",
                "Microsoft",
                "Windows",
                "FileHistory",
                "Configuration",
            ]
            .join(std::path::MAIN_SEPARATOR_STR),
        );
        std::fs::create_dir_all(&cfg).unwrap();
        std::fs::create_dir_all(users.path().join("Public")).unwrap();
        std::fs::write(cfg.join("Config1.xml"), "<DataProtectionUserConfig/>").unwrap();
        let fh = file_history(users.path());
        assert_eq!(fh.len(), 1);
        assert_eq!(fh[0].location, "thuy");
        assert!(fh[0].last_changed_at.value().is_some());
    }
}
