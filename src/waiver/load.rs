//! Reading a waivers file (TOML, `[[waiver]]` tables), every error at once with its
//! position, in the same way as registers and policies.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_spanned::Spanned;

use super::{Waiver, WaiverSet};
use crate::diagnostic::Code;
use crate::i18n::Localized;
use crate::policy::{Diagnostics, Policy, SourceFile};
use crate::spanned_toml::{self, DateInput, TomlFile};

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

/// Reads and checks a waivers file. With a policy, each waiver's rule must exist in it.
pub fn load_file(path: &Path, policy: Option<&Policy>) -> Result<WaiverSet, Diagnostics> {
    let mut diags = Diagnostics::default();
    match spanned_toml::read_file(
        &mut diags,
        path,
        crate::register::MAX_REGISTER_BYTES,
        Localized::new(
            "không đọc được tệp miễn trừ",
            "cannot read the waivers file",
        ),
        Localized::new(
            "kiểm tra đường dẫn đưa cho --waivers",
            "check the path given to --waivers",
        ),
    ) {
        Some(f) => check(diags, f, policy),
        None => Err(diags),
    }
}

/// Parses and checks a waivers file held in memory.
pub fn parse(file: SourceFile, policy: Option<&Policy>) -> Result<WaiverSet, Diagnostics> {
    let mut diags = Diagnostics::default();
    let f = diags.add_file(file);
    check(diags, f, policy)
}

fn check(
    mut diags: Diagnostics,
    f: usize,
    policy: Option<&Policy>,
) -> Result<WaiverSet, Diagnostics> {
    let source = diags.files[f].name.clone();
    let mut doc = TomlFile::new(&mut diags, f);
    let text = doc.text();
    let Some(table) = doc.parse(&text) else {
        return Err(diags);
    };
    let mut raws = Vec::new();
    for (key, value) in table {
        if key.get_ref() != "waiver" {
            doc.unknown_top_level_key(
                key.get_ref(),
                key.span(),
                "tệp miễn trừ",
                Localized::new(
                    "tệp miễn trừ chỉ gồm các bảng [[waiver]]",
                    "a waivers file holds [[waiver]] tables only",
                ),
            );
            continue;
        }
        for item in doc.array(value, "waiver") {
            let span = item.span();
            if let Some(raw) = doc.deserialize::<RawWaiver>(item, "[[waiver]]", "docs/register.md")
            {
                raws.push((span, raw));
            }
        }
    }

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut waivers = Vec::new();
    for (span, raw) in raws {
        let id = raw.id.get_ref().trim().to_string();
        if let Some(line) = seen.get(&id) {
            doc.error(
                Code::Duplicate,
                raw.id.span(),
                (
                    format!("mã miễn trừ `{id}` bị trùng (dòng {line})"),
                    "mỗi miễn trừ có một mã riêng",
                ),
                (
                    format!("duplicate waiver id `{id}` (line {line})"),
                    "give each waiver its own id",
                ),
            );
        } else {
            seen.insert(id.clone(), doc.line_of(raw.id.span().start));
        }
        let rule = raw.rule.get_ref().trim().to_string();
        if let Some(p) = policy
            && p.rule(&rule).is_none()
        {
            doc.error(
                Code::UnknownReference,
                raw.rule.span(),
                (
                    format!("bộ quy tắc không có quy tắc `{rule}`"),
                    "xem danh sách bằng `khien rules list`",
                ),
                (
                    format!("the policy has no rule `{rule}`"),
                    "list the rules with `khien rules list`",
                ),
            );
        }
        if raw.unit.is_none() && raw.target.is_none() {
            doc.error(
                Code::MissingKey,
                span.clone(),
                (format!("miễn trừ `{id}` không nêu `unit` hoặc `target`"), "ghi đơn vị (unit) hoặc đối tượng (target) được miễn trừ; không miễn trừ cho toàn ngành"),
                (format!("waiver `{id}` names neither `unit` nor `target`"), "name the unit or the target it covers; a waiver never covers the whole sector"),
            );
        }
        let who = Localized::new(
            "ghi lý do chấp nhận và người phê duyệt",
            "give the justification and the approver",
        );
        doc.not_blank(&raw.justification, "justification", who.clone());
        doc.not_blank(&raw.approved_by, "approved_by", who);
        let approved_on = doc.date(&raw.approved_on, "approved_on");
        let expires = doc.date(&raw.expires, "expires");
        if let (Some(a), Some(e)) = (approved_on, expires) {
            if e < a {
                doc.error(
                    Code::InvalidDate,
                    raw.expires.span(),
                    (
                        "ngày hết hạn trước ngày phê duyệt",
                        "ghi ngày hết hạn sau ngày phê duyệt",
                    ),
                    (
                        "`expires` is before `approved_on`",
                        "give an expiry date after the approval",
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
    spanned_toml::finish(diags, || WaiverSet { source, waivers })
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
