//! The compliance-debt report: indicators against the plans' targets per unit, commune
//! and province, open debt with ages and deadlines, changes since the previous report,
//! waived findings apart, and the remediation plan ("06 rõ").
//!
//! [`build`] reads the history store once, streaming findings in target order, so memory
//! grows with the number of units and open debt items, not with the number of findings.
//! The [`ComplianceReport`] it returns is what every output format renders, and is
//! itself the JSON format (`khien-report/1`).

use std::collections::{BTreeMap, BTreeSet};

use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use super::indicators::{INDICATORS, Measure, NOT_MEASURED, Verdict, verdict};
use super::input::InputError;
use super::inventory::Inventory;
use super::period::{Period, vietnam};
use crate::findings::Status;
use crate::history::{
    Event, EventKind, FindingState, HistoryError, HistoryStore, IngestStats, RuleText, Window,
};
use crate::i18n::Localized;
use crate::policy::{ParamValue, Severity};

pub const REPORT_SCHEMA: &str = "khien-report/1";

/// Where "since the previous report" starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SinceSource {
    /// The newest scan the previous report recorded in the history store saw.
    PreviousReport,
    PeriodStart,
    /// Given with `--since`.
    Option,
}

pub struct ReportOptions {
    pub period: Period,
    /// Evaluation time: ages and deadlines are computed to it.
    pub at: Timestamp,
    pub since: Timestamp,
    pub since_source: SinceSource,
    pub unit: Option<String>,
    /// Days allowed to fix a failing finding, per severity (policy parameters).
    pub due_days: BTreeMap<Severity, i64>,
    /// Month and day of the six-monthly and annual report deadlines.
    pub report_deadlines: [(i8, i8); 2],
    /// Hours within which an incident must reach the Department (K18; policy parameter
    /// `register_incident_report_hours`, the one REG-IR-002 judges by).
    pub incident_report_hours: f64,
    pub inventory: Inventory,
    /// A unit whose newest result is older than this many days is "stale" (policy
    /// parameter `report_stale_days`).
    pub stale_days: i64,
    /// Files read in this run per unit code that is not in the register.
    pub unregistered_files: BTreeMap<String, BTreeSet<String>>,
    /// True when the history is kept in a database (`--db`): ages and changes then
    /// span every run; otherwise they cover this run's files only.
    pub persistent_history: bool,
    /// The official heading from `[report]` in khien.toml, for filing.
    pub heading: Option<crate::config::ReportHeading>,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Counts {
    pub pass: u64,
    pub fail: u64,
    pub unknown: u64,
}

/// One indicator for one scope (a unit, a commune or the province).
///
/// Denominators come from the register (machines, public URLs, systems, units), never
/// from what was scanned, so no rate exceeds 100%: a unit that scanned more than the
/// register lists counts the larger number and is listed as "register out of date".
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ScopeValue {
    /// Unit code, commune name, or empty for the province.
    pub scope: String,
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// Computers in the register (host indicators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory: Option<u64>,
    /// Hosts scanned (host indicators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanned: Option<u64>,
    /// What rates and coverage are divided by; `None` when nothing gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<u64>,
    /// True when the denominator is the register's; false when, without a register,
    /// it is the number of targets scanned (coverage is then unknown).
    pub denominator_from_register: bool,
    /// Targets with a verdict (pass or fail); unknowns are not evaluated.
    pub evaluated: u64,
    /// Denominator − evaluated: what was not checked (or could not be).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_evaluated: Option<u64>,
    /// Evaluated ÷ denominator, in percent (at most 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_pct: Option<f64>,
    /// Passing ÷ denominator, in percent (at most 100); `None` without data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pct: Option<f64>,
    /// For counts (K14, K15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_age_days: Option<f64>,
    /// Units in the scope without a machine count in the register (host indicators).
    #[serde(skip_serializing_if = "is_zero")]
    pub units_without_inventory: u64,
    /// Nothing was evaluated: shown as "không có số liệu" / "no data", never met.
    pub no_data: bool,
    /// `None` when it cannot be said (no data, or a count of 0 over part of the scope).
    pub meets_target: Option<bool>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Serialize)]
pub struct IndicatorReport {
    pub code: &'static str,
    pub name: Localized,
    pub measure: Measure,
    pub target_pct: f64,
    pub basis: &'static str,
    pub province: ScopeValue,
    pub communes: Vec<ScopeValue>,
    pub units: Vec<ScopeValue>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DebtItem {
    pub unit_code: String,
    pub unit_name: String,
    pub commune: String,
    pub target_kind: String,
    pub target_id: String,
    pub rule: String,
    pub requirement: Option<String>,
    pub severity: Severity,
    pub open_since: Timestamp,
    pub age_days: i64,
    pub due: Timestamp,
    pub overdue: bool,
    pub reopened: bool,
    pub last_scan: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub commune: String,
    pub computers: Option<u64>,
    pub hosts_scanned: u64,
    pub websites: u64,
    pub register_records: u64,
    pub findings_pass: u64,
    pub findings_fail: u64,
    pub findings_unknown: u64,
    pub findings_not_applicable: u64,
    pub open_debt: u64,
    pub overdue: u64,
    pub waived: u64,
    /// Overdue critical and high items: the first key of "worst first".
    pub overdue_critical_high: u64,
    /// The newest of the unit's own results (host and website scans, not the
    /// Department's register scan).
    pub last_scan: Option<Timestamp>,
    /// No result of the unit's own in the period.
    pub not_reporting: bool,
    /// The newest result is older than the policy's `report_stale_days`.
    pub stale: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RuleRow {
    pub rule: String,
    pub requirement: Option<String>,
    pub severity: Option<Severity>,
    pub pass: u64,
    pub fail: u64,
    pub unknown: u64,
    pub not_applicable: u64,
    pub waived: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Changes {
    pub new: Vec<Event>,
    pub fixed: Vec<Event>,
    pub reopened: Vec<Event>,
    /// Failures that became not applicable: no longer evaluated, never "fixed".
    pub no_longer_evaluated: Vec<NoLongerEvaluated>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NoLongerEvaluated {
    #[serde(flatten)]
    pub event: Event,
    /// Failing rules of the same target and rule family now (e.g. `HOST-AV-001` when
    /// anti-malware is off and `HOST-AV-002` no longer applies): the likely reason.
    pub because: Vec<String>,
}

/// Results whose unit code is not in the register: named, never counted.
#[derive(Clone, Debug, Serialize)]
pub struct UnregisteredUnit {
    /// The code as the results gave it (empty: no unit at all).
    pub code: String,
    pub name: String,
    pub targets: u64,
    /// Files of this run carrying the code (older ones come from the history database).
    pub files: Vec<String>,
    /// The nearest registered code ("did you mean ...?").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
}

/// A unit whose results show more than the register lists.
#[derive(Clone, Debug, Serialize)]
pub struct RegisterOutOfDate {
    pub code: String,
    pub name: String,
    /// `computers`, `websites` or `systems`.
    pub what: &'static str,
    /// What the register says (`None`: it gives no figure).
    pub registered: Option<u64>,
    pub found: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DebtPoint {
    pub at: Timestamp,
    pub open: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CommuneDebt {
    pub commune: String,
    pub open: u64,
    pub overdue: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DebtTotals {
    pub open: u64,
    pub overdue: u64,
    pub mean_age_days: Option<f64>,
    pub by_severity: BTreeMap<Severity, u64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct InputsSummary {
    pub files_read: u64,
    pub skipped: Vec<InputError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingest: Option<IngestStats>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ComplianceReport {
    pub schema: &'static str,
    pub period: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    /// The day the report is due at the Department (05/6 or 05/12).
    pub report_due: String,
    #[serde(skip)]
    pub report_due_date: jiff::civil::Date,
    pub evaluated_at: Timestamp,
    pub generated_at: Timestamp,
    pub since: Timestamp,
    pub since_source: SinceSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitRow>,
    pub due_days: BTreeMap<Severity, i64>,
    pub inputs: InputsSummary,
    pub indicators: Vec<IndicatorReport>,
    pub not_measured: Vec<NotMeasured>,
    pub debt_totals: DebtTotals,
    /// Open, failing, unwaived findings: worst first.
    pub debt: Vec<DebtItem>,
    /// Failing findings under a waiver, listed apart and not counted as debt.
    pub waived: Vec<DebtItem>,
    pub changes: Changes,
    pub debt_series: Vec<DebtPoint>,
    pub debt_by_commune: Vec<CommuneDebt>,
    /// Every registered unit, worst first.
    pub units: Vec<UnitRow>,
    /// The ten worst units (overdue critical/high first), for the first screen.
    pub worst_units: Vec<UnitRow>,
    pub rules: Vec<RuleRow>,
    pub rule_texts: BTreeMap<String, RuleText>,
    /// True when a register (or inventory) gave the units.
    pub register_given: bool,
    pub unregistered: Vec<UnregisteredUnit>,
    pub register_out_of_date: Vec<RegisterOutOfDate>,
    /// Registered units without a result of their own in the period.
    pub not_reporting: Vec<String>,
    /// Registered units whose newest result is older than `stale_days`.
    pub stale: Vec<String>,
    pub stale_days: i64,
    /// False without `--db`: ages and changes cover this run's files only.
    pub persistent_history: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<crate::config::ReportHeading>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NotMeasured {
    pub code: &'static str,
    pub why: Localized,
}

#[derive(Default)]
struct UnitAcc {
    row: UnitRow,
    indicators: Vec<Counts>,
    /// Targets for which every requirement of the indicator was not applicable.
    not_counted: Vec<u64>,
    /// Failing findings per count indicator.
    counted: Vec<u64>,
    overdue_age_sum: i64,
    /// Register records of systems (target ids `system:...`).
    system_records: u64,
}

/// Label used for targets whose unit or commune is not known.
pub const UNKNOWN_COMMUNE: &str = "";

/// Days allowed to fix a failing finding, per severity, from the policy parameters
/// `debt_due_days_*` (the values in force, after local overrides).
pub fn due_days(params: &BTreeMap<String, ParamValue>) -> BTreeMap<Severity, i64> {
    Severity::ALL_DESCENDING
        .into_iter()
        .map(|s| {
            let default = match s {
                Severity::Critical => 7,
                Severity::High => 15,
                Severity::Medium => 30,
                Severity::Low => 90,
                Severity::Info => 180,
            };
            let days = match params.get(&format!("debt_due_days_{}", s.as_str())) {
                Some(ParamValue::Integer(i)) => *i,
                Some(ParamValue::Float(f)) => *f as i64,
                _ => default,
            };
            (s, days)
        })
        .collect()
}

/// The month and day of the six-monthly and annual report deadlines: the policy
/// parameter `register_report_deadlines` (`["06-05", "12-05"]`), valid every year.
pub fn report_deadlines(params: &BTreeMap<String, ParamValue>) -> [(i8, i8); 2] {
    let mut out = [(6, 5), (12, 5)];
    if let Some(ParamValue::List(list)) = params.get("register_report_deadlines") {
        for (slot, v) in out.iter_mut().zip(list) {
            if let Some((m, d)) = v.split_once('-')
                && let (Ok(m), Ok(d)) = (m.parse(), d.parse())
            {
                *slot = (m, d);
            }
        }
    }
    out
}

/// Hours within which an incident must be reported to the Department: the policy
/// parameter `register_incident_report_hours` (default 24), for K18.
pub fn incident_report_hours(params: &BTreeMap<String, ParamValue>) -> f64 {
    match params.get("register_incident_report_hours") {
        Some(ParamValue::Integer(i)) if *i > 0 => *i as f64,
        Some(ParamValue::Float(f)) if f.is_finite() && *f > 0.0 => *f,
        _ => 24.0,
    }
}

/// Days after which a unit's newest result is stale: the policy parameter
/// `report_stale_days` (default 90).
pub fn stale_days(params: &BTreeMap<String, ParamValue>) -> i64 {
    match params.get("report_stale_days") {
        Some(ParamValue::Integer(i)) => *i,
        Some(ParamValue::Float(f)) => *f as i64,
        _ => 90,
    }
}

fn days_between(from: Timestamp, to: Timestamp) -> i64 {
    (to.as_second() - from.as_second()).div_euclid(86_400)
}

/// Builds the report from the history store.
pub fn build(
    store: &dyn HistoryStore,
    opts: &ReportOptions,
    inputs: InputsSummary,
) -> Result<ComplianceReport, HistoryError> {
    let window = Window {
        from: opts.period.start(),
        to: opts.at,
        unit: opts.unit.clone(),
    };
    let inv = &opts.inventory;
    let mut units: BTreeMap<String, UnitAcc> = BTreeMap::new();
    let new_acc = |code: &str| UnitAcc {
        row: UnitRow {
            code: code.to_string(),
            name: inv
                .units
                .get(code)
                .map(|u| u.unit_name.clone())
                .unwrap_or_default(),
            commune: inv.commune_of(code).unwrap_or(UNKNOWN_COMMUNE).to_string(),
            computers: inv.computers_of(code),
            ..UnitRow::default()
        },
        indicators: vec![Counts::default(); INDICATORS.len()],
        not_counted: vec![0; INDICATORS.len()],
        counted: vec![0; INDICATORS.len()],
        overdue_age_sum: 0,
        system_records: 0,
    };
    for code in inv.units.keys() {
        if opts.unit.as_ref().is_none_or(|u| u == code) {
            units.insert(code.clone(), new_acc(code));
        }
    }

    let mut rules: BTreeMap<String, RuleRow> = BTreeMap::new();
    let mut debt = Vec::new();
    let mut waived = Vec::new();
    let mut unregistered: BTreeMap<String, UnregisteredUnit> = BTreeMap::new();
    // Failing rules per target, for the "no longer evaluated" reasons.
    let mut failing_now: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    // Findings of the target being read: (requirement, rule, status).
    let mut target_key: Option<(String, String, String)> = None;
    let mut target_findings: Vec<(String, String, Status)> = Vec::new();
    let mut last_unregistered: Option<(String, String, String)> = None;

    let flush = |units: &mut BTreeMap<String, UnitAcc>,
                 key: &(String, String, String),
                 findings: &[(String, String, Status)]| {
        let acc = units
            .get_mut(&key.0)
            .expect("unit created on first finding");
        match key.1.as_str() {
            "host" => acc.row.hosts_scanned += 1,
            "web" => acc.row.websites += 1,
            "register" => {
                acc.row.register_records += 1;
                if key.2.starts_with("system:") {
                    acc.system_records += 1;
                }
            }
            _ => {}
        }
        let all = || {
            findings
                .iter()
                .map(|(q, r, s)| (q.as_str(), r.as_str(), *s))
        };
        for (i, def) in INDICATORS.iter().enumerate() {
            let v = match def.measure {
                Measure::ShareOfInventory | Measure::ShareOfTargets => {
                    if !def.applies_to_kind(&key.1) {
                        continue;
                    }
                    verdict(def.requirements, all())
                }
                // A count is evaluated on a target by the requirements it carries
                // (H15 on machines, W11 on websites); the others are not missing there.
                Measure::CountFailing => {
                    let present: Vec<&str> = def
                        .requirements
                        .iter()
                        .copied()
                        .filter(|req| all().any(|(q, r, _)| q == *req || r == *req))
                        .collect();
                    if present.is_empty() {
                        continue;
                    }
                    verdict(&present, all())
                }
                Measure::OverdueDebt | Measure::RegisterIncidents => continue,
            };
            let c = &mut acc.indicators[i];
            match v {
                Verdict::Pass => c.pass += 1,
                Verdict::Fail => c.fail += 1,
                Verdict::Unknown => c.unknown += 1,
                Verdict::NotCounted => acc.not_counted[i] += 1,
            }
        }
    };

    store.visit_findings(&window, &mut |f: FindingState| {
        if !inv.is_registered(&f.unit_code) {
            let u = unregistered
                .entry(f.unit_code.clone())
                .or_insert_with(|| UnregisteredUnit {
                    code: f.unit_code.clone(),
                    name: f.unit_name.clone(),
                    targets: 0,
                    files: Vec::new(),
                    did_you_mean: None,
                });
            let key = (f.unit_code.clone(), f.kind.clone(), f.target_id.clone());
            if last_unregistered.as_ref() != Some(&key) {
                u.targets += 1;
                last_unregistered = Some(key);
            }
            return;
        }
        let key = (f.unit_code.clone(), f.kind.clone(), f.target_id.clone());
        if target_key.as_ref() != Some(&key) {
            if let Some(k) = target_key.take() {
                flush(&mut units, &k, &target_findings);
            }
            target_findings.clear();
            target_key = Some(key);
        }
        let acc = units
            .entry(f.unit_code.clone())
            .or_insert_with(|| new_acc(&f.unit_code));
        if acc.row.name.is_empty() {
            acc.row.name = f.unit_name.clone();
        }
        // The Department's register scan is not the unit's own result.
        if f.kind != "register" {
            acc.row.last_scan = acc.row.last_scan.max(Some(f.collected_at));
        }
        let rule = rules.entry(f.rule.clone()).or_insert_with(|| RuleRow {
            rule: f.rule.clone(),
            ..RuleRow::default()
        });
        rule.requirement = f.requirement.clone();
        rule.severity = rule.severity.max(Some(f.severity));
        match f.status {
            Status::Pass => {
                rule.pass += 1;
                acc.row.findings_pass += 1;
            }
            Status::Fail | Status::Waived => {
                rule.fail += 1;
                acc.row.findings_fail += 1;
                failing_now
                    .entry((f.unit_code.clone(), f.kind.clone(), f.target_id.clone()))
                    .or_default()
                    .push(f.rule.clone());
            }
            Status::Unknown => {
                rule.unknown += 1;
                acc.row.findings_unknown += 1;
            }
            Status::NotApplicable => {
                rule.not_applicable += 1;
                acc.row.findings_not_applicable += 1;
            }
        }
        if f.status == Status::Fail {
            let open_since = f.open_since.unwrap_or(f.collected_at);
            // A failure that comes back keeps the age of its first failure.
            let age_from = if f.reopened_at.is_some() {
                f.first_failed_at.unwrap_or(open_since).min(open_since)
            } else {
                open_since
            };
            let due_days = opts.due_days.get(&f.severity).copied().unwrap_or(90);
            let due = age_from
                .checked_add(jiff::SignedDuration::from_hours(24 * due_days))
                .unwrap_or(age_from);
            let item = DebtItem {
                unit_code: f.unit_code.clone(),
                unit_name: acc.row.name.clone(),
                commune: acc.row.commune.clone(),
                target_kind: f.kind.clone(),
                target_id: f.target_id.clone(),
                rule: f.rule.clone(),
                requirement: f.requirement.clone(),
                severity: f.severity,
                open_since: age_from,
                age_days: days_between(age_from, opts.at).max(0),
                due,
                overdue: opts.at > due,
                reopened: f.reopened_at.is_some() && f.reopened_at == f.open_since,
                last_scan: f.collected_at,
                waiver: f.waiver.clone(),
            };
            if item.waiver.is_some() {
                rule.waived += 1;
                acc.row.waived += 1;
                waived.push(item);
            } else {
                acc.row.open_debt += 1;
                if item.overdue {
                    acc.row.overdue += 1;
                    acc.overdue_age_sum += item.age_days;
                    if item.severity >= Severity::High {
                        acc.row.overdue_critical_high += 1;
                    }
                }
                if let Some(req) = &item.requirement {
                    for (i, def) in INDICATORS.iter().enumerate() {
                        if def.measure == Measure::CountFailing
                            && def.requirements.contains(&req.as_str())
                        {
                            acc.counted[i] += 1;
                        }
                    }
                }
                debt.push(item);
            }
        }
        target_findings.push((f.requirement.unwrap_or_default(), f.rule, f.status));
    })?;
    if let Some(k) = target_key.take() {
        flush(&mut units, &k, &target_findings);
    }
    for (code, files) in &opts.unregistered_files {
        if opts.unit.as_ref().is_some_and(|u| u != code) {
            continue;
        }
        let u = unregistered
            .entry(code.clone())
            .or_insert_with(|| UnregisteredUnit {
                code: code.clone(),
                name: String::new(),
                targets: 0,
                files: Vec::new(),
                did_you_mean: None,
            });
        u.files = files.iter().cloned().collect();
    }
    for u in unregistered.values_mut() {
        u.did_you_mean = inv.nearest_code(&u.code).map(str::to_string);
    }

    debt.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.overdue.cmp(&a.overdue))
            .then(b.age_days.cmp(&a.age_days))
            .then_with(|| {
                (&a.unit_code, &a.target_kind, &a.target_id, &a.rule).cmp(&(
                    &b.unit_code,
                    &b.target_kind,
                    &b.target_id,
                    &b.rule,
                ))
            })
    });
    waived.sort_by(|a, b| {
        (&a.unit_code, &a.target_id, &a.rule).cmp(&(&b.unit_code, &b.target_id, &b.rule))
    });

    // Units not reporting, and stale ones, from each unit's newest own result.
    let last_scans = store.last_scans(opts.at)?;
    let stale_before = opts
        .at
        .checked_sub(jiff::SignedDuration::from_hours(24 * opts.stale_days))
        .unwrap_or(opts.at);
    for (code, a) in units.iter_mut() {
        if a.row.last_scan.is_none() {
            a.row.last_scan = last_scans.get(code).copied();
            a.row.not_reporting = true;
        }
        a.row.stale = a.row.last_scan.is_some_and(|t| t < stale_before);
    }

    let register_out_of_date = out_of_date(&units, inv);
    let indicators = indicator_reports(&units, inv, opts);
    let mut debt_totals = DebtTotals::default();
    let mut overdue_age_sum = 0i64;
    for d in &debt {
        debt_totals.open += 1;
        *debt_totals.by_severity.entry(d.severity).or_default() += 1;
        if d.overdue {
            debt_totals.overdue += 1;
            overdue_age_sum += d.age_days;
        }
    }
    debt_totals.mean_age_days =
        (debt_totals.overdue > 0).then(|| overdue_age_sum as f64 / debt_totals.overdue as f64);

    let mut by_commune: BTreeMap<String, CommuneDebt> = BTreeMap::new();
    for u in units.values() {
        let c = by_commune
            .entry(u.row.commune.clone())
            .or_insert_with(|| CommuneDebt {
                commune: u.row.commune.clone(),
                open: 0,
                overdue: 0,
            });
        c.open += u.row.open_debt;
        c.overdue += u.row.overdue;
    }
    let mut debt_by_commune: Vec<CommuneDebt> = by_commune.into_values().collect();
    debt_by_commune.sort_by(|a, b| super::collate::natural_cmp(&a.commune, &b.commune));

    let mut changes = Changes::default();
    for e in store.events_after(opts.since, &window)? {
        if !inv.is_registered(&e.unit_code) {
            continue;
        }
        match e.kind {
            EventKind::Opened => changes.new.push(e),
            EventKind::Fixed => changes.fixed.push(e),
            EventKind::Reopened => changes.reopened.push(e),
            EventKind::NoLongerEvaluated => {
                let family = e.rule.rsplit_once('-').map_or(e.rule.as_str(), |(f, _)| f);
                let because = failing_now
                    .get(&(
                        e.unit_code.clone(),
                        e.target_kind.clone(),
                        e.target_id.clone(),
                    ))
                    .map(|rules| {
                        rules
                            .iter()
                            .filter(|r| r.starts_with(family) && **r != e.rule)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                changes
                    .no_longer_evaluated
                    .push(NoLongerEvaluated { event: e, because })
            }
        }
    }

    // The chart starts at the first month with data: no zeros before any scan.
    let first = store.first_data()?;
    let points: Vec<Timestamp> = series_points(opts.at, 12)
        .into_iter()
        .filter(|p| first.is_some_and(|f| *p >= month_start(f)))
        .collect();
    let open = store.debt_at(&points, opts.unit.as_deref(), &|code| {
        inv.is_registered(code)
    })?;
    let debt_series = points
        .into_iter()
        .zip(open)
        .map(|(at, open)| DebtPoint { at, open })
        .collect();

    let unit = opts.unit.as_ref().map(|code| {
        units
            .get(code)
            .map(|a| a.row.clone())
            .unwrap_or_else(|| new_acc(code).row)
    });
    let mut unit_rows: Vec<UnitRow> = units.into_values().map(|a| a.row).collect();
    unit_rows.sort_by(worst_first);
    let worst_units = unit_rows
        .iter()
        .filter(|u| u.open_debt > 0)
        .take(10)
        .cloned()
        .collect();
    let mut not_reporting: Vec<&UnitRow> = unit_rows.iter().filter(|u| u.not_reporting).collect();
    not_reporting.sort_by(|a, b| super::collate::natural_cmp(&a.name, &b.name));
    let mut stale: Vec<&UnitRow> = unit_rows
        .iter()
        .filter(|u| u.stale && !u.not_reporting)
        .collect();
    stale.sort_by_key(|u| u.last_scan);

    Ok(ComplianceReport {
        schema: REPORT_SCHEMA,
        period: opts.period.to_string(),
        period_start: opts.period.start(),
        period_end: opts.period.end(),
        report_due: opts
            .period
            .report_due_on(opts.report_deadlines)
            .strftime("%d/%m/%Y")
            .to_string(),
        report_due_date: opts.period.report_due_on(opts.report_deadlines),
        evaluated_at: opts.at,
        generated_at: Timestamp::now(),
        since: opts.since,
        since_source: opts.since_source,
        unit,
        due_days: opts.due_days.clone(),
        inputs,
        indicators,
        not_measured: NOT_MEASURED
            .iter()
            .map(|(code, vi, en)| NotMeasured {
                code,
                why: Localized::new(*vi, *en),
            })
            .collect(),
        debt_totals,
        debt,
        waived,
        changes,
        debt_series,
        debt_by_commune,
        not_reporting: not_reporting.iter().map(|u| u.code.clone()).collect(),
        stale: stale.iter().map(|u| u.code.clone()).collect(),
        units: unit_rows,
        worst_units,
        rules: rules.into_values().collect(),
        rule_texts: store.rule_texts()?,
        register_given: inv.is_known(),
        unregistered: unregistered.into_values().collect(),
        register_out_of_date,
        stale_days: opts.stale_days,
        persistent_history: opts.persistent_history,
        heading: opts.heading.clone(),
    })
}

/// Worst first: overdue critical/high items, then overdue items, then open debt, then
/// the name in Vietnamese order.
pub fn worst_first(a: &UnitRow, b: &UnitRow) -> std::cmp::Ordering {
    b.overdue_critical_high
        .cmp(&a.overdue_critical_high)
        .then(b.overdue.cmp(&a.overdue))
        .then(b.open_debt.cmp(&a.open_debt))
        .then(b.not_reporting.cmp(&a.not_reporting))
        .then_with(|| super::collate::natural_cmp(&a.name, &b.name))
        .then_with(|| a.code.cmp(&b.code))
}

/// Units whose results show more machines, websites or systems than the register.
fn out_of_date(units: &BTreeMap<String, UnitAcc>, inv: &Inventory) -> Vec<RegisterOutOfDate> {
    let mut out = Vec::new();
    if !inv.is_known() {
        return out;
    }
    for a in units.values() {
        let Some(reg) = inv.units.get(&a.row.code) else {
            continue;
        };
        let mut push = |what, registered: Option<u64>, found: u64| {
            if found > registered.unwrap_or(0) {
                out.push(RegisterOutOfDate {
                    code: a.row.code.clone(),
                    name: a.row.name.clone(),
                    what,
                    registered,
                    found,
                });
            }
        };
        push("computers", reg.computers, a.row.hosts_scanned);
        if inv.from_register {
            push("websites", Some(reg.urls.len() as u64), a.row.websites);
            push("systems", Some(reg.systems), a.system_records);
        }
    }
    out
}

/// The first instant of the month of `t` (Vietnam time).
fn month_start(t: Timestamp) -> Timestamp {
    let d = t.to_zoned(vietnam()).date();
    jiff::civil::date(d.year(), d.month(), 1)
        .to_zoned(vietnam())
        .map(|z| z.timestamp())
        .unwrap_or(t)
}

/// `n` monthly points ending at `at`.
fn series_points(at: Timestamp, n: i64) -> Vec<Timestamp> {
    let z = at.to_zoned(vietnam());
    (0..n)
        .rev()
        .filter_map(|k| z.checked_sub(k.months()).ok().map(|z| z.timestamp()))
        .collect()
}

fn pct(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| 100.0 * num as f64 / den as f64)
}

/// A unit's denominator for indicator `i` and whether the register gave it.
fn unit_denominator(i: usize, a: &UnitAcc, inv: &Inventory) -> (Option<u64>, bool) {
    let def = &INDICATORS[i];
    let c = &a.indicators[i];
    let seen = c.pass + c.fail + c.unknown;
    let reg = inv.units.get(&a.row.code);
    match def.entity {
        "host" => match reg {
            // A unit scanning more machines than registered counts the larger number.
            Some(u) => (
                Some(u.computers.unwrap_or(0).max(a.row.hosts_scanned)),
                true,
            ),
            None => (None, false),
        },
        "web" => match reg {
            Some(u) if inv.from_register => (
                Some((u.urls.len() as u64).max(a.row.websites).max(seen)),
                true,
            ),
            _ => (Some(seen), false),
        },
        "system" => match reg {
            // Systems the register scan found the indicator not applicable to are
            // not in its denominator (K07 is about the Department's critical systems).
            Some(u) if inv.from_register => (
                Some(u.systems.saturating_sub(a.not_counted[i]).max(seen)),
                true,
            ),
            _ => (Some(seen), false),
        },
        "unit" => match reg {
            Some(_) if inv.from_register => {
                (Some(u64::from(a.not_counted[i] == 0).max(seen)), true)
            }
            _ => (Some(seen), false),
        },
        _ => (None, false),
    }
}

/// Sums per-unit counts into a scope value for indicator `i`.
fn scope_value(
    i: usize,
    scope: &str,
    name: &str,
    accs: &[&UnitAcc],
    inv: &Inventory,
    opts: &ReportOptions,
) -> ScopeValue {
    let def = &INDICATORS[i];
    let mut counts = Counts::default();
    let (mut inventory, mut scanned, mut missing_inventory, mut count, mut overdue_age) =
        (0u64, 0u64, 0u64, 0u64, 0i64);
    let (mut den, mut has_den, mut from_register) = (0u64, false, true);
    let mut findings = 0u64;
    let mut k15_den = (0u64, true);
    for a in accs {
        let c = &a.indicators[i];
        counts.pass += c.pass;
        counts.fail += c.fail;
        counts.unknown += c.unknown;
        scanned += a.row.hosts_scanned;
        match inv.computers_of(&a.row.code) {
            Some(n) => inventory += n,
            None => missing_inventory += 1,
        }
        count += match def.measure {
            Measure::OverdueDebt => a.row.overdue,
            _ => a.counted[i],
        };
        overdue_age += a.overdue_age_sum;
        findings += a.row.findings_pass
            + a.row.findings_fail
            + a.row.findings_unknown
            + a.row.findings_not_applicable;
        let (d, reg) = unit_denominator(i, a, inv);
        if let Some(d) = d {
            den += d;
            has_den = true;
        }
        from_register &= reg;
        if def.measure == Measure::CountFailing {
            // K15: machines of the register and its public URLs.
            let reg = inv.units.get(&a.row.code);
            let hosts = reg.map(|u| u.computers.unwrap_or(0).max(a.row.hosts_scanned));
            let sites = reg
                .filter(|_| inv.from_register)
                .map(|u| (u.urls.len() as u64).max(a.row.websites));
            match (hosts, sites) {
                (Some(h), Some(s)) => k15_den.0 += h + s,
                _ => {
                    k15_den.0 += a.row.hosts_scanned + a.row.websites;
                    k15_den.1 = false;
                }
            }
        }
    }
    let evaluated = counts.pass + counts.fail;
    let mut v = ScopeValue {
        scope: scope.to_string(),
        name: name.to_string(),
        counts,
        inventory: None,
        scanned: None,
        denominator: None,
        denominator_from_register: false,
        evaluated,
        not_evaluated: None,
        coverage_pct: None,
        pct: None,
        count: None,
        mean_age_days: None,
        units_without_inventory: 0,
        no_data: false,
        meets_target: None,
    };
    match def.measure {
        Measure::ShareOfInventory | Measure::ShareOfTargets => {
            if def.measure == Measure::ShareOfInventory {
                v.inventory = (missing_inventory < accs.len() as u64).then_some(inventory);
                v.scanned = Some(scanned);
                v.units_without_inventory = missing_inventory;
            }
            let den = has_den.then_some(den);
            v.denominator = den;
            v.denominator_from_register = has_den && from_register;
            v.no_data = evaluated == 0;
            if let Some(d) = den.filter(|_| !v.no_data) {
                v.pct = pct(v.counts.pass, d);
            }
            if v.denominator_from_register {
                v.coverage_pct = den.and_then(|d| pct(evaluated, d));
                v.not_evaluated = den.map(|d| d.saturating_sub(evaluated));
            }
        }
        Measure::CountFailing => {
            // Only evaluated targets count; unknowns and targets never checked are
            // "not evaluated", never folded into 0.
            v.no_data = evaluated == 0;
            v.count = Some(count);
            v.denominator = Some(k15_den.0.max(evaluated + v.counts.unknown));
            v.denominator_from_register = k15_den.1;
            let not_evaluated = v.denominator.unwrap_or(0).saturating_sub(evaluated);
            v.not_evaluated = Some(not_evaluated);
            v.coverage_pct = v.denominator.and_then(|d| pct(evaluated, d));
            v.meets_target = if count > 0 {
                Some(false)
            } else if v.no_data || not_evaluated > 0 {
                None
            } else {
                Some(true)
            };
        }
        Measure::OverdueDebt => {
            v.no_data = findings == 0;
            v.count = Some(count);
            if count > 0 {
                v.mean_age_days = Some(overdue_age as f64 / count as f64);
            }
            v.meets_target = (!v.no_data).then_some(count == 0);
        }
        Measure::RegisterIncidents => {
            // Incidents detected in the period, from the register.
            let (from, to) = (opts.period.start(), opts.at);
            let limit = jiff::SignedDuration::from_secs_f64(opts.incident_report_hours * 3600.0);
            let (mut total, mut in_time) = (0u64, 0u64);
            for a in accs {
                let Some(u) = inv.units.get(&a.row.code) else {
                    continue;
                };
                for (detected, reported) in &u.incidents {
                    if *detected < from || *detected > to {
                        continue;
                    }
                    total += 1;
                    if reported.is_some_and(|r| r.duration_since(*detected) <= limit) {
                        in_time += 1;
                    }
                }
            }
            v.counts = Counts {
                pass: in_time,
                fail: total - in_time,
                unknown: 0,
            };
            v.evaluated = total;
            v.denominator = Some(total);
            v.denominator_from_register = inv.from_register;
            v.no_data = total == 0 || !inv.from_register;
            if !v.no_data {
                v.pct = pct(in_time, total);
                v.coverage_pct = Some(100.0);
                v.not_evaluated = Some(0);
            }
        }
    }
    if let Some(p) = v.pct {
        // Compared unrounded: 99.996% does not meet a 100% target.
        v.meets_target = Some(p >= def.target_pct);
    }
    v
}

fn indicator_reports(
    units: &BTreeMap<String, UnitAcc>,
    inv: &Inventory,
    opts: &ReportOptions,
) -> Vec<IndicatorReport> {
    let mut by_commune: BTreeMap<&str, Vec<&UnitAcc>> = BTreeMap::new();
    for a in units.values() {
        by_commune
            .entry(a.row.commune.as_str())
            .or_default()
            .push(a);
    }
    let mut communes_sorted: Vec<(&str, Vec<&UnitAcc>)> = by_commune.into_iter().collect();
    communes_sorted.sort_by(|a, b| super::collate::natural_cmp(a.0, b.0));
    let mut all: Vec<&UnitAcc> = units.values().collect();
    all.sort_by(|a, b| worst_first(&a.row, &b.row));
    INDICATORS
        .iter()
        .enumerate()
        .map(|(i, def)| {
            // Units with nothing to count for an indicator (no systems, no websites in
            // the register and none scanned) are left out of its rows.
            let relevant = |a: &UnitAcc| match def.measure {
                Measure::ShareOfTargets => {
                    let c = &a.indicators[i];
                    c.pass + c.fail + c.unknown > 0
                        || unit_denominator(i, a, inv).0.is_some_and(|d| d > 0)
                }
                Measure::RegisterIncidents => inv
                    .units
                    .get(&a.row.code)
                    .is_some_and(|u| !u.incidents.is_empty()),
                _ => true,
            };
            let unit_rows = all
                .iter()
                .filter(|a| relevant(a))
                .map(|a| scope_value(i, &a.row.code, &a.row.name, &[a], inv, opts))
                .collect();
            let communes = communes_sorted
                .iter()
                .filter_map(|(commune, accs)| {
                    let accs: Vec<&UnitAcc> =
                        accs.iter().copied().filter(|a| relevant(a)).collect();
                    (!accs.is_empty()).then(|| scope_value(i, commune, commune, &accs, inv, opts))
                })
                .collect();
            let relevant_all: Vec<&UnitAcc> = all.iter().copied().filter(|a| relevant(a)).collect();
            IndicatorReport {
                code: def.code,
                name: super::indicators::name_with(
                    def,
                    opts.incident_report_hours,
                    opts.report_deadlines,
                ),
                measure: def.measure,
                target_pct: def.target_pct,
                basis: def.basis,
                province: scope_value(i, "", "", &relevant_all, inv, opts),
                communes,
                units: unit_rows,
            }
        })
        .collect()
}
