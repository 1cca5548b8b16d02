//! Findings and the result document: what khien hands to people and to the Department.
//!
//! The result document (`schemas/result.schema.json`, generated from these types and
//! checked by a test) is the contract between the schools' scans and the Department's
//! reports, so its shape changes only with a new `schema` version.

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::facts::{TargetIdentity, UnitRef, Unknown};
use crate::i18n::Localized;
use crate::policy::{Basis, ParamValue, Severity};
use crate::waiver::AppliedWaiver;

/// Version of the result document format.
pub const RESULT_SCHEMA: &str = "khien-result/1";

/// The outcome of one rule on one target.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// A fact the rule needs could not be read: never counted as a pass.
    Unknown,
    NotApplicable,
    /// Failed, but a waiver in force accepts it; the finding carries the waiver.
    Waived,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Fail,
        Status::Waived,
        Status::Unknown,
        Status::Pass,
        Status::NotApplicable,
    ];

    pub fn label(self) -> Localized {
        match self {
            Status::Pass => Localized::new("Đạt", "Pass"),
            Status::Fail => Localized::new("Không đạt", "Fail"),
            Status::Unknown => Localized::new("Không xác định", "Unknown"),
            Status::NotApplicable => Localized::new("Không áp dụng", "Not applicable"),
            Status::Waived => Localized::new("Được miễn trừ", "Waived"),
        }
    }
}

/// A fact value read by a rule, shown to justify its status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Fact path, e.g. `host.antivirus.clamav.signatures_built_at`.
    pub fact: String,
    /// The value as collected; an unknown fact appears as `{"$unknown": {...}}`.
    pub value: serde_json::Value,
}

/// A fact that could not be read and that the rule needed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnknownFact {
    pub fact: String,
    #[serde(flatten)]
    pub why: Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    /// Rule code, e.g. `HOST-AV-001`.
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    pub severity: Severity,
    pub status: Status,
    pub title: Localized,
    /// The failing state as a problem to fix ("The Guest account is enabled"); results
    /// written before policy 2026.12 have none, so readers fall back to `title`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Localized>,
    pub remediation: Localized,
    pub basis: Vec<Basis>,
    /// For `unknown`: the facts that could not be read and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_facts: Vec<UnknownFact>,
    /// For `not_applicable`: why the rule does not apply to this target (the rule's
    /// `not_applicable` text); results written before policy 2026.12 have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<Localized>,
    /// For `unknown` without an unreadable fact: the evaluation error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub evidence: Vec<Evidence>,
    /// For `waived`: the waiver that accepts this failing finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<AppliedWaiver>,
}

/// The findings for one target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetResult {
    pub target: TargetIdentity,
    #[schemars(with = "String")]
    pub collected_at: Timestamp,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInfo {
    pub id: String,
    pub version: String,
    /// `embedded` or the policy paths given.
    pub origin: String,
}

/// Counts over all findings of a result document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub targets: u64,
    pub findings: u64,
    pub by_status: BTreeMap<Status, u64>,
    /// Failing findings per severity.
    pub failing_by_severity: BTreeMap<Severity, u64>,
    /// The most severe failing finding, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst_failing: Option<Severity>,
}

/// What a scan or an evaluation produces: `khien ... --format json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultDocument {
    /// Always [`RESULT_SCHEMA`].
    pub schema: String,
    pub tool: ToolInfo,
    pub policy: PolicyInfo,
    /// The unit (school) that ran the scan, from the local configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitRef>,
    /// When this document was written.
    #[schemars(with = "String")]
    pub generated_at: Timestamp,
    /// The time rules were evaluated against (ages are computed to it).
    #[schemars(with = "String")]
    pub evaluated_at: Timestamp,
    /// Parameter values in force, after local overrides.
    pub params: BTreeMap<String, ParamValue>,
    pub targets: Vec<TargetResult>,
    pub summary: Summary,
}

impl Summary {
    pub fn of(targets: &[TargetResult]) -> Summary {
        let mut s = Summary::default();
        for t in targets {
            s.add(t);
        }
        s
    }

    /// Counts one more target (results that stream are summed as they come).
    pub fn add(&mut self, target: &TargetResult) {
        self.targets += 1;
        for f in &target.findings {
            self.findings += 1;
            *self.by_status.entry(f.status).or_default() += 1;
            if f.status == Status::Fail {
                *self.failing_by_severity.entry(f.severity).or_default() += 1;
                self.worst_failing = self.worst_failing.max(Some(f.severity));
            }
        }
    }
}

impl ResultDocument {
    /// The JSON Schema of the result document, as shipped in `schemas/`.
    pub fn json_schema() -> serde_json::Value {
        schemars::schema_for!(ResultDocument).to_value()
    }
}
