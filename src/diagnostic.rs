//! The one diagnostic model of khien's input files (policies, the local
//! configuration, registers, waivers, the server's configuration): each problem has
//! a stable [`Code`], a position, and a message and help in both languages, chosen
//! when rendered, for a terminal (codespan, as cargo) or as JSON for tools.
//!
//! Every error names the file, line and column and says what to do. Loaders collect
//! as many errors as they can before giving up, so a user fixes them in one pass.

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

use crate::i18n::{Lang, Localized};

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

/// A stable diagnostic code: never renumbered, never reused. Each has its own
/// entry in `docs/diagnostics.md` (a test keeps the two in step).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// The file cannot be read (missing, a folder, a device, too large).
    FileUnreadable,
    /// The text is not valid TOML.
    TomlSyntax,
    /// A key (table or field) the file format does not have.
    UnknownKey,
    /// A required key is missing.
    MissingKey,
    /// A value of the wrong type (text for a number, a table for a list…).
    WrongType,
    /// A number outside its allowed range, infinite or not a number.
    OutOfRange,
    /// A value that is not one of those allowed, or not in the expected form.
    InvalidValue,
    /// A date that cannot be read.
    InvalidDate,
    /// The same code or identifier given twice.
    Duplicate,
    /// A reference to something that does not exist (a unit, a rule, a parameter).
    UnknownReference,
    /// A rule condition that does not parse or does not check against the fact model.
    ConditionInvalid,
    /// A rule condition beyond the size or nesting limits.
    ConditionTooLarge,
    /// A rule's texts, basis or metadata are incomplete.
    RuleIncomplete,
    /// The policy as a whole is inconsistent (no header, two headers, version).
    PolicyInvalid,
}

impl Code {
    pub const ALL: [Code; 14] = [
        Code::FileUnreadable,
        Code::TomlSyntax,
        Code::UnknownKey,
        Code::MissingKey,
        Code::WrongType,
        Code::OutOfRange,
        Code::InvalidValue,
        Code::InvalidDate,
        Code::Duplicate,
        Code::UnknownReference,
        Code::ConditionInvalid,
        Code::ConditionTooLarge,
        Code::RuleIncomplete,
        Code::PolicyInvalid,
    ];

    /// The code as users see and search for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::FileUnreadable => "K101",
            Code::TomlSyntax => "K102",
            Code::UnknownKey => "K103",
            Code::MissingKey => "K104",
            Code::WrongType => "K105",
            Code::OutOfRange => "K201",
            Code::InvalidValue => "K202",
            Code::InvalidDate => "K203",
            Code::Duplicate => "K204",
            Code::UnknownReference => "K205",
            Code::ConditionInvalid => "K301",
            Code::ConditionTooLarge => "K302",
            Code::RuleIncomplete => "K303",
            Code::PolicyInvalid => "K304",
        }
    }

    /// What the code means, in a few words.
    pub fn summary(self) -> Localized {
        let (vi, en) = match self {
            Code::FileUnreadable => ("không đọc được tệp", "file cannot be read"),
            Code::TomlSyntax => ("sai cú pháp TOML", "TOML syntax error"),
            Code::UnknownKey => ("khóa không có trong định dạng", "unknown key"),
            Code::MissingKey => ("thiếu khóa bắt buộc", "missing key"),
            Code::WrongType => ("giá trị sai kiểu", "value of the wrong type"),
            Code::OutOfRange => ("số nằm ngoài khoảng cho phép", "number out of range"),
            Code::InvalidValue => ("giá trị không hợp lệ", "invalid value"),
            Code::InvalidDate => ("ngày không hợp lệ", "invalid date"),
            Code::Duplicate => ("mã bị trùng", "duplicate"),
            Code::UnknownReference => (
                "tham chiếu tới mục không tồn tại",
                "reference to something that does not exist",
            ),
            Code::ConditionInvalid => (
                "điều kiện của quy tắc không hợp lệ",
                "invalid rule condition",
            ),
            Code::ConditionTooLarge => {
                ("điều kiện của quy tắc quá lớn", "rule condition too large")
            }
            Code::RuleIncomplete => ("quy tắc thiếu nội dung", "incomplete rule"),
            Code::PolicyInvalid => ("bộ quy tắc không nhất quán", "inconsistent policy"),
        };
        Localized::new(vi, en)
    }

    /// Classifies a deserialization error of the `toml` crate. The crate gives no
    /// error kind, only serde's messages, so this is the one place that reads them.
    pub fn of_toml_error(e: &toml::de::Error) -> Code {
        let m = e.message();
        if m.contains("unknown field") || m.contains("unknown variant") {
            Code::UnknownKey
        } else if m.contains("missing field") {
            Code::MissingKey
        } else if m.contains("invalid type") || m.contains("expected") {
            Code::WrongType
        } else {
            Code::TomlSyntax
        }
    }
}

/// How bad a diagnostic is: errors stop the load, warnings are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

/// One problem in one input file: a stable code, where, what (both languages,
/// chosen when rendered) and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub level: Level,
    /// Index into [`Diagnostics::files`].
    pub file: usize,
    /// Byte range in the file; empty when the problem concerns the whole file.
    pub span: Range<usize>,
    pub message: Localized,
    /// What to do about it.
    pub help: Option<Localized>,
}

/// The problems found while loading a set of files.
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

    /// Records an error.
    pub fn error(
        &mut self,
        code: Code,
        file: usize,
        span: Range<usize>,
        message: Localized,
        help: Option<Localized>,
    ) {
        self.errors.push(Diagnostic {
            code,
            level: Level::Error,
            file,
            span,
            message,
            help,
        });
    }

    /// Records a deserialization error of the `toml` crate, classified by
    /// [`Code::of_toml_error`], with the help the caller gives for that code.
    pub fn toml_error(
        &mut self,
        file: usize,
        e: &toml::de::Error,
        help: impl Fn(Code) -> Localized,
    ) {
        let code = Code::of_toml_error(e);
        let text = e.message().trim().to_string();
        self.error(
            code,
            file,
            e.span().unwrap_or(0..0),
            Localized::new(format!("{}: {text}", code.summary().vi), text.clone()),
            Some(help(code)),
        );
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `path:line:col` of a diagnostic.
    pub fn location(&self, d: &Diagnostic) -> String {
        let file = &self.files[d.file];
        let (line, col) = file.line_col(d.span.start);
        format!("{}:{line}:{col}", file.name)
    }

    /// Renders every diagnostic with the quoted source line, as cargo does.
    pub fn render(&self, lang: Lang) -> String {
        let mut files = SimpleFiles::new();
        for f in &self.files {
            files.add(f.name.clone(), f.text.clone());
        }
        let config = term::Config::default();
        let mut out = String::new();
        for d in &self.errors {
            let base = match d.level {
                Level::Error => CsDiagnostic::error(),
                Level::Warning => CsDiagnostic::warning(),
            };
            let mut diag = base
                .with_code(d.code.as_str())
                .with_message(d.message.get(lang));
            let len = self.files[d.file].text.len();
            let span = d.span.start.min(len)..d.span.end.min(len).max(d.span.start.min(len));
            diag = diag.with_labels(vec![Label::primary(d.file, span)]);
            if let Some(help) = &d.help {
                let word = match lang {
                    Lang::Vi => "cách sửa",
                    Lang::En => "help",
                };
                diag = diag.with_notes(vec![format!("{word}: {}", help.get(lang))]);
            }
            match term::emit_into_string(&config, &files, &diag) {
                Ok(text) => out.push_str(&text),
                Err(_) => out.push_str(&format!(
                    "{}: error[{}]: {}\n",
                    self.location(d),
                    d.code.as_str(),
                    d.message.get(lang)
                )),
            }
        }
        out
    }

    /// The diagnostics as JSON for tools: one object per diagnostic with its code,
    /// level, file, line, column, byte span, message and help in the language asked.
    pub fn to_json(&self, lang: Lang) -> serde_json::Value {
        let items: Vec<serde_json::Value> = self
            .errors
            .iter()
            .map(|d| {
                let file = &self.files[d.file];
                let (line, column) = file.line_col(d.span.start);
                serde_json::json!({
                    "code": d.code.as_str(),
                    "level": match d.level { Level::Error => "error", Level::Warning => "warning" },
                    "file": file.name,
                    "line": line,
                    "column": column,
                    "span": [d.span.start, d.span.end],
                    "message": d.message.get(lang),
                    "help": d.help.as_ref().map(|h| h.get(lang)),
                })
            })
            .collect();
        serde_json::json!({ "diagnostics": items })
    }
}

impl fmt::Display for Diagnostics {
    /// One line per diagnostic, in English: `path:line:col: [K101] message (help)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.errors {
            write!(
                f,
                "{}: [{}] {}",
                self.location(d),
                d.code.as_str(),
                d.message.en
            )?;
            if let Some(help) = &d.help {
                write!(f, " (help: {})", help.en)?;
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
