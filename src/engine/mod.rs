//! The engine: a policy, the settings in force and facts in, one result document
//! out. Every command that evaluates rules (scan host/web/register, eval, the
//! machine report, the central server) goes through [`Engine`], so the result
//! header, waivers and the summary are made in one place; [`ResultWriter`] writes a
//! result document whole or streamed, target by target.
//!
//! The command line (`crate::cli`) only parses arguments, calls the engine and
//! decides the exit code at the end.

mod writer;

pub use writer::{ResultWriter, WriteOutcome};

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::collect::host::{self, HostScanOptions};
use crate::config::LocalConfig;
use crate::eval::Evaluator;
use crate::facts::{FactDocument, UnitRef};
use crate::findings::{PolicyInfo, RESULT_SCHEMA, ResultDocument, Summary, TargetResult, ToolInfo};
use crate::policy::{ParamValue, Policy};
use crate::settings::Settings;
use crate::waiver::WaiverSet;

/// Evaluates facts against one policy with the parameters in force.
pub struct Engine<'a> {
    policy: &'a Policy,
    params: BTreeMap<String, ParamValue>,
    unit: Option<UnitRef>,
    waivers: Option<&'a WaiverSet>,
}

impl<'a> Engine<'a> {
    /// The policy with a unit's local configuration (parameter overrides, unit).
    pub fn new(policy: &'a Policy, config: &LocalConfig) -> Self {
        Engine {
            policy,
            params: policy.param_values(&config.params),
            unit: config.unit.clone(),
            waivers: None,
        }
    }

    /// Failing findings that a waiver in force accepts become `waived`.
    pub fn with_waivers(mut self, waivers: Option<&'a WaiverSet>) -> Self {
        self.waivers = waivers;
        self
    }

    pub fn policy(&self) -> &Policy {
        self.policy
    }

    /// The parameter values in force.
    pub fn params(&self) -> &BTreeMap<String, ParamValue> {
        &self.params
    }

    /// The result document without targets: who made it, with which policy and
    /// parameters, for which unit, evaluated as of `evaluated_at`.
    pub fn header(&self, evaluated_at: Timestamp) -> ResultDocument {
        ResultDocument {
            schema: RESULT_SCHEMA.to_string(),
            tool: ToolInfo {
                name: "khien".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            policy: PolicyInfo {
                id: self.policy.header.id.clone(),
                version: self.policy.header.version.clone(),
                origin: self.policy.origin.clone(),
            },
            unit: self.unit.clone(),
            generated_at: Timestamp::now(),
            evaluated_at,
            params: self.params.clone(),
            targets: Vec::new(),
            summary: Summary::default(),
        }
    }

    /// Evaluates one fact document as of `at` (default: when it was collected), with
    /// waivers applied.
    pub fn evaluate_one(&self, doc: &FactDocument, at: Option<Timestamp>) -> TargetResult {
        let now = at.unwrap_or(doc.collected_at);
        let mut result = Evaluator::new(self.policy, self.params.clone(), now).evaluate(
            &doc.target,
            doc.collected_at,
            &doc.facts,
        );
        self.apply_waivers(&mut result, now);
        result
    }

    /// Applies the waivers (if any) to a target's findings, judged at `at`.
    pub fn apply_waivers(&self, result: &mut TargetResult, at: Timestamp) {
        if let Some(set) = self.waivers {
            set.apply_to_target(result, at);
        }
    }

    /// Evaluates fact documents into one result document. `at` overrides the
    /// evaluation time, which is otherwise each document's collection time; the
    /// document states the latest of them. The unit is the configuration's, else the
    /// first target's.
    pub fn evaluate(&self, docs: &[FactDocument], at: Option<Timestamp>) -> ResultDocument {
        let targets: Vec<TargetResult> = docs.iter().map(|d| self.evaluate_one(d, at)).collect();
        let evaluated_at = at
            .or_else(|| docs.iter().map(|d| d.collected_at).max())
            .unwrap_or_else(Timestamp::now);
        let mut doc = self.header(evaluated_at);
        if doc.unit.is_none() {
            doc.unit = docs.iter().find_map(|d| d.target.unit.clone());
        }
        doc.summary = Summary::of(&targets);
        doc.targets = targets;
        doc
    }
}

/// Collects this machine's facts into a fact document, within the settings' limits.
pub fn collect_host(settings: &Settings, config: &LocalConfig) -> FactDocument {
    let opts = HostScanOptions {
        config,
        default_backup_max_age_days: settings.host.default_backup_max_age_days,
        query_timeout: settings.host.query_timeout,
    };
    let collected_at = Timestamp::now();
    let (target, facts) = host::collect(&opts);
    let facts = serde_json::to_value(&facts).expect("host facts serialize");
    FactDocument::new(target, collected_at, facts)
}

/// Evaluates fact documents with a local configuration: the one-call form of
/// [`Engine::evaluate`] for tests and library users.
pub fn evaluate(
    policy: &Policy,
    config: &LocalConfig,
    docs: &[FactDocument],
    at: Option<Timestamp>,
) -> ResultDocument {
    Engine::new(policy, config).evaluate(docs, at)
}
