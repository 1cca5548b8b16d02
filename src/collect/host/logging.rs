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
//!   bytes, or the Group Policy value in KB, which wins) and what it does when full
//!   (`Retention`, `AutoBackupLogFiles`, documented with the event log's registry
//!   keys and the Event Log Service policies); the audit policy of logons
//!   (`windows_parse::audit`); the last successful time synchronisation
//!   (`windows_parse::w32tm`).
//!
//! Pure over a root folder or a registry snapshot, so tests use constructed ones.

use std::path::Path;

use jiff::Timestamp;

use crate::collect::host::platform::windows_parse::audit::{self, AuditPolicyEntry};
use crate::collect::host::platform::windows_parse::{RegistrySnapshot, as_bool, reg_u64, w32tm};
use crate::facts::host::{LoggingFacts, io_reason};
use crate::facts::{Fact, ReasonCode, Unknown};

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
        security_log_when_full: Fact::unknown(ReasonCode::Unsupported, "a Windows event log"),
        logon_auditing: Fact::unknown(
            ReasonCode::Unsupported,
            "the Windows audit policy (auditd rules are not read)",
        ),
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

/// What the Security log does when it is full: the Group Policy values (strings
/// `true`/`false` or numbers) win over the log's own (`Retention` 0 overwrite as
/// needed, `0xFFFFFFFF` do not overwrite; any other value, the seconds of the old
/// "overwrite events older than", also overwrites).
pub fn security_log_when_full(reg: &RegistrySnapshot) -> Fact<String> {
    let flag = |name: &str| {
        [SECURITY_LOG_POLICY, SECURITY_LOG]
            .iter()
            .find_map(|key| reg.get(*key)?.get(name))
    };
    if !reg.contains_key(SECURITY_LOG) && !reg.contains_key(SECURITY_LOG_POLICY) {
        return Fact::unknown(
            ReasonCode::NeedsAdmin,
            format!("{SECURITY_LOG} not readable"),
        );
    }
    let retain = match flag("Retention") {
        // The policy's string ("true"/"false").
        Some(v @ serde_json::Value::String(_)) => as_bool(v) == Some(true),
        // The log's DWORD: -1 (read as 0xFFFFFFFF) keeps every event.
        Some(v) => v.as_u64() == Some(0xFFFF_FFFF),
        None => false,
    };
    let archive = flag("AutoBackupLogFiles").and_then(as_bool) == Some(true);
    Fact::known(
        match (retain, archive) {
            (_, true) => "archive",
            (true, false) => "stop",
            (false, false) => "overwrite",
        }
        .to_string(),
    )
}

/// The Windows logging facts from the registry, the audit policy and the output
/// of `w32tm /query /status /verbose`, read at `now`.
pub fn windows(
    reg: &RegistrySnapshot,
    audit_policy: Option<&Result<Vec<AuditPolicyEntry>, Unknown>>,
    w32tm_output: Option<&Result<String, Unknown>>,
    now: Timestamp,
) -> LoggingFacts {
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
        security_log_when_full: security_log_when_full(reg),
        logon_auditing: audit::logon_auditing(audit_policy),
        last_time_sync_at: w32tm::last_sync_at(w32tm_output, now),
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
        let now = Timestamp::UNIX_EPOCH;
        assert_eq!(
            windows(&reg, None, None, now)
                .security_log_max_bytes
                .value(),
            Some(&20_971_520)
        );
        assert_eq!(
            windows(&reg, None, None, now)
                .security_log_when_full
                .value()
                .map(String::as_str),
            Some("overwrite")
        );
        reg.insert(
            SECURITY_LOG_POLICY.into(),
            [("MaxSize".to_string(), serde_json::json!(196_608))].into(),
        );
        assert_eq!(
            windows(&reg, None, None, now)
                .security_log_max_bytes
                .value(),
            Some(&(196_608 * 1024))
        );
    }

    #[test]
    fn windows_security_log_when_full() {
        let when_full = |values: &[(&str, &str, serde_json::Value)]| {
            let mut reg = RegistrySnapshot::new();
            reg.insert(SECURITY_LOG.into(), Default::default());
            for (key, name, v) in values {
                reg.entry((*key).into())
                    .or_default()
                    .insert((*name).into(), v.clone());
            }
            security_log_when_full(&reg).value().cloned().unwrap()
        };
        use serde_json::json;
        assert_eq!(when_full(&[]), "overwrite");
        // "Do not overwrite events": the log stops recording when full.
        assert_eq!(
            when_full(&[(SECURITY_LOG, "Retention", json!(4_294_967_295u64))]),
            "stop"
        );
        assert_eq!(
            when_full(&[
                (SECURITY_LOG, "Retention", json!(4_294_967_295u64)),
                (SECURITY_LOG, "AutoBackupLogFiles", json!(1)),
            ]),
            "archive"
        );
        // The old "overwrite events older than 7 days" (seconds) overwrites.
        assert_eq!(
            when_full(&[(SECURITY_LOG, "Retention", json!(604_800))]),
            "overwrite"
        );
        // Group Policy's strings win.
        assert_eq!(
            when_full(&[
                (SECURITY_LOG, "Retention", json!(0)),
                (SECURITY_LOG_POLICY, "Retention", json!("true")),
            ]),
            "stop"
        );
        assert!(
            security_log_when_full(&RegistrySnapshot::new())
                .value()
                .is_none()
        );
    }
}
