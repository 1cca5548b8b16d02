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
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostic::{Diagnostics, SourceFile};
use super::expr::{ExprEnv, ExprError};
use super::{Basis, ParamDecl, Policy, PolicyHeader, Rule, Severity};
use crate::facts::TargetKind;
use crate::i18n::Localized;

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
    let mut sources = Vec::new();
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
            diags.error(
                f,
                0..0,
                "no policy files (*.toml) in this folder",
                Some("point --policy at a .toml file or a folder of them".into()),
            );
        }
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => sources.push(SourceFile::new(file.display().to_string(), text)),
                Err(e) => {
                    let f = diags.add_file(SourceFile::new(file.display().to_string(), ""));
                    diags.error(
                        f,
                        0..0,
                        format!("cannot read policy file: {e}"),
                        Some("check the path and that the file is UTF-8 text".into()),
                    );
                }
            }
        }
    }
    let origin = paths
        .iter()
        .map(|p| p.as_ref().display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    load_into(sources, diags, origin)
}

/// Loads and validates a policy from in-memory files.
pub fn load_sources(sources: Vec<SourceFile>, origin: &str) -> Result<Policy, Diagnostics> {
    load_into(sources, Diagnostics::default(), origin.to_string())
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
    check: Spanned<String>,
    #[serde(default)]
    evidence: Vec<Spanned<String>>,
}

struct PendingRule {
    file: usize,
    span: Range<usize>,
    raw: RawRule,
}

fn load_into(
    sources: Vec<SourceFile>,
    mut diags: Diagnostics,
    origin: String,
) -> Result<Policy, Diagnostics> {
    let mut header: Option<(usize, Range<usize>, PolicyHeader)> = None;
    let mut params: BTreeMap<String, ParamDecl> = BTreeMap::new();
    let mut pending = Vec::new();

    for source in sources {
        let file = diags.add_file(source);
        let text = diags.files[file].text.clone();
        let (table, errors) = DeTable::parse_recoverable(&text);
        if !errors.is_empty() {
            for e in errors {
                diags.error(
                    file,
                    e.span().unwrap_or(0..0),
                    format!("TOML syntax: {}", e.message().trim()),
                    Some("fix the TOML syntax; see https://toml.io".into()),
                );
            }
            continue;
        }
        let table = table.into_inner();
        for (key, value) in table {
            let key_span = key.span();
            match key.get_ref().as_ref() {
                "policy" => {
                    let span = value.span();
                    if let Some(h) =
                        deserialize::<PolicyHeader>(&mut diags, file, value, "[policy]")
                    {
                        if let Some((_, _, first)) = &header {
                            diags.error(
                                file,
                                span,
                                format!("a second [policy] header (the first is `{}`)", first.id),
                                Some(
                                    "keep exactly one [policy] table across the policy's files"
                                        .into(),
                                ),
                            );
                        } else {
                            header = Some((file, span, h));
                        }
                    }
                }
                "params" => load_params(&mut diags, file, value, &mut params),
                "rule" => {
                    let span = value.span();
                    match value.into_inner() {
                        DeValue::Array(rules) => {
                            for rule in rules {
                                let span = rule.span();
                                if let Some(raw) =
                                    deserialize::<RawRule>(&mut diags, file, rule, "[[rule]]")
                                {
                                    pending.push(PendingRule { file, span, raw });
                                }
                            }
                        }
                        _ => diags.error(
                            file,
                            span,
                            "`rule` must be an array of tables",
                            Some("write each rule as a [[rule]] table".into()),
                        ),
                    }
                }
                other => diags.error(
                    file,
                    key_span,
                    format!("unknown top-level key `{other}`"),
                    Some(
                        "a policy file may contain [policy], [params.NAME] and [[rule]] tables"
                            .into(),
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
            diags.error(
                0,
                0..0,
                "the policy has no [policy] header",
                Some("add a [policy] table with id, version and title.vi/title.en".into()),
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

fn deserialize<T: for<'de> Deserialize<'de>>(
    diags: &mut Diagnostics,
    file: usize,
    value: Spanned<DeValue<'_>>,
    what: &str,
) -> Option<T> {
    let span = value.span();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(v) => Some(v),
        Err(e) => {
            let message = e.message().trim().to_string();
            let help = if message.contains("unknown field") {
                format!("remove or rename the key; see the fields {what} accepts in README.md")
            } else if message.contains("missing field") {
                format!("add the missing key to this {what}")
            } else {
                format!("fix the value's type or spelling in this {what}")
            };
            diags.error(
                file,
                e.span().unwrap_or(span),
                format!("in {what}: {message}"),
                Some(help),
            );
            None
        }
    }
}

fn load_params(
    diags: &mut Diagnostics,
    file: usize,
    value: Spanned<DeValue<'_>>,
    params: &mut BTreeMap<String, ParamDecl>,
) {
    let span = value.span();
    let DeValue::Table(table) = value.into_inner() else {
        diags.error(
            file,
            span,
            "`params` must be a table",
            Some("write [params.NAME] tables".into()),
        );
        return;
    };
    for (name, decl) in table {
        let name_span = name.span();
        let name = name.into_inner().to_string();
        if !is_identifier(&name) {
            diags.error(
                file,
                name_span,
                format!("parameter name `{name}` is not an ASCII snake_case identifier"),
                Some(
                    "use lowercase ASCII letters, digits and `_`, e.g. max_signature_age_days"
                        .into(),
                ),
            );
            continue;
        }
        let Some(decl) = deserialize::<ParamDecl>(diags, file, decl, &format!("[params.{name}]"))
        else {
            continue;
        };
        if params.contains_key(&name) {
            diags.error(
                file,
                name_span,
                format!("parameter `{name}` is declared twice"),
                Some("declare each parameter once across the policy's files".into()),
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
    let location = diags.location(&super::Diagnostic {
        file,
        span: span.clone(),
        message: String::new(),
        help: None,
    });
    if !is_rule_code(&code) {
        diags.error(
            file,
            raw.code.span(),
            format!("rule code `{code}` is not of the form AREA-TOPIC-NNN"),
            Some("use uppercase ASCII and a three-digit number, e.g. HOST-AV-001".into()),
        );
    } else if let Some(first) = seen.get(&code) {
        diags.error(
            file,
            raw.code.span(),
            format!("duplicate rule code `{code}` (first defined at {first})"),
            Some("rule codes are stable and never reused: give this rule a new code".into()),
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
                file,
                span.clone(),
                format!("rule `{code}` has an empty {what} in Vietnamese or English"),
                Some(format!("write both {what}.vi and {what}.en")),
            );
        }
    }
    if raw.basis.is_empty() {
        diags.error(
            file,
            span.clone(),
            format!("rule `{code}` cites no basis"),
            Some("add basis = [{ plan = \"KH-CĐS-2026-2030\", section = \"III.4.a\" }]".into()),
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
            Ok(_) => diags.error(
                file,
                path.span(),
                format!("evidence `{}` is not a fact path", path.get_ref()),
                Some("write a path such as host.antivirus.clamav".into()),
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
        diags.error(file, start..end, e.message, e.help);
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
