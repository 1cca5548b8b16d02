//! Rendering results for people (`text`) and machines (`json`), and writing them
//! safely to disk.

pub mod compliance;
pub mod delimited;
pub mod html;
pub mod indicators;
pub mod input;
pub mod inventory;
pub mod period;
pub mod safe;
pub mod svg;
pub mod tables;
pub mod text;
pub mod xlsx;

use std::io::Write;
use std::path::Path;

use crate::findings::ResultDocument;

/// Output formats of the scan and eval commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn to_json(doc: &ResultDocument) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("result documents always serialize");
    s.push('\n');
    s
}

/// Writes `content` to `path` through a temporary file in the same folder and a
/// rename, so an interrupted run never leaves a half-written or truncated file.
pub fn write_atomically(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "khien-output".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        write_atomically(&p, b"first").unwrap();
        write_atomically(&p, b"second").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_write_leaves_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub");
        std::fs::create_dir(&p).unwrap();
        // Renaming a file over a non-empty directory fails: the directory stays.
        std::fs::write(p.join("keep"), "x").unwrap();
        assert!(write_atomically(&p, b"new").is_err());
        assert_eq!(std::fs::read_to_string(p.join("keep")).unwrap(), "x");
    }
}
