//! Reading a waivers file (TOML, `[[waiver]]` tables), every error at once with its
//! position, in the same way as registers and policies.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{Waiver, WaiverSet};
use crate::diagnostic::Code;
use crate::i18n::Lang;
use crate::i18n::Localized;
use crate::policy::{Diagnostics, Policy, SourceFile};
use crate::register::parse_date;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    id: Spanned<String>,
    rule: Spanned<String>,
    unit: Option<String>,
    target: Option<String>,
    justification: Spanned<String>,
    approved_by: Spanned<String>,
    approved_on: Spanned<DateInput>,
    expires: Spanned<DateInput>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DateInput {
    Toml(toml::value::Datetime),
    Text(String),
}

impl DateInput {
    fn text(&self) -> String {
        match self {
            DateInput::Toml(d) => d.to_string(),
            DateInput::Text(t) => t.clone(),
        }
    }
}

/// Reads and checks a waivers file. With a policy, each waiver's rule must exist in it.
pub fn load_file(path: &Path, policy: Option<&Policy>) -> Result<WaiverSet, Diagnostics> {
    let name = path.display().to_string();
    match crate::io::read_bounded_text(path, crate::register::MAX_REGISTER_BYTES) {
        Ok(text) => parse(SourceFile::new(name, text), policy),
        Err(e) => {
            let mut diags = Diagnostics::default();
            let f = diags.add_file(SourceFile::new(name, ""));
            diags.error(
                Code::FileUnreadable,
                f,
                0..0,
                Localized::new(
                    format!("không đọc được tệp miễn trừ: {e}"),
                    format!("cannot read the waivers file: {e}"),
                ),
                Some(Localized::new(
                    "kiểm tra đường dẫn đưa cho --waivers",
                    "check the path given to --waivers",
                )),
            );
            Err(diags)
        }
    }
}

pub fn parse(file: SourceFile, policy: Option<&Policy>) -> Result<WaiverSet, Diagnostics> {
    let mut diags = Diagnostics::default();
    let source = file.name.clone();
    let f = diags.add_file(file);
    let text = diags.files[f].text.clone();
    // Both languages are kept; the one shown is chosen when the errors are rendered.
    let err =
        |diags: &mut Diagnostics, code: Code, span, vi: (String, String), en: (String, String)| {
            diags.error(
                code,
                f,
                span,
                Localized::new(vi.0, en.0),
                Some(Localized::new(vi.1, en.1)),
            );
        };
    let (table, errors) = DeTable::parse_recoverable(&text);
    if !errors.is_empty() {
        for e in errors {
            let msg = e.message().trim().to_string();
            err(
                &mut diags,
                Code::TomlSyntax,
                e.span().unwrap_or(0..0),
                (
                    format!("lỗi cú pháp TOML: {msg}"),
                    "sửa cú pháp TOML (xem https://toml.io)".into(),
                ),
                (
                    format!("TOML syntax: {msg}"),
                    "fix the TOML syntax; see https://toml.io".into(),
                ),
            );
        }
        return Err(diags);
    }
    let mut raws = Vec::new();
    for (key, value) in table.into_inner() {
        if key.get_ref() != "waiver" {
            let k = key.get_ref().to_string();
            err(
                &mut diags,
                Code::UnknownKey,
                key.span(),
                (
                    format!("khóa `{k}` không có trong tệp miễn trừ"),
                    "tệp miễn trừ chỉ gồm các bảng [[waiver]]".into(),
                ),
                (
                    format!("unknown top-level key `{k}`"),
                    "a waivers file holds [[waiver]] tables only".into(),
                ),
            );
            continue;
        }
        let span = value.span();
        let DeValue::Array(items) = value.into_inner() else {
            err(
                &mut diags,
                Code::WrongType,
                span,
                (
                    "`waiver` phải là mảng bảng".into(),
                    "viết mỗi miễn trừ là một bảng [[waiver]]".into(),
                ),
                (
                    "`waiver` must be an array of tables".into(),
                    "write each waiver as a [[waiver]] table".into(),
                ),
            );
            continue;
        };
        for item in items {
            let span = item.span();
            match RawWaiver::deserialize(ValueDeserializer::from(item)) {
                Ok(raw) => raws.push((span, raw)),
                Err(e) => {
                    let msg = e.message().trim().to_string();
                    err(
                        &mut diags,
                        Code::of_toml_error(&e),
                        e.span().unwrap_or(span),
                        (format!("trong [[waiver]]: {msg}"), "các khóa: id, rule, unit, target, justification, approved_by, approved_on, expires".into()),
                        (format!("in [[waiver]]: {msg}"), "keys: id, rule, unit, target, justification, approved_by, approved_on, expires".into()),
                    );
                }
            }
        }
    }

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut waivers = Vec::new();
    for (span, raw) in raws {
        let id = raw.id.get_ref().trim().to_string();
        if let Some(line) = seen.get(&id) {
            err(
                &mut diags,
                Code::Duplicate,
                raw.id.span(),
                (
                    format!("mã miễn trừ `{id}` bị trùng (dòng {line})"),
                    "mỗi miễn trừ có một mã riêng".into(),
                ),
                (
                    format!("duplicate waiver id `{id}` (line {line})"),
                    "give each waiver its own id".into(),
                ),
            );
        } else {
            seen.insert(id.clone(), diags.files[f].line_col(raw.id.span().start).0);
        }
        let rule = raw.rule.get_ref().trim().to_string();
        if let Some(p) = policy
            && p.rule(&rule).is_none()
        {
            err(
                &mut diags,
                Code::UnknownReference,
                raw.rule.span(),
                (
                    format!("bộ quy tắc không có quy tắc `{rule}`"),
                    "xem danh sách bằng `khien rules list`".into(),
                ),
                (
                    format!("the policy has no rule `{rule}`"),
                    "list the rules with `khien rules list`".into(),
                ),
            );
        }
        if raw.unit.is_none() && raw.target.is_none() {
            err(
                &mut diags,
                Code::MissingKey,
                span.clone(),
                (format!("miễn trừ `{id}` không nêu `unit` hoặc `target`"), "ghi đơn vị (unit) hoặc đối tượng (target) được miễn trừ; không miễn trừ cho toàn ngành".into()),
                (format!("waiver `{id}` names neither `unit` nor `target`"), "name the unit or the target it covers; a waiver never covers the whole sector".into()),
            );
        }
        for (field, value) in [
            ("justification", &raw.justification),
            ("approved_by", &raw.approved_by),
        ] {
            if value.get_ref().trim().is_empty() {
                err(
                    &mut diags,
                    Code::MissingKey,
                    value.span(),
                    (
                        format!("`{field}` không được để trống"),
                        "ghi lý do chấp nhận và người phê duyệt".into(),
                    ),
                    (
                        format!("`{field}` cannot be empty"),
                        "give the justification and the approver".into(),
                    ),
                );
            }
        }
        let date = |diags: &mut Diagnostics, d: &Spanned<DateInput>, field: &str| match parse_date(
            &d.get_ref().text(),
        ) {
            Ok(d) => Some(d),
            Err(why) => {
                err(
                    diags,
                    Code::InvalidDate,
                    d.span(),
                    (
                        format!("`{field}`: ngày không hợp lệ: {}", why.text(Lang::Vi)),
                        "ghi ngày dạng 2026-04-30 hoặc \"30/04/2026\"".into(),
                    ),
                    (
                        format!("`{field}`: invalid date: {}", why.text(Lang::En)),
                        "write the date as 2026-04-30 or \"30/04/2026\"".into(),
                    ),
                );
                None
            }
        };
        let approved_on = date(&mut diags, &raw.approved_on, "approved_on");
        let expires = date(&mut diags, &raw.expires, "expires");
        if let (Some(a), Some(e)) = (approved_on, expires) {
            if e < a {
                err(
                    &mut diags,
                    Code::InvalidDate,
                    raw.expires.span(),
                    (
                        "ngày hết hạn trước ngày phê duyệt".into(),
                        "ghi ngày hết hạn sau ngày phê duyệt".into(),
                    ),
                    (
                        "`expires` is before `approved_on`".into(),
                        "give an expiry date after the approval".into(),
                    ),
                );
            }
            waivers.push(Waiver {
                id,
                rule,
                unit: raw.unit,
                target: raw.target,
                justification: raw.justification.into_inner(),
                approved_by: raw.approved_by.into_inner(),
                approved_on: a,
                expires: e,
            });
        }
    }
    if !diags.is_empty() {
        diags.errors.sort_by_key(|d| d.span.start);
        return Err(diags);
    }
    Ok(WaiverSet { source, waivers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_all_listed() {
        let text = r#"
[[waiver]]
id = "MT-1"
rule = "REG-BKP-002"
unit = "SO-GDDT"
justification = "Đang thay máy chủ sao lưu"
approved_by = "Giám đốc Sở"
approved_on = 2026-10-01
expires = 2027-01-31

[[waiver]]
id = "MT-1"
rule = "REG-BKP-002"
justification = ""
approved_by = "Giám đốc Sở"
approved_on = "31/02/2026"
expires = 2026-01-01
"#;
        let d = parse(SourceFile::new("w.toml", text), None).unwrap_err();
        let s = d.to_string();
        assert!(
            s.contains("w.toml:12:6: [K204] duplicate waiver id `MT-1`"),
            "{s}"
        );
        assert!(s.contains("names neither `unit` nor `target`"), "{s}");
        assert!(s.contains("`justification` cannot be empty"), "{s}");
        assert!(
            s.contains("w.toml:16:15: [K203] `approved_on`: invalid date"),
            "{s}"
        );
        assert_eq!(d.errors.len(), 4, "{s}");

        let ok = parse(
            SourceFile::new("w.toml", text.split("\n\n[[waiver]]").next().unwrap()),
            None,
        )
        .unwrap();
        assert_eq!(
            ok.waivers[0].expires,
            jiff::civil::Date::constant(2027, 1, 31)
        );
    }
}
