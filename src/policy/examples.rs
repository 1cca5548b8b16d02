//! Worked examples of rules: small fact documents with the status each must give.
//!
//! A policy author keeps one JSON file per rule (`fixtures/rules/CODE.json` for the
//! default policy). Each case holds only the facts the rule reads, under the target's
//! root variable (for `host.accounts.guest_enabled` write `{"accounts": {"guest_enabled":
//! true}}`); a fact that could not be read is written as khien writes it,
//! `{"$unknown": {"reason": "needs_admin"}}`. The same files drive the table-driven test
//! that every rule reaches each status it can reach, and the examples shown in the rule
//! catalogue (`khien rules doc`), so the catalogue never shows an example that is wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ParamValue, Policy, Rule};
use crate::eval::Evaluator;
use crate::facts::{FactShape, TargetIdentity};
use crate::findings::{Finding, Status};
use crate::i18n::Localized;

/// When a case gives no `at`: the evaluation time of every example (ages are counted
/// to it, so the examples give the same status on any day).
pub const DEFAULT_AT: &str = "2026-12-01T00:00:00Z";

/// The examples of one rule, as in `fixtures/rules/CODE.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleExamples {
    /// The rule code; must match the file name.
    pub rule: String,
    pub cases: Vec<Case>,
    /// The file it was read from.
    #[serde(skip)]
    pub path: PathBuf,
}

/// One example: facts, the parameters changed from the policy's defaults, and the
/// status the rule must give.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub status: Status,
    /// What the example shows, in both languages.
    pub note: Localized,
    /// The facts under the target's root variable (`host`, `web` or `register`).
    pub facts: Value,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, ParamValue>,
    /// Evaluation time (RFC 3339); [`DEFAULT_AT`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// Reads every `*.json` file of `dir`, in name order. Errors name the file and what
/// is wrong with it.
pub fn load_dir(dir: &Path) -> Result<Vec<RuleExamples>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "{}: {e}; give the folder of rule examples (e.g. fixtures/rules)",
            dir.display()
        )
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut ex: RuleExamples = serde_json::from_str(&text)
            .map_err(|e| format!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        if stem != ex.rule {
            return Err(format!(
                "{}: the file is named {stem} but holds examples of `{}`; name it {}.json",
                path.display(),
                ex.rule,
                ex.rule
            ));
        }
        ex.path = path;
        out.push(ex);
    }
    Ok(out)
}

/// Evaluates one case with the policy: the finding of `rule` for those facts.
pub fn evaluate_case(policy: &Policy, rule: &Rule, case: &Case) -> Result<Finding, String> {
    let at: Timestamp = case
        .at
        .as_deref()
        .unwrap_or(DEFAULT_AT)
        .parse()
        .map_err(|e| format!("`at`: {e}"))?;
    for (name, value) in &case.params {
        match policy.params.get(name) {
            None => return Err(format!("unknown parameter `{name}`")),
            Some(decl) if !decl.default.same_type(value) => {
                return Err(format!(
                    "parameter `{name}` is a {}, not a {}",
                    decl.default.type_name(),
                    value.type_name()
                ));
            }
            Some(_) => {}
        }
    }
    let params = policy.param_values(&case.params);
    let target = TargetIdentity {
        kind: rule.target,
        id: format!("example:{}", rule.code),
        unit: None,
    };
    let result = Evaluator::new(policy, params, at).evaluate(&target, at, &case.facts);
    result
        .findings
        .into_iter()
        .find(|f| f.rule == rule.code)
        .ok_or_else(|| format!("the policy gave no finding for `{}`", rule.code))
}

/// Fact paths a case names that the fact model of its target does not have (a typo in
/// an example would otherwise make a case pass or fail for the wrong reason).
pub fn unknown_fact_paths(rule: &Rule, case: &Case) -> Vec<String> {
    let schema = rule.target.fact_schema();
    let root = rule.target.root_variable();
    let known: BTreeSet<String> = FactShape::new(&schema)
        .describe(root)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let mut out = Vec::new();
    walk(&case.facts, root, &known, &mut out);
    out
}

fn walk(value: &Value, path: &str, known: &BTreeSet<String>, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if map.contains_key("$unknown") => {}
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{path}.{k}");
                if known.contains(&p) {
                    walk(v, &p, known, out);
                } else {
                    out.push(p);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                walk(v, &format!("{path}[]"), known, out);
            }
        }
        _ => {}
    }
}
