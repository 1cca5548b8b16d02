//! The Excel workbook, because the Department works in Excel: summary, indicators,
//! per unit, per rule, detail of the debt, remediation plan ("06 rõ"), waived findings,
//! changes since the previous report and skipped inputs.
//!
//! Text is always written as text cells (never formulas) and neutralised as well, so a
//! unit name like `=HYPERLINK(...)` stays inert even after a copy to CSV. Worksheets use
//! rust_xlsxwriter's constant-memory mode: rows go to a temporary file as written.

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet, XlsxError,
};

use super::compliance::ComplianceReport;
use super::safe;
use super::tables::{self, Audience, Cell, Table};
use crate::i18n::{Lang, tr};

/// Excel's limit on text in one cell.
const MAX_CELL_CHARS: usize = 32_000;

/// Cell formats: dates as real dates shown dd/mm/yyyy, one-decimal numbers (Excel
/// shows the decimal separator of the reader's locale: "65,0" in Vietnam), wrapped
/// long texts, and the columns the school fills in.
struct Formats {
    header: Format,
    fill_header: Format,
    date: Format,
    decimal: Format,
    wrap: Format,
    fill: Format,
    fill_date: Format,
}

impl Formats {
    fn new() -> Formats {
        let fill_color = 0xFFF2B3;
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(0xDDE7F0),
            fill_header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(fill_color),
            date: Format::new()
                .set_num_format("dd/mm/yyyy")
                .set_align(FormatAlign::Top),
            decimal: Format::new()
                .set_num_format("0.0")
                .set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            fill: Format::new()
                .set_background_color(fill_color)
                .set_border(FormatBorder::Thin),
            fill_date: Format::new()
                .set_num_format("dd/mm/yyyy")
                .set_background_color(fill_color)
                .set_border(FormatBorder::Thin),
        }
    }
}

/// Columns holding long texts: wrapped, and wider.
const LONG_KEYS: &[&str] = &[
    "title",
    "action",
    "name",
    "waiver",
    "deliverable",
    "unit_name",
    "scope_name",
    "target_id",
];

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    formats: &Formats,
    wrap: bool,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) => {
            let mut s = safe::cell(s);
            if let Some((i, _)) = s.char_indices().nth(MAX_CELL_CHARS) {
                s.truncate(i);
            }
            if wrap {
                ws.write_string_with_format(row, col, s, &formats.wrap)?;
            } else {
                ws.write_string(row, col, s)?;
            }
        }
        Cell::Int(n) => {
            ws.write_number(row, col, *n as f64)?;
        }
        Cell::Num(x) => {
            ws.write_number_with_format(row, col, *x, &formats.decimal)?;
        }
        Cell::Date(d) => {
            let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            ws.write_datetime_with_format(row, col, &dt, &formats.date)?;
        }
        Cell::Empty => {}
    }
    Ok(())
}

/// A4 landscape, fitted to the page width, the header row repeated on every page.
fn print_setup(ws: &mut Worksheet, header_row: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    Ok(())
}

fn write_table(
    ws: &mut Worksheet,
    first_row: u32,
    table: Table,
    lang: Lang,
    formats: &Formats,
) -> Result<u32, XlsxError> {
    let keys: Vec<&str> = table.columns.iter().map(|c| c.key).collect();
    for (c, column) in table.columns.iter().enumerate() {
        let fill = tables::FILL_KEYS.contains(&column.key);
        let header = if fill {
            &formats.fill_header
        } else {
            &formats.header
        };
        ws.write_string_with_format(first_row, c as u16, column.title(lang), header)?;
        let width = if LONG_KEYS.contains(&column.key) {
            45.0
        } else if fill {
            22.0
        } else {
            column.title(lang).chars().count().clamp(8, 24) as f64 + 2.0
        };
        ws.set_column_width(c as u16, width)?;
    }
    let mut rows = 0u32;
    for row in table.rows {
        rows += 1;
        for (c, cell) in row.iter().enumerate() {
            let key = keys[c];
            if tables::FILL_KEYS.contains(&key) && *cell == Cell::Empty {
                let f = if key == "deadline" {
                    &formats.fill_date
                } else {
                    &formats.fill
                };
                ws.write_blank(first_row + rows, c as u16, f)?;
            } else {
                write_cell(
                    ws,
                    first_row + rows,
                    c as u16,
                    cell,
                    formats,
                    LONG_KEYS.contains(&key),
                )?;
            }
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
    print_setup(ws, first_row)?;
    Ok(rows)
}

/// Data validation on the plan's fill-in columns: the committed date is a date from
/// the evaluation day on, and the authority is one of the usual approvers.
fn plan_validation(
    ws: &mut Worksheet,
    report: &ComplianceReport,
    rows: u32,
    lang: Lang,
) -> Result<(), XlsxError> {
    if rows == 0 {
        return Ok(());
    }
    let col = |key: &str| {
        tables::PLAN_KEYS
            .iter()
            .position(|k| *k == key)
            .map(|i| i as u16)
    };
    let d = report
        .evaluated_at
        .to_zoned(super::period::vietnam())
        .date();
    let from = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
    if let Some(c) = col("deadline") {
        let v = DataValidation::new()
            .allow_date(DataValidationRule::GreaterThanOrEqualTo(from))
            .set_input_title(tr(lang, "Ngày cam kết", "Committed date"))?
            .set_input_message(tr(
                lang,
                "Ngày đơn vị cam kết hoàn thành (dd/mm/yyyy), không trước ngày đánh giá.",
                "The date the unit commits to (dd/mm/yyyy), not before the evaluation date.",
            ))?;
        ws.add_data_validation(1, c, rows, c, &v)?;
    }
    if let Some(c) = col("authority") {
        let choices = match lang {
            Lang::Vi => [
                "Thủ trưởng đơn vị",
                "Sở Giáo dục và Đào tạo",
                "UBND xã/phường",
            ],
            Lang::En => [
                "Head of the unit",
                "Department of Education and Training",
                "Commune People's Committee",
            ],
        };
        let v = DataValidation::new()
            .allow_list_strings(&choices)?
            .set_input_title(tr(lang, "Rõ thẩm quyền", "Authority"))?
            .set_input_message(tr(
                lang,
                "Chọn người phê duyệt, nghiệm thu trong danh sách.",
                "Pick the approver from the list.",
            ))?;
        ws.add_data_validation(1, c, rows, c, &v)?;
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

fn date_cell(t: jiff::Timestamp) -> Cell {
    Cell::Date(t.to_zoned(super::period::vietnam()).date())
}

pub fn render(report: &ComplianceReport, lang: Lang) -> Result<Vec<u8>, XlsxError> {
    let people = Audience::People(lang);
    let names = sheet_names(lang);
    let mut wb = Workbook::new();
    let formats = Formats::new();
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
            (tr(lang, "Từ ngày", "From"), date_cell(report.period_start)),
            (tr(lang, "Đến ngày", "To"), date_cell(report.period_end)),
            (
                tr(lang, "Ngày đánh giá", "Evaluation date"),
                date_cell(report.evaluated_at),
            ),
            (
                tr(
                    lang,
                    "Hạn nộp báo cáo về Sở",
                    "Report due at the Department",
                ),
                Cell::Date(report.report_due_date),
            ),
            (
                tr(lang, "Thay đổi tính từ", "Changes since"),
                date_cell(report.since),
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
            write_cell(ws, 2 + i as u32, 1, value, &formats, false)?;
        }
        let note_row = 3 + lines.len() as u32;
        ws.write_string(
            note_row,
            0,
            tr(
                lang,
                "Kết quả “không xác định” không bao giờ được tính là đạt. Mẫu số lấy theo sổ đăng ký (máy, website, hệ thống, đơn vị); xem độ bao phủ bên cạnh. Chỉ tiêu không có đối tượng nào được đánh giá ghi “Không có số liệu”.",
                "“Unknown” results are never counted as passes. Denominators come from the register (machines, websites, systems, units); see the coverage beside them. An indicator with nothing evaluated says “No data”.",
            ),
        )?;
        if let Some(h) = &report.heading {
            let mut row = note_row + 2;
            let date = h.day().unwrap_or_else(|| {
                report
                    .generated_at
                    .to_zoned(super::period::vietnam())
                    .date()
            });
            let lines = [
                (
                    tr(lang, "Cơ quan chủ quản", "Governing body"),
                    h.parent_body.clone(),
                ),
                (
                    tr(lang, "Cơ quan ban hành", "Issuing body"),
                    Some(h.issuer.clone()),
                ),
                (tr(lang, "Số văn bản", "Document number"), h.number.clone()),
                (tr(lang, "Địa danh", "Place"), h.place.clone()),
                (tr(lang, "Người ký", "Signer"), h.signer.clone()),
                (
                    tr(lang, "Chức vụ người ký", "Signer's title"),
                    h.signer_title.clone(),
                ),
            ];
            for (label, value) in lines {
                if let Some(v) = value {
                    ws.write_string(row, 0, label)?;
                    write_cell(ws, row, 1, &Cell::Text(v), &formats, false)?;
                    row += 1;
                }
            }
            ws.write_string(row, 0, tr(lang, "Ngày văn bản", "Document date"))?;
            write_cell(ws, row, 1, &Cell::Date(date), &formats, false)?;
        }
        print_setup(ws, 0)?;
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
        let rows = write_table(ws, 0, table, lang, &formats)?;
        if i == 5 {
            plan_validation(ws, report, rows, lang)?;
        }
    }
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(names[6])?;
        let waived = tables::debt_table(report, &report.waived, people).select(tables::DETAIL_KEYS);
        write_table(ws, 0, waived, lang, &formats)?;
    }
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(names[7])?;
        write_table(ws, 0, tables::changes_table(report, people), lang, &formats)?;
    }
    {
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(names[8])?;
        ws.write_string_with_format(0, 0, tr(lang, "Tệp", "File"), &formats.header)?;
        ws.write_string_with_format(0, 1, tr(lang, "Lý do", "Reason"), &formats.header)?;
        ws.set_column_width(0, 50)?;
        ws.set_column_width(1, 100)?;
        for (r, s) in report.inputs.skipped.iter().enumerate() {
            write_cell(
                ws,
                1 + r as u32,
                0,
                &Cell::Text(s.path.clone()),
                &formats,
                false,
            )?;
            write_cell(
                ws,
                1 + r as u32,
                1,
                &Cell::Text(s.message.clone()),
                &formats,
                true,
            )?;
        }
    }
    wb.save_to_buffer()
}
