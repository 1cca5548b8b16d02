//! Snapshots of what people and tools read, so a change of wording or layout is a
//! visible diff: the diagnostics of a policy with several errors (for people in both
//! languages, and as JSON), the CSV report, and fragments of the HTML report (the
//! first-screen cards and the table of the worst units). Inputs have fixed dates and paths
//! relative to a temporary folder, so nothing depends on today or on the machine.

use crate::support::khien;

/// A policy file with four errors of different kinds: an unknown key, a condition
/// naming a fact that does not exist, a rule that may not apply without saying why,
/// and a duplicate code.
const BAD_POLICY: &str = r#"[policy]
id = "thu"
version = "1"
title.vi = "Thử"
title.en = "Test"
colour = "red"

[[rule]]
code = "HOST-T-001"
target = "host"
severity = "high"
title.vi = "Tiêu đề"
title.en = "Title"
problem.vi = "Vấn đề"
problem.en = "Problem"
rationale.vi = "Lý do"
rationale.en = "Why"
remediation.vi = "Sửa"
remediation.en = "Fix"
basis = [{ plan = "KH-CĐS-2026-2030", section = "III.4.a" }]
applies_when = "host.remote_access.ssh.installed"
check = "host.antivirus.clamav.daemon_runing"

[[rule]]
code = "HOST-T-001"
target = "host"
severity = "low"
title.vi = "Tiêu đề"
title.en = "Title"
problem.vi = "Vấn đề"
problem.en = "Problem"
rationale.vi = "Lý do"
rationale.en = "Why"
remediation.vi = "Sửa"
remediation.en = "Fix"
basis = [{ plan = "KH-CĐS-2026-2030", section = "III.4.a" }]
check = "true"
"#;

#[test]
fn diagnostics_of_a_policy_with_several_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chinh-sach.toml"), BAD_POLICY).unwrap();
    let run = |extra: &[&str]| {
        let out = khien()
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .args(extra)
            .args(["rules", "check", "chinh-sach.toml"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stderr).unwrap()
    };
    let vi = run(&[]);
    for code in ["K103", "K204", "K301", "K303"] {
        assert!(vi.contains(&format!("error[{code}]")), "{code}: {vi}");
    }
    insta::assert_snapshot!("policy_diagnostics_vi", vi);
    insta::assert_snapshot!("policy_diagnostics_en", run(&["--lang", "en"]));
    let json = run(&["--message-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect(&json);
    insta::assert_snapshot!(
        "policy_diagnostics_json",
        serde_json::to_string_pretty(&v).unwrap()
    );
}

/// `khien report` on the known-answer set of `report_cli`, at a fixed date, from
/// the set's folder (paths in the output are relative).
fn report(format: &str, lang: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    crate::report_cli::known_set(dir.path());
    let out = khien()
        .current_dir(dir.path())
        .args(["--lang", lang, "report"])
        .args(["u1-host.json", "u2-host.json", "web.json", "register.json"])
        .args(["--period", "2026-H1", "--at", "2026-03-31T00:00:00Z"])
        .args(["--inventory", "inventory.csv", "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn csv_report() {
    let csv = report("csv", "vi");
    // Spreadsheet programs need the byte-order mark; the snapshot shows it escaped.
    assert!(csv.starts_with('\u{feff}'));
    insta::assert_snapshot!("report_csv", csv.replace('\u{feff}', "<BOM>"));
}

/// The part of `html` from `start` to the end of the element it opens (`<div` or
/// `<table`), one tag per line so that a change reads as a small diff.
fn fragment(html: &str, start: &str) -> String {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in the report"));
    let rest = &html[from..];
    let tag = if start.starts_with("<table") {
        "table"
    } else {
        "div"
    };
    // The element ends where its nesting returns to zero.
    let mut depth = 0usize;
    let mut end = rest.len();
    let mut i = 0;
    while let Some(pos) = rest[i..].find('<') {
        let at = i + pos;
        let t = &rest[at..];
        if t.starts_with(&format!("<{tag}")) {
            depth += 1;
        } else if t.starts_with(&format!("</{tag}>")) {
            depth -= 1;
            if depth == 0 {
                end = at + tag.len() + 3;
                break;
            }
        }
        i = at + 1;
    }
    rest[..end]
        .replace("><", ">\n<")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn html_report_fragments() {
    for lang in ["vi", "en"] {
        let html = report("html", lang);
        // The first-screen cards: counts the director reads first.
        insta::assert_snapshot!(
            format!("report_html_cards_{lang}"),
            fragment(&html, "<div class=\"cards\">")
        );
        // The first table after the cards: the worst units, on the first screen.
        let after = html.find("<div class=\"cards\">").unwrap();
        let table = after + html[after..].find("<table").unwrap();
        insta::assert_snapshot!(
            format!("report_html_table_{lang}"),
            fragment(&html[table..], "<table")
        );
    }
}
