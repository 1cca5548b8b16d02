//! The report a person reads in a terminal: failures first, grouped by severity,
//! each with its evidence and what to do; then unknowns with their reasons.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::facts::ReasonCode;
use crate::findings::{Finding, ResultDocument, Status};
use crate::i18n::{Lang, tr};
use crate::policy::Severity;

const EVIDENCE_MAX_CHARS: usize = 400;

fn severity_style(s: Severity) -> Style {
    let color = match s {
        Severity::Critical | Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low | Severity::Info => AnsiColor::Cyan,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

/// Renders a result document. Styles are ANSI escapes; the caller's stream strips them
/// when colour is off (`NO_COLOR`, not a terminal).
pub fn render(doc: &ResultDocument, lang: Lang) -> String {
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
            unit.name
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
        doc.evaluated_at
    );

    let mut needs_admin = false;
    for t in &doc.targets {
        let _ = writeln!(
            out,
            "\n{bold}{} {}{bold:#}",
            tr(lang, "Đối tượng:", "Target:"),
            t.target.id
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
        let of = |s: Status| t.findings.iter().filter(move |f| f.status == s);

        let failing: Vec<&Finding> = of(Status::Fail).collect();
        if !failing.is_empty() {
            let _ = writeln!(
                out,
                "\n{bold}■ {} ({}){bold:#}",
                Status::Fail.label().get(lang).to_uppercase(),
                failing.len()
            );
            for sev in Severity::ALL_DESCENDING {
                for f in failing.iter().filter(|f| f.severity == sev) {
                    write_failing(&mut out, f, lang);
                }
            }
        }
        let unknown: Vec<&Finding> = of(Status::Unknown).collect();
        if !unknown.is_empty() {
            let _ = writeln!(
                out,
                "\n{bold}■ {} ({}){bold:#}",
                Status::Unknown.label().get(lang).to_uppercase(),
                unknown.len()
            );
            for f in unknown {
                let _ = writeln!(
                    out,
                    "  [{}] {} {}",
                    f.severity.label().get(lang),
                    f.rule,
                    f.title.get(lang)
                );
                for u in &f.unknown_facts {
                    needs_admin |= u.why.reason == ReasonCode::NeedsAdmin;
                    let _ = writeln!(
                        out,
                        "      {}: {} — {}",
                        tr(lang, "Không đọc được", "Could not read"),
                        u.fact,
                        u.why.text(lang)
                    );
                }
                if let Some(e) = &f.error {
                    let _ = writeln!(
                        out,
                        "      {}: {e}",
                        tr(lang, "Lỗi đánh giá", "Evaluation error")
                    );
                }
            }
        }
        let waived: Vec<&Finding> = of(Status::Waived).collect();
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
        for status in [Status::Pass, Status::NotApplicable] {
            let list: Vec<&str> = of(status).map(|f| f.rule.as_str()).collect();
            if !list.is_empty() {
                let _ = writeln!(
                    out,
                    "\n■ {} ({}): {}",
                    status.label().get(lang),
                    list.len(),
                    list.join(", ")
                );
            }
        }
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
    if needs_admin {
        let _ = writeln!(
            out,
            "{}",
            tr(
                lang,
                "Một số thông tin cần quyền quản trị: hãy chạy lại khien với quyền Administrator (Windows: nhấp chuột phải → Run as administrator; Linux: sudo).",
                "Some facts need administrator rights: run khien again as Administrator (Windows: right-click → Run as administrator; Linux: sudo)."
            )
        );
    }
    out
}

fn write_failing(out: &mut String, f: &Finding, lang: Lang) {
    let style = severity_style(f.severity);
    let _ = writeln!(
        out,
        "  {style}[{}]{style:#} {} {}",
        f.severity.label().get(lang),
        f.rule,
        f.title.get(lang)
    );
    for e in &f.evidence {
        let mut v = serde_json::to_string(&e.value).unwrap_or_default();
        if v.chars().count() > EVIDENCE_MAX_CHARS {
            v = v.chars().take(EVIDENCE_MAX_CHARS).collect::<String>() + "…";
        }
        let _ = writeln!(out, "      {} = {}", e.fact, sanitize(&v));
    }
    let _ = writeln!(out, "      {}:", tr(lang, "Khắc phục", "Remediation"));
    for line in f.remediation.get(lang).lines() {
        let _ = writeln!(out, "        {line}");
    }
    if let Some(b) = f.basis.first() {
        let _ = writeln!(out, "      {}: {b}", tr(lang, "Căn cứ", "Basis"));
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
}
