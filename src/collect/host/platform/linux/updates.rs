//! Linux package updates (H06): the last upgrade recorded by apt
//! (/var/log/apt/history.log, then dpkg.log) or dnf (/var/log/dnf.rpm.log), and
//! whether a reboot is pending (/run/reboot-required on Debian and Ubuntu).

use std::path::Path;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::facts::host::UpdateFacts;
use crate::facts::{Fact, ReasonCode};

fn local(dt: &str, fmt: &str, tz: &TimeZone) -> Option<Timestamp> {
    let civil = DateTime::strptime(fmt, dt.trim()).ok()?;
    civil.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
}

/// The end of the newest apt history entry that upgraded packages. apt writes
/// local times without a zone.
pub fn last_apt_upgrade(history: &str, tz: &TimeZone) -> Option<Timestamp> {
    let mut newest = None;
    for entry in history.split("\n\n") {
        let upgraded = entry.lines().any(|l| l.starts_with("Upgrade: "));
        if !upgraded {
            continue;
        }
        let end = entry
            .lines()
            .find_map(|l| l.strip_prefix("End-Date: "))
            .or_else(|| entry.lines().find_map(|l| l.strip_prefix("Start-Date: ")));
        if let Some(t) = end.and_then(|d| local(d, "%Y-%m-%d  %H:%M:%S", tz)) {
            newest = newest.max(Some(t));
        }
    }
    newest
}

/// The newest `upgrade` line of dpkg.log (`2024-05-01 10:00:00 upgrade pkg ...`).
pub fn last_dpkg_upgrade(log: &str, tz: &TimeZone) -> Option<Timestamp> {
    log.lines()
        .filter(|l| l.get(20..).is_some_and(|rest| rest.starts_with("upgrade ")))
        .filter_map(|l| local(l.get(..19)?, "%Y-%m-%d %H:%M:%S", tz))
        .max()
}

/// The newest `Upgraded:`/`Upgrade:` line of dnf.rpm.log
/// (`2024-05-01T10:00:00+0000 SUBDEBUG Upgrade: pkg`).
pub fn last_dnf_upgrade(log: &str) -> Option<Timestamp> {
    log.lines()
        .filter(|l| l.contains(" Upgrade: ") || l.contains(" Upgraded: "))
        .filter_map(|l| {
            let stamp = l.split_whitespace().next()?;
            jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", stamp)
                .ok()?
                .to_timestamp()
                .ok()
        })
        .max()
}

pub fn collect() -> UpdateFacts {
    let tz = TimeZone::system();
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let mut found = None;
    let mut source = String::new();
    let mut read_any = false;
    for (path, parse) in [
        (
            "/var/log/apt/history.log",
            last_apt_upgrade as fn(&str, &TimeZone) -> Option<Timestamp>,
        ),
        ("/var/log/apt/history.log.1", last_apt_upgrade),
        ("/var/log/dpkg.log", last_dpkg_upgrade),
        ("/var/log/dpkg.log.1", last_dpkg_upgrade),
    ] {
        if let Some(text) = read(path) {
            read_any = true;
            if let Some(t) = parse(&text, &tz)
                && found.is_none_or(|f| t > f)
            {
                found = Some(t);
                source = path.to_string();
            }
        }
    }
    if found.is_none()
        && let Some(text) = read("/var/log/dnf.rpm.log")
    {
        read_any = true;
        found = last_dnf_upgrade(&text);
        source = "/var/log/dnf.rpm.log".into();
    }
    let last_installed_at = match found {
        Some(t) => Fact::known(t),
        None if read_any => Fact::unknown(
            ReasonCode::NotConfigured,
            "no package upgrade recorded in the current apt/dpkg/dnf logs (older logs are compressed)",
        ),
        None => Fact::unknown(
            ReasonCode::Unsupported,
            "no apt, dpkg or dnf log found in /var/log",
        ),
    };
    let debian_family = Path::new("/var/lib/dpkg/status").exists();
    let reboot_pending = if Path::new("/run/reboot-required").exists()
        || Path::new("/var/run/reboot-required").exists()
    {
        Fact::known(true)
    } else if debian_family {
        Fact::known(false)
    } else {
        Fact::unknown(
            ReasonCode::Unsupported,
            "pending reboot is read from /run/reboot-required (Debian, Ubuntu)",
        )
    };
    let (pending, lists_published_at) = match crate::collect::host::apt::read(
        Path::new("/"),
        Timestamp::now(),
    ) {
        Some(r) => (r.pending, r.lists_published_at),
        None => {
            let why = crate::facts::Unknown::new(
                ReasonCode::Unsupported,
                "pending security updates are read from apt's lists (Debian, Ubuntu); dnf's metadata are not read yet",
            );
            (Fact::from_unknown(why.clone()), Fact::from_unknown(why))
        }
    };
    UpdateFacts {
        last_installed_at,
        reboot_pending,
        source,
        security_updates_pending: pending.clone().map(|p| !p.is_empty()),
        pending_security_packages: pending,
        lists_published_at,
        security_release_due: Fact::unknown(
            ReasonCode::Unsupported,
            "the monthly release day applies to Windows",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_apt_upgrade_wins_and_installs_do_not_count() {
        let log = "\nStart-Date: 2026-10-01  08:00:01\nCommandline: apt-get upgrade\nUpgrade: libc6:amd64 (2.36-9, 2.36-9+deb12u4)\nEnd-Date: 2026-10-01  08:02:10\n\nStart-Date: 2026-11-02  09:00:00\nCommandline: apt install htop\nInstall: htop:amd64 (3.2.2-2)\nEnd-Date: 2026-11-02  09:00:05\n\nStart-Date: 2026-10-20  07:00:00\nCommandline: /usr/bin/unattended-upgrade\nUpgrade: openssl:amd64 (3.0.14-1, 3.0.15-1)\nEnd-Date: 2026-10-20  07:01:00\n";
        let t = last_apt_upgrade(log, &TimeZone::UTC).unwrap();
        assert_eq!(t.to_string(), "2026-10-20T07:01:00Z");
        let hcm = TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
        let t = last_apt_upgrade(log, &hcm).unwrap();
        assert_eq!(t.to_string(), "2026-10-20T00:01:00Z");
        assert!(last_apt_upgrade("Start-Date: garbage\nUpgrade: x\n", &hcm).is_none());
    }

    #[test]
    fn dpkg_and_dnf_logs() {
        let dpkg = "2026-11-01 10:00:00 startup archives unpack\n2026-11-01 10:00:01 upgrade libssl3:amd64 3.0.14 3.0.15\n2026-11-03 11:00:00 install htop:amd64 <none> 3.2\n";
        assert_eq!(
            last_dpkg_upgrade(dpkg, &TimeZone::UTC).unwrap().to_string(),
            "2026-11-01T10:00:01Z"
        );
        let dnf = "2026-09-01T10:00:00+0700 SUBDEBUG Upgrade: openssl-1:3.0.7-27.el9.x86_64\n2026-09-01T10:00:02+0700 SUBDEBUG Upgraded: openssl-1:3.0.7-25.el9.x86_64\n2026-09-05T10:00:00+0000 SUBDEBUG Installed: htop\n";
        assert_eq!(
            last_dnf_upgrade(dnf).unwrap().to_string(),
            "2026-09-01T03:00:02Z"
        );
    }
}
