//! The folder scan for rule H15: walks the configured folders and the shares'
//! folders, extracts the text of each document on both cores (rayon), runs the
//! detector, and keeps counts and masked samples only.
//!
//! Nested folders are scanned once: a folder that is itself a root (a share inside
//! a configured folder, say) is skipped by the outer walk and gets its own entry,
//! so each file is judged with the shares that really expose it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use super::PersonalDataConfig;
use super::detect::{detect, redact_numbers};
use super::extract::{self, Extracted};
use crate::facts::pdata::{PersonalDataFile, ScannedFolder, Share, UnreadableFile};
use crate::facts::{Fact, ReasonCode};

/// Files with IDs listed per folder; the rest are counted in `files_omitted`.
const MAX_LISTED_FILES: usize = 200;
/// Protected and unreadable files listed per folder.
const MAX_LISTED_OTHER: usize = 200;
/// Masked samples per file.
const SAMPLES_PER_FILE: usize = 3;

/// A folder to scan and where it comes from.
#[derive(Clone, Debug)]
pub struct Root {
    pub path: PathBuf,
    /// `config` or `share`.
    pub origin: &'static str,
}

/// The roots to scan: configured folders first, then share folders (when the
/// configuration asks for them), each path once.
pub fn roots(config: &PersonalDataConfig, shares: &Fact<Vec<Share>>) -> Vec<Root> {
    let mut out: Vec<Root> = config
        .folders
        .iter()
        .map(|f| Root {
            path: PathBuf::from(f),
            origin: "config",
        })
        .collect();
    if config.scan_shares
        && let Some(shares) = shares.value()
    {
        for s in shares {
            out.push(Root {
                path: PathBuf::from(&s.path),
                origin: "share",
            });
        }
    }
    let mut seen = HashSet::new();
    out.retain(|r| seen.insert(normalize(&r.path)));
    out
}

fn normalize(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Scans every root. `current_year` bounds plausible birth years.
pub fn scan(
    roots: &[Root],
    shares: &Fact<Vec<Share>>,
    config: &PersonalDataConfig,
    current_year: u16,
) -> Vec<ScannedFolder> {
    let started = Instant::now();
    let normalized: Vec<PathBuf> = roots.iter().map(|r| normalize(&r.path)).collect();
    let root_set: HashSet<PathBuf> = normalized.iter().cloned().collect();
    roots
        .iter()
        .zip(&normalized)
        .map(|(root, canon)| {
            let (open, all_users, names) = exposure(canon, shares);
            let mut folder = ScannedFolder {
                // Folder and file names can hold an ID (`hoso_068090001234`):
                // every path leaving this module is masked like file contents.
                path: redact_numbers(&root.path.display().to_string()),
                origin: root.origin.to_string(),
                shares: names,
                open_to_everyone: open,
                readable_by_all_users: all_users,
                files_examined: 0,
                bytes_examined: 0,
                files: Vec::new(),
                files_omitted: 0,
                protected_files: Vec::new(),
                unreadable_files: Vec::new(),
                complete: Fact::known(true),
            };
            scan_folder(&mut folder, canon, &root_set, config, current_year, started);
            folder
        })
        .collect()
}

/// Whether the shares expose `folder` to everyone / to every account, and which.
fn exposure(folder: &Path, shares: &Fact<Vec<Share>>) -> (Fact<bool>, Fact<bool>, Vec<String>) {
    let Some(shares) = shares.value() else {
        let why = shares
            .unknown_reason()
            .cloned()
            .expect("unknown has a reason");
        return (
            Fact::from_unknown(why.clone()),
            Fact::from_unknown(why),
            Vec::new(),
        );
    };
    let containing: Vec<&Share> = shares
        .iter()
        .filter(|s| folder.starts_with(normalize(Path::new(&s.path))))
        .collect();
    (
        any_true(containing.iter().map(|s| &s.open_to_everyone)),
        any_true(containing.iter().map(|s| &s.readable_by_all_users)),
        // Named as the masked shares of the facts name them (see `shares::masked`).
        containing.iter().map(|s| redact_numbers(&s.name)).collect(),
    )
}

/// True when one share says so; else unknown when one could not be judged (a
/// share whose permissions were not readable never counts as closed); else false.
fn any_true<'a>(facts: impl Iterator<Item = &'a Fact<bool>>) -> Fact<bool> {
    let mut unknown = None;
    for f in facts {
        match f {
            Fact::Known(true) => return Fact::known(true),
            Fact::Known(false) => {}
            Fact::Unknown(m) => unknown = unknown.or_else(|| Some(m.unknown.clone())),
        }
    }
    unknown.map_or_else(|| Fact::known(false), Fact::from_unknown)
}

fn scan_folder(
    folder: &mut ScannedFolder,
    root: &Path,
    other_roots: &HashSet<PathBuf>,
    config: &PersonalDataConfig,
    current_year: u16,
    started: Instant,
) {
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            folder.complete = Fact::unknown(ReasonCode::NotConfigured, "not a folder");
            return;
        }
        Err(e) => {
            let reason = if e.kind() == std::io::ErrorKind::PermissionDenied {
                ReasonCode::NeedsAdmin
            } else {
                ReasonCode::NotConfigured
            };
            folder.complete = Fact::unknown(reason, redact_numbers(&e.to_string()));
            return;
        }
    }

    // Walk first (cheap), then read the documents in parallel.
    let mut files = Vec::new();
    let mut walk_errors = Vec::new();
    let mut limit_hit = None;
    let mut walker = walkdir::WalkDir::new(root).follow_links(false).into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                walk_errors.push(e.to_string());
                continue;
            }
        };
        if entry.file_type().is_dir() {
            if entry.depth() > 0 && other_roots.contains(entry.path()) {
                walker.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_file() && extract::is_supported(entry.path()) {
            if files.len() as u64 >= config.max_files {
                limit_hit = Some(format!("stopped after {} documents", config.max_files));
                break;
            }
            files.push(entry.into_path());
        }
    }

    let limits = config.extract_limits();
    let deadline = config.max_seconds;
    let outcomes: Vec<(
        PathBuf,
        u64,
        Option<Extracted>,
        Option<super::detect::Detection>,
    )> = files
        .into_par_iter()
        .map(|path| {
            if started.elapsed().as_secs_f64() > deadline {
                return (path, 0, None, None);
            }
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            match extract::extract_file(&path, limits) {
                Extracted::Text(text) => {
                    let d = detect(&text, current_year);
                    (path, size, None, Some(d))
                }
                other => (path, size, Some(other), None),
            }
        })
        .collect();

    let mut skipped_by_time = 0u64;
    for (path, size, failure, detection) in outcomes {
        let shown = redact_numbers(&path.display().to_string());
        match (failure, detection) {
            (None, None) => skipped_by_time += 1,
            (None, Some(d)) => {
                folder.files_examined += 1;
                folder.bytes_examined += size;
                if !d.ids.is_empty() {
                    folder.files.push(PersonalDataFile {
                        path: shown,
                        distinct_ids: d.ids.len() as u64,
                        labelled_ids: d.labelled as u64,
                        masked_samples: d.masked_samples(SAMPLES_PER_FILE),
                        phones: d.phones as u64,
                        old_ids: d.old_ids as u64,
                    });
                }
            }
            (Some(Extracted::Protected), _) => {
                folder.files_examined += 1;
                folder.bytes_examined += size;
                if folder.protected_files.len() < MAX_LISTED_OTHER {
                    folder.protected_files.push(shown);
                }
            }
            (Some(other), _) => {
                let (reason, detail) = match other {
                    Extracted::TooLarge => ("too_large", String::new()),
                    Extracted::Timeout => ("timeout", String::new()),
                    Extracted::Failed(d) => ("failed", redact_numbers(&d)),
                    _ => ("failed", String::new()),
                };
                if folder.unreadable_files.len() < MAX_LISTED_OTHER {
                    folder.unreadable_files.push(UnreadableFile {
                        path: shown,
                        reason: reason.into(),
                        detail,
                    });
                }
            }
        }
    }
    folder.files.sort_by(|a, b| {
        b.distinct_ids
            .cmp(&a.distinct_ids)
            .then(a.path.cmp(&b.path))
    });
    if folder.files.len() > MAX_LISTED_FILES {
        folder.files_omitted = (folder.files.len() - MAX_LISTED_FILES) as u64;
        folder.files.truncate(MAX_LISTED_FILES);
    }
    folder.protected_files.sort();
    folder.unreadable_files.sort_by(|a, b| a.path.cmp(&b.path));

    if skipped_by_time > 0 {
        limit_hit = Some(format!(
            "{skipped_by_time} documents left unread after {deadline} s"
        ));
    }
    folder.complete = if let Some(why) = limit_hit {
        Fact::unknown(ReasonCode::LimitReached, why)
    } else if let Some(first) = walk_errors.first() {
        Fact::unknown(
            ReasonCode::NeedsAdmin,
            format!(
                "{} entries could not be read, e.g. {}",
                walk_errors.len(),
                redact_numbers(first)
            ),
        )
    } else {
        Fact::known(true)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids_file(dir: &Path, name: &str, n: usize) {
        let mut text = String::from("STT\tHọ tên\tSố CCCD\n");
        for i in 0..n {
            text.push_str(&format!("{i}\tHọc sinh\t068208{i:06}\n"));
        }
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn nested_share_is_scanned_once_with_its_own_exposure() {
        let tmp = tempfile::tempdir().unwrap();
        let outer = tmp.path().join("DuLieu");
        let shared = outer.join("Chung");
        ids_file(&outer, "rieng.txt", 12);
        ids_file(&shared, "chung.csv", 30);
        let shares = Fact::known(vec![Share {
            name: "chung".into(),
            protocol: "smb".into(),
            path: shared.display().to_string(),
            open_to_everyone: Fact::known(true),
            readable_by_all_users: Fact::known(true),
            access: vec!["guest ok = yes".into()],
        }]);
        let config = PersonalDataConfig {
            folders: vec![outer.display().to_string()],
            ..PersonalDataConfig::default()
        };
        let roots = roots(&config, &shares);
        assert_eq!(roots.len(), 2);
        let folders = scan(&roots, &shares, &config, 2026);
        assert_eq!(folders[0].files.len(), 1, "{:?}", folders[0]);
        assert!(folders[0].files[0].path.ends_with("rieng.txt"));
        assert_eq!(folders[0].open_to_everyone.value(), Some(&false));
        assert_eq!(folders[1].files[0].distinct_ids, 30);
        assert_eq!(folders[1].open_to_everyone.value(), Some(&true));
        assert_eq!(folders[1].shares, vec!["chung"]);
        assert_eq!(folders[1].complete.value(), Some(&true));
    }

    #[test]
    fn unknown_shares_make_exposure_unknown() {
        let tmp = tempfile::tempdir().unwrap();
        ids_file(tmp.path(), "a.txt", 3);
        let shares = Fact::unknown(ReasonCode::Unsupported, "not on this OS");
        let config = PersonalDataConfig {
            folders: vec![tmp.path().display().to_string()],
            ..PersonalDataConfig::default()
        };
        let folders = scan(&roots(&config, &shares), &shares, &config, 2026);
        assert!(folders[0].open_to_everyone.value().is_none());
        assert_eq!(folders[0].files[0].distinct_ids, 3);
    }

    #[test]
    fn file_limit_makes_the_folder_incomplete() {
        let tmp = tempfile::tempdir().unwrap();
        for i in 0..3 {
            ids_file(tmp.path(), &format!("{i}.txt"), 1);
        }
        let config = PersonalDataConfig {
            folders: vec![tmp.path().display().to_string()],
            max_files: 2,
            ..PersonalDataConfig::default()
        };
        let shares = Fact::known(vec![]);
        let folders = scan(&roots(&config, &shares), &shares, &config, 2026);
        assert!(folders[0].complete.value().is_none());
    }
}
