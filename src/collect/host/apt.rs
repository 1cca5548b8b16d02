//! Pending security updates on Debian and Ubuntu, read offline (H06): the package
//! lists of the security suites that `apt update` last downloaded
//! (`/var/lib/apt/lists/*security*_Packages`, plain, `.lz4` or `.gz`) against the
//! installed versions in dpkg's status file — what `apt list --upgradable` shows for
//! those suites, without running apt. The lists are only as new as the last
//! `apt update`: their age is kept as a fact, and lists older than
//! [`MAX_LISTS_AGE_DAYS`] make the answer unknown rather than a false "up to date".
//!
//! Platform-neutral (plain files under a root folder), so tests run it on a
//! constructed root in `fixtures/apt/`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use jiff::Timestamp;

use crate::facts::host::{PendingPackage, io_reason};
use crate::facts::{Fact, ReasonCode, Unknown};

/// Lists last published longer ago than this are stale: the security archive
/// publishes several times a week, so a machine that ran `apt update` (or the daily
/// `apt.systemd.daily` timer) within a week has lists at most this old.
pub const MAX_LISTS_AGE_DAYS: f64 = 7.0;

/// Lists bigger than this are not read (a security suite's list is a few MB).
const MAX_LIST_BYTES: u64 = 256 * 1024 * 1024;

/// What the lists say.
#[derive(Debug)]
pub struct AptReading {
    pub pending: Fact<Vec<PendingPackage>>,
    /// The newest `Date:` of the security suites' `InRelease`/`Release` files: when
    /// the archive published the lists this machine holds.
    pub lists_published_at: Fact<Timestamp>,
}

/// Reads `root/var/lib/apt/lists` and `root/var/lib/dpkg/status`; `None` when this
/// is not a dpkg system.
pub fn read(root: &Path, now: Timestamp) -> Option<AptReading> {
    let status_path = root.join("var/lib/dpkg/status");
    let status = match std::fs::read_to_string(&status_path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            let why = Unknown::new(io_reason(&e), format!("{}: {e}", status_path.display()));
            return Some(AptReading {
                pending: Fact::from_unknown(why.clone()),
                lists_published_at: Fact::from_unknown(why),
            });
        }
    };
    let lists_dir = root.join("var/lib/apt/lists");
    let mut release_dates = Vec::new();
    let mut lists = Vec::new();
    let mut compressed_unread = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&lists_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !is_security_suite(&name) {
                continue;
            }
            if name.ends_with("_InRelease") || name.ends_with("_Release") {
                if let Ok(text) = std::fs::read_to_string(e.path())
                    && let Some(d) = release_date(&text)
                {
                    release_dates.push(d);
                }
            } else if name.contains("_Packages") {
                match read_list(&e.path()) {
                    Ok(text) => lists.push(text),
                    Err(why) => compressed_unread.push(format!("{name}: {why}")),
                }
            }
        }
    }
    let published = release_dates.into_iter().max();
    let lists_published_at = match published {
        Some(t) => Fact::known(t),
        None => Fact::unknown(
            ReasonCode::NotConfigured,
            format!(
                "no security suite in {} (no *-security line in /etc/apt/sources.list*, or apt update never ran)",
                lists_dir.display()
            ),
        ),
    };
    let pending = if lists.is_empty() {
        Fact::unknown(
            ReasonCode::NotConfigured,
            if compressed_unread.is_empty() {
                format!(
                    "no package list of a security suite in {}: add the security suite to apt's sources and run apt update",
                    lists_dir.display()
                )
            } else {
                compressed_unread.join("; ")
            },
        )
    } else if let Some(age) = published.map(|p| (now - p).get_seconds() as f64 / 86_400.0)
        && age > MAX_LISTS_AGE_DAYS
    {
        Fact::unknown(
            ReasonCode::NotRecorded,
            format!(
                "apt's lists of the security suite are {age:.0} days old (more than {MAX_LISTS_AGE_DAYS:.0}): run apt update (or let apt's daily timer run) so that pending security updates can be known"
            ),
        )
    } else {
        Fact::known(pending_updates(&status, &lists))
    };
    Some(AptReading {
        pending,
        lists_published_at,
    })
}

/// `deb.debian.org_debian-security_dists_bookworm-security_...` (Debian 11+),
/// `security.debian.org_..._buster_updates_...` (Debian 10),
/// `security.ubuntu.com_ubuntu_dists_noble-security_...` (Ubuntu).
fn is_security_suite(list_file: &str) -> bool {
    list_file.contains("-security_") || list_file.starts_with("security.")
}

fn read_list(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let name = path.to_string_lossy();
    let limited = file.take(MAX_LIST_BYTES);
    let mut text = String::new();
    let r = if name.ends_with(".lz4") {
        lz4_flex::frame::FrameDecoder::new(limited).read_to_string(&mut text)
    } else if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(limited).read_to_string(&mut text)
    } else if name.ends_with("_Packages") {
        let mut limited = limited;
        limited.read_to_string(&mut text)
    } else {
        return Err("compression not read (only plain, .lz4 and .gz lists are)".into());
    };
    r.map(|_| text).map_err(|e| e.to_string())
}

/// `Date: Sun, 06 Dec 2026 02:54:29 UTC` of a Release file (RFC 2822 form).
fn release_date(text: &str) -> Option<Timestamp> {
    let line = text.lines().find_map(|l| l.strip_prefix("Date:"))?.trim();
    let line = line.replace(" UTC", " +0000").replace(" GMT", " +0000");
    jiff::fmt::rfc2822::parse(&line).ok().map(|z| z.timestamp())
}

/// The fields of each paragraph of a deb822 file (`Package:`, `Version:`...).
fn paragraphs(text: &str) -> impl Iterator<Item = BTreeMap<&str, &str>> {
    text.split("\n\n").map(|p| {
        p.lines()
            .filter(|l| !l.starts_with([' ', '\t']))
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k, v.trim()))
            .collect()
    })
}

/// Installed packages whose version is older than one in a security list.
pub fn pending_updates(dpkg_status: &str, lists: &[String]) -> Vec<PendingPackage> {
    let mut installed: BTreeMap<(&str, &str), debversion::Version> = BTreeMap::new();
    for p in paragraphs(dpkg_status) {
        let (Some(name), Some(version), Some(status)) =
            (p.get("Package"), p.get("Version"), p.get("Status"))
        else {
            continue;
        };
        if !status.ends_with(" installed") {
            continue;
        }
        let arch = p.get("Architecture").copied().unwrap_or("all");
        if let Ok(v) = version.parse() {
            installed.insert((name, arch), v);
        }
    }
    let mut newest: BTreeMap<(String, String), debversion::Version> = BTreeMap::new();
    for list in lists {
        for p in paragraphs(list) {
            let (Some(name), Some(version)) = (p.get("Package"), p.get("Version")) else {
                continue;
            };
            let arch = p.get("Architecture").copied().unwrap_or("all");
            let Some(have) = installed.get(&(*name, arch)) else {
                continue;
            };
            let Ok(offered) = version.parse::<debversion::Version>() else {
                continue;
            };
            if &offered > have {
                let key = (name.to_string(), arch.to_string());
                if newest.get(&key).is_none_or(|n| &offered > n) {
                    newest.insert(key, offered);
                }
            }
        }
    }
    newest
        .into_iter()
        .map(|((name, arch), available)| PendingPackage {
            installed: installed[&(name.as_str(), arch.as_str())].to_string(),
            available: available.to_string(),
            name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.14-1~deb12u1\n\nPackage: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u9\nDescription: GNU C Library\n shared libraries\n\nPackage: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2025b-0+deb12u1\n\nPackage: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0\n";

    #[test]
    fn newer_security_versions_of_installed_packages_are_pending() {
        let list = "Package: openssl\nArchitecture: amd64\nVersion: 3.0.17-1~deb12u2\n\nPackage: openssl\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\n\nPackage: libc6\nArchitecture: amd64\nVersion: 2.36-9+deb12u9\n\nPackage: tzdata\nArchitecture: all\nVersion: 2025b-0+deb12u1~\n\nPackage: gone\nArchitecture: amd64\nVersion: 2.0\n\nPackage: not-installed\nArchitecture: amd64\nVersion: 1.0\n";
        let p = pending_updates(STATUS, &[list.to_string()]);
        // libc6 is current; tzdata's tilde version sorts before the installed one;
        // a removed package and one never installed are not pending.
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].name, "openssl");
        assert_eq!(p[0].installed, "3.0.14-1~deb12u1");
        assert_eq!(p[0].available, "3.0.17-1~deb12u2");
    }

    #[test]
    fn release_dates_and_suite_names() {
        assert_eq!(
            release_date("Origin: Debian\nDate: Sun, 06 Dec 2026 02:54:29 UTC\nValid-Until: x\n")
                .unwrap()
                .to_string(),
            "2026-12-06T02:54:29Z"
        );
        assert!(is_security_suite(
            "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4"
        ));
        assert!(is_security_suite(
            "security.debian.org_debian-security_dists_buster_updates_main_binary-amd64_Packages"
        ));
        assert!(!is_security_suite(
            "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages"
        ));
    }

    #[test]
    fn compressed_lists_are_read_and_no_security_suite_is_unknown() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let lists = dir.path().join("var/lib/apt/lists");
        std::fs::create_dir_all(&lists).unwrap();
        std::fs::create_dir_all(dir.path().join("var/lib/dpkg")).unwrap();
        std::fs::write(dir.path().join("var/lib/dpkg/status"), STATUS).unwrap();
        let now: Timestamp = "2026-12-07T00:00:00Z".parse().unwrap();
        // No security suite at all: unknown, with what to do.
        let r = read(dir.path(), now).unwrap();
        assert!(
            r.pending
                .unknown_reason()
                .unwrap()
                .detail
                .contains("security suite")
        );
        std::fs::write(
            lists.join("deb.debian.org_debian-security_dists_bookworm-security_InRelease"),
            "Date: Sun, 06 Dec 2026 02:54:29 UTC\n",
        )
        .unwrap();
        let file = std::fs::File::create(lists.join(
            "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4",
        ))
        .unwrap();
        let mut enc = lz4_flex::frame::FrameEncoder::new(file);
        enc.write_all(b"Package: openssl\nArchitecture: amd64\nVersion: 3.0.17-1~deb12u2\n")
            .unwrap();
        enc.finish().unwrap();
        let r = read(dir.path(), now).unwrap();
        assert_eq!(r.pending.value().unwrap()[0].name, "openssl");
    }
}
