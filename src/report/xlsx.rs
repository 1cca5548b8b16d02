//! The Excel workbook, because the Department works in Excel: summary, indicators,
//! per unit, per rule, detail of the debt, remediation plan ("06 rõ"), waived findings,
//! changes since the previous report and skipped inputs.
//!
//! Text is always written as text cells (never formulas) and neutralised as well, so a
//! unit name like `=HYPERLINK(...)` stays inert even after a copy to CSV. Worksheets use
//! rust_xlsxwriter's constant-memory mode: rows go to a temporary file as written.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::compliance::ComplianceReport;
use super::period::format_date;
use super::safe;
use super::tables::{self, Audience, Cell, Table};
use crate::i18n::{Lang, tr};

/// Excel's limit on text in one cell.
const MAX_CELL_CHARS: usize = 32_000;

fn write_cell(ws: &mut Worksheet, row: u32, col: u16, cell: &Cell) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) => {
            let mut s = safe::cell(s);
            if let Some((i, _)) = s.char_indices().nth(MAX_CELL_CHARS) {
                s.truncate(i);
            }
            ws.write_string(row, col, s)?;
        }
        Cell::Int(n) => {
            ws.write_number(row, col, *n as f64)?;
        }
        Cell::Num(x) => {
            ws.write_number(row, col, *x)?;
        }
        Cell::Empty => {}
    }
    Ok(())
}

fn write_table(
    ws: &mut Worksheet,
    first_row: u32,
    table: Table,
    lang: Lang,
    header: &Format,
) -> Result<(), XlsxError> {
    for (c, column) in table.columns.iter().enumerate() {
        ws.write_string_with_format(first_row, c as u16, column.title(lang), header)?;
        let width = column.title(lang).chars().count().clamp(8, 40) as f64 + 2.0;
        ws.set_column_width(c as u16, width)?;
    }
    let mut rows = 0u32;
    for row in table.rows {
        rows += 1;
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, first_row + rows, c as u16, cell)?;
        }
    }
    ws.set_freeze_panes(first_row + 1, 0)?;
    if rows > 0 {
        ws.autofilter(
            first_row,
            0,
            first_row + rows,
            table.columns.len() as u16 - 1,
        )?;
    }
    Ok(())
}

/// Sheet names, in order; tests read them back by these names.
pub fn sheet_names(lang: Lang) -> [&'static str; 9] {
    [
        tr(lang, "Tổng hợp", "Summary"),
        tr(lang, "Chỉ tiêu", "Indicators"),
        tr(lang, "Theo đơn vị", "Per unit"),
        tr(lang, "Theo quy tắc", "Per rule"),
        tr(lang, "Chi tiết nợ", "Debt detail"),
        tr(lang, "Kế hoạch khắc phục", "Remediation plan"),
        tr(lang, "Miễn trừ", "Waived"),
        tr(lang, "Thay đổi", "Changes"),
        tr(lang, "Tệp bị bỏ qua", "Skipped files"),
    ]
}

pub fn render(report: &ComplianceReport, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let people = Audience::People(lang);
    let names = sheet_names(lang);
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color(0xDDE7F0);
    let bold = Format::new().set_bold();

    // Summary: the period, the dates and the headline figures.
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(names[0])?;
        ws.set_column_width(0, 42)?;
        ws.set_column_width(1, 40)?;
        let title = match &report.unit {
            Some(u) => format!(
                "{} — {} {}",
                tr(
                    lang,
                    "Báo cáo tuân thủ ATTT của đơn vị",
                    "Unit security compliance report"
                ),
                u.code,
                u.name
            ),
            None => tr(
                lang,
                "Báo cáo nợ tuân thủ an toàn thông tin ngành GDĐT Lâm Đồng",
                "Security compliance-debt report, Lâm Đồng education sector",
            )
            .to_string(),
        };
        ws.write_string_with_format(0, 0, safe::cell(&title), &bold)?;
        let d = &report.debt_totals;
        let lines: Vec<(&str, Cell)> = vec![
            (
                tr(lang, "Kỳ báo cáo", "Reporting period"),
                Cell::Text(report.period.clone()),
            ),
            (
                tr(lang, "Từ ngày", "From"),
                Cell::Text(format_date(report.period_start)),
            ),
            (
                tr(lang, "Đến ngày", "To"),
                Cell::Text(format_date(report.period_end)),
            ),
            (
                tr(lang, "Ngày đánh giá", "Evaluation date"),
                Cell::Text(format_date(report.evaluated_at)),
            ),
            (
                tr(
                    lang,
                    "Hạn nộp báo cáo về Sở",
                    "Report due at the Department",
                ),
                Cell::Text(report.report_due.clone()),
            ),
            (
                tr(lang, "Thay đổi tính từ", "Changes since"),
                Cell::Text(format_date(report.since)),
            ),
            (
                tr(lang, "Số đơn vị", "Units"),
                Cell::Int(report.units.len() as i64),
            ),
            (
                tr(lang, "Nợ tuân thủ đang mở", "Open compliance debt"),
                Cell::Int(d.open as i64),
            ),
            (
                tr(lang, "Trong đó quá hạn", "Of which overdue"),
                Cell::Int(d.overdue as i64),
            ),
            (
                tr(
                    lang,
                    "Tuổi trung bình mục quá hạn (ngày)",
                    "Mean age of overdue items (days)",
                ),
                d.mean_age_days
                    .map(|a| Cell::Num((a * 10.0).round() / 10.0))
                    .unwrap_or(Cell::Empty),
            ),
            (
                tr(lang, "Mới phát sinh", "New"),
                Cell::Int(report.changes.new.len() as i64),
            ),
            (
                tr(lang, "Đã khắc phục", "Fixed"),
                Cell::Int(report.changes.fixed.len() as i64),
            ),
            (
                tr(lang, "Tái phát", "Reopened"),
                Cell::Int(report.changes.reopened.len() as i64),
            ),
            (
                tr(
                    lang,
                    "Được miễn trừ (không tính là nợ)",
                    "Waived (not counted as debt)",
                ),
                Cell::Int(report.waived.len() as i64),
            ),
            (
                tr(lang, "Tệp kết quả đã đọc", "Result files read"),
                Cell::Int(report.inputs.files_read as i64),
            ),
            (
                tr(lang, "Tệp bị bỏ qua", "Files skipped"),
                Cell::Int(report.inputs.skipped.len() as i64),
            ),
        ];
        for (i, (label, value)) in lines.iter().enumerate() {
            ws.write_string(2 + i as u32, 0, *label)?;
            write_cell(ws, 2 + i as u32, 1, value)?;
        }
        let note_row = 3 + lines.len() as u32;
        ws.write_string(
            note_row,
            0,
            tr(
                lang,
                "Kết quả “không xác định” không bao giờ được tính là đạt. Tỷ lệ máy tính được tính trên số máy theo danh mục; xem độ bao phủ bên cạnh.",
                "“Unknown” results are never counted as passes. Computer shares are over the computers in the inventory; see the coverage beside them.",
            ),
        )?;
    }
    let sheets: [(usize, Table); 5] = [
        (1, tables::indicators_table(report, people)),
        (2, tables::units_table(report, people)),
        (3, tables::rules_table(report, people)),
        (
            4,
            tables::debt_table(report, &report.debt, people).select(tables::DETAIL_KEYS),
        ),
        (
            5,
            tables::debt_table(report, &report.debt, people).select(tables::PLAN_KEYS),
        ),
    ];
    for (i, table) in sheets {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(names[i])?;
        write_table(ws, 0, table, lang, &header)?;
    }
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(names[6])?;
        let waived = tables::debt_table(report, &report.waived, people).select(tables::DETAIL_KEYS);
        write_table(ws, 0, waived, lang, &header)?;
    }
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(names[7])?;
        write_table(ws, 0, tables::changes_table(report, people), lang, &header)?;
    }
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(names[8])?;
        ws.write_string_with_format(0, 0, tr(lang, "Tệp", "File"), &header)?;
        ws.write_string_with_format(0, 1, tr(lang, "Lý do", "Reason"), &header)?;
        ws.set_column_width(0, 50)?;
        ws.set_column_width(1, 100)?;
        for (r, s) in report.inputs.skipped.iter().enumerate() {
            write_cell(ws, 1 + r as u32, 0, &Cell::Text(s.path.clone()))?;
            write_cell(ws, 1 + r as u32, 1, &Cell::Text(s.message.clone()))?;
        }
    }
    wb.save_to_buffer()
}
