//! The history of findings across scans, so compliance debt has an age and a trend.
//!
//! Every finding is tracked per (unit code, target kind, target id, rule code) with the
//! dates it was first seen failing, last seen, fixed and reopened. Reports read the
//! store through [`HistoryStore`] only, so a PostgreSQL store for a central server can
//! be added beside [`sqlite::SqliteStore`] without touching the reports.
//!
//! What an ingest does to a finding (opened, fixed, reopened, no longer evaluated) and
//! how the debt chart counts open intervals are decided here, once ([`plan_target`],
//! [`DebtCounter`]); the two stores only read and write rows (SQLite row by row in
//! process, PostgreSQL in a few multi-row statements per batch to save round trips).

pub mod postgres;
pub mod sqlite;

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use serde::Serialize;

use crate::findings::Status;
use crate::policy::Severity;
use crate::report::input::{FindingInput, ResultInput, TargetInput};

pub use self::postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Value(#[from] rusqlite::types::FromSqlError),
    #[error("{0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("{0}")]
    Other(String),
}

/// What one ingest run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IngestStats {
    pub documents: u64,
    /// Targets whose scan was newer than anything stored: their findings were applied.
    pub targets_applied: u64,
    /// Targets already stored with this or a newer scan: nothing changed.
    pub targets_unchanged: u64,
    pub findings_applied: u64,
    pub opened: u64,
    pub fixed: u64,
    pub reopened: u64,
    /// Failures that became not applicable (no longer evaluated, not fixed).
    pub no_longer_evaluated: u64,
}

impl std::ops::AddAssign<&IngestStats> for IngestStats {
    fn add_assign(&mut self, o: &IngestStats) {
        self.documents += o.documents;
        self.targets_applied += o.targets_applied;
        self.targets_unchanged += o.targets_unchanged;
        self.findings_applied += o.findings_applied;
        self.opened += o.opened;
        self.fixed += o.fixed;
        self.reopened += o.reopened;
        self.no_longer_evaluated += o.no_longer_evaluated;
    }
}

/// Which targets a report looks at: those last scanned in `[from, to]`, optionally of one unit.
#[derive(Clone, Debug)]
pub struct Window {
    pub from: Timestamp,
    pub to: Timestamp,
    pub unit: Option<String>,
}

/// The latest known state of one finding of a target in the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingState {
    pub unit_code: String,
    pub unit_name: String,
    pub kind: String,
    pub target_id: String,
    pub collected_at: Timestamp,
    pub rule: String,
    pub requirement: Option<String>,
    pub severity: Severity,
    pub status: Status,
    /// Start of the current open failure (debt), if the finding is failing now.
    pub open_since: Option<Timestamp>,
    pub first_failed_at: Option<Timestamp>,
    pub fixed_at: Option<Timestamp>,
    pub reopened_at: Option<Timestamp>,
    pub waiver: Option<String>,
}

/// What happened to a finding and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Opened,
    Fixed,
    Reopened,
    /// A failure that became not applicable: no longer evaluated, not fixed.
    NoLongerEvaluated,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Opened => "opened",
            EventKind::Fixed => "fixed",
            EventKind::Reopened => "reopened",
            EventKind::NoLongerEvaluated => "no_longer_evaluated",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        match s {
            "opened" => Some(EventKind::Opened),
            "fixed" => Some(EventKind::Fixed),
            "reopened" => Some(EventKind::Reopened),
            "no_longer_evaluated" => Some(EventKind::NoLongerEvaluated),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub at: Timestamp,
    pub kind: EventKind,
    pub unit_code: String,
    pub unit_name: String,
    pub target_kind: String,
    pub target_id: String,
    pub rule: String,
    pub severity: Severity,
}

/// Rule texts as the newest ingested result carried them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RuleText {
    pub requirement: Option<String>,
    pub title_vi: String,
    pub title_en: String,
    /// The failing-state title; empty when the results gave none.
    pub problem_vi: String,
    pub problem_en: String,
    pub remediation_vi: String,
    pub remediation_en: String,
}

/// A published report recorded in the store (`khien report --publish`): the next
/// reports say what changed since the data it saw. Plain runs record nothing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportRun {
    pub generated_at: Timestamp,
    pub period: String,
    /// The unit of a per-unit report; `None` for the province report.
    pub unit: Option<String>,
    /// The newest scan the report saw.
    pub data_until: Timestamp,
}

/// Storage of the findings history. Every method that writes is one transaction:
/// an interrupted run leaves the store as it was before.
pub trait HistoryStore {
    /// Applies result documents in one transaction. Applying a scan that is already
    /// stored (same target, same or older collection time) changes nothing.
    fn ingest(
        &mut self,
        docs: &mut dyn Iterator<Item = ResultInput>,
    ) -> Result<IngestStats, HistoryError>;

    /// Applies documents in one transaction, as [`HistoryStore::ingest`] would one after
    /// another, and says what each did (the server's group commit answers each upload).
    fn ingest_each(&mut self, docs: &[ResultInput]) -> Result<Vec<IngestStats>, HistoryError>;

    /// Calls `visit` with the state of every finding of the targets last scanned in
    /// the window, grouped by unit, target kind and target.
    fn visit_findings(
        &self,
        window: &Window,
        visit: &mut dyn FnMut(FindingState),
    ) -> Result<(), HistoryError>;

    /// Opened, fixed and reopened events in `(after, window.to]`.
    fn events_after(&self, after: Timestamp, window: &Window) -> Result<Vec<Event>, HistoryError>;

    /// Number of open, unwaived failing findings at each of `points`, of the units
    /// `counts` accepts (registered units).
    fn debt_at(
        &self,
        points: &[Timestamp],
        unit: Option<&str>,
        counts: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<u64>, HistoryError>;

    /// Each unit's newest own result (host and website scans, not the register scan)
    /// up to `at`, whatever the period.
    fn last_scans(
        &self,
        at: Timestamp,
    ) -> Result<std::collections::BTreeMap<String, Timestamp>, HistoryError>;

    /// The oldest scan or event stored: the debt chart starts at its month.
    fn first_data(&self) -> Result<Option<Timestamp>, HistoryError>;

    fn rule_texts(&self) -> Result<std::collections::BTreeMap<String, RuleText>, HistoryError>;

    /// The newest scan time stored.
    fn data_until(&self) -> Result<Option<Timestamp>, HistoryError>;

    /// The newest report recorded for this scope (a unit, or the province with `None`).
    fn last_report(&self, unit: Option<&str>) -> Result<Option<ReportRun>, HistoryError>;

    fn record_report(&mut self, run: &ReportRun) -> Result<(), HistoryError>;
}

/// Tables whose rows [`SqliteStore::count`] and [`PostgresStore::count`] count.
pub(crate) const COUNTED_TABLES: [&str; 7] = [
    "units", "targets", "rules", "findings", "events", "reports", "ingests",
];

pub(crate) fn check_counted(table: &str) -> Result<(), HistoryError> {
    if COUNTED_TABLES.contains(&table) {
        Ok(())
    } else {
        Err(HistoryError::Other(format!("no table `{table}`")))
    }
}

pub(crate) fn status_str(s: Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Unknown => "unknown",
        Status::NotApplicable => "not_applicable",
        Status::Waived => "waived",
    }
}

pub(crate) fn parse_status(s: &str) -> Status {
    match s {
        "pass" => Status::Pass,
        "fail" => Status::Fail,
        "not_applicable" => Status::NotApplicable,
        "waived" => Status::Waived,
        // Anything unreadable is reported as unknown, never as a pass.
        _ => Status::Unknown,
    }
}

pub(crate) fn parse_severity(s: &str) -> Severity {
    Severity::ALL_DESCENDING
        .into_iter()
        .find(|v| v.as_str() == s)
        .unwrap_or(Severity::Info)
}

pub(crate) fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// A stored finding's dates before an ingest (times in Unix seconds).
#[derive(Clone, Debug)]
pub(crate) struct Previous {
    pub id: i64,
    pub open_since: Option<i64>,
    pub first_failed_at: Option<i64>,
    pub fixed_at: Option<i64>,
    pub reopened_at: Option<i64>,
}

/// A finding the target did not have: inserted, with an `opened` event when `open`.
pub(crate) struct NewFinding<'a> {
    pub finding: &'a FindingInput,
    pub open: Option<i64>,
}

/// A finding the target had: its new dates and the event the change makes, if any.
pub(crate) struct ChangedFinding<'a> {
    pub finding: &'a FindingInput,
    pub state: Previous,
    pub event: Option<EventKind>,
}

/// What one applied scan of a target does to its findings.
pub(crate) struct TargetPlan<'a> {
    pub new: Vec<NewFinding<'a>>,
    pub changed: Vec<ChangedFinding<'a>>,
}

impl<'a> TargetPlan<'a> {
    /// Every finding applied, in the document's order (new and changed apart).
    pub fn findings(&self) -> impl Iterator<Item = &'a FindingInput> + '_ {
        self.new
            .iter()
            .map(|n| n.finding)
            .chain(self.changed.iter().map(|c| c.finding))
    }
}

/// Decides what a scan of `target` collected at `at` (newer than the stored one) does
/// to the findings `prev` the store holds for it, and counts it in `stats`. The one
/// place where a finding is opened, fixed, reopened or stops being evaluated.
pub(crate) fn plan_target<'a>(
    target: &'a TargetInput,
    at: i64,
    mut prev: HashMap<String, Previous>,
    stats: &mut IngestStats,
) -> TargetPlan<'a> {
    let mut plan = TargetPlan {
        new: Vec::new(),
        changed: Vec::new(),
    };
    let mut seen_in_target: HashSet<&str> = HashSet::new();
    for f in &target.findings {
        // A rule listed twice for one target: the first entry counts.
        if !seen_in_target.insert(f.rule.as_str()) {
            continue;
        }
        stats.findings_applied += 1;
        let failing = f.status == Status::Fail;
        let resolved = f.status == Status::Pass;
        let retired = f.status == Status::NotApplicable;
        match prev.remove(&f.rule) {
            None => {
                let open = failing.then_some(at);
                if failing {
                    stats.opened += 1;
                }
                plan.new.push(NewFinding { finding: f, open });
            }
            Some(mut p) => {
                let event = if failing && p.open_since.is_none() {
                    p.open_since = Some(at);
                    // Failing again after a fix or after a spell of not
                    // applying: a reopening, aged from the first failure.
                    if p.fixed_at.is_some() || p.first_failed_at.is_some() {
                        p.reopened_at = Some(at);
                        Some(EventKind::Reopened)
                    } else {
                        Some(EventKind::Opened)
                    }
                } else if resolved && p.open_since.is_some() {
                    p.open_since = None;
                    p.fixed_at = Some(at);
                    Some(EventKind::Fixed)
                } else if retired && p.open_since.is_some() {
                    // Not applicable any more: no longer evaluated, not fixed.
                    p.open_since = None;
                    Some(EventKind::NoLongerEvaluated)
                } else {
                    // Unknown keeps the debt as it was: unknown is never a fix.
                    None
                };
                if failing && p.first_failed_at.is_none() {
                    p.first_failed_at = Some(at);
                }
                match event {
                    Some(EventKind::Opened) => stats.opened += 1,
                    Some(EventKind::Fixed) => stats.fixed += 1,
                    Some(EventKind::Reopened) => stats.reopened += 1,
                    Some(EventKind::NoLongerEvaluated) => stats.no_longer_evaluated += 1,
                    None => {}
                }
                plan.changed.push(ChangedFinding {
                    finding: f,
                    state: p,
                    event,
                });
            }
        }
    }
    plan
}

/// Counts open, unwaived failures at given points from each finding's events, fed in
/// order of finding then time: each finding's events form open intervals
/// `[opened, fixed)`, and a point inside one counts once.
pub(crate) struct DebtCounter<'a> {
    points: &'a [i64],
    pub counts: Vec<u64>,
    current: Option<i64>,
    open_from: Option<i64>,
}

impl<'a> DebtCounter<'a> {
    pub fn new(points: &'a [i64]) -> DebtCounter<'a> {
        DebtCounter {
            points,
            counts: vec![0; points.len()],
            current: None,
            open_from: None,
        }
    }

    fn close(&mut self, until: Option<i64>) {
        if let Some(from) = self.open_from.take() {
            for (i, p) in self.points.iter().enumerate() {
                if *p >= from && until.is_none_or(|u| *p < u) {
                    self.counts[i] += 1;
                }
            }
        }
    }

    /// One event of finding `id` at `at` (an unreadable kind is ignored).
    pub fn event(&mut self, id: i64, at: i64, kind: Option<EventKind>) {
        if self.current != Some(id) {
            self.close(None);
            self.current = Some(id);
        }
        match kind {
            Some(EventKind::Opened | EventKind::Reopened) => {
                self.open_from.get_or_insert(at);
            }
            Some(EventKind::Fixed | EventKind::NoLongerEvaluated) => self.close(Some(at)),
            None => {}
        }
    }

    pub fn finish(mut self) -> Vec<u64> {
        self.close(None);
        self.counts
    }
}
