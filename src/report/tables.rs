//! The report's tables as rows of cells, shared by the spreadsheet (XLSX) and CSV
//! outputs so both say the same thing. Columns carry a stable machine key (CSV headers)
//! and Vietnamese/English titles (workbook headers). Text cells are neutralised against
//! formulas where they are written ([`super::safe::cell`]).

use jiff::Timestamp;

use super::compliance::{ComplianceReport, DebtItem, ScopeValue};
use crate::history::{Event, EventKind};
use crate::i18n::{Lang, tr};
use crate::policy::Severity;

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Num(f64),
    /// A calendar day (Vietnam time): a real date in the workbook.
    Date(jiff::civil::Date),
    Empty,
}

pub struct Column {
    pub key: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
}

const fn col(key: &'static str, vi: &'static str, en: &'static str) -> Column {
    Column { key, vi, en }
}

impl Column {
    pub fn title(&self, lang: Lang) -> &'static str {
        tr(lang, self.vi, self.en)
    }
}

/// A table whose rows are made as they are written, so a writer holds one row at a
/// time, not a second copy of the whole debt list.
pub struct Table<'a> {
    pub columns: Vec<&'static Column>,
    pub rows: Box<dyn Iterator<Item = Vec<Cell>> + 'a>,
}

impl<'a> Table<'a> {
    fn new(columns: &'static [Column], rows: impl Iterator<Item = Vec<Cell>> + 'a) -> Table<'a> {
        Table {
            columns: columns.iter().collect(),
            rows: Box::new(rows),
        }
    }

    /// Keeps the columns with these keys, in this order.
    pub fn select(self, keys: &[&str]) -> Table<'a> {
        let idx: Vec<usize> = keys
            .iter()
            .filter_map(|k| self.columns.iter().position(|c| c.key == *k))
            .collect();
        Table {
            columns: idx.iter().map(|&i| self.columns[i]).collect(),
            rows: Box::new(
                self.rows
                    .map(move |row| idx.iter().map(|&i| row[i].clone()).collect()),
            ),
        }
    }
}

/// The debt detail: what failed, where, since when.
pub const DETAIL_KEYS: &[&str] = &[
    "no",
    "unit_code",
    "unit_name",
    "commune",
    "target_kind",
    "target_id",
    "rule",
    "requirement",
    "severity",
    "title",
    "open_since",
    "age_days",
    "due",
    "overdue",
    "reopened",
    "last_scan",
    "waiver",
];

/// The remediation plan: the finding and the plans' "06 rõ".
pub const PLAN_KEYS: &[&str] = &[
    "no",
    "unit_code",
    "unit_name",
    "target_kind",
    "target_id",
    "rule",
    "severity",
    "title",
    "assignee",
    "action",
    "proposed_deadline",
    "deadline",
    "accountable",
    "deliverable",
    "authority",
];

/// How values are spelled: for people (localised labels, dd/mm/yyyy) or for machines
/// (codes, ISO dates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    People(Lang),
    Machines(Lang),
}

impl Audience {
    fn lang(self) -> Lang {
        match self {
            Audience::People(l) | Audience::Machines(l) => l,
        }
    }

    fn date(self, t: Timestamp) -> Cell {
        match self {
            Audience::People(_) => Cell::Date(t.to_zoned(super::period::vietnam()).date()),
            Audience::Machines(_) => {
                Cell::Text(t.to_zoned(super::period::vietnam()).date().to_string())
            }
        }
    }

    fn severity(self, s: Severity) -> Cell {
        match self {
            Audience::People(l) => Cell::Text(s.label().get(l).to_string()),
            Audience::Machines(_) => Cell::Text(s.as_str().to_string()),
        }
    }

    fn yes_no(self, b: bool) -> Cell {
        Cell::Text(
            match (self, b) {
                (Audience::Machines(_), b) => {
                    if b {
                        "true"
                    } else {
                        "false"
                    }
                }
                (Audience::People(l), true) => tr(l, "Có", "Yes"),
                (Audience::People(l), false) => tr(l, "Không", "No"),
            }
            .to_string(),
        )
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn opt_pct(p: Option<f64>) -> Cell {
    p.map(|p| Cell::Num((p * 10.0).round() / 10.0))
        .unwrap_or(Cell::Empty)
}

fn opt_int(n: Option<u64>) -> Cell {
    n.map(|n| Cell::Int(n as i64)).unwrap_or(Cell::Empty)
}

/// Kind of target as people read it.
pub fn kind_label(kind: &str, lang: Lang) -> String {
    match kind {
        "host" => tr(lang, "Máy tính", "Computer").into(),
        "web" => tr(lang, "Website", "Website").into(),
        "register" => tr(lang, "Sổ đăng ký", "Register").into(),
        other => other.into(),
    }
}

pub const DEBT_COLUMNS: &[Column] = &[
    col("no", "STT", "No."),
    col("unit_code", "Mã đơn vị", "Unit code"),
    col("unit_name", "Tên đơn vị", "Unit name"),
    col("commune", "Xã/phường", "Commune"),
    col("target_kind", "Loại đối tượng", "Target kind"),
    col("target_id", "Đối tượng", "Target"),
    col("rule", "Mã quy tắc", "Rule"),
    col("requirement", "Yêu cầu", "Requirement"),
    col("severity", "Mức độ", "Severity"),
    col("title", "Vấn đề cần khắc phục", "Problem to fix"),
    col("open_since", "Phát hiện từ", "Open since"),
    col("age_days", "Tuổi (ngày)", "Age (days)"),
    col("due", "Hạn khắc phục", "Due"),
    col("overdue", "Quá hạn", "Overdue"),
    col("reopened", "Tái phát", "Reopened"),
    col("last_scan", "Lần quét gần nhất", "Last scan"),
    col("waiver", "Miễn trừ", "Waiver"),
    // The "06 rõ" of the plans: filled in by the school.
    col("assignee", "Rõ người: người thực hiện", "Who: assignee"),
    col("action", "Rõ việc: việc cần làm", "What: action"),
    col(
        "proposed_deadline",
        "Hạn đề xuất (theo thời hạn khắc phục)",
        "Proposed deadline (from the time allowed to fix)",
    ),
    col(
        "deadline",
        "Rõ thời gian: ngày đơn vị cam kết hoàn thành",
        "By when: the date the unit commits to",
    ),
    col(
        "accountable",
        "Rõ trách nhiệm: người chịu trách nhiệm",
        "Responsibility: accountable",
    ),
    col(
        "deliverable",
        "Rõ sản phẩm: kết quả cần nộp",
        "Deliverable: evidence to hand in",
    ),
    col(
        "authority",
        "Rõ thẩm quyền: người phê duyệt, nghiệm thu",
        "Authority: approver",
    ),
];

/// Columns of the "06 rõ" plan the school fills in (highlighted in the workbook).
pub const FILL_KEYS: &[&str] = &["assignee", "deadline", "authority"];

/// A finding as a problem to fix: the rule's failing-state title ("Tài khoản Guest
/// đang bật") when the results carry one, else its title.
pub fn problem_text(t: &crate::history::RuleText, lang: Lang) -> String {
    let (vi, en) = if t.problem_vi.is_empty() && t.problem_en.is_empty() {
        (&t.title_vi, &t.title_en)
    } else {
        (&t.problem_vi, &t.problem_en)
    };
    match lang {
        Lang::Vi if !vi.is_empty() => vi.clone(),
        Lang::En if !en.is_empty() => en.clone(),
        _ => vi.clone(),
    }
}

/// The deadline the plan proposes: the due date, or for overdue items the time allowed
/// for the severity counted from the evaluation date (a plan never starts overdue).
pub fn proposed_deadline(report: &ComplianceReport, d: &DebtItem) -> Timestamp {
    if !d.overdue {
        return d.due;
    }
    let days = report.due_days.get(&d.severity).copied().unwrap_or(30);
    report
        .evaluated_at
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .unwrap_or(d.due)
}

/// Open debt or waived findings, one row each, with the remediation plan's columns.
pub fn debt_table<'a>(
    report: &'a ComplianceReport,
    items: &'a [DebtItem],
    audience: Audience,
) -> Table<'a> {
    let lang = audience.lang();
    let rows = items.iter().enumerate().map(move |(i, d)| {
        let texts = report.rule_texts.get(&d.rule);
        let title = texts.map(|t| problem_text(t, lang)).unwrap_or_default();
        let action = texts
            .map(|t| tr_owned(lang, &t.remediation_vi, &t.remediation_en))
            .unwrap_or_default();
        vec![
            Cell::Int(i as i64 + 1),
            text(&d.unit_code),
            text(&d.unit_name),
            text(&d.commune),
            match audience {
                Audience::People(l) => text(kind_label(&d.target_kind, l)),
                Audience::Machines(_) => text(&d.target_kind),
            },
            text(&d.target_id),
            text(&d.rule),
            text(d.requirement.clone().unwrap_or_default()),
            audience.severity(d.severity),
            text(title),
            audience.date(d.open_since),
            Cell::Int(d.age_days),
            audience.date(d.due),
            audience.yes_no(d.overdue),
            audience.yes_no(d.reopened),
            audience.date(d.last_scan),
            text(d.waiver.clone().unwrap_or_default()),
            Cell::Empty,
            text(action),
            audience.date(proposed_deadline(report, d)),
            Cell::Empty,
            text(tr(lang, "Thủ trưởng đơn vị", "Head of the unit")),
            text(tr(
                lang,
                "Kết quả quét lại bằng khien đạt, hoặc văn bản chứng minh kèm theo",
                "A passing re-scan with khien, or the supporting document",
            )),
            Cell::Empty,
        ]
    });
    Table::new(DEBT_COLUMNS, rows)
}

fn tr_owned(lang: Lang, vi: &str, en: &str) -> String {
    match lang {
        Lang::Vi => vi.to_string(),
        Lang::En => en.to_string(),
    }
}

pub const CHANGE_COLUMNS: &[Column] = &[
    col("change", "Thay đổi", "Change"),
    col("at", "Ngày", "Date"),
    col("unit_code", "Mã đơn vị", "Unit code"),
    col("unit_name", "Tên đơn vị", "Unit name"),
    col("target_kind", "Loại đối tượng", "Target kind"),
    col("target_id", "Đối tượng", "Target"),
    col("rule", "Mã quy tắc", "Rule"),
    col("severity", "Mức độ", "Severity"),
];

pub fn change_label(kind: EventKind, lang: Lang) -> &'static str {
    match kind {
        EventKind::Opened => tr(lang, "Mới", "New"),
        EventKind::Fixed => tr(lang, "Đã khắc phục", "Fixed"),
        EventKind::Reopened => tr(lang, "Tái phát", "Reopened"),
        EventKind::NoLongerEvaluated => tr(
            lang,
            "Không còn được đánh giá (không áp dụng)",
            "No longer evaluated (not applicable)",
        ),
    }
}

pub fn changes_table(report: &ComplianceReport, audience: Audience) -> Table<'_> {
    let lang = audience.lang();
    let all = report
        .changes
        .new
        .iter()
        .chain(&report.changes.fixed)
        .chain(&report.changes.reopened)
        .chain(report.changes.no_longer_evaluated.iter().map(|n| &n.event));
    let rows = all.map(move |e: &Event| {
        vec![
            match audience {
                Audience::People(l) => text(change_label(e.kind, l)),
                Audience::Machines(_) => text(e.kind.as_str()),
            },
            audience.date(e.at),
            text(&e.unit_code),
            text(&e.unit_name),
            text(kind_label(&e.target_kind, lang)),
            text(&e.target_id),
            text(&e.rule),
            audience.severity(e.severity),
        ]
    });
    Table::new(CHANGE_COLUMNS, rows)
}

pub const INDICATOR_COLUMNS: &[Column] = &[
    col("indicator", "Chỉ tiêu", "Indicator"),
    col("name", "Tên chỉ tiêu", "Name"),
    col("scope_type", "Phạm vi", "Scope"),
    col("scope", "Mã/tên", "Code/name"),
    col("scope_name", "Tên đơn vị", "Unit name"),
    col("target", "Mục tiêu", "Target"),
    col("measured_pct", "Kết quả (%)", "Measured (%)"),
    col("count", "Số lượng", "Count"),
    col("meets_target", "Đạt mục tiêu", "Meets target"),
    col("pass", "Đạt", "Pass"),
    col("fail", "Không đạt", "Fail"),
    col("unknown", "Không xác định", "Unknown"),
    col(
        "inventory",
        "Số máy theo danh mục",
        "Computers in inventory",
    ),
    col("scanned", "Số máy đã quét", "Computers scanned"),
    col(
        "denominator",
        "Mẫu số (theo sổ đăng ký)",
        "Denominator (register)",
    ),
    col("evaluated", "Đã đánh giá", "Evaluated"),
    col("not_evaluated", "Chưa đánh giá", "Not evaluated"),
    col("coverage_pct", "Độ bao phủ (%)", "Coverage (%)"),
    col("mean_age_days", "Tuổi trung bình (ngày)", "Mean age (days)"),
];

pub fn target_text(target_pct: f64, count: bool) -> String {
    if count {
        "0".into()
    } else {
        format!("{target_pct:.0}%")
    }
}

pub fn indicators_table(report: &ComplianceReport, audience: Audience) -> Table<'_> {
    let lang = audience.lang();
    let mut rows = Vec::new();
    for ind in &report.indicators {
        let scopes = std::iter::once(("province", &ind.province))
            .chain(ind.communes.iter().map(|c| ("commune", c)))
            .chain(ind.units.iter().map(|u| ("unit", u)));
        for (scope_type, v) in scopes {
            rows.push(indicator_row(
                ind.code,
                ind.name.get(lang),
                ind.target_pct,
                scope_type,
                v,
                audience,
            ));
        }
    }
    Table::new(INDICATOR_COLUMNS, rows.into_iter())
}

fn indicator_row(
    code: &str,
    name: &str,
    target_pct: f64,
    scope_type: &str,
    v: &ScopeValue,
    audience: Audience,
) -> Vec<Cell> {
    let lang = audience.lang();
    let scope_label = match (audience, scope_type) {
        (Audience::Machines(_), t) => t.to_string(),
        (Audience::People(l), "province") => tr(l, "Toàn tỉnh", "Province").into(),
        (Audience::People(l), "commune") => tr(l, "Xã/phường", "Commune").into(),
        (Audience::People(l), _) => tr(l, "Đơn vị", "Unit").into(),
    };
    let scope = if scope_type == "commune" && v.scope.is_empty() {
        tr(lang, "(chưa có trong danh mục)", "(not in the inventory)").to_string()
    } else {
        v.scope.clone()
    };
    vec![
        text(code),
        text(name),
        text(scope_label),
        text(scope),
        text(if scope_type == "unit" {
            v.name.clone()
        } else {
            String::new()
        }),
        text(target_text(target_pct, v.count.is_some())),
        opt_pct(v.pct),
        opt_int(v.count),
        match (v.meets_target, audience) {
            (Some(m), _) => audience.yes_no(m),
            (None, Audience::People(l)) if v.no_data => text(tr(l, "Không có số liệu", "No data")),
            (None, Audience::People(l)) => text(tr(l, "Chưa kết luận", "Undecided")),
            (None, Audience::Machines(_)) if v.no_data => text("no_data"),
            (None, Audience::Machines(_)) => Cell::Empty,
        },
        Cell::Int(v.counts.pass as i64),
        Cell::Int(v.counts.fail as i64),
        Cell::Int(v.counts.unknown as i64),
        opt_int(v.inventory),
        opt_int(v.scanned),
        opt_int(v.denominator),
        Cell::Int(v.evaluated as i64),
        opt_int(v.not_evaluated),
        opt_pct(v.coverage_pct),
        opt_pct(v.mean_age_days),
    ]
}

pub const UNIT_COLUMNS: &[Column] = &[
    col("unit_code", "Mã đơn vị", "Unit code"),
    col("unit_name", "Tên đơn vị", "Unit name"),
    col("commune", "Xã/phường", "Commune"),
    col(
        "computers",
        "Số máy theo danh mục",
        "Computers in inventory",
    ),
    col("hosts_scanned", "Số máy đã quét", "Computers scanned"),
    col("websites", "Website", "Websites"),
    col("register_records", "Bản ghi sổ đăng ký", "Register records"),
    col("pass", "Đạt", "Pass"),
    col("fail", "Không đạt", "Fail"),
    col("unknown", "Không xác định", "Unknown"),
    col("open_debt", "Nợ tuân thủ đang mở", "Open debt"),
    col("overdue", "Quá hạn", "Overdue"),
    col("waived", "Được miễn trừ", "Waived"),
    col("last_scan", "Lần quét gần nhất", "Last scan"),
    col(
        "not_reporting",
        "Chưa gửi kết quả trong kỳ",
        "Not reporting",
    ),
    col("stale", "Số liệu cũ", "Stale data"),
];

pub fn units_table(report: &ComplianceReport, audience: Audience) -> Table<'_> {
    let rows = report.units.iter().map(move |u| {
        vec![
            text(&u.code),
            text(&u.name),
            text(&u.commune),
            opt_int(u.computers),
            Cell::Int(u.hosts_scanned as i64),
            Cell::Int(u.websites as i64),
            Cell::Int(u.register_records as i64),
            Cell::Int(u.findings_pass as i64),
            Cell::Int(u.findings_fail as i64),
            Cell::Int(u.findings_unknown as i64),
            Cell::Int(u.open_debt as i64),
            Cell::Int(u.overdue as i64),
            Cell::Int(u.waived as i64),
            u.last_scan.map(|t| audience.date(t)).unwrap_or(Cell::Empty),
            audience.yes_no(u.not_reporting),
            audience.yes_no(u.stale),
        ]
    });
    Table::new(UNIT_COLUMNS, rows)
}

pub const RULE_COLUMNS: &[Column] = &[
    col("rule", "Mã quy tắc", "Rule"),
    col("requirement", "Yêu cầu", "Requirement"),
    col("severity", "Mức độ", "Severity"),
    col("title", "Nội dung", "Title"),
    col("pass", "Đạt", "Pass"),
    col("fail", "Không đạt", "Fail"),
    col("unknown", "Không xác định", "Unknown"),
    col("not_applicable", "Không áp dụng", "Not applicable"),
    col("waived", "Được miễn trừ", "Waived"),
];

pub fn rules_table(report: &ComplianceReport, audience: Audience) -> Table<'_> {
    let lang = audience.lang();
    let rows = report.rules.iter().map(move |r| {
        let title = report
            .rule_texts
            .get(&r.rule)
            .map(|t| tr_owned(lang, &t.title_vi, &t.title_en))
            .unwrap_or_default();
        vec![
            text(&r.rule),
            text(r.requirement.clone().unwrap_or_default()),
            r.severity
                .map(|s| audience.severity(s))
                .unwrap_or(Cell::Empty),
            text(title),
            Cell::Int(r.pass as i64),
            Cell::Int(r.fail as i64),
            Cell::Int(r.unknown as i64),
            Cell::Int(r.not_applicable as i64),
            Cell::Int(r.waived as i64),
        ]
    });
    Table::new(RULE_COLUMNS, rows)
}
