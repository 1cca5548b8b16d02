//! The HTML report of one scan result: what double-click mode writes beside the
//! result file for the IT focal point of the school. It is the unit report of
//! `khien report --unit` (the same renderer), built from that one result through
//! a history store held in memory, so the machine's report and the Department's
//! reports cannot drift apart.

use std::path::Path;

use super::compliance::{self, InputsSummary, ReportOptions, SinceSource};
use super::html;
use super::input;
use super::inventory::Inventory;
use super::period::Period;
use crate::findings::ResultDocument;
use crate::history::{HistoryStore, SqliteStore};
use crate::i18n::Lang;

/// Renders the HTML report of `doc` (the unit report, over this one result). The
/// period is the half-year of the evaluation, deadlines come from the document's
/// parameters. `name` names the result in error messages.
pub fn html_of_result(doc: &ResultDocument, name: &Path, lang: Lang) -> Result<String, String> {
    let json = super::to_json(doc);
    let result = input::parse_result(name, json.as_bytes(), lang).map_err(|e| e.to_string())?;
    let unit = result
        .targets
        .first()
        .map(|t| t.unit_code.clone())
        .unwrap_or_default();
    let mut store = SqliteStore::open_in_memory().map_err(|e| e.to_string())?;
    let ingest = store
        .ingest(&mut std::iter::once(result))
        .map_err(|e| e.to_string())?;
    let period = Period::half_containing(doc.evaluated_at);
    let opts = ReportOptions {
        period,
        at: doc.evaluated_at,
        since: period.start(),
        since_source: SinceSource::PeriodStart,
        unit: Some(unit),
        due_days: compliance::due_days(&doc.params),
        inventory: Inventory::default(),
        stale_days: 90,
        unregistered_files: Default::default(),
        persistent_history: false,
        heading: None,
        report_deadlines: compliance::report_deadlines(&doc.params),
        incident_report_hours: compliance::incident_report_hours(&doc.params),
    };
    let inputs = InputsSummary {
        files_read: 1,
        skipped: Vec::new(),
        ingest: Some(ingest),
    };
    let report = compliance::build(&store, &opts, inputs).map_err(|e| e.to_string())?;
    Ok(html::render(&report, lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LocalConfig;
    use crate::facts::FactDocument;
    use crate::findings::Status;

    fn stale_clamav_result() -> ResultDocument {
        let policy =
            crate::policy::load_sources(crate::policy::embedded_sources(), "embedded").unwrap();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/facts/linux-clamav-stale.json"
        );
        let facts: FactDocument =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        crate::engine::evaluate(&policy, &LocalConfig::default(), &[facts], None)
    }

    #[test]
    fn the_machine_report_lists_every_failing_finding_in_vietnamese() {
        let doc = stale_clamav_result();
        let failing: Vec<_> = doc.targets[0]
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .collect();
        assert!(failing.len() >= 2, "the fixture has failing findings");
        let html = html_of_result(&doc, Path::new("r.json"), Lang::Vi).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("Báo cáo tuân thủ an toàn thông tin của đơn vị"));
        for f in &failing {
            assert!(
                html.contains(&format!("({})", f.rule)),
                "{} missing",
                f.rule
            );
            // A failing finding is listed as the problem to fix.
            let shown = f.problem.as_ref().unwrap_or(&f.title);
            assert!(
                html.contains(&super::super::safe::html(&shown.vi)),
                "{}",
                f.rule
            );
        }
        // The machine is named, and nothing is fetched from elsewhere.
        assert!(html.contains(&super::super::safe::html(&doc.targets[0].target.id)));
        assert!(!html.contains("<script") && !html.contains("<link") && !html.contains(" src="));
    }

    #[test]
    fn the_report_period_is_the_half_year_of_the_evaluation() {
        let doc = stale_clamav_result();
        let html = html_of_result(&doc, Path::new("r.json"), Lang::En).unwrap();
        let period = Period::half_containing(doc.evaluated_at).to_string();
        assert!(html.contains(&period), "{period}");
        assert!(html.contains("Unit information-security compliance report"));
    }
}
