//! Where khien writes what it produces: a named file, which appears whole or not at
//! all (see [`crate::report::AtomicFile`]), or standard output. Every write error is
//! returned to the caller, which ends with a message and a non-zero exit: a full disk
//! or `> /dev/full` must never look like success. A reader that closes the pipe early
//! (`khien … | head`) ends the output quietly, as command-line tools do.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::report::AtomicFile;

/// An open destination for one command's output.
pub enum Output {
    Stdout {
        out: anstream::AutoStream<std::io::Stdout>,
        /// The reader went away: the rest is dropped, and that is not an error.
        closed: bool,
    },
    File {
        file: AtomicFile,
        path: PathBuf,
    },
}

/// A failed write, naming where it went.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", where_.display())]
pub struct OutputError {
    where_: PathBuf,
    #[source]
    source: std::io::Error,
}

impl OutputError {
    pub fn new(dest: Option<&Path>, source: std::io::Error) -> Self {
        OutputError {
            where_: dest.unwrap_or(Path::new("-")).to_path_buf(),
            source,
        }
    }
}

impl Output {
    /// Opens `dest`, or standard output when `None`.
    pub fn open(dest: Option<&Path>) -> Result<Output, OutputError> {
        Ok(match dest {
            None => Output::Stdout {
                out: anstream::stdout(),
                closed: false,
            },
            Some(path) => Output::File {
                file: AtomicFile::create(path).map_err(|e| OutputError::new(Some(path), e))?,
                path: path.to_path_buf(),
            },
        })
    }

    /// The file written, or `None` for standard output.
    pub fn dest(&self) -> Option<&Path> {
        match self {
            Output::Stdout { .. } => None,
            Output::File { path, .. } => Some(path),
        }
    }

    /// Writes text; in files, terminal colours are stripped.
    pub fn write_str(&mut self, s: &str) -> Result<(), OutputError> {
        let result = match self {
            Output::Stdout { closed: true, .. } => Ok(()),
            Output::Stdout { out, closed } => match out.write_all(s.as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    *closed = true;
                    Ok(())
                }
                other => other,
            },
            Output::File { file, .. } => {
                file.write_all(anstream::adapter::strip_str(s).to_string().as_bytes())
            }
        };
        result.map_err(|e| OutputError::new(self.dest(), e))
    }

    /// Writes bytes as they are (binary formats, already plain text).
    pub fn write_bytes(&mut self, b: &[u8]) -> Result<(), OutputError> {
        let result = match self {
            Output::Stdout { closed: true, .. } => Ok(()),
            Output::Stdout { out, closed } => match out.write_all(b) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    *closed = true;
                    Ok(())
                }
                other => other,
            },
            Output::File { file, .. } => file.write_all(b),
        };
        result.map_err(|e| OutputError::new(self.dest(), e))
    }

    /// Flushes standard output, or puts the file in place.
    pub fn finish(self) -> Result<(), OutputError> {
        match self {
            Output::Stdout { closed: true, .. } => Ok(()),
            Output::Stdout { mut out, .. } => match out.flush() {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(OutputError::new(None, e))
                }
                _ => Ok(()),
            },
            Output::File { file, path } => {
                file.commit().map_err(|e| OutputError::new(Some(&path), e))
            }
        }
    }
}

/// Byte output for writers that stream (CSV, JSON, XLSX of the report): the same
/// rules as [`Output::write_bytes`]; the error names no destination, so callers
/// wrap it with [`OutputError::new`].
impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout { closed: true, .. } => Ok(buf.len()),
            Output::Stdout { out, closed } => match out.write(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    *closed = true;
                    Ok(buf.len())
                }
                other => other,
            },
            Output::File { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout { closed: true, .. } => Ok(()),
            Output::Stdout { out, closed } => match out.flush() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    *closed = true;
                    Ok(())
                }
                other => other,
            },
            Output::File { file, .. } => file.flush(),
        }
    }
}

/// Writes a whole text to `dest` (or standard output).
pub fn write_text(dest: Option<&Path>, text: &str) -> Result<(), OutputError> {
    let mut out = Output::open(dest)?;
    out.write_str(text)?;
    out.finish()
}

/// Writes `value` as pretty JSON to `dest`, whole or not at all.
pub fn write_json(dest: &Path, value: &impl serde::Serialize) -> Result<(), OutputError> {
    let json = serde_json::to_string_pretty(value).expect("khien's documents serialize") + "\n";
    write_text(Some(dest), &json)
}
