//! Errors in input files (policies, local configuration, registers), with positions.
//!
//! Every error names the file, line and column and says what to do. Loaders collect
//! as many errors as they can before giving up, so a user fixes them in one pass.

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

/// One input file, kept so that errors can quote it.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path as the user gave it, or `embedded:rules/host.toml`.
    pub name: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One error in one input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Index into [`Diagnostics::files`].
    pub file: usize,
    /// Byte range in the file; empty when the error concerns the whole file.
    pub span: Range<usize>,
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

/// The errors found while loading a set of files.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub files: Vec<SourceFile>,
    pub errors: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn add_file(&mut self, file: SourceFile) -> usize {
        self.files.push(file);
        self.files.len() - 1
    }

    pub fn error(
        &mut self,
        file: usize,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.errors.push(Diagnostic {
            file,
            span,
            message: message.into(),
            help,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `path:line:col` of an error.
    pub fn location(&self, d: &Diagnostic) -> String {
        let file = &self.files[d.file];
        let (line, col) = file.line_col(d.span.start);
        format!("{}:{line}:{col}", file.name)
    }

    /// Renders every error with the quoted source line, as cargo does.
    pub fn render(&self) -> String {
        let mut files = SimpleFiles::new();
        for f in &self.files {
            files.add(f.name.clone(), f.text.clone());
        }
        let config = term::Config::default();
        let mut out = String::new();
        for d in &self.errors {
            let mut diag = CsDiagnostic::error().with_message(&d.message);
            let len = self.files[d.file].text.len();
            let span = d.span.start.min(len)..d.span.end.min(len).max(d.span.start.min(len));
            diag = diag.with_labels(vec![Label::primary(d.file, span)]);
            if let Some(help) = &d.help {
                diag = diag.with_notes(vec![format!("help: {help}")]);
            }
            match term::emit_into_string(&config, &files, &diag) {
                Ok(text) => out.push_str(&text),
                Err(_) => out.push_str(&format!("{}: error: {}\n", self.location(d), d.message)),
            }
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    /// One line per error: `path:line:col: message (help)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.errors {
            write!(f, "{}: {}", self.location(d), d.message)?;
            if let Some(help) = &d.help {
                write!(f, " (help: {help})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The span of the value at `path` (table keys from the root, e.g.
/// `["limits", "max_seconds"]`) in a TOML text, for errors found after
/// deserializing: a value out of range is pointed at where it is written.
pub fn toml_value_span(text: &str, path: &[&str]) -> Option<std::ops::Range<usize>> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let (last, parents) = path.split_last()?;
    let mut table = root.get_ref();
    for key in parents {
        match table.get(*key)?.get_ref() {
            toml::de::DeValue::Table(t) => table = t,
            _ => return None,
        }
    }
    Some(table.get(*last)?.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let f = SourceFile::new("a.toml", "tiêu = 1\nđ = x\n");
        let off = f.text.find('x').unwrap();
        assert_eq!(f.line_col(off), (2, 5));
        assert_eq!(f.line_col(0), (1, 1));
    }
}
