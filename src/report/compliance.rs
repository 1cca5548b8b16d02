//! The compliance-debt report: indicators against the plans' targets per unit, commune
//! and province, open debt with ages and deadlines, changes since the previous report,
//! waived findings apart, and the remediation plan ("06 rõ").
//!
//! [`build`] reads the history store once, streaming findings in target order, so memory
//! grows with the number of units and open debt items, not with the number of findings.
//! The [`ComplianceReport`] it returns is what every output format renders, and is
//! itself the JSON format (`khien-report/1`).

use std::collections::BTreeMap;

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
    pub inventory: Inventory,
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Counts {
    pub pass: u64,
    pub fail: u64,
    pub unknown: u64,
}

/// One indicator for one scope (a unit, a commune or the province).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ScopeValue {
    /// Unit code, commune name, or empty for the province.
    pub scope: String,
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// Computers in the inventory (host indicators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory: Option<u64>,
    /// Hosts scanned (host indicators only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanned: Option<u64>,
    /// Scanned ÷ inventory, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_pct: Option<f64>,
    /// Passing ÷ denominator (inventory for hosts, evaluated targets otherwise), in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pct: Option<f64>,
    /// For counts (K14, K15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_age_days: Option<f64>,
    /// Units in the scope without an inventory figure (host indicators only).
    #[serde(skip_serializing_if = "is_zero")]
    pub units_without_inventory: u64,
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
    pub last_scan: Option<Timestamp>,
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
    pub units: Vec<UnitRow>,
    pub rules: Vec<RuleRow>,
    pub rule_texts: BTreeMap<String, RuleText>,
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
    /// Failing findings per count indicator.
    counted: Vec<u64>,
    overdue_age_sum: i64,
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
        counted: vec![0; INDICATORS.len()],
        overdue_age_sum: 0,
    };
    for code in inv.units.keys() {
        if opts.unit.as_ref().is_none_or(|u| u == code) {
            units.insert(code.clone(), new_acc(code));
        }
    }

    let mut rules: BTreeMap<String, RuleRow> = BTreeMap::new();
    let mut debt = Vec::new();
    let mut waived = Vec::new();
    // Findings of the target being read: (requirement, rule, status).
    let mut target_key: Option<(String, String, String)> = None;
    let mut target_findings: Vec<(String, String, Status)> = Vec::new();

    let flush = |units: &mut BTreeMap<String, UnitAcc>,
                 key: &(String, String, String),
                 findings: &[(String, String, Status)]| {
        let acc = units
            .get_mut(&key.0)
            .expect("unit created on first finding");
        match key.1.as_str() {
            "host" => acc.row.hosts_scanned += 1,
            "web" => acc.row.websites += 1,
            "register" => acc.row.register_records += 1,
            _ => {}
        }
        for (i, def) in INDICATORS.iter().enumerate() {
            if !matches!(
                def.measure,
                Measure::ShareOfInventory | Measure::ShareOfTargets
            ) || !def.applies_to_kind(&key.1)
            {
                continue;
            }
            let c = &mut acc.indicators[i];
            match verdict(
                def.requirements,
                findings
                    .iter()
                    .map(|(q, r, s)| (q.as_str(), r.as_str(), *s)),
            ) {
                Verdict::Pass => c.pass += 1,
                Verdict::Fail => c.fail += 1,
                Verdict::Unknown => c.unknown += 1,
                Verdict::NotCounted => {}
            }
        }
    };

    store.visit_findings(&window, &mut |f: FindingState| {
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
        acc.row.last_scan = acc.row.last_scan.max(Some(f.collected_at));
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
            let due_days = opts.due_days.get(&f.severity).copied().unwrap_or(90);
            let due = open_since
                .checked_add(jiff::SignedDuration::from_hours(24 * due_days))
                .unwrap_or(open_since);
            let item = DebtItem {
                unit_code: f.unit_code.clone(),
                unit_name: acc.row.name.clone(),
                commune: acc.row.commune.clone(),
                target_kind: f.kind.clone(),
                target_id: f.target_id.clone(),
                rule: f.rule.clone(),
                requirement: f.requirement.clone(),
                severity: f.severity,
                open_since,
                age_days: days_between(open_since, opts.at).max(0),
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

    let indicators = indicator_reports(&units, inv);
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

    let mut changes = Changes::default();
    for e in store.events_after(opts.since, &window)? {
        match e.kind {
            EventKind::Opened => changes.new.push(e),
            EventKind::Fixed => changes.fixed.push(e),
            EventKind::Reopened => changes.reopened.push(e),
        }
    }

    let points = series_points(opts.at, 12);
    let open = store.debt_at(&points, opts.unit.as_deref())?;
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

    Ok(ComplianceReport {
        schema: REPORT_SCHEMA,
        period: opts.period.to_string(),
        period_start: opts.period.start(),
        period_end: opts.period.end(),
        report_due: opts.period.report_due().strftime("%d/%m/%Y").to_string(),
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
        debt_by_commune: by_commune.into_values().collect(),
        units: units.into_values().map(|a| a.row).collect(),
        rules: rules.into_values().collect(),
        rule_texts: store.rule_texts()?,
    })
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

/// Sums per-unit counts into a scope value for indicator `i`.
fn scope_value(
    i: usize,
    scope: &str,
    name: &str,
    accs: &[&UnitAcc],
    inv: &Inventory,
) -> ScopeValue {
    let def = &INDICATORS[i];
    let mut counts = Counts::default();
    let (mut inventory, mut scanned, mut missing_inventory, mut count, mut overdue_age) =
        (0u64, 0u64, 0u64, 0u64, 0i64);
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
    }
    let mut v = ScopeValue {
        scope: scope.to_string(),
        name: name.to_string(),
        counts,
        inventory: None,
        scanned: None,
        coverage_pct: None,
        pct: None,
        count: None,
        mean_age_days: None,
        units_without_inventory: 0,
        meets_target: None,
    };
    match def.measure {
        Measure::ShareOfInventory => {
            let has_inventory = missing_inventory < accs.len() as u64;
            v.inventory = has_inventory.then_some(inventory);
            v.scanned = Some(scanned);
            v.coverage_pct = if has_inventory {
                pct(scanned, inventory)
            } else {
                None
            };
            v.pct = if has_inventory {
                pct(v.counts.pass, inventory)
            } else {
                None
            };
            v.units_without_inventory = missing_inventory;
        }
        Measure::ShareOfTargets => {
            v.pct = pct(
                v.counts.pass,
                v.counts.pass + v.counts.fail + v.counts.unknown,
            );
        }
        Measure::CountFailing | Measure::OverdueDebt => {
            v.count = Some(count);
            if def.measure == Measure::OverdueDebt && count > 0 {
                v.mean_age_days = Some(overdue_age as f64 / count as f64);
            }
            v.meets_target = Some(count == 0);
        }
    }
    if let Some(p) = v.pct {
        // Compared unrounded: 99.996% does not meet a 100% target.
        v.meets_target = Some(p >= def.target_pct);
    }
    v
}

fn indicator_reports(units: &BTreeMap<String, UnitAcc>, inv: &Inventory) -> Vec<IndicatorReport> {
    let mut by_commune: BTreeMap<&str, Vec<&UnitAcc>> = BTreeMap::new();
    for a in units.values() {
        by_commune
            .entry(a.row.commune.as_str())
            .or_default()
            .push(a);
    }
    let all: Vec<&UnitAcc> = units.values().collect();
    INDICATORS
        .iter()
        .enumerate()
        .map(|(i, def)| {
            // Units with nothing to say about a share of targets are left out of it.
            let relevant = |a: &UnitAcc| match def.measure {
                Measure::ShareOfTargets => {
                    let c = &a.indicators[i];
                    c.pass + c.fail + c.unknown > 0
                }
                _ => true,
            };
            let unit_rows = all
                .iter()
                .filter(|a| relevant(a))
                .map(|a| scope_value(i, &a.row.code, &a.row.name, &[a], inv))
                .collect();
            let communes = by_commune
                .iter()
                .filter_map(|(commune, accs)| {
                    let accs: Vec<&UnitAcc> =
                        accs.iter().copied().filter(|a| relevant(a)).collect();
                    (!accs.is_empty()).then(|| scope_value(i, commune, commune, &accs, inv))
                })
                .collect();
            let relevant_all: Vec<&UnitAcc> = all.iter().copied().filter(|a| relevant(a)).collect();
            IndicatorReport {
                code: def.code,
                name: def.name(),
                measure: def.measure,
                target_pct: def.target_pct,
                basis: def.basis,
                province: scope_value(i, "", "", &relevant_all, inv),
                communes,
                units: unit_rows,
            }
        })
        .collect()
}
