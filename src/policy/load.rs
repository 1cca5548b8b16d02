//! Reading policy files: TOML with positions, then compilation and cross-checks.
//!
//! Each `[[rule]]` and each `[params.*]` entry is deserialized on its own, so one bad
//! rule does not hide the errors of the next; syntax errors are recovered per file.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_spanned::Spanned;
use toml::de::DeValue;

use super::expr::{ExprEnv, ExprError};
use super::{Basis, ParamDecl, Policy, PolicyHeader, Rule, Severity};
use crate::diagnostic::{Code, Diagnostics, SourceFile};
use crate::facts::TargetKind;
use crate::i18n::Localized;
use crate::spanned_toml::{self, TomlFile};

/// Where the keys of a policy's tables are documented, for the help of an unknown key.
const DOCS: &str = "README.md";

/// The largest policy file read: the Department's whole policy is about 200 KB.
pub const MAX_POLICY_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Records an error with its text and help in (Vietnamese, English).
fn err(
    diags: &mut Diagnostics,
    code: Code,
    file: usize,
    span: Range<usize>,
    message: (String, String),
    help: (&str, &str),
) {
    diags.error(
        code,
        file,
        span,
        Localized::new(message.0, message.1),
        Some(Localized::new(help.0, help.1)),
    );
}

/// The policy files compiled into the binary: `(name, text)`.
pub fn embedded_sources() -> Vec<SourceFile> {
    const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
    FILES
        .iter()
        .map(|(name, text)| SourceFile::new(format!("embedded:{name}"), *text))
        .collect()
}

/// Reads policy files and folders (every `*.toml` below a folder, in name order).
pub fn load_paths(paths: &[impl AsRef<Path>]) -> Result<Policy, Diagnostics> {
    let mut read = Vec::new();
    let mut diags = Diagnostics::default();
    for path in paths {
        let path = path.as_ref();
        let files: Vec<_> = if path.is_dir() {
            let mut v: Vec<_> = walkdir::WalkDir::new(path)
                .sort_by_file_name()
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            v.sort();
            v
        } else {
            vec![path.to_path_buf()]
        };
        if files.is_empty() {
            let f = diags.add_file(SourceFile::new(path.display().to_string(), ""));
            err(
                &mut diags,
                Code::FileUnreadable,
                f,
                0..0,
                (
                    "thư mục không có tệp bộ quy tắc (*.toml)".into(),
                    "no policy files (*.toml) in this folder".into(),
                ),
                (
                    "chỉ --policy tới một tệp .toml hoặc thư mục chứa chúng",
                    "point --policy at a .toml file or a folder of them",
                ),
            );
        }
        for file in files {
            if let Some(f) = spanned_toml::read_file(
                &mut diags,
                &file,
                MAX_POLICY_FILE_BYTES,
                Localized::new("không đọc được tệp bộ quy tắc", "cannot read policy file"),
                Localized::new(
                    "kiểm tra đường dẫn và tệp là văn bản UTF-8",
                    "check the path and that the file is UTF-8 text",
                ),
            ) {
                read.push(f);
            }
        }
    }
    let origin = paths
        .iter()
        .map(|p| p.as_ref().display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    load_into(diags, read, origin)
}

/// Loads and validates a policy from in-memory files.
pub fn load_sources(sources: Vec<SourceFile>, origin: &str) -> Result<Policy, Diagnostics> {
    let mut diags = Diagnostics::default();
    let files = sources.into_iter().map(|s| diags.add_file(s)).collect();
    load_into(diags, files, origin.to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    code: Spanned<String>,
    target: TargetKind,
    severity: Severity,
    #[serde(default)]
    requirement: Option<String>,
    title: Localized,
    problem: Localized,
    rationale: Localized,
    remediation: Localized,
    basis: Vec<Basis>,
    #[serde(default)]
    applies_when: Option<Spanned<String>>,
    #[serde(default)]
    not_applicable: Option<Localized>,
    check: Spanned<String>,
    #[serde(default)]
    evidence: Vec<Spanned<String>>,
}

struct PendingRule {
    file: usize,
    span: Range<usize>,
    raw: RawRule,
}

/// Loads the policy from `files`, already added to `diags` (whose other files are
/// those that could not be read).
fn load_into(
    mut diags: Diagnostics,
    files: Vec<usize>,
    origin: String,
) -> Result<Policy, Diagnostics> {
    let mut header: Option<(usize, Range<usize>, PolicyHeader)> = None;
    let mut params: BTreeMap<String, ParamDecl> = BTreeMap::new();
    let mut pending = Vec::new();

    for file in files {
        let mut doc = TomlFile::new(&mut diags, file);
        let text = doc.text();
        let Some(table) = doc.parse(&text) else {
            continue;
        };
        for (key, value) in table {
            let key_span = key.span();
            match key.get_ref().as_ref() {
                "policy" => {
                    let span = value.span();
                    if let Some(h) = doc.deserialize::<PolicyHeader>(value, "[policy]", DOCS) {
                        if let Some((_, _, first)) = &header {
                            doc.error(
                                Code::PolicyInvalid,
                                span,
                                (
                                    format!("bảng [policy] thứ hai (bảng đầu là `{}`)", first.id),
                                    "giữ đúng một bảng [policy] trong các tệp của bộ quy tắc",
                                ),
                                (
                                    format!(
                                        "a second [policy] header (the first is `{}`)",
                                        first.id
                                    ),
                                    "keep exactly one [policy] table across the policy's files",
                                ),
                            );
                        } else {
                            header = Some((file, span, h));
                        }
                    }
                }
                "params" => load_params(&mut doc, value, &mut params),
                "rule" => {
                    for rule in doc.array(value, "rule") {
                        let span = rule.span();
                        if let Some(raw) = doc.deserialize::<RawRule>(rule, "[[rule]]", DOCS) {
                            pending.push(PendingRule { file, span, raw });
                        }
                    }
                }
                other => doc.unknown_top_level_key(
                    other,
                    key_span,
                    "định dạng bộ quy tắc",
                    Localized::new(
                        "tệp bộ quy tắc chỉ gồm các bảng [policy], [params.TÊN] và [[rule]]",
                        "a policy file may contain [policy], [params.NAME] and [[rule]] tables",
                    ),
                ),
            }
        }
    }

    let header = match header {
        Some((_, _, h)) => Some(h),
        None => {
            if diags.files.is_empty() {
                diags.add_file(SourceFile::new(origin.clone(), ""));
            }
            err(
                &mut diags,
                Code::PolicyInvalid,
                0,
                0..0,
                (
                    "bộ quy tắc không có bảng [policy]".into(),
                    "the policy has no [policy] header".into(),
                ),
                (
                    "thêm bảng [policy] với id, version và title.vi/title.en",
                    "add a [policy] table with id, version and title.vi/title.en",
                ),
            );
            None
        }
    };

    let env = ExprEnv::default();
    let mut rules = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for p in pending {
        if let Some(rule) = compile_rule(&mut diags, &env, &params, &mut seen, p) {
            rules.push(rule);
        }
    }

    match header {
        Some(header) if diags.is_empty() => Ok(Policy {
            header,
            params,
            rules,
            origin,
            cel: env.cel(),
        }),
        _ => Err(diags),
    }
}

fn load_params(
    doc: &mut TomlFile<'_>,
    value: Spanned<DeValue<'_>>,
    params: &mut BTreeMap<String, ParamDecl>,
) {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        err(
            doc.diags,
            Code::WrongType,
            doc.file,
            span,
            (
                "`params` phải là một bảng".into(),
                "`params` must be a table".into(),
            ),
            ("viết các bảng [params.TÊN]", "write [params.NAME] tables"),
        );
        return;
    };
    for (name, decl) in table {
        let name_span = name.span();
        let name = name.into_inner().to_string();
        if !is_identifier(&name) {
            err(
                doc.diags,
                Code::InvalidValue,
                doc.file,
                name_span,
                (
                    format!("tên tham số `{name}` không phải dạng snake_case ASCII"),
                    format!("parameter name `{name}` is not an ASCII snake_case identifier"),
                ),
                (
                    "dùng chữ thường ASCII, chữ số và `_`, ví dụ max_signature_age_days",
                    "use lowercase ASCII letters, digits and `_`, e.g. max_signature_age_days",
                ),
            );
            continue;
        }
        let Some(decl) = doc.deserialize::<ParamDecl>(decl, &format!("[params.{name}]"), DOCS)
        else {
            continue;
        };
        if params.contains_key(&name) {
            err(
                doc.diags,
                Code::Duplicate,
                doc.file,
                name_span,
                (
                    format!("tham số `{name}` được khai báo hai lần"),
                    format!("parameter `{name}` is declared twice"),
                ),
                (
                    "khai báo mỗi tham số một lần trong các tệp của bộ quy tắc",
                    "declare each parameter once across the policy's files",
                ),
            );
            continue;
        }
        params.insert(name, decl);
    }
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_rule_code(s: &str) -> bool {
    let parts: Vec<_> = s.split('-').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
}

fn compile_rule(
    diags: &mut Diagnostics,
    env: &ExprEnv,
    params: &BTreeMap<String, ParamDecl>,
    seen: &mut HashMap<String, String>,
    p: PendingRule,
) -> Option<Rule> {
    let PendingRule { file, span, raw } = p;
    let errors_before = diags.errors.len();
    let code = raw.code.get_ref().clone();
    let location = {
        let source = &diags.files[file];
        let (line, col) = source.line_col(span.start);
        format!("{}:{line}:{col}", source.name)
    };
    if !is_rule_code(&code) {
        err(
            diags,
            Code::InvalidValue,
            file,
            raw.code.span(),
            (
                format!("mã quy tắc `{code}` không có dạng LĨNHVỰC-CHỦĐỀ-NNN"),
                format!("rule code `{code}` is not of the form AREA-TOPIC-NNN"),
            ),
            (
                "dùng chữ in hoa ASCII và ba chữ số, ví dụ HOST-AV-001",
                "use uppercase ASCII and a three-digit number, e.g. HOST-AV-001",
            ),
        );
    } else if let Some(first) = seen.get(&code) {
        err(
            diags,
            Code::Duplicate,
            file,
            raw.code.span(),
            (
                format!("mã quy tắc `{code}` bị trùng (đã định nghĩa ở {first})"),
                format!("duplicate rule code `{code}` (first defined at {first})"),
            ),
            (
                "mã quy tắc ổn định và không bao giờ dùng lại: đặt mã mới cho quy tắc này",
                "rule codes are stable and never reused: give this rule a new code",
            ),
        );
    } else {
        seen.insert(code.clone(), location.clone());
    }
    for (what, text) in [
        ("title", &raw.title),
        ("problem", &raw.problem),
        ("rationale", &raw.rationale),
        ("remediation", &raw.remediation),
    ] {
        if text.vi.trim().is_empty() || text.en.trim().is_empty() {
            diags.error(
                Code::RuleIncomplete,
                file,
                span.clone(),
                Localized::new(
                    format!("quy tắc `{code}` có {what} trống ở tiếng Việt hoặc tiếng Anh"),
                    format!("rule `{code}` has an empty {what} in Vietnamese or English"),
                ),
                Some(Localized::new(
                    format!("viết cả {what}.vi và {what}.en"),
                    format!("write both {what}.vi and {what}.en"),
                )),
            );
        }
    }
    match (&raw.applies_when, &raw.not_applicable) {
        (Some(_), None) => err(
            diags,
            Code::RuleIncomplete,
            file,
            span.clone(),
            (
                format!("quy tắc `{code}` có applies_when nhưng không nêu lý do không áp dụng"),
                format!("rule `{code}` has applies_when but does not say why it may not apply"),
            ),
            (
                "thêm not_applicable.vi và not_applicable.en, ví dụ not_applicable.vi = \"máy là container\"",
                "add not_applicable.vi and not_applicable.en, e.g. not_applicable.en = \"the machine is a container\"",
            ),
        ),
        (Some(_), Some(text)) if text.vi.trim().is_empty() || text.en.trim().is_empty() => err(
            diags,
            Code::RuleIncomplete,
            file,
            span.clone(),
            (
                format!("quy tắc `{code}` có not_applicable trống ở tiếng Việt hoặc tiếng Anh"),
                format!("rule `{code}` has an empty not_applicable in Vietnamese or English"),
            ),
            (
                "viết cả not_applicable.vi và not_applicable.en",
                "write both not_applicable.vi and not_applicable.en",
            ),
        ),
        (None, Some(_)) => err(
            diags,
            Code::RuleIncomplete,
            file,
            span.clone(),
            (
                format!("quy tắc `{code}` có not_applicable nhưng không có applies_when"),
                format!("rule `{code}` has not_applicable but no applies_when"),
            ),
            (
                "not_applicable là lý do khi applies_when sai: thêm applies_when hoặc xóa not_applicable",
                "not_applicable is the reason when applies_when is false: add applies_when or remove not_applicable",
            ),
        ),
        _ => {}
    }
    if raw.basis.is_empty() {
        err(
            diags,
            Code::RuleIncomplete,
            file,
            span.clone(),
            (
                format!("quy tắc `{code}` không nêu căn cứ"),
                format!("rule `{code}` cites no basis"),
            ),
            (
                "thêm basis = [{ plan = \"KH-CĐS-2026-2030\", section = \"III.4.a\" }]",
                "add basis = [{ plan = \"KH-CĐS-2026-2030\", section = \"III.4.a\" }]",
            ),
        );
    }

    let compile = |diags: &mut Diagnostics, s: &Spanned<String>| match env.compile(
        s.get_ref(),
        raw.target,
        params,
    ) {
        Ok(c) => Some(Arc::new(c)),
        Err(errors) => {
            report_expr_errors(diags, file, s, errors);
            None
        }
    };
    let check = compile(diags, &raw.check);
    let applies_when = raw.applies_when.as_ref().map(|s| compile(diags, s));

    let mut evidence = Vec::new();
    for path in &raw.evidence {
        match env.compile(path.get_ref(), raw.target, params) {
            Ok(c) if c.fact_paths.len() == 1 && !path.get_ref().contains(['(', ' ']) => {
                evidence.push(path.get_ref().clone())
            }
            Ok(_) => err(
                diags,
                Code::ConditionInvalid,
                file,
                path.span(),
                (
                    format!(
                        "bằng chứng (evidence) `{}` không phải đường dẫn dữ kiện",
                        path.get_ref()
                    ),
                    format!("evidence `{}` is not a fact path", path.get_ref()),
                ),
                (
                    "ghi một đường dẫn như host.antivirus.clamav",
                    "write a path such as host.antivirus.clamav",
                ),
            ),
            Err(errors) => report_expr_errors(diags, file, path, errors),
        }
    }

    if diags.errors.len() > errors_before {
        return None;
    }
    let check = check?;
    let applies_when = match applies_when {
        Some(c) => Some(c?),
        None => None,
    };
    if evidence.is_empty() {
        evidence = default_evidence(&check, applies_when.as_deref());
    }
    Some(Rule {
        code,
        target: raw.target,
        severity: raw.severity,
        requirement: raw.requirement,
        title: raw.title,
        problem: raw.problem,
        rationale: raw.rationale,
        remediation: raw.remediation,
        basis: raw.basis,
        applies_when,
        not_applicable: raw.not_applicable,
        check,
        evidence,
        defined_at: location,
    })
}

/// The facts a rule reads, cut before list elements: the whole list is the evidence.
fn default_evidence(check: &super::Condition, applies: Option<&super::Condition>) -> Vec<String> {
    let mut out: Vec<String> = check
        .fact_paths
        .iter()
        .chain(applies.into_iter().flat_map(|a| a.fact_paths.iter()))
        .map(|p| p.split("[]").next().unwrap_or(p).to_string())
        .collect();
    out.sort();
    out.dedup();
    // Keep only the most specific paths: `host.a` is dropped when `host.a.b` is there.
    let all = out.clone();
    out.retain(|p| {
        !all.iter()
            .any(|q| q != p && q.starts_with(&format!("{p}.")))
    });
    out
}

fn report_expr_errors(
    diags: &mut Diagnostics,
    file: usize,
    s: &Spanned<String>,
    errors: Vec<ExprError>,
) {
    let text = diags.files[file].text.clone();
    for e in errors {
        let start = expr_offset_in_file(&text, s.span(), s.get_ref(), e.offset);
        let end = (start + 1).min(text.len()).max(start);
        diags.error(Code::ConditionInvalid, file, start..end, e.message, e.help);
    }
}

/// Maps a character offset inside a TOML string value to a byte offset in the file.
/// Exact when the string has no escapes; otherwise the start of the value.
fn expr_offset_in_file(text: &str, span: Range<usize>, value: &str, char_offset: usize) -> usize {
    let raw = text.get(span.clone()).unwrap_or("");
    let mut prefix = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else if raw.starts_with('"') || raw.starts_with('\'') {
        1
    } else {
        0
    };
    if prefix == 3 {
        if raw[3..].starts_with("\r\n") {
            prefix += 2;
        } else if raw[3..].starts_with('\n') {
            prefix += 1;
        }
    }
    let body = &raw[prefix.min(raw.len())..];
    if body.starts_with(value) {
        let byte_in_value = value
            .char_indices()
            .nth(char_offset)
            .map_or(value.len(), |(b, _)| b);
        span.start + prefix + byte_in_value
    } else {
        span.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_codes() {
        assert!(is_rule_code("HOST-AV-001"));
        assert!(is_rule_code("WEB-TLS-010"));
        assert!(!is_rule_code("host-av-001"));
        assert!(!is_rule_code("HOST-AV-1"));
        assert!(!is_rule_code("HOSTAV001"));
    }

    #[test]
    fn embedded_policy_loads() {
        let policy = load_sources(embedded_sources(), "embedded").unwrap_or_else(|d| panic!("{d}"));
        assert!(!policy.rules.is_empty());
        assert!(policy.rules.iter().all(|r| !r.basis.is_empty()));
    }

    #[test]
    fn offset_mapping_handles_quotes() {
        let text = "check = \"host.x == 1\"\n";
        let span = 8..21;
        assert_eq!(expr_offset_in_file(text, span, "host.x == 1", 5), 9 + 5);
        let text = "check = \"\"\"\nhost.x\"\"\"";
        assert_eq!(expr_offset_in_file(text, 8..text.len(), "host.x", 0), 12);
    }
}
