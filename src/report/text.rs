//! The report a person reads in a terminal: failures first, by severity, each with
//! its evidence in words and only this platform's steps; then unknowns, the facts
//! that need administrator rights named on one line; local time (Vietnam) and lines
//! wrapped to the terminal.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde_json::Value;

use crate::facts::{ReasonCode, Unknown};
use crate::findings::{Finding, ResultDocument, Status};
use crate::i18n::{Lang, tr};
use crate::policy::Severity;

/// Items of a list shown before "… and N more".
const LIST_MAX_ITEMS: usize = 12;

/// How the report is laid out.
#[derive(Clone, Debug)]
pub struct TextOptions {
    /// Line width in characters.
    pub width: usize,
    /// `windows`, `linux`...: remediation steps for other platforms are left out.
    pub platform: String,
}

impl Default for TextOptions {
    /// The terminal's width (100 when not a terminal), this machine's platform.
    fn default() -> Self {
        let width = terminal_size::terminal_size()
            .map(|(w, _)| usize::from(w.0))
            .unwrap_or(100)
            .clamp(60, 140);
        TextOptions {
            width,
            platform: std::env::consts::OS.to_string(),
        }
    }
}

fn severity_style(s: Severity) -> Style {
    let color = match s {
        Severity::Critical | Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low | Severity::Info => AnsiColor::Cyan,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

/// A time as people in Vietnam read it: `23/11/2026 12:51:51 (GMT+7)`.
pub fn local_time(t: jiff::Timestamp) -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh")
        .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(7)));
    t.to_zoned(tz)
        .strftime("%d/%m/%Y %H:%M:%S (GMT+7)")
        .to_string()
}

/// Renders a result document with [`TextOptions::default`].
pub fn render(doc: &ResultDocument, lang: Lang) -> String {
    render_with(doc, lang, &TextOptions::default())
}

/// Renders a result document. Styles are ANSI escapes; the caller's stream strips them
/// when colour is off (`NO_COLOR`, not a terminal).
pub fn render_with(doc: &ResultDocument, lang: Lang, opts: &TextOptions) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let _ = writeln!(
        out,
        "{bold}khien — {}{bold:#}",
        tr(
            lang,
            "Kết quả rà soát an toàn thông tin",
            "Information-security scan results"
        )
    );
    if let Some(unit) = &doc.unit {
        let _ = writeln!(
            out,
            "{}: {} {}",
            tr(lang, "Đơn vị", "Unit"),
            unit.code,
            sanitize(&unit.name)
        );
    }
    let _ = writeln!(
        out,
        "{}: {} {} ({})",
        tr(lang, "Bộ quy tắc", "Policy"),
        doc.policy.id,
        doc.policy.version,
        doc.policy.origin
    );
    let _ = writeln!(
        out,
        "{}: {}",
        tr(lang, "Thời điểm đánh giá", "Evaluated at"),
        local_time(doc.evaluated_at)
    );

    let mut needs_admin: BTreeSet<String> = BTreeSet::new();
    for t in &doc.targets {
        let _ = writeln!(
            out,
            "\n{bold}{} {}{bold:#}",
            tr(lang, "Đối tượng:", "Target:"),
            sanitize(&t.target.id)
        );
        if let Some(unit) = t
            .target
            .unit
            .as_ref()
            .filter(|u| Some(*u) != doc.unit.as_ref())
        {
            let _ = writeln!(
                out,
                "{}: {} {}",
                tr(lang, "Đơn vị", "Unit"),
                unit.code,
                sanitize(&unit.name)
            );
        }
        let sorted = |s: Status| {
            let mut v: Vec<&Finding> = t.findings.iter().filter(|f| f.status == s).collect();
            // Most severe first; the policy's order within a severity.
            v.sort_by_key(|f| std::cmp::Reverse(f.severity));
            v
        };

        let failing = sorted(Status::Fail);
        if !failing.is_empty() {
            let _ = writeln!(
                out,
                "\n{bold}■ {} ({}){bold:#}",
                Status::Fail.label().get(lang).to_uppercase(),
                failing.len()
            );
            for f in failing {
                write_failing(&mut out, f, lang, opts);
            }
        }
        let unknown = sorted(Status::Unknown);
        if !unknown.is_empty() {
            let _ = writeln!(
                out,
                "\n{bold}■ {} ({}){bold:#}",
                Status::Unknown.label().get(lang).to_uppercase(),
                unknown.len()
            );
            for f in unknown {
                write_unknown(&mut out, f, lang, opts, &mut needs_admin);
            }
        }
        let waived = sorted(Status::Waived);
        if !waived.is_empty() {
            let _ = writeln!(
                out,
                "\n{bold}■ {} ({}){bold:#}",
                Status::Waived.label().get(lang).to_uppercase(),
                waived.len()
            );
            for f in waived {
                write_waived(&mut out, f, lang);
            }
        }
        let passing: Vec<&str> = sorted(Status::Pass)
            .iter()
            .map(|f| f.rule.as_str())
            .collect();
        if !passing.is_empty() {
            let line = format!(
                "■ {} ({}): {}",
                Status::Pass.label().get(lang),
                passing.len(),
                passing.join(", ")
            );
            let _ = writeln!(out, "\n{}", wrap(&line, "", "  ", opts.width));
        }
        write_not_applicable(&mut out, &sorted(Status::NotApplicable), lang, opts);
    }

    let s = &doc.summary;
    let count = |st: Status| s.by_status.get(&st).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "\n{bold}{}{bold:#}: {} {}, {} {}, {} {}, {} {}, {} {}",
        tr(lang, "Tổng kết", "Summary"),
        count(Status::Fail),
        Status::Fail.label().get(lang).to_lowercase(),
        count(Status::Waived),
        Status::Waived.label().get(lang).to_lowercase(),
        count(Status::Unknown),
        Status::Unknown.label().get(lang).to_lowercase(),
        count(Status::Pass),
        Status::Pass.label().get(lang).to_lowercase(),
        count(Status::NotApplicable),
        Status::NotApplicable.label().get(lang).to_lowercase(),
    );
    if !needs_admin.is_empty() {
        let line = format!(
            "{} {}.",
            tr(
                lang,
                "Chạy lại với quyền quản trị (Windows: nhấp chuột phải → Run as administrator; Linux: sudo) để đọc:",
                "Run again as administrator (Windows: right-click → Run as administrator; Linux: sudo) to read:"
            ),
            needs_admin.into_iter().collect::<Vec<_>>().join(", ")
        );
        let _ = writeln!(out, "{}", wrap(&line, "", "  ", opts.width));
    }
    out
}

/// What a plain `khien scan host` ends with: how to make the result file for the
/// Department, and a warning when no unit is set (its results would count for none).
pub fn scan_host_footer(unit: Option<&crate::facts::UnitRef>, lang: Lang) -> String {
    let mut out = String::new();
    let file = match unit {
        Some(u) => format!("ket-qua-{}.json", u.code),
        None => "ket-qua.json".to_string(),
    };
    if unit.is_none() {
        let _ = writeln!(
            out,
            "\n{}",
            tr(
                lang,
                "Chú ý: chưa khai báo đơn vị (không tìm thấy khien.toml), kết quả chỉ mang tên máy và Sở không tính được cho trường. Tạo tệp cấu hình bằng: khien init --unit-code MÃ-ĐƠN-VỊ (mã theo sổ đăng ký của Sở).",
                "Note: no unit is set (no khien.toml found): the result carries only the machine's name and the Department cannot count it for your school. Create the configuration with: khien init --unit-code UNIT-CODE (the code in the Department's register).",
            )
        );
    }
    let _ = writeln!(
        out,
        "\n{} khien scan host --format json --output {file}",
        tr(
            lang,
            "Kết quả trên chỉ hiện trên màn hình. Để tạo tệp kết quả gửi Sở, chạy:",
            "The results above are on the screen only. To make the result file for the Department, run:",
        )
    );
    out
}

/// Wraps `text` to `width`, the first line after `first`, the others after `rest`.
fn wrap(text: &str, first: &str, rest: &str, width: usize) -> String {
    let o = textwrap::Options::new(width.max(40))
        .initial_indent(first)
        .subsequent_indent(rest)
        // Only at spaces: paths, versions and rule codes (HOST-LEG-003) stay whole.
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    textwrap::fill(text, o)
}

/// Whether a remediation line is for one platform: its lead-in ("Trên Windows:",
/// "Linux (Samba):", "On Debian/Ubuntu:") names it.
fn line_platform(line: &str) -> Option<&'static str> {
    let lead = line.split([':', '→']).next().unwrap_or("");
    if lead.chars().count() > 48 {
        return None;
    }
    let lead = lead.to_lowercase();
    if [
        "windows",
        "gpedit",
        "secpol",
        ".msc",
        "control panel",
        "settings",
    ]
    .iter()
    .any(|k| lead.contains(k))
    {
        Some("windows")
    } else if ["linux", "debian", "ubuntu", "samba", "nfs"]
        .iter()
        .any(|k| lead.contains(k))
    {
        Some("linux")
    } else {
        None
    }
}

/// The remediation lines for `platform`, and the lines for no platform in particular;
/// all of them when none is for this platform (the steps are then all that exists).
pub fn steps_for<'a>(remediation: &'a str, platform: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = remediation.lines().collect();
    let mine: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| line_platform(l).is_none_or(|p| p == platform))
        .collect();
    let has_own = lines.iter().any(|l| line_platform(l) == Some(platform));
    if has_own || lines.iter().all(|l| line_platform(l).is_none()) {
        mine
    } else {
        lines
    }
}

fn write_failing(out: &mut String, f: &Finding, lang: Lang, opts: &TextOptions) {
    let style = severity_style(f.severity);
    let _ = writeln!(
        out,
        "  {style}[{}]{style:#} {} {}",
        f.severity.label().get(lang),
        f.rule,
        f.title.get(lang)
    );
    for e in &f.evidence {
        let label = fact_label(&e.fact, lang);
        for (i, line) in value_lines(&e.value, lang).into_iter().enumerate() {
            let text = if i == 0 {
                format!("{label}: {line}")
            } else {
                format!("  {line}")
            };
            let _ = writeln!(
                out,
                "{}",
                wrap(&sanitize(&text), "      ", "          ", opts.width)
            );
        }
    }
    let _ = writeln!(out, "      {}:", tr(lang, "Khắc phục", "Remediation"));
    for line in steps_for(f.remediation.get(lang), &opts.platform) {
        let _ = writeln!(out, "{}", wrap(line, "        ", "          ", opts.width));
    }
    if let Some(b) = f.basis.first() {
        let _ = writeln!(
            out,
            "{}",
            wrap(
                &format!("{}: {b}", tr(lang, "Căn cứ", "Basis")),
                "      ",
                "        ",
                opts.width
            )
        );
    }
}

/// One line per unknown finding: the reasons other than missing rights, in the
/// reader's language; facts that need rights are collected for one closing line.
fn write_unknown(
    out: &mut String,
    f: &Finding,
    lang: Lang,
    opts: &TextOptions,
    needs_admin: &mut BTreeSet<String>,
) {
    let _ = writeln!(
        out,
        "  [{}] {} {}",
        f.severity.label().get(lang),
        f.rule,
        f.title.get(lang)
    );
    let mut reasons: Vec<String> = Vec::new();
    for u in &f.unknown_facts {
        let what = fact_label_named(&u.fact, &f.evidence, lang);
        if u.why.reason == ReasonCode::NeedsAdmin {
            needs_admin.insert(fact_label(&generic_path(&u.fact), lang));
            continue;
        }
        let line = format!("{what}: {}", reason_text(&u.why, lang));
        if !reasons.contains(&line) {
            reasons.push(line);
        }
    }
    if f.unknown_facts
        .iter()
        .any(|u| u.why.reason == ReasonCode::NeedsAdmin)
        && reasons.is_empty()
    {
        reasons.push(
            tr(
                lang,
                "cần quyền quản trị (xem dòng cuối)",
                "needs administrator rights (see the last line)",
            )
            .to_string(),
        );
    }
    for r in reasons.iter().take(LIST_MAX_ITEMS) {
        let _ = writeln!(
            out,
            "{}",
            wrap(&sanitize(r), "      ", "        ", opts.width)
        );
    }
    if reasons.len() > LIST_MAX_ITEMS {
        let _ = writeln!(out, "      {}", more(reasons.len() - LIST_MAX_ITEMS, lang));
    }
    if let Some(e) = &f.error {
        let _ = writeln!(
            out,
            "{}",
            wrap(
                &sanitize(&format!(
                    "{}: {e}",
                    tr(lang, "Lỗi đánh giá", "Evaluation error")
                )),
                "      ",
                "        ",
                opts.width
            )
        );
    }
}

fn more(n: usize, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("… và {n} mục nữa"),
        Lang::En => format!("… and {n} more"),
    }
}

/// The reason for a person: the reason code in the reader's language, then the
/// detail with the operating system's error words translated.
pub fn reason_text(u: &Unknown, lang: Lang) -> String {
    let base = u.reason.describe().get(lang).to_string();
    if u.detail.is_empty() {
        return base;
    }
    let mut detail = u.detail.clone();
    if lang == Lang::Vi {
        for (en, vi) in [
            ("Permission denied (os error 13)", "không có quyền đọc"),
            ("Access is denied. (os error 5)", "không có quyền đọc"),
            ("No such file or directory (os error 2)", "không tồn tại"),
            (
                "The system cannot find the file specified. (os error 2)",
                "không tồn tại",
            ),
            ("permission denied", "không có quyền đọc"),
        ] {
            detail = detail.replace(en, vi);
        }
    }
    format!("{base} ({detail})")
}

/// `host.accounts.users[3].password_set` → `host.accounts.users[].password_set`.
fn generic_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[]");
            }
            ']' => in_index = false,
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

/// A fact's label with list indices replaced by the item's name where the evidence
/// holds the list: `users[2].password_set` → `mật khẩu (tài khoản "thuy")`.
fn fact_label_named(path: &str, evidence: &[crate::findings::Evidence], lang: Lang) -> String {
    if let Some((list, rest)) = path.split_once('[')
        && let Some((index, field)) = rest.split_once(']')
        && let Ok(i) = index.parse::<usize>()
        && let Some(item) = evidence
            .iter()
            .find(|e| e.fact == list)
            .and_then(|e| e.value.get(i))
        && let Some(name) = item_name(item)
    {
        let field = field.trim_start_matches('.');
        let what = if field.is_empty() {
            fact_label(list, lang)
        } else {
            fact_label(field, lang)
        };
        return format!("{what} ({name})");
    }
    fact_label(&generic_path(path), lang)
}

fn item_name(item: &Value) -> Option<String> {
    ["name", "mount_point", "path", "tool", "file"]
        .iter()
        .find_map(|k| item.get(*k).and_then(Value::as_str))
        .map(|s| format!("\"{s}\""))
}

/// Words for a fact path: the label of its last field (`host.password_policy` →
/// "chính sách mật khẩu").
pub fn fact_label(path: &str, lang: Lang) -> String {
    let last = path
        .rsplit('.')
        .next()
        .unwrap_or(path)
        .trim_end_matches("[]");
    field_label(last, lang)
}

/// Words for a field name; unlisted names with their underscores as spaces.
fn field_label(key: &str, lang: Lang) -> String {
    const LABELS: &[(&str, &str, &str)] = &[
        (
            "products",
            "phần mềm phòng chống mã độc",
            "anti-malware products",
        ),
        ("active", "đang hoạt động", "active"),
        ("realtime", "bảo vệ thời gian thực", "real-time protection"),
        (
            "signatures_updated_at",
            "mẫu nhận diện cập nhật lúc",
            "signatures updated at",
        ),
        (
            "signatures_up_to_date",
            "mẫu nhận diện mới nhất",
            "signatures up to date",
        ),
        (
            "signatures_built_at",
            "mẫu nhận diện tạo lúc",
            "signatures built at",
        ),
        ("expired", "hết hạn bản quyền", "licence expired"),
        ("source", "nguồn", "source"),
        ("installed", "đã cài", "installed"),
        (
            "daemon_running",
            "dịch vụ quét đang chạy",
            "scanning daemon running",
        ),
        ("databases", "cơ sở dữ liệu mẫu", "signature databases"),
        ("password_policy", "chính sách mật khẩu", "password policy"),
        (
            "min_length",
            "độ dài mật khẩu tối thiểu",
            "minimum password length",
        ),
        (
            "lockout_threshold",
            "số lần nhập sai trước khi khóa (0 = không khóa)",
            "failed logons before lockout (0 = never)",
        ),
        ("max_age_days", "số ngày tối đa", "maximum age in days"),
        ("updates", "cập nhật", "updates"),
        (
            "last_installed_at",
            "lần cài cập nhật gần nhất",
            "last update installed",
        ),
        ("reboot_pending", "chờ khởi động lại", "restart pending"),
        (
            "security_updates_pending",
            "còn bản vá bảo mật chưa cài",
            "security updates pending",
        ),
        (
            "pending_security_packages",
            "gói chờ bản vá bảo mật",
            "packages with a security update waiting",
        ),
        (
            "lists_published_at",
            "danh sách gói phát hành lúc",
            "package lists published at",
        ),
        (
            "security_release_due",
            "đợt vá hằng tháng cần có",
            "monthly security release due",
        ),
        ("available", "bản mới", "available"),
        ("profiles", "cấu hình tường lửa", "firewall profiles"),
        ("enabled", "bật", "enabled"),
        ("blocks_inbound", "chặn kết nối vào", "blocks inbound"),
        ("users", "tài khoản", "accounts"),
        ("administrators", "quản trị viên", "administrators"),
        ("administrator", "quản trị", "administrator"),
        ("guest_enabled", "tài khoản Guest bật", "Guest enabled"),
        ("password_set", "có mật khẩu", "password set"),
        ("never_used", "chưa từng đăng nhập", "never used"),
        ("last_used_at", "đăng nhập gần nhất", "last logon"),
        ("interactive", "tài khoản người dùng", "personal account"),
        ("encryption", "mã hóa ổ đĩa", "disk encryption"),
        ("volumes", "ổ đĩa", "volumes"),
        ("encrypted", "đã mã hóa", "encrypted"),
        ("method", "cách mã hóa", "method"),
        ("hint", "ghi chú", "note"),
        ("time_sync", "đồng bộ thời gian", "time synchronisation"),
        ("synchronized", "đã đồng bộ", "synchronised"),
        ("services", "dịch vụ", "services"),
        (
            "last_time_sync_at",
            "đồng bộ thành công gần nhất",
            "last successful sync",
        ),
        ("logging", "nhật ký hệ thống", "system logs"),
        (
            "persistent",
            "giữ lại sau khởi động lại",
            "kept across restarts",
        ),
        (
            "security_log_max_bytes",
            "dung lượng tối đa nhật ký Security (byte)",
            "Security log maximum size (bytes)",
        ),
        (
            "security_log_when_full",
            "nhật ký Security khi đầy",
            "Security log when full",
        ),
        ("logon_auditing", "ghi nhật ký đăng nhập", "logon auditing"),
        ("logon_success", "đăng nhập thành công", "successful logons"),
        ("logon_failure", "đăng nhập thất bại", "failed logons"),
        ("logoff_success", "đăng xuất", "logoffs"),
        ("backups", "bản sao lưu đã khai báo", "declared backups"),
        (
            "discovered_backups",
            "sao lưu tìm thấy trên máy",
            "backups found on the machine",
        ),
        ("file_count", "số tệp", "files"),
        (
            "total_bytes",
            "tổng dung lượng (byte)",
            "total size (bytes)",
        ),
        ("newest_modified_at", "bản mới nhất lúc", "newest at"),
        ("newest_file", "tệp mới nhất", "newest file"),
        (
            "same_disk_as_data",
            "cùng ổ đĩa với dữ liệu",
            "on the data's disk",
        ),
        ("processes", "tiến trình đang chạy", "running processes"),
        ("container", "chạy trong container", "inside a container"),
        (
            "elevated",
            "chạy với quyền quản trị",
            "run as administrator",
        ),
        (
            "permit_root_login",
            "cho root đăng nhập SSH",
            "SSH root login",
        ),
        (
            "password_authentication",
            "đăng nhập SSH bằng mật khẩu",
            "SSH password logon",
        ),
        ("nla_required", "yêu cầu NLA", "NLA required"),
        ("smb1_enabled", "SMBv1 bật", "SMBv1 enabled"),
        ("autorun_disabled", "AutoRun tắt", "AutoRun disabled"),
        (
            "timeout_seconds",
            "thời gian chờ khóa màn hình (giây)",
            "screen lock timeout (s)",
        ),
        (
            "password_required",
            "yêu cầu mật khẩu khi mở khóa",
            "password to unlock",
        ),
        ("desktop", "có giao diện đồ họa", "graphical desktop"),
        (
            "support_ends_at",
            "hết hỗ trợ bảo mật",
            "security support ends",
        ),
        ("product", "sản phẩm", "product"),
        ("folders", "thư mục đã quét", "scanned folders"),
        ("shares", "thư mục chia sẻ", "shares"),
        ("distinct_ids", "số CCCD", "ID numbers"),
        ("open_to_everyone", "ai cũng đọc được", "open to everyone"),
        (
            "readable_by_all_users",
            "mọi tài khoản đọc được",
            "readable by all accounts",
        ),
        ("complete", "quét hết", "complete"),
        ("tool", "công cụ", "tool"),
        ("location", "vị trí", "location"),
        ("last_changed_at", "thay đổi gần nhất", "last changed"),
    ];
    match LABELS.iter().find(|(k, _, _)| *k == key) {
        Some((_, vi, en)) => match lang {
            Lang::Vi => vi.to_string(),
            Lang::En => en.to_string(),
        },
        None => key.replace('_', " "),
    }
}

/// A value in words: scalars on the first line; each list of objects (accounts,
/// volumes, packages) as a count and one line per item.
fn value_lines(v: &Value, lang: Lang) -> Vec<String> {
    let list_lines = |items: &[Value], lines: &mut Vec<String>| {
        for item in items.iter().take(LIST_MAX_ITEMS) {
            lines.push(format!("• {}", object_words(item, lang)));
        }
        if items.len() > LIST_MAX_ITEMS {
            lines.push(more(items.len() - LIST_MAX_ITEMS, lang));
        }
    };
    match v {
        Value::Array(items) if items.iter().any(Value::is_object) => {
            let mut lines = vec![items.len().to_string()];
            list_lines(items, &mut lines);
            lines
        }
        Value::Object(obj) if as_unknown(v).is_none() => {
            let mut first = Vec::new();
            let mut rest = Vec::new();
            for (k, val) in obj {
                match val {
                    Value::Array(items) if items.iter().any(Value::is_object) => {
                        rest.push(format!("{} ({}):", field_label(k, lang), items.len()));
                        list_lines(items, &mut rest);
                    }
                    _ if is_noise(val) => {}
                    _ => first.push(format!("{}: {}", field_label(k, lang), scalar(val, lang))),
                }
            }
            let mut lines = vec![first.join("; ")];
            lines.extend(rest);
            lines
        }
        _ => vec![scalar(v, lang)],
    }
}

/// A fact this platform does not have (`unsupported`): left out of the evidence.
fn is_noise(v: &Value) -> bool {
    as_unknown(v).is_some_and(|u| u.reason == ReasonCode::Unsupported)
}

fn as_unknown(v: &Value) -> Option<Unknown> {
    serde_json::from_value::<crate::facts::UnknownMarker>(v.clone())
        .ok()
        .map(|m| m.unknown)
}

/// `name: field: value; field: value` for one object (nested objects flattened).
fn object_words(v: &Value, lang: Lang) -> String {
    let Some(obj) = v.as_object() else {
        return scalar(v, lang);
    };
    if let Some(u) = as_unknown(v) {
        return format!(
            "{} — {}",
            tr(lang, "không đọc được", "not read"),
            reason_text(&u, lang)
        );
    }
    let name_key = ["name", "mount_point", "tool", "path", "file"]
        .into_iter()
        .find(|k| obj.get(*k).is_some_and(Value::is_string));
    let mut parts: Vec<String> = Vec::new();
    for (k, val) in obj {
        if Some(k.as_str()) == name_key
            || k == "id"
            || is_noise(val)
            || val.as_str().is_some_and(str::is_empty)
        {
            continue;
        }
        let text = match val {
            Value::Object(_) if as_unknown(val).is_none() => {
                format!("({})", object_words(val, lang))
            }
            Value::Array(items) if items.iter().any(Value::is_object) => {
                format!("{} {}", items.len(), tr(lang, "mục", "items"))
            }
            _ => scalar(val, lang),
        };
        parts.push(format!("{}: {text}", field_label(k, lang)));
    }
    match name_key.and_then(|k| obj.get(k)).and_then(Value::as_str) {
        Some(n) => format!("{} — {}", sanitize(n), parts.join("; ")),
        None => parts.join("; "),
    }
}

fn scalar(v: &Value, lang: Lang) -> String {
    match v {
        Value::Null => tr(lang, "không có", "none").into(),
        Value::Bool(true) => tr(lang, "có", "yes").into(),
        Value::Bool(false) => tr(lang, "không", "no").into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match s.parse::<jiff::Timestamp>() {
            Ok(t) if s.len() >= 20 => local_time(t),
            _ => s.clone(),
        },
        Value::Array(items) if items.is_empty() => tr(lang, "không có", "none").into(),
        Value::Array(items) => {
            let mut shown: Vec<String> = items
                .iter()
                .take(LIST_MAX_ITEMS)
                .map(|i| scalar(i, lang))
                .collect();
            if items.len() > LIST_MAX_ITEMS {
                shown.push(more(items.len() - LIST_MAX_ITEMS, lang));
            }
            shown.join(", ")
        }
        Value::Object(_) => match as_unknown(v) {
            Some(u) => format!(
                "{} — {}",
                tr(lang, "không đọc được", "not read"),
                reason_text(&u, lang)
            ),
            None => object_words(v, lang),
        },
    }
}

/// Rules that do not apply, grouped by their reason ("the machine is a container:
/// HOST-AV-001, HOST-TIME-001"), so a reader sees why each one was left out.
fn write_not_applicable(out: &mut String, findings: &[&Finding], lang: Lang, opts: &TextOptions) {
    if findings.is_empty() {
        return;
    }
    let bold = Style::new().bold();
    let _ = writeln!(
        out,
        "\n{bold}■ {} ({}){bold:#}",
        Status::NotApplicable.label().get(lang),
        findings.len()
    );
    // Reasons in the order first met; results written before reasons existed have none.
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for f in findings {
        let reason = f
            .not_applicable
            .as_ref()
            .map(|r| r.get(lang).to_string())
            .unwrap_or_else(|| tr(lang, "không nêu lý do", "no reason given").to_string());
        match groups.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, codes)) => codes.push(&f.rule),
            None => groups.push((reason, vec![&f.rule])),
        }
    }
    for (reason, codes) in groups {
        let line = format!("{}: {}", codes.join(", "), sanitize(&reason));
        let _ = writeln!(out, "{}", wrap(&line, "  ", "      ", opts.width));
    }
}

/// A waived finding stays in the report, with who accepted it, why and until when.
fn write_waived(out: &mut String, f: &Finding, lang: Lang) {
    let _ = writeln!(
        out,
        "  [{}] {} {}",
        f.severity.label().get(lang),
        f.rule,
        f.title.get(lang)
    );
    if let Some(w) = &f.waiver {
        let _ = writeln!(
            out,
            "      {} {}: {} — {} {} ({} {}, {} {})",
            tr(lang, "Miễn trừ", "Waiver"),
            sanitize(&w.id),
            sanitize(&w.justification),
            tr(lang, "phê duyệt:", "approved by"),
            sanitize(&w.approved_by),
            tr(lang, "ngày", "on"),
            w.approved_on,
            tr(lang, "hết hạn", "expires"),
            w.expires
        );
    }
}

/// Facts come from the scanned machine: control characters could move the cursor or
/// recolour a terminal, so they are shown escaped.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '�' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_neutralised() {
        assert_eq!(sanitize("a\u{1b}[31mb"), "a�[31mb");
    }

    #[test]
    fn only_this_platforms_steps() {
        let r = "Bật cập nhật tự động.\nTrên Windows: Settings → Windows Update.\nTrên Debian/Ubuntu: sudo apt upgrade.";
        assert_eq!(
            steps_for(r, "linux"),
            [
                "Bật cập nhật tự động.",
                "Trên Debian/Ubuntu: sudo apt upgrade."
            ]
        );
        assert_eq!(steps_for(r, "windows").len(), 2);
        // No step for this platform: every step is shown rather than none.
        assert_eq!(steps_for("Windows: gpedit.msc → ...", "linux").len(), 1);
    }

    #[test]
    fn unknown_accounts_are_named_and_os_errors_translated() {
        let ev = vec![crate::findings::Evidence {
            fact: "host.accounts.users".into(),
            value: serde_json::json!([{"name": "admin"}, {"name": "thuy"}]),
        }];
        assert_eq!(
            fact_label_named("host.accounts.users[1].password_set", &ev, Lang::Vi),
            "có mật khẩu (\"thuy\")"
        );
        assert_eq!(
            fact_label_named("host.disks[0].free", &ev, Lang::En),
            "free"
        );
        let u = Unknown::new(
            ReasonCode::NeedsAdmin,
            "/etc/shadow: Permission denied (os error 13)",
        );
        assert_eq!(
            reason_text(&u, Lang::Vi),
            "cần quyền quản trị (Administrator/root) (/etc/shadow: không có quyền đọc)"
        );
    }

    #[test]
    fn times_are_local_without_nanoseconds() {
        let t: jiff::Timestamp = "2026-11-23T05:51:51.759666571Z".parse().unwrap();
        assert_eq!(local_time(t), "23/11/2026 12:51:51 (GMT+7)");
    }
}
