//! Rendering results for people (`text`) and machines (`json`), and writing them
//! safely to disk.

pub mod collate;
pub mod compliance;
pub mod delimited;
pub mod html;
pub mod indicators;
pub mod input;
pub mod inventory;
pub mod machine;
pub mod numfmt;
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

/// A file written through a temporary file in the same folder and renamed into place
/// on [`AtomicFile::commit`], so an interrupted run never leaves a half-written or
/// truncated file, and an existing file is only replaced by a complete one. Dropped
/// without commit, the temporary file is removed.
pub struct AtomicFile {
    file: Option<std::io::BufWriter<std::fs::File>>,
    tmp: std::path::PathBuf,
    dest: std::path::PathBuf,
}

impl AtomicFile {
    pub fn create(dest: &Path) -> std::io::Result<AtomicFile> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "khien-output".into());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        Ok(AtomicFile {
            file: Some(file),
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// Flushes, syncs and renames the temporary file over the destination.
    pub fn commit(mut self) -> std::io::Result<()> {
        let file = self.file.take().expect("committed once");
        let f = file.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&self.tmp, &self.dest)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.as_mut().expect("not committed").write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() || self.tmp.exists() {
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `content` to `path` whole, or not at all (see [`AtomicFile`]).
pub fn write_atomically(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(content)?;
    file.commit()
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
    fn an_interrupted_stream_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("web.json");
        write_atomically(&p, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"half of a new ").unwrap();
            // Dropped without commit, as when a scan stops with an error.
        }
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
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
