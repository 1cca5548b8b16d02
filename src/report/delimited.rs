//! CSV for other systems: one row per failing finding (open debt, then waived ones
//! with their waiver), each with the period and evaluation date, and with the
//! remediation plan's "06 rõ" columns. Headers are the stable machine keys; severities
//! and dates are codes and ISO dates; text is in the report's language. Cells are neutralised so that opening the file in a spreadsheet
//! never runs a formula.

use super::compliance::ComplianceReport;
use super::safe;
use super::tables::{self, Audience, Cell};
use crate::i18n::Lang;

/// Writes the CSV to `out` row by row.
pub fn write(
    report: &ComplianceReport,
    lang: Lang,
    mut out: impl std::io::Write,
) -> Result<(), csv::Error> {
    let audience = Audience::Machines(lang);
    let debt = tables::debt_table(report, &report.debt, audience);
    let waived = tables::debt_table(report, &report.waived, audience);
    // A UTF-8 byte-order mark: Excel otherwise reads Vietnamese text as Windows-1252.
    out.write_all("\u{feff}".as_bytes())?;
    {
        let mut w = csv::Writer::from_writer(&mut out);
        // Every row says which period and evaluation date it belongs to.
        let period = report.period.clone();
        let evaluated_at = report.evaluated_at.to_string();
        w.write_record(
            ["period", "evaluated_at"]
                .into_iter()
                .chain(debt.columns.iter().map(|c| c.key)),
        )?;
        for row in debt.rows.chain(waived.rows) {
            w.write_record([period.clone(), evaluated_at.clone()].into_iter().chain(
                row.iter().map(|c| match c {
                    Cell::Text(s) => safe::cell(s),
                    Cell::Int(n) => n.to_string(),
                    Cell::Num(x) => x.to_string(),
                    Cell::Date(d) => d.to_string(),
                    Cell::Empty => String::new(),
                }),
            ))?;
        }
        w.flush()?;
    }
    Ok(())
}
