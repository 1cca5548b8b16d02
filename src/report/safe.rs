//! Safety of what khien writes.
//!
//! - Text that came from scanned machines, websites or result files made harmless in
//!   reports: HTML escaping, and neutralising spreadsheet formulas (a cell starting
//!   with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, as
//!   OWASP recommends against CSV injection).
//! - Output files written whole or not at all ([`AtomicFile`]), without replacing a
//!   device or following a link planted beside the target.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Escapes text for HTML element content and quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than whitespace have no place in a report.
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Neutralises a spreadsheet cell value that a spreadsheet would read as a formula.
pub fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Links followed at most when resolving an output path (as the kernel's limit).
const MAX_LINKS: usize = 40;

/// An output file written whole or not at all.
///
/// A regular file (or a new one) is written through a temporary file in the same
/// folder, created exclusively under a random name (so a link planted beside the
/// target is never followed), synced, and renamed over the target on
/// [`AtomicFile::commit`]: an interrupted run leaves the old file and no temporary.
/// A target that is a link is resolved first, so the link stays and the file it
/// names is replaced. A target that is not a regular file (`/dev/null`, a FIFO, a
/// terminal, `/dev/stdout`) is written to directly, never replaced. Every write,
/// flush and sync error is returned.
pub struct AtomicFile {
    sink: Sink,
}

enum Sink {
    /// Renamed over `dest` on commit; removed when dropped uncommitted.
    Temporary {
        file: BufWriter<tempfile::NamedTempFile>,
        dest: PathBuf,
    },
    /// A device, FIFO or terminal: written in place.
    Direct(BufWriter<File>),
}

impl AtomicFile {
    pub fn create(dest: &Path) -> std::io::Result<AtomicFile> {
        // Not a regular file once links are followed: write to it, never replace it.
        // `/dev/stdout` and `/proc/self/fd/N` name an open file even when it is a
        // regular one (a shell redirection): write to that file, not beside it.
        let open_descriptor = dest.starts_with("/dev/") || dest.starts_with("/proc/");
        if let Ok(meta) = std::fs::metadata(dest)
            && (!meta.is_file() || open_descriptor)
        {
            if meta.is_dir() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::IsADirectory,
                    "is a folder, not a file",
                ));
            }
            // No truncation for a device; a redirected regular file starts empty.
            let file = OpenOptions::new()
                .write(true)
                .truncate(meta.is_file())
                .open(dest)?;
            return Ok(AtomicFile {
                sink: Sink::Direct(BufWriter::new(file)),
            });
        }
        let dest = resolve_links(dest)?;
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "khien-output".into());
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // The permissions a plain create would give (0666 less the umask), or the
        // replaced file's own; tempfile's default (0600) would hide a shared report.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&dest)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0o666);
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        let tmp = builder.tempfile_in(dir)?;
        Ok(AtomicFile {
            sink: Sink::Temporary {
                file: BufWriter::new(tmp),
                dest,
            },
        })
    }

    /// Flushes and syncs, then renames the temporary file over the destination
    /// (a direct target is flushed only).
    pub fn commit(self) -> std::io::Result<()> {
        match self.sink {
            Sink::Temporary { file, dest } => {
                let tmp = file.into_inner().map_err(|e| e.into_error())?;
                tmp.as_file().sync_all()?;
                tmp.persist(&dest).map_err(|e| e.error)?;
                Ok(())
            }
            Sink::Direct(mut file) => file.flush(),
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.sink {
            Sink::Temporary { file, .. } => file.write(buf),
            Sink::Direct(file) => file.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Temporary { file, .. } => file.flush(),
            Sink::Direct(file) => file.flush(),
        }
    }
}

/// `path` with its symbolic links followed (also a link to a file not yet made),
/// so the file is replaced and the link kept.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links to follow"
    )))
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
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(html("Trường Tiểu học Đạ Huoai"), "Trường Tiểu học Đạ Huoai");
    }

    #[test]
    fn formulas_are_neutralised() {
        for f in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\r=1",
        ] {
            assert!(cell(f).starts_with('\''), "{f}");
        }
        assert_eq!(cell("Trường A"), "Trường A");
        assert_eq!(cell(""), "");
    }

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

    #[cfg(unix)]
    #[test]
    fn a_link_is_written_through_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomically(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        // A dangling link: the file it names is made.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("made.json", &dangling).unwrap();
        write_atomically(&dangling, b"made").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("made.json")).unwrap(),
            "made"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_written_not_replaced_and_their_errors_returned() {
        write_atomically(Path::new("/dev/null"), b"x").unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
        if Path::new("/dev/full").exists() {
            let e = write_atomically(Path::new("/dev/full"), &[b'x'; 100_000]).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(28), "{e}"); // ENOSPC
            assert!(!std::fs::metadata("/dev/full").unwrap().is_file());
        }
    }
}
