//! The HTML report: one self-contained file (inline CSS and SVG, no script, nothing
//! fetched from the network), readable offline and printable on A4. Vietnamese by
//! default, English with `--lang en`. Every text that came from a scan or a result file
//! goes through [`esc`]. Long lists are cut to [`MAX_ROWS`] rows with a pointer to the
//! XLSX/CSV, which carry every row. The server's own pages (a commune, a machine) are
//! rendered here too, from the same figures and with the same look ([`render_commune`],
//! [`render_target`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::compliance::{ComplianceReport, DebtItem, IndicatorReport, ScopeValue, UnitRow};
use super::indicators::Measure;
use super::numfmt;
use super::period::format_date;
use super::safe::html as esc;
use super::svg;
use super::tables::{change_label, kind_label, problem_text, proposed_deadline, target_text};
use crate::findings::Status;
use crate::history::{Event, FindingState};
use crate::i18n::{Lang, tr};

/// Rows shown per list in the HTML; the workbook and CSV have them all.
pub const MAX_ROWS: usize = 300;

const CSS: &str = r#"
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans", "DejaVu Sans", Arial, sans-serif; font-size: 12px; color: #111; max-width: 1100px; margin: 16px auto; padding: 0 12px; }
h1 { font-size: 20px; margin-bottom: 4px; } h2 { font-size: 16px; border-bottom: 2px solid #1a4d7a; padding-bottom: 2px; margin-top: 26px; } h3 { font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; } th, td { border: 1px solid #bbb; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #dde7f0; } thead { display: table-header-group; } tr { break-inside: avoid; }
td.num, th.num { text-align: right; white-space: nowrap; }
.meta td:first-child { width: 230px; font-weight: bold; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; } .card { border: 1px solid #bbb; border-radius: 4px; padding: 6px 10px; min-width: 120px; }
.card b { display: block; font-size: 18px; } .card.alert { border-color: #b71c1c; } .card.alert b { color: #b71c1c; }
.ok { color: #1b5e20; font-weight: bold; } .bad { color: #b71c1c; font-weight: bold; } .muted { color: #666; }
.sev-critical, .sev-high { color: #b71c1c; font-weight: bold; } .sev-medium { color: #8a5a00; font-weight: bold; }
.steps { white-space: pre-wrap; margin: 4px 0 0 0; }
.fill { min-width: 70px; background: #fff8c4; }
table.heading td { border: none; text-align: center; width: 50%; } .signature { margin: 24px 0 0 55%; text-align: center; break-inside: avoid; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 6px 0; }
section { break-inside: auto; } h2 { break-after: avoid; }
@media print { body { margin: 0; max-width: none; } .noprint { display: none; } }
"#;

struct Page {
    out: String,
    lang: Lang,
}

impl Page {
    fn t(&self, vi: &'static str, en: &'static str) -> &'static str {
        tr(self.lang, vi, en)
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn h2(&mut self, id: &str, vi: &'static str, en: &'static str) {
        let title = self.t(vi, en);
        let _ = write!(self.out, "<h2 id=\"{id}\">{}</h2>", esc(title));
    }

    fn table_head(&mut self, headers: &[(&str, bool)]) {
        self.push("<table><thead><tr>");
        for (h, num) in headers {
            let class = if *num { " class=\"num\"" } else { "" };
            let _ = write!(self.out, "<th{class}>{}</th>", esc(h));
        }
        self.push("</tr></thead><tbody>");
    }

    /// For tables sorted worst first: the rows cut are the best ones.
    fn cut_best_note(&mut self, total: usize) {
        if total > MAX_ROWS {
            let s = format!(
                "{} {MAX_ROWS}/{total} {}",
                self.t("Đang hiển thị", "Showing the"),
                self.t(
                    "đơn vị kém nhất; các đơn vị tốt hơn được lược bớt. Danh sách đầy đủ có trong tệp XLSX và CSV.",
                    "worst units; the better ones are left out here. The full list is in the XLSX and CSV files."
                )
            );
            self.note(&s);
        }
    }

    fn note(&mut self, s: &str) {
        let _ = write!(self.out, "<p class=\"muted\">{}</p>", esc(s));
    }

    fn cut_note(&mut self, total: usize) {
        if total > MAX_ROWS {
            let s = format!(
                "{} {MAX_ROWS}/{total}. {}",
                self.t("Đang hiển thị", "Showing"),
                self.t(
                    "Danh sách đầy đủ có trong tệp XLSX và CSV.",
                    "The full list is in the XLSX and CSV files."
                )
            );
            self.note(&s);
        }
    }
}

fn pct_text(p: Option<f64>, lang: Lang) -> String {
    numfmt::pct(p, lang)
}

fn sev_class(item: &DebtItem) -> &'static str {
    match item.severity.as_str() {
        "critical" => "sev-critical",
        "high" => "sev-high",
        "medium" => "sev-medium",
        _ => "",
    }
}

fn unit_label(code: &str, name: &str, lang: Lang) -> String {
    match (code.is_empty(), name.is_empty()) {
        (true, _) => tr(lang, "(không rõ đơn vị)", "(unknown unit)").into(),
        (false, true) => code.into(),
        (false, false) => format!("{code} — {name}"),
    }
}

fn commune_label(c: &str, lang: Lang) -> String {
    if c.is_empty() {
        tr(lang, "(chưa có trong danh mục)", "(not in the inventory)").into()
    } else {
        c.into()
    }
}

/// Renders the report (the province report, or the unit report with `--unit`).
pub fn render(report: &ComplianceReport, lang: Lang) -> String {
    let mut p = Page {
        out: String::with_capacity(256 * 1024),
        lang,
    };
    let title = match &report.unit {
        Some(u) => format!(
            "{} — {}",
            p.t(
                "Báo cáo tuân thủ an toàn thông tin của đơn vị",
                "Unit information-security compliance report"
            ),
            unit_label(&u.code, &u.name, lang)
        ),
        None => p
            .t(
                "Báo cáo nợ tuân thủ an toàn thông tin ngành Giáo dục và Đào tạo Lâm Đồng",
                "Information-security compliance-debt report, Lâm Đồng education sector",
            )
            .to_string(),
    };
    open_document(&mut p, &title);
    if let Some(h) = &report.heading {
        official_heading(&mut p, h, report);
    }
    let _ = write!(p.out, "<h1>{}</h1>", esc(&title));
    meta(&mut p, report);
    cards(&mut p, report);
    if report.unit.is_none() {
        first_screen(&mut p, report);
    }
    indicators(&mut p, report);
    if report.unit.is_some() {
        actions(&mut p, report);
    } else {
        debt(&mut p, report);
    }
    changes(&mut p, report);
    waived(&mut p, report);
    plan(&mut p, report);
    if report.unit.is_none() {
        units(&mut p, report);
    }
    notes(&mut p, report);
    if let Some(h) = &report.heading {
        signature(&mut p, h);
    }
    p.push("</body></html>\n");
    p.out
}

/// The document's head (strict CSP, the report's CSS) up to `<body>`.
fn open_document(p: &mut Page, title: &str) {
    let _ = write!(
        p.out,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"><title>{}</title><style>{CSS}</style></head><body>",
        p.lang,
        esc(title)
    );
}

/// The heading of an official document (Nghị định 30/2020/NĐ-CP): the issuing body and
/// number on the left, the national motto, place and date on the right.
fn official_heading(p: &mut Page, h: &crate::config::ReportHeading, r: &ComplianceReport) {
    let date = h
        .day()
        .unwrap_or_else(|| r.generated_at.to_zoned(super::period::vietnam()).date());
    let dated = match p.lang {
        Lang::Vi => format!(
            "{}, ngày {:02} tháng {:02} năm {}",
            h.place.as_deref().unwrap_or(""),
            date.day(),
            date.month(),
            date.year()
        ),
        Lang::En => format!(
            "{}, {}",
            h.place.as_deref().unwrap_or(""),
            date.strftime("%d/%m/%Y")
        ),
    };
    let number = h
        .number
        .as_ref()
        .map(|n| format!("{} {n}", tr(p.lang, "Số:", "No.")))
        .unwrap_or_default();
    let _ = write!(
        p.out,
        "<table class=\"heading\"><tr><td>{}<br><b>{}</b><br>{}</td><td><b>{}</b><br><b>{}</b><br><i>{}</i></td></tr></table>",
        esc(h.parent_body.as_deref().unwrap_or("")),
        esc(&h.issuer),
        esc(&number),
        esc(tr(
            p.lang,
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "SOCIALIST REPUBLIC OF VIETNAM"
        )),
        esc(tr(
            p.lang,
            "Độc lập - Tự do - Hạnh phúc",
            "Independence - Freedom - Happiness"
        )),
        esc(dated.trim_start_matches(", ")),
    );
}

fn signature(p: &mut Page, h: &crate::config::ReportHeading) {
    if h.signer.is_none() && h.signer_title.is_none() {
        return;
    }
    let _ = write!(
        p.out,
        "<div class=\"signature\"><b>{}</b><br><br><br><br><b>{}</b></div>",
        esc(h.signer_title.as_deref().unwrap_or("")),
        esc(h.signer.as_deref().unwrap_or("")),
    );
}

fn meta(p: &mut Page, r: &ComplianceReport) {
    let since_how = match r.since_source {
        super::compliance::SinceSource::PreviousReport => p.t(
            "lần quét mới nhất của báo cáo trước",
            "newest scan of the previous report",
        ),
        super::compliance::SinceSource::PeriodStart => p.t("đầu kỳ báo cáo", "start of the period"),
        super::compliance::SinceSource::Option => p.t("theo tùy chọn --since", "from --since"),
    };
    let rows = [
        (p.t("Kỳ báo cáo", "Reporting period"), r.period.clone()),
        (
            p.t("Thời gian của kỳ", "Period dates"),
            format!(
                "{} – {}",
                format_date(r.period_start),
                format_date(r.period_end)
            ),
        ),
        (
            p.t("Ngày đánh giá", "Evaluation date"),
            format_date(r.evaluated_at),
        ),
        (
            p.t("Hạn nộp báo cáo về Sở", "Due at the Department"),
            r.report_due.clone(),
        ),
        (
            p.t("Thay đổi tính từ", "Changes since"),
            format!("{} ({since_how})", format_date(r.since)),
        ),
        (
            p.t("Ngày lập báo cáo", "Generated"),
            format_date(r.generated_at),
        ),
    ];
    p.push("<table class=\"meta\"><tbody>");
    for (k, v) in rows {
        let _ = write!(p.out, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    }
    p.push("</tbody></table>");
}

fn cards(p: &mut Page, r: &ComplianceReport) {
    let lang = p.lang;
    if !r.persistent_history {
        let _ = write!(
            p.out,
            "<p class=\"bad\">{}</p>",
            esc(p.t(
                "Không có cơ sở dữ liệu lịch sử (--db): tuổi nợ, hạn khắc phục và các thay đổi chỉ tính trên các tệp của lần chạy này, nên số mục quá hạn có thể thấp hơn thực tế.",
                "No history database (--db): debt ages, deadlines and changes cover this run's files only, so overdue debt may be understated.",
            ))
        );
    }
    if !r.register_given {
        let _ = write!(
            p.out,
            "<p class=\"bad\">{}</p>",
            esc(p.t(
                "Không có sổ đăng ký (--register): không có mẫu số theo danh mục, các tỷ lệ chỉ tính trên những gì đã quét và không dùng để báo cáo.",
                "No register (--register): there are no register denominators; shares are over what was scanned only and are not for filing.",
            ))
        );
    }
    let hosts: u64 = r.units.iter().map(|u| u.hosts_scanned).sum();
    let computers: u64 = r
        .units
        .iter()
        .map(|u| u.computers.unwrap_or(0).max(u.hosts_scanned))
        .sum();
    let n = |x: u64| numfmt::int(x, lang);
    let unregistered_targets: u64 = r.unregistered.iter().map(|u| u.targets).sum();
    let mut items: Vec<(&str, String, bool)> = vec![
        (
            p.t("Đơn vị trong danh mục", "Registered units"),
            n(r.units.len() as u64),
            false,
        ),
        (
            p.t("Đơn vị chưa gửi kết quả", "Units not reporting"),
            n(r.not_reporting.len() as u64),
            !r.not_reporting.is_empty(),
        ),
        (
            p.t("Đơn vị có số liệu cũ", "Units with stale data"),
            format!(
                "{} (> {} {})",
                n(r.stale.len() as u64),
                r.stale_days,
                p.t("ngày", "days")
            ),
            !r.stale.is_empty(),
        ),
        (
            p.t(
                "Mã đơn vị không có trong danh mục",
                "Unregistered unit codes",
            ),
            format!(
                "{} ({} {})",
                n(r.unregistered.len() as u64),
                n(unregistered_targets),
                p.t("đối tượng, không tính", "targets, not counted")
            ),
            !r.unregistered.is_empty(),
        ),
        (
            p.t(
                "Máy đã quét / theo sổ đăng ký",
                "Computers scanned / registered",
            ),
            format!("{} / {}", n(hosts), n(computers)),
            false,
        ),
        (
            p.t("Nợ tuân thủ quá hạn", "Overdue debt"),
            n(r.debt_totals.overdue),
            r.debt_totals.overdue > 0,
        ),
        (
            p.t("Nợ tuân thủ đang mở", "Open debt"),
            n(r.debt_totals.open),
            false,
        ),
        (p.t("Mới", "New"), n(r.changes.new.len() as u64), false),
        (
            p.t("Đã khắc phục", "Fixed"),
            n(r.changes.fixed.len() as u64),
            false,
        ),
        (
            p.t("Tái phát", "Reopened"),
            n(r.changes.reopened.len() as u64),
            false,
        ),
        (
            p.t("Không còn được đánh giá", "No longer evaluated"),
            n(r.changes.no_longer_evaluated.len() as u64),
            false,
        ),
        (
            p.t("Được miễn trừ", "Waived"),
            n(r.waived.len() as u64),
            false,
        ),
        (
            p.t("Tệp bị bỏ qua", "Files skipped"),
            n(r.inputs.skipped.len() as u64),
            !r.inputs.skipped.is_empty(),
        ),
    ];
    if r.unit.is_some() {
        items.retain(|(k, _, _)| {
            *k != p.t("Đơn vị trong danh mục", "Registered units")
                && *k != p.t("Đơn vị chưa gửi kết quả", "Units not reporting")
        });
    }
    p.push("<div class=\"cards\">");
    for (k, v, alert) in items {
        let _ = write!(
            p.out,
            "<div class=\"card{}\">{}<b>{}</b></div>",
            if alert { " alert" } else { "" },
            esc(k),
            esc(&v)
        );
    }
    p.push("</div>");
}

/// What the director asks first: the worst units, who did not report, which codes are
/// not in the register, where the register is out of date.
fn first_screen(p: &mut Page, r: &ComplianceReport) {
    let lang = p.lang;
    p.h2(
        "can-quan-tam",
        "10 đơn vị cần quan tâm nhất",
        "The 10 units needing attention most",
    );
    if r.worst_units.is_empty() {
        p.note(p.t(
            "Không có đơn vị nào còn nợ tuân thủ.",
            "No unit has open debt.",
        ));
    } else {
        p.table_head(&[
            (p.t("Đơn vị", "Unit"), false),
            (p.t("Xã/phường", "Commune"), false),
            (
                p.t("Quá hạn mức Nghiêm trọng/Cao", "Overdue critical/high"),
                true,
            ),
            (p.t("Quá hạn", "Overdue"), true),
            (p.t("Nợ mở", "Open debt"), true),
            (p.t("Lần quét gần nhất", "Last scan"), false),
        ]);
        for u in &r.worst_units {
            let _ = write!(
                p.out,
                "<tr><td>{}</td><td>{}</td><td class=\"num bad\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&unit_label(&u.code, &u.name, lang)),
                esc(&commune_label(&u.commune, lang)),
                u.overdue_critical_high,
                u.overdue,
                u.open_debt,
                esc(&last_scan_text(u, lang)),
            );
        }
        p.push("</tbody></table>");
    }
    let name_of = |code: &str| {
        r.units
            .iter()
            .find(|u| u.code == code)
            .map(|u| unit_label(&u.code, &u.name, lang))
            .unwrap_or_else(|| code.to_string())
    };
    if !r.not_reporting.is_empty() {
        let _ = write!(
            p.out,
            "<h3 id=\"chua-gui\">{} ({})</h3><p>{}</p>",
            esc(p.t(
                "Đơn vị chưa gửi kết quả trong kỳ",
                "Units that sent no result in the period"
            )),
            r.not_reporting.len(),
            esc(&r
                .not_reporting
                .iter()
                .map(|c| name_of(c))
                .collect::<Vec<_>>()
                .join("; "))
        );
    }
    if !r.stale.is_empty() {
        let _ = write!(
            p.out,
            "<h3 id=\"so-lieu-cu\">{} {} {} ({})</h3><p>{}</p>",
            esc(p.t("Đơn vị có số liệu cũ hơn", "Units whose data is older than")),
            r.stale_days,
            esc(p.t("ngày", "days")),
            r.stale.len(),
            esc(&r
                .stale
                .iter()
                .map(|c| {
                    let last = r
                        .units
                        .iter()
                        .find(|u| &u.code == c)
                        .and_then(|u| u.last_scan)
                        .map(format_date)
                        .unwrap_or_default();
                    format!("{} ({last})", name_of(c))
                })
                .collect::<Vec<_>>()
                .join("; "))
        );
    }
    if !r.unregistered.is_empty() {
        let _ = write!(
            p.out,
            "<h3 id=\"ngoai-danh-muc\">{}</h3>",
            esc(p.t(
                "Mã đơn vị không có trong sổ đăng ký (không tính vào số liệu nào)",
                "Unit codes not in the register (counted nowhere)"
            ))
        );
        p.table_head(&[
            (p.t("Mã trong kết quả", "Code in the results"), false),
            (p.t("Có phải là", "Did you mean"), false),
            (p.t("Đối tượng", "Targets"), true),
            (p.t("Tệp", "Files"), false),
        ]);
        for u in r.unregistered.iter().take(MAX_ROWS) {
            let code = if u.code.is_empty() {
                tr(lang, "(không có mã đơn vị)", "(no unit code)").to_string()
            } else {
                u.code.clone()
            };
            let hint = u
                .did_you_mean
                .as_ref()
                .map(|c| format!("{} {c}?", tr(lang, "có phải", "did you mean")))
                .unwrap_or_default();
            let files = if u.files.is_empty() {
                tr(
                    lang,
                    "(từ cơ sở dữ liệu lịch sử)",
                    "(from the history database)",
                )
                .to_string()
            } else {
                u.files.join(", ")
            };
            let _ = write!(
                p.out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&code),
                esc(&hint),
                u.targets,
                esc(&files)
            );
        }
        p.push("</tbody></table>");
        p.note(p.t(
            "Sửa mã đơn vị trong cấu hình quét của đơn vị (hoặc bổ sung đơn vị vào sổ đăng ký) rồi quét lại.",
            "Fix the unit code in the unit's scan configuration (or add the unit to the register) and scan again.",
        ));
    }
    if !r.register_out_of_date.is_empty() {
        let _ = write!(
            p.out,
            "<h3 id=\"so-can-cap-nhat\">{}</h3>",
            esc(p.t("Sổ đăng ký cần cập nhật", "Register out of date"))
        );
        p.table_head(&[
            (p.t("Đơn vị", "Unit"), false),
            (p.t("Mục", "What"), false),
            (p.t("Theo sổ", "Registered"), true),
            (p.t("Kết quả quét có", "Found in results"), true),
        ]);
        for o in r.register_out_of_date.iter().take(MAX_ROWS) {
            let what = match o.what {
                "computers" => tr(lang, "Số máy tính", "Computers"),
                "websites" => tr(lang, "Website công khai", "Public websites"),
                _ => tr(lang, "Hệ thống thông tin", "Information systems"),
            };
            let _ = write!(
                p.out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&unit_label(&o.code, &o.name, lang)),
                esc(what),
                esc(&o.registered.map(|n| n.to_string()).unwrap_or_else(|| tr(
                    lang,
                    "chưa ghi",
                    "not given"
                )
                .into())),
                o.found
            );
        }
        p.push("</tbody></table>");
        p.note(p.t(
            "Mẫu số dùng số lớn hơn; hãy cập nhật sổ đăng ký.",
            "The larger number is the denominator; please update the register.",
        ));
    }
}

fn last_scan_text(u: &super::compliance::UnitRow, lang: Lang) -> String {
    match (u.last_scan, u.not_reporting) {
        (Some(t), true) => format!(
            "{} ({})",
            tr(lang, "chưa gửi trong kỳ", "none in the period"),
            format_date(t)
        ),
        (None, _) => tr(lang, "chưa gửi kết quả", "no results sent").to_string(),
        (Some(t), false) if u.stale => format!("{} ({})", format_date(t), tr(lang, "cũ", "stale")),
        (Some(t), false) => format_date(t),
    }
}

fn value_cell(v: &ScopeValue, ind: &IndicatorReport, lang: Lang) -> String {
    let text = if v.no_data {
        tr(lang, "không có số liệu", "no data").to_string()
    } else {
        match v.count {
            Some(n) => numfmt::int(n, lang),
            None => pct_text(v.pct, lang),
        }
    };
    let class = match v.meets_target {
        Some(true) => "ok",
        Some(false) => "bad",
        None => "muted",
    };
    let title = if v.no_data {
        tr(
            lang,
            "không có đối tượng nào được đánh giá: không bao giờ tính là đạt",
            "nothing was evaluated: never counted as met",
        )
    } else if v.pct.is_none() && v.count.is_none() && ind.measure == Measure::ShareOfInventory {
        tr(lang, "chưa có số máy theo danh mục", "no inventory figure")
    } else if v.meets_target.is_none() && v.count == Some(0) {
        tr(
            lang,
            "chưa đánh giá hết: chưa thể kết luận đạt",
            "not everything was evaluated: cannot be called met",
        )
    } else {
        ""
    };
    format!(
        "<td class=\"num {class}\" title=\"{}\">{}</td>",
        esc(title),
        esc(&text)
    )
}

/// How far a scope is from the target: percentage points for shares, items for counts.
fn gap_text(v: &ScopeValue, ind: &IndicatorReport, lang: Lang) -> String {
    if v.no_data {
        return tr(lang, "không có số liệu", "no data").into();
    }
    match (v.count, v.pct) {
        (Some(n), _) if n > 0 => format!("{} {}", numfmt::int(n, lang), tr(lang, "mục", "items")),
        (Some(_), _) => match v.meets_target {
            Some(true) => "0".into(),
            _ => format!(
                "{} {}",
                numfmt::int(v.not_evaluated.unwrap_or(0), lang),
                tr(lang, "chưa đánh giá", "not evaluated")
            ),
        },
        (None, Some(p)) if p < ind.target_pct => format!(
            "{} {}",
            numfmt::decimal(ind.target_pct - p, 1, lang),
            tr(lang, "điểm %", "points")
        ),
        (None, Some(_)) => "0".into(),
        (None, None) => "—".into(),
    }
}

fn indicators(p: &mut Page, r: &ComplianceReport) {
    let lang = p.lang;
    p.h2("chi-tieu", "Chỉ tiêu của kế hoạch", "The plans' indicators");
    p.note(p.t(
        "Mẫu số lấy từ sổ đăng ký: số máy, địa chỉ website công khai, hệ thống và đơn vị đã đăng ký (không phải số đã quét); đơn vị quét nhiều hơn sổ thì lấy số lớn hơn và được nêu trong mục “Sổ đăng ký cần cập nhật”. Độ bao phủ = số đã đánh giá ÷ mẫu số. Kết quả “không xác định” được nêu riêng và không bao giờ tính là đạt; chỉ tiêu không có đối tượng nào được đánh giá ghi “không có số liệu”.",
        "Denominators come from the register: the machines, public website URLs, systems and units it lists (not what was scanned); a unit that scanned more than the register lists counts the larger number and is listed under “Register out of date”. Coverage = evaluated ÷ denominator. “Unknown” results are shown apart and never counted as passes; an indicator with nothing evaluated shows “no data”.",
    ));
    let scope_of = |i: &IndicatorReport| -> ScopeValue {
        if r.unit.is_some() {
            i.units
                .first()
                .cloned()
                .unwrap_or_else(|| i.province.clone())
        } else {
            i.province.clone()
        }
    };
    let bars: Vec<svg::ShareBar> = r
        .indicators
        .iter()
        .filter(|i| i.measure != Measure::CountFailing && i.measure != Measure::OverdueDebt)
        .map(|i| {
            let v = scope_of(i);
            svg::ShareBar {
                label: format!("{} {}", i.code, short(i.name.get(lang), 34)),
                pct: v.pct,
                target_pct: i.target_pct,
                value: pct_text(v.pct, lang),
                note: v
                    .coverage_pct
                    .map(|c| {
                        format!(
                            "({} {}%)",
                            tr(lang, "bao phủ", "coverage"),
                            numfmt::decimal(c, 0, lang)
                        )
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let chart = svg::share_bars(
        p.t("Chỉ tiêu so với mục tiêu", "Indicators against targets"),
        &bars,
        p.t("không có số liệu", "no data"),
    );
    p.push(&chart);
    indicator_table(p, r, &|i| Some(scope_of(i)));
    if r.unit.is_some() {
        return;
    }
    // Communes × indicators, then units × indicators.
    for (id, vi, en, by_unit) in [
        (
            "theo-xa",
            "Chỉ tiêu theo xã/phường",
            "Indicators per commune",
            false,
        ),
        (
            "theo-don-vi",
            "Chỉ tiêu theo đơn vị",
            "Indicators per unit",
            true,
        ),
    ] {
        let _ = write!(p.out, "<h3 id=\"{id}\">{}</h3>", esc(tr(lang, vi, en)));
        let mut head: Vec<(&str, bool)> = vec![(
            if by_unit {
                p.t("Đơn vị", "Unit")
            } else {
                p.t("Xã/phường", "Commune")
            },
            false,
        )];
        if by_unit {
            head.push((p.t("Bao phủ", "Coverage"), true));
        }
        for ind in &r.indicators {
            head.push((ind.code, true));
        }
        p.table_head(&head);
        let scopes: Vec<(String, String)> = if by_unit {
            r.units
                .iter()
                .map(|u| (u.code.clone(), unit_label(&u.code, &u.name, lang)))
                .collect()
        } else {
            r.debt_by_commune
                .iter()
                .map(|c| (c.commune.clone(), commune_label(&c.commune, lang)))
                .collect()
        };
        for (key, label) in scopes.iter().take(MAX_ROWS) {
            let _ = write!(p.out, "<tr><td>{}</td>", esc(label));
            if by_unit {
                let cov = r
                    .indicators
                    .iter()
                    .find(|i| i.measure == Measure::ShareOfInventory)
                    .and_then(|i| i.units.iter().find(|v| &v.scope == key))
                    .and_then(|v| v.coverage_pct);
                let _ = write!(
                    p.out,
                    "<td class=\"num\">{}</td>",
                    esc(&pct_text(cov, lang))
                );
            }
            for ind in &r.indicators {
                let list = if by_unit { &ind.units } else { &ind.communes };
                match list.iter().find(|v| &v.scope == key) {
                    Some(v) => p.push(&value_cell(v, ind, lang)),
                    None => p.push("<td class=\"num muted\">·</td>"),
                }
            }
            p.push("</tr>");
        }
        p.push("</tbody></table>");
        if by_unit {
            p.cut_best_note(scopes.len());
        } else {
            p.cut_note(scopes.len());
        }
    }
}

/// The indicators of one scope against their targets; indicators `scope_of` has no
/// value for are left out.
fn indicator_table(
    p: &mut Page,
    r: &ComplianceReport,
    scope_of: &dyn Fn(&IndicatorReport) -> Option<ScopeValue>,
) {
    let lang = p.lang;
    let headers = [
        (p.t("Mã", "Code"), false),
        (p.t("Chỉ tiêu", "Indicator"), false),
        (p.t("Mục tiêu", "Target"), true),
        (p.t("Kết quả", "Measured"), true),
        (p.t("Đạt", "Pass"), true),
        (p.t("Không đạt", "Fail"), true),
        (p.t("Không xác định", "Unknown"), true),
        (p.t("Còn thiếu so với mục tiêu", "Gap to target"), true),
        (p.t("Đã đánh giá / mẫu số", "Evaluated / denominator"), true),
        (p.t("Bao phủ", "Coverage"), true),
        (p.t("Căn cứ", "Basis"), false),
    ];
    p.table_head(&headers);
    for ind in &r.indicators {
        let Some(v) = scope_of(ind) else {
            continue;
        };
        let scanned = match v.denominator {
            Some(d) if v.denominator_from_register => format!(
                "{} / {}",
                numfmt::int(v.evaluated, lang),
                numfmt::int(d, lang)
            ),
            Some(d) => format!(
                "{} / {} ({})",
                numfmt::int(v.evaluated, lang),
                numfmt::int(d, lang),
                tr(lang, "đã quét, không có sổ đăng ký", "scanned, no register")
            ),
            None => String::new(),
        };
        let _ = write!(
            p.out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td>{}<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(ind.code),
            esc(ind.name.get(lang)),
            esc(&target_text(ind.target_pct, v.count.is_some())),
            value_cell(&v, ind, lang),
            v.counts.pass,
            v.counts.fail,
            v.counts.unknown,
            esc(&gap_text(&v, ind, lang)),
            esc(&scanned),
            esc(&pct_text(v.coverage_pct, lang)),
            esc(ind.basis),
        );
    }
    p.push("</tbody></table>");
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

fn debt_rows(p: &mut Page, r: &ComplianceReport, items: &[DebtItem], with_waiver: bool) {
    let lang = p.lang;
    let mut head = vec![
        (p.t("Đơn vị", "Unit"), false),
        (p.t("Đối tượng", "Target"), false),
        (p.t("Quy tắc", "Rule"), false),
        (p.t("Mức độ", "Severity"), false),
        (p.t("Phát hiện từ", "Open since"), false),
        (p.t("Tuổi (ngày)", "Age (days)"), true),
        (p.t("Hạn khắc phục", "Due"), false),
    ];
    if with_waiver {
        head.push((p.t("Miễn trừ", "Waiver"), false));
    }
    p.table_head(&head);
    for d in items.iter().take(MAX_ROWS) {
        let title = r
            .rule_texts
            .get(&d.rule)
            .map(|t| problem_text(t, lang))
            .unwrap_or_default();
        let due = if d.overdue {
            format!(
                "<span class=\"bad\">{} ({})</span>",
                esc(&format_date(d.due)),
                esc(tr(lang, "quá hạn", "overdue"))
            )
        } else {
            esc(&format_date(d.due))
        };
        let reopened = if d.reopened {
            format!(
                " <span class=\"bad\">{}</span>",
                esc(tr(lang, "tái phát", "reopened"))
            )
        } else {
            String::new()
        };
        let _ = write!(
            p.out,
            "<tr><td>{}</td><td>{}: {}</td><td><b>{}</b> {}{reopened}</td><td class=\"{}\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{due}</td>",
            esc(&unit_label(&d.unit_code, &d.unit_name, lang)),
            esc(&kind_label(&d.target_kind, lang)),
            esc(&d.target_id),
            esc(&d.rule),
            esc(&title),
            sev_class(d),
            esc(d.severity.label().get(lang)),
            esc(&format_date(d.open_since)),
            d.age_days,
        );
        if with_waiver {
            let _ = write!(p.out, "<td>{}</td>", esc(d.waiver.as_deref().unwrap_or("")));
        }
        p.push("</tr>");
    }
    p.push("</tbody></table>");
    p.cut_note(items.len());
}

fn tr_owned(lang: Lang, vi: &str, en: &str) -> String {
    tr_str(lang, vi, en).to_string()
}

fn tr_str<'a>(lang: Lang, vi: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

fn debt_charts(p: &mut Page, r: &ComplianceReport) {
    let points: Vec<(String, u64)> = r
        .debt_series
        .iter()
        .map(|d| {
            (
                d.at.to_zoned(super::period::vietnam())
                    .strftime("%m/%Y")
                    .to_string(),
                d.open,
            )
        })
        .collect();
    let line = svg::line(
        p.t(
            "Nợ tuân thủ đang mở theo thời gian",
            "Open compliance debt over time",
        ),
        &points,
    );
    let _ = write!(
        p.out,
        "<h3>{}</h3>{line}",
        esc(p.t(
            "Nợ tuân thủ theo thời gian (12 tháng)",
            "Debt over time (12 months)"
        ))
    );
}

fn debt(p: &mut Page, r: &ComplianceReport) {
    let lang = p.lang;
    p.h2("no-tuan-thu", "Nợ tuân thủ", "Compliance debt");
    let due: Vec<String> = r
        .due_days
        .iter()
        .rev()
        .map(|(s, d)| format!("{} {d}", s.label().get(lang)))
        .collect();
    let note = format!(
        "{} {} {}.",
        p.t(
            "Mỗi phát hiện không đạt chưa được miễn trừ là một khoản nợ tuân thủ. Thời hạn khắc phục theo mức độ (ngày):",
            "Every failing finding without a waiver is a compliance debt. Days allowed to fix, per severity:"
        ),
        due.join(", "),
        p.t("(tham số chính sách debt_due_days_*)", "(policy parameters debt_due_days_*)")
    );
    p.note(&note);
    debt_charts(p, r);
    let bars: Vec<(String, u64, u64)> = r
        .debt_by_commune
        .iter()
        .map(|c| (commune_label(&c.commune, lang), c.open, c.overdue))
        .collect();
    let chart = svg::count_bars(p.t("Nợ tuân thủ theo xã/phường", "Debt per commune"), &bars);
    let _ = write!(
        p.out,
        "<h3>{}</h3>{chart}",
        esc(p.t(
            "Nợ tuân thủ theo xã/phường (đang mở, trong ngoặc: quá hạn)",
            "Debt per commune (open, in brackets: overdue)"
        ))
    );
    let _ = write!(
        p.out,
        "<h3>{}</h3>",
        esc(p.t(
            "Danh sách nợ tuân thủ, nặng nhất trước",
            "Open debt, worst first"
        ))
    );
    debt_rows(p, r, &r.debt, false);
}

/// The unit report's core: what to do, worst first, with the steps.
fn actions(p: &mut Page, r: &ComplianceReport) {
    let lang = p.lang;
    p.h2(
        "viec-can-lam",
        "Việc cần làm, nặng nhất trước",
        "What to do, worst first",
    );
    debt_charts(p, r);
    if r.debt.is_empty() {
        p.note(p.t("Không có nợ tuân thủ đang mở.", "No open compliance debt."));
        return;
    }
    p.push("<ol>");
    for d in r.debt.iter().take(MAX_ROWS) {
        let (title, steps) = r
            .rule_texts
            .get(&d.rule)
            .map(|t| {
                (
                    problem_text(t, lang),
                    tr_owned(lang, &t.remediation_vi, &t.remediation_en),
                )
            })
            .unwrap_or_default();
        let overdue = if d.overdue {
            format!(
                " <span class=\"bad\">{}</span>",
                esc(tr(lang, "QUÁ HẠN", "OVERDUE"))
            )
        } else {
            String::new()
        };
        let _ = write!(
            p.out,
            "<li><p><span class=\"{}\">[{}]</span> <b>{}</b> — {}: {} ({})<br>{} {} · {} {}{overdue}</p><div class=\"steps\">{}</div></li>",
            sev_class(d),
            esc(d.severity.label().get(lang)),
            esc(&title),
            esc(&kind_label(&d.target_kind, lang)),
            esc(&d.target_id),
            esc(&d.rule),
            esc(tr(lang, "Phát hiện từ", "Open since")),
            esc(&format_date(d.open_since)),
            esc(tr(lang, "hạn khắc phục", "due")),
            esc(&format_date(d.due)),
            esc(&steps),
        );
    }
    p.push("</ol>");
    p.cut_note(r.debt.len());
}

fn event_rows(p: &mut Page, events: &[Event]) {
    let lang = p.lang;
    let head = [
        (p.t("Thay đổi", "Change"), false),
        (p.t("Ngày", "Date"), false),
        (p.t("Đơn vị", "Unit"), false),
        (p.t("Đối tượng", "Target"), false),
        (p.t("Quy tắc", "Rule"), false),
        (p.t("Mức độ", "Severity"), false),
    ];
    p.table_head(&head);
    for e in events.iter().take(MAX_ROWS) {
        let _ = write!(
            p.out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}: {}</td><td>{}</td><td>{}</td></tr>",
            esc(change_label(e.kind, lang)),
            esc(&format_date(e.at)),
            esc(&unit_label(&e.unit_code, &e.unit_name, lang)),
            esc(&kind_label(&e.target_kind, lang)),
            esc(&e.target_id),
            esc(&e.rule),
            esc(e.severity.label().get(lang)),
        );
    }
    p.push("</tbody></table>");
    p.cut_note(events.len());
}

fn changes(p: &mut Page, r: &ComplianceReport) {
    p.h2(
        "thay-doi",
        "Thay đổi kể từ báo cáo trước",
        "Changes since the previous report",
    );
    let summary = format!(
        "{}: {} · {}: {} · {}: {} · {}: {}",
        p.t("Mới", "New"),
        r.changes.new.len(),
        p.t("Đã khắc phục", "Fixed"),
        r.changes.fixed.len(),
        p.t("Tái phát", "Reopened"),
        r.changes.reopened.len(),
        p.t("Không còn được đánh giá", "No longer evaluated"),
        r.changes.no_longer_evaluated.len()
    );
    let _ = write!(p.out, "<p><b>{}</b></p>", esc(&summary));
    if !r.persistent_history {
        p.note(p.t(
            "Không có --db: các thay đổi chỉ tính trên các tệp của lần chạy này.",
            "No --db: changes cover this run's files only.",
        ));
    }
    if !r.changes.no_longer_evaluated.is_empty() {
        let _ = write!(
            p.out,
            "<h3>{}</h3>",
            esc(p.t(
                "Không còn được đánh giá (chuyển sang không áp dụng, không phải đã khắc phục)",
                "No longer evaluated (now not applicable; not fixed)"
            ))
        );
        p.table_head(&[
            (p.t("Ngày", "Date"), false),
            (p.t("Đơn vị", "Unit"), false),
            (p.t("Đối tượng", "Target"), false),
            (p.t("Quy tắc", "Rule"), false),
            (
                p.t("Do quy tắc đang không đạt", "Because of the failing rule"),
                false,
            ),
        ]);
        for n in r.changes.no_longer_evaluated.iter().take(MAX_ROWS) {
            let e = &n.event;
            let _ = write!(
                p.out,
                "<tr><td>{}</td><td>{}</td><td>{}: {}</td><td>{}</td><td>{}</td></tr>",
                esc(&format_date(e.at)),
                esc(&unit_label(&e.unit_code, &e.unit_name, p.lang)),
                esc(&kind_label(&e.target_kind, p.lang)),
                esc(&e.target_id),
                esc(&e.rule),
                esc(&n.because.join(", ")),
            );
        }
        p.push("</tbody></table>");
    }
    for (vi, en, list) in [
        ("Đã khắc phục", "Fixed", &r.changes.fixed),
        ("Tái phát", "Reopened", &r.changes.reopened),
        ("Mới phát sinh", "New", &r.changes.new),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(p.out, "<h3>{}</h3>", esc(tr(p.lang, vi, en)));
        event_rows(p, list);
    }
}

fn waived(p: &mut Page, r: &ComplianceReport) {
    p.h2(
        "mien-tru",
        "Phát hiện được miễn trừ (không tính là nợ)",
        "Waived findings (not counted as debt)",
    );
    if r.waived.is_empty() {
        p.note(p.t("Không có.", "None."));
    } else {
        debt_rows(p, r, &r.waived, true);
    }
}

fn plan(p: &mut Page, r: &ComplianceReport) {
    let lang = p.lang;
    p.h2(
        "ke-hoach",
        "Kế hoạch khắc phục (06 rõ)",
        "Remediation plan (the plans' “06 rõ”)",
    );
    p.note(p.t(
        "Đơn vị điền các cột tô vàng: rõ người (người thực hiện), rõ thời gian (ngày đơn vị cam kết hoàn thành, có thể khác hạn đề xuất) và rõ thẩm quyền. Hạn đề xuất tính theo thời hạn khắc phục của mức độ; mục đã quá hạn được đề xuất hạn mới tính từ ngày đánh giá. Bản điền được có trong tệp XLSX (trang “Kế hoạch khắc phục”).",
        "Units fill in the highlighted columns: who (assignee), by when (the date the unit commits to, which may differ from the proposal) and authority. The proposed deadline follows the time allowed for the severity; an overdue item gets a new proposal counted from the evaluation date. A fillable copy is in the XLSX file (sheet “Remediation plan”).",
    ));
    let head = [
        (p.t("Đơn vị", "Unit"), false),
        (p.t("Đối tượng / quy tắc", "Target / rule"), false),
        (p.t("Rõ người", "Who"), false),
        (p.t("Rõ việc", "What"), false),
        (p.t("Hạn đề xuất", "Proposed deadline"), false),
        (
            p.t("Rõ thời gian (đơn vị cam kết)", "By when (unit commits)"),
            false,
        ),
        (p.t("Rõ trách nhiệm", "Responsibility"), false),
        (p.t("Rõ sản phẩm", "Deliverable"), false),
        (p.t("Rõ thẩm quyền", "Authority"), false),
    ];
    p.table_head(&head);
    for d in r.debt.iter().take(MAX_ROWS) {
        let title = r
            .rule_texts
            .get(&d.rule)
            .map(|t| problem_text(t, lang))
            .unwrap_or_default();
        let _ = write!(
            p.out,
            "<tr><td>{}</td><td>{}: {} — {}</td><td class=\"fill\"></td><td>{}</td><td>{}</td><td class=\"fill\"></td><td>{}</td><td>{}</td><td class=\"fill\"></td></tr>",
            esc(&unit_label(&d.unit_code, &d.unit_name, lang)),
            esc(&kind_label(&d.target_kind, lang)),
            esc(&d.target_id),
            esc(&d.rule),
            esc(&title),
            esc(&format_date(proposed_deadline(r, d))),
            esc(tr(lang, "Thủ trưởng đơn vị", "Head of the unit")),
            esc(tr(lang, "Kết quả quét lại đạt", "A passing re-scan")),
        );
    }
    p.push("</tbody></table>");
    p.cut_note(r.debt.len());
}

fn units(p: &mut Page, r: &ComplianceReport) {
    p.h2("don-vi", "Tình hình theo đơn vị", "Per unit");
    let all: Vec<&UnitRow> = r.units.iter().collect();
    unit_table(p, &all, None);
}

/// Units, one row each (already worst first: a cut drops the best units); with
/// `href`, each unit links to its page.
fn unit_table(p: &mut Page, units: &[&UnitRow], href: Option<&dyn Fn(&str) -> String>) {
    let lang = p.lang;
    let head = [
        (p.t("Đơn vị", "Unit"), false),
        (p.t("Xã/phường", "Commune"), false),
        (p.t("Máy quét / danh mục", "Scanned / inventory"), true),
        (p.t("Website", "Websites"), true),
        (p.t("Không đạt", "Fail"), true),
        (p.t("Không xác định", "Unknown"), true),
        (p.t("Nợ mở", "Open debt"), true),
        (p.t("Quá hạn", "Overdue"), true),
        (p.t("Lần quét gần nhất", "Last scan"), false),
    ];
    p.table_head(&head);
    for u in units.iter().take(MAX_ROWS) {
        let computers = u
            .computers
            .map(|c| c.to_string())
            .unwrap_or_else(|| "—".into());
        let last = last_scan_text(u, lang);
        let label = esc(&unit_label(&u.code, &u.name, lang));
        let label = match href {
            Some(h) => format!("<a href=\"{}\">{label}</a>", esc(&h(&u.code))),
            None => label,
        };
        let _ = write!(
            p.out,
            "<tr><td>{label}</td><td>{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&commune_label(&u.commune, lang)),
            u.hosts_scanned,
            esc(&computers),
            u.websites,
            u.findings_fail,
            u.findings_unknown,
            u.open_debt,
            u.overdue,
            esc(&last),
        );
    }
    p.push("</tbody></table>");
    p.cut_best_note(units.len());
}

fn notes(p: &mut Page, r: &ComplianceReport) {
    let lang = p.lang;
    p.h2(
        "ghi-chu",
        "Ghi chú và nguồn số liệu",
        "Notes and data sources",
    );
    p.push("<ul>");
    for m in &r.not_measured {
        let _ = write!(
            p.out,
            "<li><b>{}</b>: {} — {}</li>",
            esc(m.code),
            esc(tr(
                lang,
                "chưa đo bằng kết quả quét",
                "not measured from scans"
            )),
            esc(m.why.get(lang))
        );
    }
    let read = format!(
        "{}: {}",
        tr(lang, "Tệp kết quả đã đọc", "Result files read"),
        r.inputs.files_read
    );
    let _ = write!(p.out, "<li>{}</li>", esc(&read));
    p.push("</ul>");
    if !r.inputs.skipped.is_empty() {
        let _ = write!(
            p.out,
            "<h3>{}</h3>",
            esc(tr(lang, "Tệp bị bỏ qua", "Files skipped"))
        );
        p.push("<ul>");
        for s in r.inputs.skipped.iter().take(MAX_ROWS) {
            let _ = write!(
                p.out,
                "<li><code>{}</code>: {}</li>",
                esc(&s.path),
                esc(&s.message)
            );
        }
        p.push("</ul>");
        p.cut_note(r.inputs.skipped.len());
    }
}

/// Where the server's pages link to (the report file has no links).
pub struct Links<'a> {
    /// A unit's page, from its code.
    pub unit: &'a dyn Fn(&str) -> String,
    /// The debt list of the page's scope.
    pub debt: String,
}

/// The page of one commune of the province report `r`: its indicators (the same
/// figures as the report's "Indicators per commune"), its units and their indicators.
/// `None` when no unit of the report is in `commune`.
pub fn render_commune(
    r: &ComplianceReport,
    commune: &str,
    lang: Lang,
    links: &Links,
) -> Option<String> {
    let units: Vec<&UnitRow> = r.units.iter().filter(|u| u.commune == commune).collect();
    if units.is_empty() {
        return None;
    }
    let mut p = Page {
        out: String::with_capacity(64 * 1024),
        lang,
    };
    let title = format!(
        "{} — {}",
        p.t("Xã/phường", "Commune"),
        commune_label(commune, lang)
    );
    open_document(&mut p, &title);
    let _ = write!(p.out, "<h1>{}</h1>", esc(&title));
    let _ = write!(
        p.out,
        "<p>{}: <b>{}</b> · {}: {}</p>",
        esc(p.t("Kỳ báo cáo", "Period")),
        esc(&r.period),
        esc(p.t("Số liệu đến", "Data up to")),
        esc(&format_date(r.evaluated_at)),
    );
    let open: u64 = units.iter().map(|u| u.open_debt).sum();
    let overdue: u64 = units.iter().map(|u| u.overdue).sum();
    let silent = units.iter().filter(|u| u.not_reporting).count();
    p.push("<div class=\"cards\">");
    for (vi, en, n, alert) in [
        ("Đơn vị", "Units", units.len() as u64, false),
        ("Nợ mở", "Open debt", open, false),
        ("Quá hạn", "Overdue", overdue, overdue > 0),
        (
            "Chưa gửi kết quả",
            "Not reporting",
            silent as u64,
            silent > 0,
        ),
    ] {
        let _ = write!(
            p.out,
            "<div class=\"card{}\"><b>{}</b>{}</div>",
            if alert { " alert" } else { "" },
            esc(&numfmt::int(n, lang)),
            esc(tr(lang, vi, en))
        );
    }
    p.push("</div>");
    let _ = write!(
        p.out,
        "<p><a href=\"{}\">{}</a></p>",
        esc(&links.debt),
        esc(p.t(
            "Danh sách nợ tuân thủ của xã/phường",
            "The commune's compliance debt list"
        ))
    );
    p.h2("chi-tieu", "Chỉ tiêu của kế hoạch", "The plans' indicators");
    indicator_table(&mut p, r, &|i| {
        i.communes.iter().find(|v| v.scope == commune).cloned()
    });
    p.h2("don-vi", "Các đơn vị", "Units");
    unit_table(&mut p, &units, Some(links.unit));
    let _ = write!(
        p.out,
        "<h3 id=\"theo-don-vi\">{}</h3>",
        esc(p.t("Chỉ tiêu theo đơn vị", "Indicators per unit"))
    );
    let mut head: Vec<(&str, bool)> = vec![(p.t("Đơn vị", "Unit"), false)];
    for ind in &r.indicators {
        head.push((ind.code, true));
    }
    p.table_head(&head);
    for u in units.iter().take(MAX_ROWS) {
        let _ = write!(
            p.out,
            "<tr><td>{}</td>",
            esc(&unit_label(&u.code, &u.name, lang))
        );
        for ind in &r.indicators {
            match ind.units.iter().find(|v| v.scope == u.code) {
                Some(v) => p.push(&value_cell(v, ind, lang)),
                None => p.push("<td class=\"num muted\">·</td>"),
            }
        }
        p.push("</tr>");
    }
    p.push("</tbody></table>");
    p.cut_best_note(units.len());
    p.push("</body></html>\n");
    Some(p.out)
}

/// Worst first: failing, waived, unknown, passing, not applicable.
const STATUS_ORDER: [Status; 5] = Status::ALL;

/// The page of one target (a machine, a website): its latest findings grouped by
/// status worst first, failing ones by severity, with the failing-state titles and
/// what to do. `findings` are the target's, from the history store.
pub fn render_target(
    findings: &[FindingState],
    texts: &BTreeMap<String, crate::history::RuleText>,
    lang: Lang,
    unit_href: &str,
) -> Option<String> {
    let first = findings.first()?;
    let mut p = Page {
        out: String::with_capacity(32 * 1024),
        lang,
    };
    let title = format!("{}: {}", kind_label(&first.kind, lang), first.target_id);
    open_document(&mut p, &title);
    let _ = write!(p.out, "<h1>{}</h1>", esc(&title));
    let collected = findings
        .iter()
        .map(|f| f.collected_at)
        .max()
        .unwrap_or(first.collected_at);
    let _ = write!(
        p.out,
        "<p>{}: <a href=\"{}\">{}</a> · {}: {}</p>",
        esc(p.t("Đơn vị", "Unit")),
        esc(unit_href),
        esc(&unit_label(&first.unit_code, &first.unit_name, lang)),
        esc(p.t("Lần quét gần nhất", "Last scan")),
        esc(&format_date(collected)),
    );
    p.push("<div class=\"cards\">");
    for status in STATUS_ORDER {
        let n = findings.iter().filter(|f| f.status == status).count() as u64;
        let alert = n > 0 && status == Status::Fail;
        let _ = write!(
            p.out,
            "<div class=\"card{}\"><b>{}</b>{}</div>",
            if alert { " alert" } else { "" },
            esc(&numfmt::int(n, lang)),
            esc(status.label().get(lang))
        );
    }
    p.push("</div>");
    for status in STATUS_ORDER {
        let mut group: Vec<&FindingState> =
            findings.iter().filter(|f| f.status == status).collect();
        if group.is_empty() {
            continue;
        }
        group.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.open_since.cmp(&b.open_since))
                .then_with(|| super::collate::natural_cmp(&a.rule, &b.rule))
        });
        let _ = write!(
            p.out,
            "<h2 id=\"{}\">{} ({})</h2>",
            status_id(status),
            esc(status.label().get(lang)),
            group.len()
        );
        let failing = matches!(status, Status::Fail | Status::Waived);
        let mut head = vec![
            (p.t("Quy tắc", "Rule"), false),
            (p.t("Mức độ", "Severity"), false),
            (p.t("Yêu cầu", "Requirement"), false),
        ];
        if failing {
            head.push((p.t("Phát hiện từ", "Open since"), false));
            head.push((p.t("Cách khắc phục", "Remediation"), false));
        }
        if status == Status::Waived {
            head.push((p.t("Miễn trừ", "Waiver"), false));
        }
        p.table_head(&head);
        for f in group {
            let text = texts.get(&f.rule);
            // A failing finding is named by its problem ("Tài khoản Guest đang bật"),
            // the others by the rule's title.
            let name = match text {
                Some(t) if failing => problem_text(t, lang),
                Some(t) => match lang {
                    Lang::En if !t.title_en.is_empty() => t.title_en.clone(),
                    _ => t.title_vi.clone(),
                },
                None => String::new(),
            };
            let sev = match f.severity.as_str() {
                "critical" => "sev-critical",
                "high" => "sev-high",
                "medium" => "sev-medium",
                _ => "",
            };
            let _ = write!(
                p.out,
                "<tr><td><b>{}</b> {}</td><td class=\"{sev}\">{}</td><td>{}</td>",
                esc(&f.rule),
                esc(&name),
                esc(f.severity.label().get(lang)),
                esc(f.requirement.as_deref().unwrap_or("")),
            );
            if failing {
                let remediation = text
                    .map(|t| match lang {
                        Lang::En if !t.remediation_en.is_empty() => t.remediation_en.as_str(),
                        _ => t.remediation_vi.as_str(),
                    })
                    .unwrap_or("");
                let _ = write!(
                    p.out,
                    "<td>{}</td><td><div class=\"steps\">{}</div></td>",
                    esc(&f.open_since.map(format_date).unwrap_or_default()),
                    esc(remediation)
                );
            }
            if status == Status::Waived {
                let _ = write!(p.out, "<td>{}</td>", esc(f.waiver.as_deref().unwrap_or("")));
            }
            p.push("</tr>");
        }
        p.push("</tbody></table>");
    }
    p.push("</body></html>\n");
    Some(p.out)
}

fn status_id(s: Status) -> &'static str {
    match s {
        Status::Fail => "khong-dat",
        Status::Waived => "mien-tru",
        Status::Unknown => "khong-xac-dinh",
        Status::Pass => "dat",
        Status::NotApplicable => "khong-ap-dung",
    }
}
