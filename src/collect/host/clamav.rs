//! ClamAV: is it installed and running, and how old are its signatures.
//!
//! Signature age comes from the database headers (`main`/`daily`/`bytecode`, `.cvd`
//! or `.cld`): a 512-byte, colon-separated ASCII header whose ninth field is the
//! build time in seconds since the epoch (libclamav `cl_cvdparse`).

use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::facts::host::{AntivirusProduct, ClamAvDatabase, ClamAvFacts};
use crate::facts::{Fact, ReasonCode};

/// Folders where ClamAV keeps its databases on the platforms khien runs on.
pub const DATABASE_DIRS: &[&str] = &[
    "/var/lib/clamav",
    "/usr/local/share/clamav",
    "/opt/homebrew/var/lib/clamav",
    "/usr/local/var/lib/clamav",
    r"C:\Program Files\ClamAV\database",
    r"C:\ProgramData\ClamAV",
];

const HEADER_LEN: usize = 512;
const MAGIC: &str = "ClamAV-VDB";

/// A parsed database header.
#[derive(Debug, Clone, PartialEq)]
pub struct CvdHeader {
    pub version: u64,
    pub signatures: u64,
    pub functionality_level: u64,
    pub builder: String,
    /// Absent (zero) in very old databases.
    pub built_at: Option<Timestamp>,
}

/// Parses the first 512 bytes of a `.cvd`/`.cld` file.
pub fn parse_header(bytes: &[u8]) -> Result<CvdHeader, String> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC.as_bytes() {
        return Err("not a ClamAV database (no ClamAV-VDB header)".into());
    }
    if bytes.len() < HEADER_LEN {
        return Err(format!(
            "truncated header: {} of {HEADER_LEN} bytes",
            bytes.len()
        ));
    }
    let header = std::str::from_utf8(&bytes[..HEADER_LEN])
        .map_err(|_| "header is not ASCII text".to_string())?
        .trim_end_matches([' ', '\0']);
    let fields: Vec<&str> = header.split(':').collect();
    if fields.len() < 8 {
        return Err(format!(
            "header has {} fields, expected at least 8",
            fields.len()
        ));
    }
    let number = |i: usize, what: &str| {
        fields[i]
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("field {i} ({what}) is not a number: `{}`", fields[i]))
    };
    let built_at = match fields.get(8).map(|f| f.trim()) {
        None | Some("") | Some("0") => None,
        Some(s) => {
            let secs: i64 = s
                .parse()
                .map_err(|_| format!("build time is not a number: `{s}`"))?;
            Some(Timestamp::from_second(secs).map_err(|e| format!("build time {secs}: {e}"))?)
        }
    };
    Ok(CvdHeader {
        version: number(2, "version")?,
        signatures: number(3, "signatures")?,
        functionality_level: number(4, "functionality level")?,
        builder: fields[7].trim().to_string(),
        built_at,
    })
}

fn read_header(path: &Path) -> Result<CvdHeader, String> {
    let mut buf = Vec::with_capacity(HEADER_LEN);
    std::fs::File::open(path)
        .map_err(|e| e.to_string())?
        .take(HEADER_LEN as u64)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    parse_header(&buf)
}

/// Database files in `dir`: for each of main/daily/bytecode, the `.cld` if present
/// (freshclam's incremental copy), else the `.cvd`.
fn database_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for base in ["main", "daily", "bytecode"] {
        let cld = dir.join(format!("{base}.cld"));
        let cvd = dir.join(format!("{base}.cvd"));
        if cld.is_file() {
            out.push(cld);
        } else if cvd.is_file() {
            out.push(cvd);
        }
    }
    out
}

/// Reads ClamAV's state. `processes` is the running-process list (or why unknown);
/// `dirs` the database folders to try, in order.
pub fn collect(
    processes: &Fact<Vec<String>>,
    dirs: &[PathBuf],
    binaries_found: bool,
) -> ClamAvFacts {
    let running = |names: &[&str]| -> Fact<bool> {
        match processes {
            Fact::Known(list) => Fact::known(list.iter().any(|p| {
                let p = p.to_ascii_lowercase();
                let p = p.strip_suffix(".exe").unwrap_or(&p);
                names.contains(&p)
            })),
            Fact::Unknown(m) => Fact::from_unknown(m.unknown.clone()),
        }
    };
    let daemon_running = running(&["clamd"]);
    let on_access_running = running(&["clamonacc"]);
    let updater_running = running(&["freshclam"]);

    let dir = dirs.iter().find(|d| !database_files(d).is_empty());
    let mut databases = Vec::new();
    if let Some(dir) = dir {
        for file in database_files(dir) {
            let name = file.display().to_string();
            databases.push(match read_header(&file) {
                Ok(h) => ClamAvDatabase {
                    file: name,
                    version: Fact::known(h.version),
                    signatures: Fact::known(h.signatures),
                    built_at: match h.built_at {
                        Some(t) => Fact::known(t),
                        None => Fact::unknown(
                            ReasonCode::Unparsable,
                            "old-format header without build time",
                        ),
                    },
                },
                Err(e) => {
                    let reason = if e.contains("ermission denied") {
                        ReasonCode::NeedsAdmin
                    } else {
                        ReasonCode::Unparsable
                    };
                    ClamAvDatabase {
                        file: name,
                        version: Fact::unknown(reason, e.clone()),
                        signatures: Fact::unknown(reason, e.clone()),
                        built_at: Fact::unknown(reason, e),
                    }
                }
            });
        }
    }
    let installed = dir.is_some()
        || binaries_found
        || [&daemon_running, &on_access_running, &updater_running]
            .iter()
            .any(|f| f.value() == Some(&true));
    let signatures_built_at = newest_build(&databases, installed);
    ClamAvFacts {
        installed,
        daemon_running,
        on_access_running,
        updater_running,
        database_dir: dir.map(|d| d.display().to_string()),
        databases,
        signatures_built_at,
    }
}

/// The newest build time among the databases: the age of the signatures as a whole.
/// When some header is unreadable and none readable, the reason of the first is kept.
fn newest_build(databases: &[ClamAvDatabase], installed: bool) -> Fact<Timestamp> {
    let newest = databases
        .iter()
        .filter_map(|d| d.built_at.value().copied())
        .max();
    match (newest, databases.first()) {
        (Some(t), _) => Fact::known(t),
        (None, Some(first)) => first.built_at.clone(),
        (None, None) if installed => Fact::unknown(
            ReasonCode::Error,
            "ClamAV is installed but no database (main/daily .cvd/.cld) was found",
        ),
        (None, None) => Fact::unknown(ReasonCode::NotConfigured, "ClamAV is not installed"),
    }
}

/// ClamAV as a normalised anti-malware product, when installed.
pub fn as_product(c: &ClamAvFacts) -> Option<AntivirusProduct> {
    if !c.installed {
        return None;
    }
    let active = match (&c.daemon_running, &c.on_access_running) {
        (Fact::Known(d), Fact::Known(o)) => Fact::known(*d || *o),
        (Fact::Unknown(m), _) | (_, Fact::Unknown(m)) => Fact::from_unknown(m.unknown.clone()),
    };
    Some(AntivirusProduct {
        name: "ClamAV".into(),
        source: "clamav".into(),
        active,
        realtime: c.on_access_running.clone(),
        signatures_updated_at: c.signatures_built_at.clone(),
        signatures_up_to_date: Fact::unknown(
            ReasonCode::Unsupported,
            "ClamAV reports no such flag: the database build time is used",
        ),
        // ClamAV is free software: there is no licence to expire.
        expired: Fact::known(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header in the documented format (from the field notes in shared/host-facts.md),
    /// padded with spaces to 512 bytes as sigtool writes it.
    pub(crate) fn header(version: u64, stime: i64) -> Vec<u8> {
        let text = format!(
            "ClamAV-VDB:07 Mar 2017 08-02 -0500:{version}:1741572:63:c1537143d2fba0a47dcd0e0a01a5d861:QC2ZoOmW3v1/a/Hl6Q2yN+Rj0kOBu1zz8dJ5hRyxpM0A2i9ulyl7wgvoDp9RsVvVRiA4GeaTJcXjmQGhtKwMcVyPq9qkjt5B2Yx:neo:{stime}"
        );
        let mut bytes = text.into_bytes();
        bytes.resize(512, b' ');
        bytes.extend_from_slice(b"\x1f\x8b\x08\x00payload");
        bytes
    }

    #[test]
    fn parses_a_real_format_header() {
        let h = parse_header(&header(23182, 1488891746)).unwrap();
        assert_eq!(h.version, 23182);
        assert_eq!(h.signatures, 1741572);
        assert_eq!(h.functionality_level, 63);
        assert_eq!(h.builder, "neo");
        assert_eq!(h.built_at.unwrap().as_second(), 1488891746);
    }

    #[test]
    fn old_header_without_build_time() {
        let text = "ClamAV-VDB:07 Mar 2008 08-02 -0500:5000:100:30:abc:sig:neo";
        let mut b = text.as_bytes().to_vec();
        b.resize(512, b' ');
        assert_eq!(parse_header(&b).unwrap().built_at, None);
    }

    #[test]
    fn truncated_and_garbage_are_errors_not_panics() {
        let full = header(1, 1488891746);
        assert!(
            parse_header(&full[..100])
                .unwrap_err()
                .contains("truncated")
        );
        assert!(parse_header(b"").is_err());
        assert!(
            parse_header(&[0xff; 600])
                .unwrap_err()
                .contains("not a ClamAV")
        );
        let mut bad = b"ClamAV-VDB:x:notanumber:1:2:3:4:neo:5".to_vec();
        bad.resize(512, b' ');
        assert!(parse_header(&bad).unwrap_err().contains("version"));
        let mut non_utf8 = b"ClamAV-VDB:".to_vec();
        non_utf8.resize(512, 0xC3);
        assert!(parse_header(&non_utf8).is_err());
    }

    #[test]
    fn newest_of_daily_and_main_wins_and_cld_is_preferred() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.cvd"), header(62, 1_600_000_000)).unwrap();
        std::fs::write(dir.path().join("daily.cvd"), header(27000, 1_700_000_000)).unwrap();
        std::fs::write(dir.path().join("daily.cld"), header(27100, 1_700_500_000)).unwrap();
        let procs = Fact::known(vec!["clamd".to_string()]);
        let c = collect(&procs, &[dir.path().to_path_buf()], false);
        assert!(c.installed);
        assert_eq!(c.databases.len(), 2);
        assert!(c.databases.iter().any(|d| d.file.ends_with("daily.cld")));
        assert_eq!(
            c.signatures_built_at.value().unwrap().as_second(),
            1_700_500_000
        );
        let p = as_product(&c).unwrap();
        assert_eq!(p.active, Fact::known(true));
        assert_eq!(p.realtime, Fact::known(false));
    }

    #[test]
    fn garbage_database_gives_unknown_with_reason() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("daily.cvd"), b"garbage").unwrap();
        let c = collect(&Fact::known(vec![]), &[dir.path().to_path_buf()], false);
        let why = c.signatures_built_at.unknown_reason().unwrap();
        assert_eq!(why.reason, ReasonCode::Unparsable);
        assert!(why.detail.contains("not a ClamAV database"));
    }

    #[test]
    fn unknown_process_list_makes_activity_unknown() {
        let procs = Fact::unknown(ReasonCode::NeedsAdmin, "");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("daily.cvd"), header(1, 1_700_000_000)).unwrap();
        let c = collect(&procs, &[dir.path().to_path_buf()], false);
        assert!(as_product(&c).unwrap().active.unknown_reason().is_some());
    }
}
