//! Backup freshness: for each declared backup location, the newest matching file,
//! how many there are, and whether they share a physical disk with the data.
//!
//! Walks are bounded by file count and time; hitting a bound makes the facts that
//! depend on a complete walk unknown (`limit_reached`), never silently partial.

use std::path::Path;
use std::time::{Instant, SystemTime};

use globset::{GlobBuilder, GlobMatcher};
use jiff::Timestamp;

use crate::config::{BackupLocation, WalkLimits};
use crate::facts::host::BackupFacts;
use crate::facts::{Fact, ReasonCode, Unknown};

use super::platform;

/// Examines one backup location.
pub fn collect(loc: &BackupLocation, default_max_age_days: f64, limits: WalkLimits) -> BackupFacts {
    let max_age_days = loc.max_age_days.unwrap_or(default_max_age_days);
    let mut facts = BackupFacts {
        name: loc.name.clone(),
        path: loc.path.clone(),
        pattern: loc.pattern.clone(),
        max_age_days,
        protects: loc.protects.clone(),
        file_count: Fact::unknown(ReasonCode::Error, ""),
        total_bytes: Fact::unknown(ReasonCode::Error, ""),
        newest_file: Fact::unknown(ReasonCode::Error, ""),
        newest_modified_at: Fact::unknown(ReasonCode::Error, ""),
        same_disk_as_data: same_disk(Path::new(&loc.path), &loc.protects),
    };
    let fail_all = |facts: &mut BackupFacts, u: Unknown| {
        facts.file_count = Fact::from_unknown(u.clone());
        facts.total_bytes = Fact::from_unknown(u.clone());
        facts.newest_file = Fact::from_unknown(u.clone());
        facts.newest_modified_at = Fact::from_unknown(u);
    };
    let matcher = match glob(&loc.pattern) {
        Ok(m) => m,
        Err(e) => {
            fail_all(
                &mut facts,
                Unknown::new(
                    ReasonCode::NotConfigured,
                    format!("bad pattern `{}`: {e}", loc.pattern),
                ),
            );
            return facts;
        }
    };
    let root = Path::new(&loc.path);
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            fail_all(
                &mut facts,
                Unknown::new(
                    ReasonCode::NotConfigured,
                    format!("{} is not a folder", loc.path),
                ),
            );
            return facts;
        }
        Err(e) => {
            let reason = if e.kind() == std::io::ErrorKind::PermissionDenied {
                ReasonCode::NeedsAdmin
            } else {
                ReasonCode::Error
            };
            // A missing folder is itself the answer: there are no backups there.
            if e.kind() == std::io::ErrorKind::NotFound {
                facts.file_count = Fact::known(0);
                facts.total_bytes = Fact::known(0);
                let u = Unknown::new(
                    ReasonCode::Error,
                    format!("backup folder {} does not exist", loc.path),
                );
                facts.newest_file = Fact::from_unknown(u.clone());
                facts.newest_modified_at = Fact::from_unknown(u);
            } else {
                fail_all(
                    &mut facts,
                    Unknown::new(reason, format!("{}: {e}", loc.path)),
                );
            }
            return facts;
        }
    }

    let started = Instant::now();
    let deadline = limits.walk_deadline();
    let mut count = 0u64;
    let mut examined = 0u64;
    let mut total = 0u64;
    let mut newest: Option<(SystemTime, String)> = None;
    let mut denied = 0u64;
    let mut stopped: Option<String> = None;
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        if examined >= limits.max_files {
            stopped = Some(format!(
                "more than {} files under {}",
                limits.max_files, loc.path
            ));
            break;
        }
        if started.elapsed() > deadline {
            stopped = Some(format!(
                "walk of {} took longer than {} s",
                loc.path, limits.max_seconds
            ));
            break;
        }
        let entry = match entry {
            Ok(e) => e,
            Err(_) => {
                denied += 1;
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        examined += 1;
        if !matcher.is_match(entry.file_name()) {
            continue;
        }
        let Ok(meta) = entry.metadata() else {
            denied += 1;
            continue;
        };
        count += 1;
        total += meta.len();
        if let Ok(modified) = meta.modified()
            && newest.as_ref().is_none_or(|(t, _)| modified > *t)
        {
            newest = Some((modified, entry.path().display().to_string()));
        }
    }
    if let Some(why) = stopped {
        // The newest file may lie in the part not walked: no partial answer.
        fail_all(&mut facts, Unknown::new(ReasonCode::LimitReached, why));
        return facts;
    }
    facts.file_count = Fact::known(count);
    facts.total_bytes = Fact::known(total);
    match newest {
        Some((t, path)) => {
            facts.newest_file = Fact::known(path);
            facts.newest_modified_at = match Timestamp::try_from(t) {
                Ok(ts) => Fact::known(ts),
                Err(e) => Fact::unknown(ReasonCode::Unparsable, e.to_string()),
            };
        }
        None => {
            let (reason, detail) = if denied > 0 {
                (
                    ReasonCode::NeedsAdmin,
                    format!("{denied} entries could not be read and no backup file was found"),
                )
            } else {
                (
                    ReasonCode::Error,
                    format!("no file matching `{}` in {}", loc.pattern, loc.path),
                )
            };
            facts.newest_file = Fact::unknown(reason, detail.clone());
            facts.newest_modified_at = Fact::unknown(reason, detail);
        }
    }
    facts
}

fn glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    Ok(GlobBuilder::new(pattern)
        .case_insensitive(cfg!(windows))
        .literal_separator(false)
        .build()?
        .compile_matcher())
}

/// Whether the backup folder sits on the same physical disk as any protected path.
fn same_disk(backup: &Path, protects: &[String]) -> Fact<bool> {
    if protects.is_empty() {
        return Fact::unknown(
            ReasonCode::NotConfigured,
            "the configuration does not say which data this backup protects (protects = [...])",
        );
    }
    let backup_disks = match platform::physical_disks_of(backup) {
        Ok(d) => d,
        Err(u) => return Fact::from_unknown(u),
    };
    for data in protects {
        match platform::physical_disks_of(Path::new(data)) {
            Ok(d) => {
                if d.iter().any(|x| backup_disks.contains(x)) {
                    return Fact::known(true);
                }
            }
            Err(u) => return Fact::from_unknown(u),
        }
    }
    Fact::known(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    fn loc(path: &Path, pattern: &str) -> BackupLocation {
        BackupLocation {
            name: "test".into(),
            path: path.display().to_string(),
            pattern: pattern.into(),
            max_age_days: Some(7.0),
            protects: vec![],
        }
    }

    fn touch(path: &Path, days_ago: u64) {
        let f = File::create(path).unwrap();
        f.set_len(10).unwrap();
        f.set_modified(SystemTime::now() - std::time::Duration::from_secs(days_ago * 86_400))
            .unwrap();
    }

    #[test]
    fn newest_matching_file_wins() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("a.zip"), 10);
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        touch(&dir.path().join("sub/b.zip"), 2);
        touch(&dir.path().join("c.txt"), 0);
        let f = collect(&loc(dir.path(), "*.zip"), 7.0, WalkLimits::default());
        assert_eq!(f.file_count, Fact::known(2));
        assert_eq!(f.total_bytes, Fact::known(20));
        assert!(f.newest_file.value().unwrap().ends_with("b.zip"));
        let age = Timestamp::now().as_second() - f.newest_modified_at.value().unwrap().as_second();
        assert!((2 * 86_400 - 60..2 * 86_400 + 60).contains(&age), "{age}");
    }

    #[test]
    fn empty_folder_has_zero_files_and_no_newest() {
        let dir = tempfile::tempdir().unwrap();
        let f = collect(&loc(dir.path(), "*"), 7.0, WalkLimits::default());
        assert_eq!(f.file_count, Fact::known(0));
        assert!(
            f.newest_modified_at
                .unknown_reason()
                .unwrap()
                .detail
                .contains("no file matching")
        );
    }

    #[test]
    fn missing_folder_is_zero_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = collect(
            &loc(&dir.path().join("nope"), "*"),
            7.0,
            WalkLimits::default(),
        );
        assert_eq!(f.file_count, Fact::known(0));
        assert!(
            f.newest_file
                .unknown_reason()
                .unwrap()
                .detail
                .contains("does not exist")
        );
    }

    #[test]
    fn folder_over_the_file_limit_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            touch(&dir.path().join(format!("{i}.bak")), 1);
        }
        let limits = WalkLimits {
            max_files: 5,
            max_seconds: 60.0,
            ..WalkLimits::default()
        };
        let f = collect(&loc(dir.path(), "*.bak"), 7.0, limits);
        let why = f.file_count.unknown_reason().unwrap();
        assert_eq!(why.reason, ReasonCode::LimitReached);
        assert!(f.newest_modified_at.unknown_reason().is_some());
    }

    #[test]
    fn default_max_age_applies_when_not_configured() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = loc(dir.path(), "*");
        l.max_age_days = None;
        assert_eq!(collect(&l, 3.5, WalkLimits::default()).max_age_days, 3.5);
    }

    #[test]
    fn same_folder_tree_is_same_disk_and_unset_protects_is_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = loc(dir.path(), "*");
        assert_eq!(
            collect(&l, 7.0, WalkLimits::default())
                .same_disk_as_data
                .unknown_reason()
                .unwrap()
                .reason,
            ReasonCode::NotConfigured
        );
        l.protects = vec![dir.path().display().to_string()];
        let f = collect(&l, 7.0, WalkLimits::default());
        // On Linux the disk is resolved through /sys; elsewhere it may be unknown.
        if let Some(v) = f.same_disk_as_data.value() {
            assert!(*v);
        }
    }
}
