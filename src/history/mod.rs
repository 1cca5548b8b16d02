//! The history of findings across scans, so compliance debt has an age and a trend.
//!
//! Every finding is tracked per (unit code, target kind, target id, rule code) with the
//! dates it was first seen failing, last seen, fixed and reopened. Reports read the
//! store through [`HistoryStore`] only, so a PostgreSQL store for a central server can
//! be added beside [`sqlite::SqliteStore`] without touching the reports.

pub mod sqlite;

use jiff::Timestamp;
use serde::Serialize;

use crate::findings::Status;
use crate::policy::Severity;
use crate::report::input::ResultInput;

pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Value(#[from] rusqlite::types::FromSqlError),
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
