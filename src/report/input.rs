//! Reading result documents (`khien-result/1`) for reports.
//!
//! Reports read what every branch of khien writes (host, website and register scans,
//! findings with or without a `waiver`), so this reader takes only the fields a report
//! needs and ignores any others. A file that is not a result document, or is truncated,
//! becomes an [`InputError`] naming the file and position: the caller skips it and goes on.
//! Sizes are bounded so a hostile file costs bounded time and memory.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::findings::{RESULT_SCHEMA, Status};
use crate::i18n::{Lang, tr};
use crate::policy::Severity;

/// Larger result files are refused: a school's scan is a few megabytes at most.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Identifiers (unit codes, target ids, rule codes) longer than this are cut.
pub const MAX_ID_CHARS: usize = 256;
/// Titles, names and remediation texts longer than this are cut.
pub const MAX_TEXT_CHARS: usize = 4000;

/// One result document, reduced to what reports use.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultInput {
    pub path: PathBuf,
    pub evaluated_at: Timestamp,
    pub targets: Vec<TargetInput>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetInput {
    pub unit_code: String,
    pub unit_name: String,
    /// `host`, `web`, `register` (kept as text: later kinds are accepted too).
    pub kind: String,
    pub id: String,
    pub collected_at: Timestamp,
    pub findings: Vec<FindingInput>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FindingInput {
    pub rule: String,
    pub requirement: Option<String>,
    pub severity: Severity,
    pub status: Status,
    /// Shared by every finding of the rule with the same texts (see [`ResultReader`]).
    pub texts: Arc<RuleTexts>,
    /// The waiver, summarised as one line of text, when the finding carries one.
    pub waiver: Option<String>,
}

/// A rule's title and remediation as a finding gave them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleTexts {
    pub title_vi: String,
    pub title_en: String,
    /// The failing-state title ("Tài khoản Guest đang bật"), when the result carries
    /// one (`problem`); empty otherwise.
    pub problem_vi: String,
    pub problem_en: String,
    pub remediation_vi: String,
    pub remediation_en: String,
}

/// Reads result documents one after another, decoding each rule's texts once: every
/// finding of a rule repeats the same title and remediation (most of the bytes of a
/// province's results), so a finding whose raw texts equal the last ones seen for its
/// rule shares them instead of decoding and allocating them again.
#[derive(Default)]
pub struct ResultReader {
    /// Rule code → (raw title, remediation and problem JSON, decoded texts).
    texts: HashMap<String, (String, String, Arc<RuleTexts>)>,
}

/// Distinct rules remembered at most; past it the memory starts again (a hostile set of
/// files with a new rule code in every finding must not grow it without bound).
const MAX_CACHED_RULES: usize = 4096;

/// A file that could not be used, and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[derive(Deserialize)]
struct RawDoc<'a> {
    schema: String,
    #[serde(default)]
    unit: Option<RawUnit>,
    evaluated_at: Timestamp,
    #[serde(borrow)]
    targets: Vec<RawTarget<'a>>,
}

#[derive(Deserialize)]
struct RawUnit {
    code: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RawTarget<'a> {
    target: RawIdentity,
    collected_at: Timestamp,
    #[serde(borrow)]
    findings: Vec<RawFinding<'a>>,
}

#[derive(Deserialize)]
struct RawIdentity {
    kind: String,
    id: String,
    #[serde(default)]
    unit: Option<RawUnit>,
}

#[derive(Deserialize, Default)]
struct RawText {
    #[serde(default)]
    vi: String,
    #[serde(default)]
    en: String,
}

/// Texts are kept as raw JSON: [`ResultReader`] decodes them once per rule.
#[derive(Deserialize)]
struct RawFinding<'a> {
    rule: String,
    #[serde(default)]
    requirement: Option<String>,
    severity: Severity,
    status: Status,
    #[serde(default, borrow)]
    title: Option<&'a RawValue>,
    #[serde(default, borrow)]
    remediation: Option<&'a RawValue>,
    #[serde(default, borrow)]
    problem: Option<&'a RawValue>,
    #[serde(default)]
    waiver: Option<serde_json::Value>,
}

/// Cuts `s` to at most `max` characters.
fn clip(mut s: String, max: usize) -> String {
    // No more bytes than `max`: no more characters either.
    if s.len() <= max {
        return s;
    }
    if let Some((i, _)) = s.char_indices().nth(max) {
        s.truncate(i);
        s.push('…');
    }
    s
}

fn error(path: &Path, message: String) -> InputError {
    InputError {
        path: path.display().to_string(),
        message,
    }
}

/// Reads one result document.
pub fn read_result_file(path: &Path, lang: Lang) -> Result<ResultInput, InputError> {
    ResultReader::default().read_file(path, lang)
}

/// Parses and checks a result document held in memory.
pub fn parse_result(path: &Path, bytes: &[u8], lang: Lang) -> Result<ResultInput, InputError> {
    ResultReader::default().parse(path, bytes, lang)
}

impl ResultReader {
    /// Reads one result document.
    pub fn read_file(&mut self, path: &Path, lang: Lang) -> Result<ResultInput, InputError> {
        let file = std::fs::File::open(path).map_err(|e| error(path, e.to_string()))?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| error(path, e.to_string()))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(error(
                path,
                format!(
                    "{} {} MB",
                    tr(
                        lang,
                        "tệp quá lớn cho một tài liệu kết quả, bỏ qua; giới hạn",
                        "file too large for a result document, skipped; the limit is"
                    ),
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            ));
        }
        self.parse(path, &bytes, lang)
    }

    /// Parses and checks a result document held in memory.
    pub fn parse(
        &mut self,
        path: &Path,
        bytes: &[u8],
        lang: Lang,
    ) -> Result<ResultInput, InputError> {
        let raw: RawDoc = serde_json::from_slice(bytes).map_err(|e| {
            error(
                path,
                format!(
                    "{}:{}: {} {e}; {}",
                    e.line(),
                    e.column(),
                    tr(
                        lang,
                        "không phải tài liệu kết quả khien hợp lệ (hoặc tệp bị cắt cụt):",
                        "not a valid khien result document (or a truncated file):"
                    ),
                    tr(
                        lang,
                        "hãy gửi lại tệp do `khien scan ... --format json` tạo ra",
                        "send again the file written by `khien scan ... --format json`"
                    )
                ),
            )
        })?;
        if raw.schema != RESULT_SCHEMA {
            return Err(error(
                path,
                format!(
                    "{} `{}` ({} `{RESULT_SCHEMA}`)",
                    tr(
                        lang,
                        "trường `schema`: phiên bản không được hỗ trợ",
                        "field `schema`: unsupported version"
                    ),
                    clip(raw.schema, MAX_ID_CHARS),
                    tr(lang, "cần", "expected"),
                ),
            ));
        }
        let doc_unit = raw.unit;
        let mut targets = Vec::with_capacity(raw.targets.len());
        for (i, t) in raw.targets.into_iter().enumerate() {
            let unit = t.target.unit.as_ref().or(doc_unit.as_ref());
            let (unit_code, unit_name) = match unit {
                Some(u) => (u.code.clone(), u.name.clone()),
                None => (String::new(), String::new()),
            };
            if t.target.id.trim().is_empty() {
                return Err(error(
                    path,
                    format!("targets[{i}].target.id: {}", tr(lang, "trống", "is empty")),
                ));
            }
            let mut findings = Vec::with_capacity(t.findings.len());
            for (j, f) in t.findings.into_iter().enumerate() {
                let rule = clip(f.rule, MAX_ID_CHARS);
                let texts = self
                    .texts_of(&rule, f.title, f.remediation, f.problem)
                    .map_err(|(field, e)| {
                        error(path, format!("targets[{i}].findings[{j}].{field}: {e}"))
                    })?;
                findings.push(FindingInput {
                    rule,
                    requirement: f.requirement.map(|r| clip(r, MAX_ID_CHARS)),
                    severity: f.severity,
                    // A waived finding failed and a waiver accepts it: reports keep it a
                    // failure for the indicators and list it apart from the debt.
                    status: match f.status {
                        Status::Waived => Status::Fail,
                        other => other,
                    },
                    texts,
                    waiver: f
                        .waiver
                        .filter(|w| !w.is_null())
                        .map(|w| clip(waiver_summary(&w), MAX_TEXT_CHARS)),
                });
            }
            targets.push(TargetInput {
                unit_code: clip(unit_code.trim().to_string(), MAX_ID_CHARS),
                unit_name: clip(unit_name, MAX_TEXT_CHARS),
                kind: clip(t.target.kind, MAX_ID_CHARS),
                id: clip(t.target.id, MAX_ID_CHARS),
                collected_at: t.collected_at,
                findings,
            });
        }
        Ok(ResultInput {
            path: path.to_path_buf(),
            evaluated_at: raw.evaluated_at,
            targets,
        })
    }

    /// The texts of `rule` given by one finding, shared with the previous finding of
    /// the rule when its raw texts are the same.
    fn texts_of(
        &mut self,
        rule: &str,
        title: Option<&RawValue>,
        remediation: Option<&RawValue>,
        problem: Option<&RawValue>,
    ) -> Result<Arc<RuleTexts>, (&'static str, serde_json::Error)> {
        // The problem title rides with the title in the cache key: both change together.
        let raw_title = match problem {
            Some(p) => format!("{}\u{0}{}", title.map_or("", |r| r.get()), p.get()),
            None => title.map_or("", |r| r.get()).to_string(),
        };
        let raw_title = raw_title.as_str();
        let raw_remediation = remediation.map_or("", |r| r.get());
        if let Some((t, r, texts)) = self.texts.get(rule)
            && t == raw_title
            && r == raw_remediation
        {
            return Ok(texts.clone());
        }
        let decode = |raw: &str, field| {
            if raw.is_empty() {
                Ok(RawText::default())
            } else {
                serde_json::from_str::<RawText>(raw).map_err(|e| (field, e))
            }
        };
        let (title, remediation, problem) = (
            decode(title.map_or("", |r| r.get()), "title")?,
            decode(raw_remediation, "remediation")?,
            decode(problem.map_or("", |r| r.get()), "problem")?,
        );
        let texts = Arc::new(RuleTexts {
            title_vi: clip(title.vi, MAX_TEXT_CHARS),
            title_en: clip(title.en, MAX_TEXT_CHARS),
            problem_vi: clip(problem.vi, MAX_TEXT_CHARS),
            problem_en: clip(problem.en, MAX_TEXT_CHARS),
            remediation_vi: clip(remediation.vi, MAX_TEXT_CHARS),
            remediation_en: clip(remediation.en, MAX_TEXT_CHARS),
        });
        if self.texts.len() >= MAX_CACHED_RULES {
            self.texts.clear();
        }
        self.texts.insert(
            rule.to_string(),
            (
                raw_title.to_string(),
                raw_remediation.to_string(),
                texts.clone(),
            ),
        );
        Ok(texts)
    }
}

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// True when `path` is a SQLite database (a history store given as an input).
pub fn is_sqlite_file(path: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map(|_| head == SQLITE_MAGIC)
        .unwrap_or(false)
}

/// Expands the inputs: files as given, folders walked for `*.json` in name order.
/// Missing paths become errors.
pub fn expand_inputs(inputs: &[PathBuf], lang: Lang) -> (Vec<PathBuf>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let walk = walkdir::WalkDir::new(input)
                .follow_links(false)
                .sort_by_file_name();
            for entry in walk {
                match entry {
                    Ok(e)
                        if e.file_type().is_file()
                            && e.path().extension().is_some_and(|x| x == "json") =>
                    {
                        files.push(e.into_path())
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(error(input, e.to_string())),
                }
            }
        } else if input.is_file() {
            files.push(input.clone());
        } else {
            errors.push(error(
                input,
                tr(
                    lang,
                    "không tìm thấy tệp hoặc thư mục",
                    "no such file or folder",
                )
                .to_string(),
            ));
        }
    }
    (files, errors)
}

/// One line a reader understands from a finding's `waiver`: the waiver's id, its
/// justification, who approved it and its last day (`khien-result/1` writes them as
/// `waiver::AppliedWaiver`); any other shape is kept as its JSON text.
fn waiver_summary(w: &serde_json::Value) -> String {
    let field = |k: &str| w.get(k).and_then(|v| v.as_str()).filter(|v| !v.is_empty());
    let Some(justification) = field("justification").or_else(|| field("reason")) else {
        return w.to_string();
    };
    let mut out = match field("id") {
        Some(id) => format!("{id}: {justification}"),
        None => justification.to_string(),
    };
    let by = field("approved_by");
    let until = field("expires").or_else(|| field("until"));
    match (by, until) {
        (Some(by), Some(until)) => out.push_str(&format!(" ({by}; → {until})")),
        (Some(by), None) => out.push_str(&format!(" ({by})")),
        (None, Some(until)) => out.push_str(&format!(" (→ {until})")),
        (None, None) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"schema":"khien-result/1","tool":{"name":"khien","version":"9"},
      "future_field": {"anything": [1,2]},
      "unit":{"code":"U1","name":"Trường A"},
      "evaluated_at":"2026-05-01T00:00:00Z","generated_at":"2026-05-01T00:00:00Z",
      "targets":[{"target":{"kind":"web","id":"https://a.example"},
        "collected_at":"2026-05-01T00:00:00Z",
        "findings":[{"rule":"WEB-TLS-001","requirement":"W01","severity":"high","status":"fail",
          "title":{"vi":"T","en":"T"},"remediation":{"vi":"R","en":"R"},"basis":[],"evidence":[],
          "waiver":{"reason":"x","until":"2026-12-31"}}]}]}"#;

    #[test]
    fn reads_extra_fields_waivers_and_document_unit() {
        let doc = parse_result(Path::new("a.json"), DOC.as_bytes(), Lang::En).unwrap();
        let t = &doc.targets[0];
        assert_eq!((t.unit_code.as_str(), t.kind.as_str()), ("U1", "web"));
        assert_eq!(t.findings[0].status, Status::Fail);
        assert!(
            t.findings[0]
                .waiver
                .as_deref()
                .unwrap()
                .contains("2026-12-31")
        );
    }

    #[test]
    fn a_waived_finding_is_a_failure_with_its_waiver_in_one_line() {
        let doc = DOC
            .replace(r#""status":"fail""#, r#""status":"waived""#)
            .replace(
                r#"{"reason":"x","until":"2026-12-31"}"#,
                r#"{"id":"MT-2026-004","justification":"Máy chủ dùng chung","approved_by":"Sở GDĐT",
               "approved_on":"2026-03-01","expires":"2026-12-31","source":"mien-tru.toml"}"#,
            );
        let doc = parse_result(Path::new("a.json"), doc.as_bytes(), Lang::En).unwrap();
        let f = &doc.targets[0].findings[0];
        assert_eq!(f.status, Status::Fail);
        assert_eq!(
            f.waiver.as_deref(),
            Some("MT-2026-004: Máy chủ dùng chung (Sở GDĐT; → 2026-12-31)")
        );
    }

    #[test]
    fn rule_texts_are_decoded_once_and_changed_texts_are_kept() {
        let mut reader = ResultReader::default();
        let a = reader
            .parse(Path::new("a.json"), DOC.as_bytes(), Lang::En)
            .unwrap();
        let b = reader
            .parse(Path::new("b.json"), DOC.as_bytes(), Lang::En)
            .unwrap();
        let (fa, fb) = (&a.targets[0].findings[0], &b.targets[0].findings[0]);
        assert!(
            Arc::ptr_eq(&fa.texts, &fb.texts),
            "the same texts are shared"
        );
        assert_eq!(fa.texts.title_vi, "T");
        // A newer policy's text for the same rule is read, not the remembered one.
        let changed = DOC.replace(r#""title":{"vi":"T""#, r#""title":{"vi":"Tiêu đề mới""#);
        let c = reader
            .parse(Path::new("c.json"), changed.as_bytes(), Lang::En)
            .unwrap();
        assert_eq!(c.targets[0].findings[0].texts.title_vi, "Tiêu đề mới");
        assert_eq!(c.targets[0].findings[0].texts.problem_vi, "");
        // A failing-state title, when the result carries one, is read.
        let with_problem = DOC.replace(
            r#""title":{"vi":"T","en":"T"}"#,
            r#""title":{"vi":"T","en":"T"},"problem":{"vi":"Tài khoản Guest đang bật","en":"The Guest account is enabled"}"#,
        );
        let e = reader
            .parse(Path::new("e.json"), with_problem.as_bytes(), Lang::En)
            .unwrap();
        let t = &e.targets[0].findings[0].texts;
        assert_eq!(
            (
                t.problem_vi.as_str(),
                t.problem_en.as_str(),
                t.title_vi.as_str()
            ),
            (
                "Tài khoản Guest đang bật",
                "The Guest account is enabled",
                "T"
            )
        );
        // A text of the wrong shape names the file and the finding.
        let bad = DOC.replace(r#""title":{"vi":"T","en":"T"}"#, r#""title":{"vi":7}"#);
        let err = reader
            .parse(Path::new("d.json"), bad.as_bytes(), Lang::En)
            .unwrap_err();
        assert!(err.to_string().contains("d.json"), "{err}");
        assert!(
            err.to_string().contains("targets[0].findings[0].title"),
            "{err}"
        );
    }

    #[test]
    fn truncated_file_is_an_error_with_its_name_and_position() {
        let cut = &DOC.as_bytes()[..DOC.len() / 2];
        let err = parse_result(Path::new("cut.json"), cut, Lang::En).unwrap_err();
        assert_eq!(err.path, "cut.json");
        assert!(err.message.contains("truncated"), "{}", err.message);
    }

    #[test]
    fn wrong_schema_is_refused() {
        let other = DOC.replace("khien-result/1", "khien-facts/1");
        let err = parse_result(Path::new("f.json"), other.as_bytes(), Lang::En).unwrap_err();
        assert!(err.message.contains("`schema`"), "{}", err.message);
    }

    #[test]
    fn long_strings_are_clipped() {
        assert_eq!(clip("ắắắắ".into(), 2), "ắắ…");
        assert_eq!(clip("ab".into(), 2), "ab");
    }
}
