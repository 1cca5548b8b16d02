//! Policies: the rules khien checks, loaded from TOML files and validated before any scan.
//!
//! A policy is one or more TOML files (the default one is `rules/` compiled into the
//! binary). Exactly one file carries the `[policy]` header; any file may declare
//! `[params.*]` and `[[rule]]`s. Every condition is compiled once at load time, and every
//! fact it names is checked against the fact model (see [`crate::facts`]), so a typo
//! is a load error with a file position, never a silent failure at scan time.

pub mod catalogue;
pub mod examples;
mod expr;
mod load;
mod params;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::diagnostic::{Code, Diagnostic, Diagnostics, SourceFile, toml_value_span};
pub use expr::{Condition, ExprEnv};
pub use load::{embedded_sources, load_paths, load_sources};
pub use params::{ParamDecl, ParamValue};

use crate::facts::TargetKind;
use crate::i18n::Localized;

/// A loaded, validated policy.
#[derive(Debug)]
pub struct Policy {
    pub header: PolicyHeader,
    pub params: BTreeMap<String, ParamDecl>,
    pub rules: Vec<Rule>,
    /// Where the policy came from (`embedded` or the paths given).
    pub origin: String,
    /// The CEL environment the conditions were compiled with; building one is costly,
    /// so evaluation reuses it for every target.
    pub cel: expr::SharedEnv,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PolicyHeader {
    /// Stable identifier, e.g. `khien-default`.
    pub id: String,
    /// Version of the policy content, e.g. `2026.11.1`.
    pub version: String,
    pub title: Localized,
    #[serde(default)]
    pub description: Option<Localized>,
}

/// How bad a failing rule is. Ordered: `info < low < medium < high < critical`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL_DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn label(self) -> Localized {
        match self {
            Severity::Critical => Localized::new("Nghiêm trọng", "Critical"),
            Severity::High => Localized::new("Cao", "High"),
            Severity::Medium => Localized::new("Trung bình", "Medium"),
            Severity::Low => Localized::new("Thấp", "Low"),
            Severity::Info => Localized::new("Thông tin", "Info"),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}`: use critical, high, medium, low or info"
            )),
        }
    }
}

/// Where a rule's requirement comes from: a plan section and, where known, the law.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    /// Short name of the plan, e.g. `KH-CĐS-2026-2030` (see `docs/basis.md`).
    pub plan: String,
    /// Section as numbered in the plan, e.g. `III.4.a`.
    pub section: String,
    /// The legal text behind it, where known, e.g. `Chỉ thị 14/CT-TTg 2018`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub law: Option<String>,
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.plan, self.section)?;
        if let Some(law) = &self.law {
            write!(f, " ({law})")?;
        }
        Ok(())
    }
}

/// One compiled rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, e.g. `HOST-AV-001`. Never reused for another meaning.
    pub code: String,
    pub target: TargetKind,
    pub severity: Severity,
    /// The requirement in `docs/basis.md` it implements, e.g. `H01`.
    pub requirement: Option<String>,
    /// The desired state, e.g. "The Guest account is disabled".
    pub title: Localized,
    /// The failing state, the problem to fix, e.g. "The Guest account is enabled": used
    /// wherever a finding is a task (debt lists, the school's to-do, the remediation plan).
    pub problem: Localized,
    pub rationale: Localized,
    pub remediation: Localized,
    pub basis: Vec<Basis>,
    /// When false the rule is `not_applicable` to the target.
    pub applies_when: Option<Arc<Condition>>,
    /// Why the rule does not apply when `applies_when` is false ("the machine is a
    /// container"): required with `applies_when`, so no "not applicable" goes unexplained.
    pub not_applicable: Option<Localized>,
    /// True passes, false fails; a fact it needs being unknown makes it unknown.
    pub check: Arc<Condition>,
    /// Fact paths shown as evidence (defaults to the facts `check` reads).
    pub evidence: Vec<String>,
    /// `file:line` where the rule is defined.
    pub defined_at: String,
}

impl Policy {
    pub fn rule(&self, code: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(code))
    }

    pub fn rules_for(&self, kind: TargetKind) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(move |r| r.target == kind)
    }

    /// Parameter values after local overrides, as the expressions see them.
    pub fn param_values(
        &self,
        overrides: &BTreeMap<String, ParamValue>,
    ) -> BTreeMap<String, ParamValue> {
        self.params
            .iter()
            .map(|(name, decl)| {
                let value = overrides.get(name).unwrap_or(&decl.default).clone();
                (name.clone(), value)
            })
            .collect()
    }
}
