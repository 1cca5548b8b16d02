//! The spanned-TOML loader kit: what every loader of a khien file shares.
//!
//! The policy, the register, the waivers, `khien.toml` and `khien-serve.toml` are all
//! read the same way, after cargo-deny: the file is read with a size bound, parsed
//! with positions (every syntax error recovered and reported), each part is
//! deserialized on its own so one bad entry does not hide the next, and the values
//! that need judgement are checked with their positions afterwards. Every problem is
//! a [`Diagnostic`](crate::diagnostic::Diagnostic) with a stable code, its message
//! and help kept in both languages; the language is chosen when it is rendered.
//! Nothing is returned from a file that has an error ([`TomlFile::finish`]).

use std::ops::Range;
use std::path::Path;

use jiff::civil::Date;
use serde::Deserialize;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::diagnostic::{Code, Diagnostics, SourceFile};
use crate::i18n::{Lang, Localized};

/// One file being loaded: its index in the diagnostics, and where errors go.
pub struct TomlFile<'d> {
    pub diags: &'d mut Diagnostics,
    pub file: usize,
}

/// Reads `path` (at most `max_bytes`, regular files only) as a new file of `diags`.
/// When it cannot be read, records K101 ("`what`: reason", with `help`) and returns
/// `None`, so a loader of several files goes on with the next.
pub fn read_file(
    diags: &mut Diagnostics,
    path: &Path,
    max_bytes: u64,
    what: Localized,
    help: Localized,
) -> Option<usize> {
    let name = path.display().to_string();
    match crate::io::read_bounded_text(path, max_bytes) {
        Ok(text) => Some(diags.add_file(SourceFile::new(name, text))),
        Err(e) => {
            let f = diags.add_file(SourceFile::new(name, ""));
            diags.error(
                Code::FileUnreadable,
                f,
                0..0,
                Localized::new(format!("{}: {e}", what.vi), format!("{}: {e}", what.en)),
                Some(help),
            );
            None
        }
    }
}

impl<'d> TomlFile<'d> {
    pub fn new(diags: &'d mut Diagnostics, file: usize) -> Self {
        TomlFile { diags, file }
    }

    /// Records an error with its message and help in (Vietnamese, English).
    pub fn error(
        &mut self,
        code: Code,
        span: Range<usize>,
        vi: (impl Into<String>, impl Into<String>),
        en: (impl Into<String>, impl Into<String>),
    ) {
        self.diags.error(
            code,
            self.file,
            span,
            Localized::new(vi.0, en.0),
            Some(Localized::new(vi.1, en.1)),
        );
    }

    /// The file's text, owned, so that the parsed table may borrow it while errors
    /// are recorded.
    pub fn text(&self) -> String {
        self.diags.files[self.file].text.clone()
    }

    /// The line (1-based) at a byte offset, to point from one error at another place.
    pub fn line_of(&self, offset: usize) -> usize {
        self.diags.files[self.file].line_col(offset).0
    }

    /// Parses the text with positions. Every syntax error is recorded; `None` when
    /// there was one (a table parsed around an error would only add noise).
    pub fn parse<'t>(&mut self, text: &'t str) -> Option<DeTable<'t>> {
        let (table, errors) = DeTable::parse_recoverable(text);
        if errors.is_empty() {
            return Some(table.into_inner());
        }
        for e in errors {
            let msg = e.message().trim().to_string();
            self.error(
                Code::TomlSyntax,
                e.span().unwrap_or(0..0),
                (
                    format!("lỗi cú pháp TOML: {msg}"),
                    "sửa cú pháp TOML (xem https://toml.io)",
                ),
                (
                    format!("TOML syntax: {msg}"),
                    "fix the TOML syntax; see https://toml.io",
                ),
            );
        }
        None
    }

    /// Parses the whole text into `T` (a file read as one structure). `accepted`
    /// lists the keys and tables the file accepts, and where they are documented,
    /// for the help of an unknown key.
    pub fn parse_whole<T: for<'de> Deserialize<'de>>(
        &mut self,
        what: &str,
        accepted: Localized,
    ) -> Option<T> {
        let text = self.text();
        let table = self.parse(&text)?;
        let whole = Spanned::new(0..text.len(), DeValue::Table(table));
        self.deserialize_with(whole, what, Some(accepted))
    }

    /// Deserializes one part of the file (a table, an entry of an array of tables).
    /// On failure records the error, classified by [`Code::of_toml_error`], with
    /// help that fits its kind, and returns `None`. `what` names the part as the
    /// user wrote it (`[[unit]]`, `[register]`); `docs` where its keys are listed.
    pub fn deserialize<T: for<'de> Deserialize<'de>>(
        &mut self,
        value: Spanned<DeValue<'_>>,
        what: &str,
        docs: &str,
    ) -> Option<T> {
        let accepted = Localized::new(
            format!("xóa hoặc sửa tên khóa; xem các khóa {what} nhận trong {docs}"),
            format!("remove or rename the key; see the keys {what} accepts in {docs}"),
        );
        self.deserialize_with(value, what, Some(accepted))
    }

    fn deserialize_with<T: for<'de> Deserialize<'de>>(
        &mut self,
        value: Spanned<DeValue<'_>>,
        what: &str,
        accepted: Option<Localized>,
    ) -> Option<T> {
        let span = value.span();
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(v) => Some(v),
            Err(e) => {
                let message = e.message().trim().to_string();
                let code = Code::of_toml_error(&e);
                let help = match (code, accepted) {
                    (Code::UnknownKey, Some(accepted)) => accepted,
                    (Code::MissingKey, _) => Localized::new(
                        format!("bổ sung khóa còn thiếu vào {what}"),
                        format!("add the missing key to {what}"),
                    ),
                    _ => Localized::new(
                        format!("sửa kiểu hoặc chính tả của giá trị trong {what}"),
                        format!("fix the value's type or spelling in {what}"),
                    ),
                };
                self.diags.error(
                    code,
                    self.file,
                    e.span().unwrap_or(span),
                    Localized::new(
                        format!("trong {what}: {message}"),
                        format!("in {what}: {message}"),
                    ),
                    Some(help),
                );
                None
            }
        }
    }

    /// The entries of an array of tables (`[[key]]`); an error and none when the
    /// value is something else.
    pub fn array<'a>(
        &mut self,
        value: Spanned<DeValue<'a>>,
        key: &str,
    ) -> Vec<Spanned<DeValue<'a>>> {
        let span = value.span();
        match value.into_inner() {
            DeValue::Array(items) => items.into_iter().collect(),
            _ => {
                self.error(
                    Code::WrongType,
                    span,
                    (
                        format!("`{key}` phải là một mảng bảng"),
                        format!("viết mỗi mục là một bảng [[{key}]]"),
                    ),
                    (
                        format!("`{key}` must be an array of tables"),
                        format!("write each entry as a [[{key}]] table"),
                    ),
                );
                Vec::new()
            }
        }
    }

    /// A top-level key the file does not have; `expected` says what it holds.
    pub fn unknown_top_level_key(
        &mut self,
        key: &str,
        span: Range<usize>,
        what_vi: &str,
        expected: Localized,
    ) {
        self.error(
            Code::UnknownKey,
            span,
            (
                format!("khóa `{key}` không có trong {what_vi}"),
                expected.vi,
            ),
            (format!("unknown top-level key `{key}`"), expected.en),
        );
    }

    /// A date written as TOML writes it (`2026-04-30`) or as a string
    /// (`"30/04/2026"`); an error and `None` when it is not a real date.
    pub fn date(&mut self, value: &Spanned<DateInput>, field: &str) -> Option<Date> {
        match value.get_ref().date() {
            Ok(d) => Some(d),
            Err(why) => {
                self.error(
                    Code::InvalidDate,
                    value.span(),
                    (
                        format!("`{field}`: ngày không hợp lệ: {}", why.vi),
                        "ghi ngày dạng 2026-04-30 hoặc \"30/04/2026\"",
                    ),
                    (
                        format!("`{field}`: invalid date: {}", why.en),
                        "write the date as 2026-04-30 or \"30/04/2026\"",
                    ),
                );
                None
            }
        }
    }

    /// A value that must be one of `allowed`; returned trimmed either way.
    pub fn one_of(&mut self, value: &Spanned<String>, allowed: &[&str], field: &str) -> String {
        let v = value.get_ref().trim();
        if !allowed.contains(&v) {
            self.error(
                Code::InvalidValue,
                value.span(),
                (
                    format!("`{field}` = `{v}` không hợp lệ"),
                    format!("dùng một trong: {}", allowed.join(", ")),
                ),
                (
                    format!("`{field}` = `{v}` is not allowed"),
                    format!("use one of: {}", allowed.join(", ")),
                ),
            );
        }
        v.to_string()
    }

    /// A text that must not be blank.
    pub fn not_blank(&mut self, value: &Spanned<String>, field: &str, help: Localized) {
        if value.get_ref().trim().is_empty() {
            self.error(
                Code::MissingKey,
                value.span(),
                (format!("`{field}` không được để trống"), help.vi),
                (format!("`{field}` cannot be empty"), help.en),
            );
        }
    }
}

/// Ends a load over one or more files: `Err` with every problem in (file, position)
/// order, as a person fixes them, when there was one; else the value.
pub fn finish<T>(mut diags: Diagnostics, value: impl FnOnce() -> T) -> Result<T, Diagnostics> {
    if diags.is_empty() {
        Ok(value())
    } else {
        diags.errors.sort_by_key(|d| (d.file, d.span.start));
        Err(diags)
    }
}

/// A date as TOML writes it (`2026-04-30`) or as a string (`"30/04/2026"`).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum DateInput {
    Toml(toml::value::Datetime),
    Text(String),
}

impl DateInput {
    /// The date, or why it is not one, in both languages.
    pub fn date(&self) -> Result<Date, Localized> {
        match self {
            DateInput::Text(t) => crate::register::parse_date(t)
                .map_err(|e| Localized::new(e.text(Lang::Vi), e.text(Lang::En))),
            DateInput::Toml(dt) => match (dt.date, dt.time) {
                (Some(d), None) => Date::new(d.year as i16, d.month as i8, d.day as i8)
                    .map_err(|e| Localized::new(e.to_string(), e.to_string())),
                _ => Err(Localized::new(
                    format!("`{dt}` có giờ, cần một ngày"),
                    format!("`{dt}` is a time, not a date"),
                )),
            },
        }
    }

    /// The text as written, for values that are instants rather than dates.
    pub fn text(&self) -> String {
        match self {
            DateInput::Toml(d) => d.to_string(),
            DateInput::Text(t) => t.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        #[allow(dead_code)]
        name: String,
        day: Spanned<DateInput>,
    }

    #[test]
    fn every_entry_is_checked_and_errors_come_in_file_order() {
        let text = "[[e]]\nname = \"a\"\nday = \"31/02/2026\"\n\n[[e]]\nnome = \"b\"\nday = 2026-01-01\n\n[[e]]\nname = \"c\"\nday = 2026-03-01T10:00:00\n";
        let mut diags = Diagnostics::default();
        let f = diags.add_file(SourceFile::new("t.toml", text));
        let mut doc = TomlFile::new(&mut diags, f);
        let owned = doc.text();
        let table = doc.parse(&owned).expect("valid TOML");
        let mut days = Vec::new();
        for (key, value) in table {
            assert_eq!(key.get_ref(), "e");
            for item in doc.array(value, "e") {
                if let Some(e) = doc.deserialize::<Entry>(item, "[[e]]", "docs/x.md")
                    && let Some(d) = doc.date(&e.day, "day")
                {
                    days.push(d);
                }
            }
        }
        let diags = finish(diags, || ()).unwrap_err();
        let codes: Vec<_> = diags
            .errors
            .iter()
            .map(|d| (d.code, diags.location(d)))
            .collect();
        assert_eq!(
            codes,
            vec![
                (Code::InvalidDate, "t.toml:3:7".to_string()),
                (Code::UnknownKey, "t.toml:6:1".to_string()),
                (Code::InvalidDate, "t.toml:11:7".to_string()),
            ]
        );
        assert!(days.is_empty());
        let help = diags.errors[1].help.as_ref().unwrap();
        assert!(help.en.contains("docs/x.md"), "{help:?}");
        assert!(help.vi.contains("docs/x.md"), "{help:?}");
    }

    #[test]
    fn syntax_errors_are_all_reported_and_nothing_is_returned() {
        let mut diags = Diagnostics::default();
        let f = diags.add_file(SourceFile::new("t.toml", "a = \nb = [\n"));
        let mut doc = TomlFile::new(&mut diags, f);
        let owned = doc.text();
        assert!(doc.parse(&owned).is_none());
        let diags = finish(diags, || ()).unwrap_err();
        assert!(!diags.errors.is_empty());
        assert!(diags.errors.iter().all(|d| d.code == Code::TomlSyntax));
    }

    #[test]
    fn an_unreadable_file_is_k101_and_names_what_it_was() {
        let mut diags = Diagnostics::default();
        let got = read_file(
            &mut diags,
            Path::new("/nonexistent/khien.toml"),
            1024,
            Localized::new(
                "không đọc được tệp cấu hình",
                "cannot read the configuration",
            ),
            Localized::new("kiểm tra đường dẫn", "check the path"),
        );
        assert!(got.is_none());
        assert_eq!(diags.errors[0].code, Code::FileUnreadable);
        assert!(
            diags.errors[0]
                .message
                .en
                .starts_with("cannot read the configuration: ")
        );
    }
}
