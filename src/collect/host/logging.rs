//! System logs kept for an investigation (H17, issue 14).
//!
//! - Linux: whether journald keeps the journal across reboots (`Storage=` in
//!   journald.conf and its drop-ins, `persistent`, or `auto` with `/var/log/journal`
//!   present, as journald.conf(5) documents), or a syslog daemon writes
//!   `/var/log/syslog`/`/var/log/messages`; and when systemd-timesyncd last
//!   synchronised the clock (the modification time of
//!   `/var/lib/systemd/timesync/clock`, updated at each successful synchronisation
//!   per systemd-timesyncd.service(8)).
//! - Windows: the Security log's maximum size (`EventLog\Security` `MaxSize` in
//!   bytes, or the Group Policy value in KB, which wins).
//!
//! Pure over a root folder or a registry snapshot, so tests use constructed ones.

use std::path::Path;

use jiff::Timestamp;

use crate::collect::host::platform::windows_parse::{RegistrySnapshot, reg_u64};
use crate::facts::host::{LoggingFacts, io_reason};
use crate::facts::{Fact, ReasonCode};

pub const SECURITY_LOG: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Security";
pub const SECURITY_LOG_POLICY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\EventLog\Security";

/// The effective `Storage=` of journald: the last setting of the main file, then of
/// the drop-ins in name order (later wins); `auto` when none.
pub fn journald_storage(files: &[String]) -> String {
    let mut storage = "auto".to_string();
    for text in files {
        let mut in_journal = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_journal = line == "[Journal]";
            } else if in_journal && let Some(v) = line.strip_prefix("Storage=") {
                storage = v.trim().to_ascii_lowercase();
            }
        }
    }
    storage
}

pub fn linux(root: &Path) -> LoggingFacts {
    let mut confs = Vec::new();
    if let Ok(t) = std::fs::read_to_string(root.join("etc/systemd/journald.conf")) {
        confs.push(t);
    }
    for dir in [
        "usr/lib/systemd/journald.conf.d",
        "etc/systemd/journald.conf.d",
    ] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            let mut names: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            names.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
            confs.extend(
                names
                    .iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "conf"))
                    .filter_map(|p| std::fs::read_to_string(p).ok()),
            );
        }
    }
    let journald = root.join("usr/lib/systemd/systemd-journald").exists()
        || root.join("lib/systemd/systemd-journald").exists();
    let storage = journald_storage(&confs);
    let journal_dir = root.join("var/log/journal").is_dir();
    let syslog = ["var/log/syslog", "var/log/messages"]
        .iter()
        .any(|f| root.join(f).is_file());
    let persistent = if syslog {
        Fact::known(true)
    } else if !journald {
        Fact::unknown(
            ReasonCode::Unsupported,
            "neither systemd-journald nor /var/log/syslog or /var/log/messages found",
        )
    } else {
        Fact::known(storage == "persistent" || (storage == "auto" && journal_dir))
    };
    let clock = root.join("var/lib/systemd/timesync/clock");
    let last_time_sync_at = match std::fs::metadata(&clock).and_then(|m| m.modified()) {
        Ok(t) => Timestamp::try_from(t).map_or_else(
            |e| Fact::unknown(ReasonCode::Error, e.to_string()),
            Fact::known,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Fact::unknown(
            ReasonCode::NotRecorded,
            "no successful synchronisation recorded by systemd-timesyncd (/var/lib/systemd/timesync/clock); chrony and ntpd record none",
        ),
        Err(e) => Fact::unknown(io_reason(&e), format!("{}: {e}", clock.display())),
    };
    LoggingFacts {
        persistent,
        security_log_max_bytes: Fact::unknown(ReasonCode::Unsupported, "a Windows event log"),
        last_time_sync_at,
        source: format!(
            "journald Storage={storage}{}{}",
            if journal_dir {
                ", /var/log/journal present"
            } else {
                ""
            },
            if syslog { ", syslog files present" } else { "" }
        ),
    }
}

pub fn windows(reg: &RegistrySnapshot) -> LoggingFacts {
    let size = reg_u64(reg, SECURITY_LOG_POLICY, "MaxSize")
        .map(|kb| kb * 1024)
        .or_else(|| reg_u64(reg, SECURITY_LOG, "MaxSize"));
    LoggingFacts {
        // Windows event logs live on disk.
        persistent: Fact::known(true),
        security_log_max_bytes: size.map_or_else(
            || {
                Fact::unknown(
                    ReasonCode::NeedsAdmin,
                    format!("{SECURITY_LOG}\\MaxSize not readable"),
                )
            },
            Fact::known,
        ),
        last_time_sync_at: Fact::unknown(
            ReasonCode::Unsupported,
            "Windows Time records its last synchronisation only where `w32tm /query /status` shows it",
        ),
        source: if reg_u64(reg, SECURITY_LOG_POLICY, "MaxSize").is_some() {
            "Group Policy (EventLog\\Security MaxSize, KB)".into()
        } else {
            "EventLog\\Security MaxSize".into()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journald_storage_follows_drop_ins() {
        assert_eq!(journald_storage(&[]), "auto");
        let main = "[Journal]\n#Storage=auto\n".to_string();
        let drop = "[Journal]\nStorage=volatile\n".to_string();
        assert_eq!(journald_storage(&[main.clone(), drop]), "volatile");
        assert_eq!(
            journald_storage(&["[Journal]\nStorage=persistent\n".into()]),
            "persistent"
        );
    }

    #[test]
    fn a_root_with_a_volatile_journal_keeps_no_logs() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        std::fs::create_dir_all(r.join("usr/lib/systemd")).unwrap();
        std::fs::write(r.join("usr/lib/systemd/systemd-journald"), "").unwrap();
        std::fs::create_dir_all(r.join("etc/systemd")).unwrap();
        // auto without /var/log/journal: kept in /run only.
        assert_eq!(linux(r).persistent.value(), Some(&false));
        std::fs::create_dir_all(r.join("var/log/journal")).unwrap();
        assert_eq!(linux(r).persistent.value(), Some(&true));
        std::fs::write(
            r.join("etc/systemd/journald.conf"),
            "[Journal]\nStorage=volatile\n",
        )
        .unwrap();
        assert_eq!(linux(r).persistent.value(), Some(&false));
        assert!(linux(r).last_time_sync_at.value().is_none());
        std::fs::create_dir_all(r.join("var/lib/systemd/timesync")).unwrap();
        std::fs::write(r.join("var/lib/systemd/timesync/clock"), "").unwrap();
        assert!(linux(r).last_time_sync_at.value().is_some());
    }

    #[test]
    fn windows_security_log_size_policy_wins() {
        let mut reg = RegistrySnapshot::new();
        reg.insert(
            SECURITY_LOG.into(),
            [("MaxSize".to_string(), serde_json::json!(20_971_520))].into(),
        );
        assert_eq!(
            windows(&reg).security_log_max_bytes.value(),
            Some(&20_971_520)
        );
        reg.insert(
            SECURITY_LOG_POLICY.into(),
            [("MaxSize".to_string(), serde_json::json!(196_608))].into(),
        );
        assert_eq!(
            windows(&reg).security_log_max_bytes.value(),
            Some(&(196_608 * 1024))
        );
    }
}
