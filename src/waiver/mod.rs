//! Waivers: the Department accepts a failing finding for a rule on a unit or a target,
//! with a justification, an approver and an expiry date.
//!
//! A waived finding is never hidden: its status becomes `waived` and it carries the
//! waiver, so reports show what was accepted and by whom. A waiver applies only on
//! the days from its approval to its expiry (inclusive) at the *evaluation* time, so
//! it stops applying by itself. [`without_waivers`] gives back the document as if no
//! waiver existed: results can be read both ways. Waivers apply to every kind of
//! target (host, web, register); the file format is in `docs/register.md`.

mod load;

use jiff::Timestamp;
use jiff::civil::Date;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use load::{load_file, parse};

use crate::findings::{ResultDocument, Status, Summary, TargetResult};
use crate::register::{format_date, today_in_vietnam};

/// One waiver as the waivers file declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiver {
    /// Stable identifier, e.g. `MT-2026-004`.
    pub id: String,
    /// The rule it accepts, e.g. `REG-BKP-002`.
    pub rule: String,
    /// The unit it covers (every target of that unit), if given.
    pub unit: Option<String>,
    /// The one target it covers (`system:HOCBA-SO`, a host name, a site URL), if given.
    pub target: Option<String>,
    pub justification: String,
    pub approved_by: String,
    pub approved_on: Date,
    /// Last day it applies.
    pub expires: Date,
}

/// A loaded waivers file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WaiverSet {
    pub source: String,
    pub waivers: Vec<Waiver>,
}

/// The waiver attached to a waived finding, as the result document shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppliedWaiver {
    pub id: String,
    pub justification: String,
    pub approved_by: String,
    /// `YYYY-MM-DD`.
    pub approved_on: String,
    /// `YYYY-MM-DD`: last day the waiver applies.
    pub expires: String,
    /// The waivers file it came from.
    pub source: String,
}

impl Waiver {
    /// Whether it applies on `day` (Vietnamese calendar date).
    pub fn in_force(&self, day: Date) -> bool {
        self.approved_on <= day && day <= self.expires
    }

    fn covers(&self, rule: &str, target_id: &str, unit: Option<&str>) -> bool {
        self.rule.eq_ignore_ascii_case(rule)
            && self.target.as_deref().is_none_or(|t| t == target_id)
            && self.unit.as_deref().is_none_or(|u| Some(u) == unit)
    }
}

impl WaiverSet {
    /// Marks every failing finding covered by a waiver in force at `at` as `waived`,
    /// and recomputes the summary. Returns how many findings were waived.
    pub fn apply(&self, doc: &mut ResultDocument, at: Timestamp) -> usize {
        let count = doc
            .targets
            .iter_mut()
            .map(|t| self.apply_to_target(t, at))
            .sum();
        doc.summary = Summary::of(&doc.targets);
        count
    }

    /// Applies the waivers in force at `at` to one target's failing findings;
    /// returns how many became `waived`.
    pub fn apply_to_target(&self, t: &mut TargetResult, at: Timestamp) -> usize {
        let day = today_in_vietnam(at);
        let mut count = 0;
        {
            let unit = t.target.unit.as_ref().map(|u| u.code.as_str());
            for f in &mut t.findings {
                if f.status != Status::Fail {
                    continue;
                }
                let found = self
                    .waivers
                    .iter()
                    .find(|w| w.in_force(day) && w.covers(&f.rule, &t.target.id, unit));
                if let Some(w) = found {
                    f.status = Status::Waived;
                    f.waiver = Some(AppliedWaiver {
                        id: w.id.clone(),
                        justification: w.justification.clone(),
                        approved_by: w.approved_by.clone(),
                        approved_on: format_date(w.approved_on),
                        expires: format_date(w.expires),
                        source: self.source.clone(),
                    });
                    count += 1;
                }
            }
        }
        count
    }

    /// The waivers that have expired on the day of `at`, for a reminder.
    pub fn expired_at(&self, at: Timestamp) -> impl Iterator<Item = &Waiver> {
        let day = today_in_vietnam(at);
        self.waivers.iter().filter(move |w| w.expires < day)
    }
}

/// The document as if no waiver existed: every `waived` finding is `fail` again.
pub fn without_waivers(doc: &ResultDocument) -> ResultDocument {
    let mut doc = doc.clone();
    for f in doc.targets.iter_mut().flat_map(|t| &mut t.findings) {
        if f.status == Status::Waived {
            f.status = Status::Fail;
            f.waiver = None;
        }
    }
    doc.summary = Summary::of(&doc.targets);
    doc
}
