//! Every kind of bad policy file gives a positioned error and exit code 2, and nothing
//! is scanned.

use assert_cmd::Command;

const HEADER: &str = r#"[policy]
id = "test"
version = "1"
title.vi = "Thử"
title.en = "Test"

[params.max_days]
default = 3
description.vi = "Số ngày"
description.en = "Days"
"#;

fn rule(body: &str) -> String {
    format!(
        r#"
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
basis = [{{ plan = "KH-CĐS-2026-2030", section = "III.4.a" }}]
{body}
"#
    )
}

/// Runs `khien rules check` on `text`; returns (exit code, stderr, file path).
fn check(text: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::cargo_bin("khien")
        .unwrap()
        .args(["--lang", "en", "rules", "check"])
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        path.display().to_string(),
    )
}

/// Asserts exit 2 and an error at `line:col` mentioning `needle`.
fn assert_error(text: &str, line: usize, col: usize, needle: &str) {
    let (code, err, path) = check(text);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{path}:{line}:{col}")),
        "expected {path}:{line}:{col} in:\n{err}"
    );
    assert!(err.contains(needle), "expected `{needle}` in:\n{err}");
    assert!(err.contains("help:"), "no help in:\n{err}");
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn toml_syntax_error() {
    let text = format!("{HEADER}{}", rule("check = \"true\"\nevidence = [\n"));
    let (code, err, path) = check(&text);
    assert_eq!(code, 2);
    assert!(err.contains("TOML syntax"), "{err}");
    assert!(err.contains(&path));
}

#[test]
fn unknown_key() {
    let text = format!("{HEADER}{}", rule("check = \"true\"\nseverty = \"low\""));
    assert_error(
        &text,
        line_of(&text, "severty"),
        1,
        "unknown field `severty`",
    );
}

#[test]
fn missing_field() {
    let text = format!("{HEADER}{}", rule("evidence = []"));
    let (code, err, _) = check(&text);
    assert_eq!(code, 2);
    assert!(err.contains("missing field `check`"), "{err}");
}

#[test]
fn wrong_type() {
    let text = format!("{HEADER}{}", rule("check = 42"));
    let line = line_of(&text, "check = 42");
    assert_error(&text, line, 9, "invalid type");
}

#[test]
fn bad_expression_points_into_the_string() {
    let text = format!(
        "{HEADER}{}",
        rule("check = \"host.disks.exists(d, d.free_bytes <)\"")
    );
    let line = line_of(&text, "check =");
    let (code, err, path) = check(&text);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid expression"), "{err}");
    assert!(err.contains(&format!("{path}:{line}:")), "{err}");
}

#[test]
fn unknown_fact_is_a_load_error_at_the_fact() {
    let text = format!(
        "{HEADER}{}",
        rule("check = \"host.antivirus.clamav.daemon_runing\"")
    );
    // `check = "host.antivirus.clamav.` is 31 characters: the error points at the name.
    assert_error(
        &text,
        line_of(&text, "daemon_runing"),
        32,
        "has no fact `daemon_runing`",
    );
    // A bad segment in the middle of a chain is pointed at too.
    let text = format!(
        "{HEADER}{}",
        rule("check = \"host.antivirus.clamv.daemon_running\"")
    );
    assert_error(&text, line_of(&text, "clamv"), 25, "has no fact `clamv`");
}

#[test]
fn unknown_parameter() {
    let text = format!(
        "{HEADER}{}",
        rule("check = \"host.backups.size() < params.max_dayz\"")
    );
    let (code, err, _) = check(&text);
    assert_eq!(code, 2);
    assert!(err.contains("unknown parameter `params.max_dayz`"), "{err}");
    assert!(
        err.contains("max_days"),
        "the help lists declared parameters: {err}"
    );
}

#[test]
fn duplicate_rule_code_and_all_errors_at_once() {
    let text = format!(
        "{HEADER}{}{}{}",
        rule("check = \"true\""),
        rule("check = \"true\""),
        rule("check = \"host.nope\"").replace("HOST-T-001", "HOST-T-002")
    );
    let (code, err, _) = check(&text);
    assert_eq!(code, 2);
    assert!(err.contains("duplicate rule code `HOST-T-001`"), "{err}");
    assert!(
        err.contains("has no fact `nope`"),
        "both errors are reported: {err}"
    );
}

#[test]
fn a_valid_policy_passes_check() {
    let text = format!(
        "{HEADER}{}",
        rule(
            "check = \"host.backups.all(b, days_since(b.newest_modified_at) <= double(params.max_days))\""
        )
    );
    let (code, err, _) = check(&text);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_bad_policy_stops_a_scan_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, format!("{HEADER}{}", rule("check = \"host.x\""))).unwrap();
    let facts_out = dir.path().join("facts.json");
    let out = Command::cargo_bin("khien")
        .unwrap()
        .arg("--policy")
        .arg(&path)
        .args(["scan", "host", "--facts-out"])
        .arg(&facts_out)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!facts_out.exists(), "nothing is scanned with a bad policy");
}

#[test]
fn the_shipped_rules_folder_is_valid() {
    Command::cargo_bin("khien")
        .unwrap()
        .args([
            "rules",
            "check",
            concat!(env!("CARGO_MANIFEST_DIR"), "/rules"),
        ])
        .assert()
        .success();
}

/// The condition checker's messages are in the user's language: Vietnamese by
/// default, English with `--lang en`.
#[test]
fn condition_errors_in_both_languages() {
    let text = format!(
        "{HEADER}{}",
        rule(
            "check = \"host.antivirus.clamav.daemon_runing && frobnicate(1) && params.max_dayz > 1\""
        )
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, &text).unwrap();
    let run = |lang: &[&str]| {
        let out = Command::cargo_bin("khien")
            .unwrap()
            .env_remove("KHIEN_LANG")
            .env("NO_COLOR", "1")
            .args(lang)
            .args(["rules", "check"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stderr).unwrap()
    };
    let vi = run(&[]);
    for needle in [
        "`host.antivirus.clamav` không có dữ kiện `daemon_runing`",
        "các dữ kiện dưới `host.antivirus.clamav`: ",
        "không có hàm `frobnicate`",
        "không có tham số `params.max_dayz`",
    ] {
        assert!(vi.contains(needle), "{needle}: {vi}");
    }
    assert!(!vi.contains("has no fact"), "{vi}");
    let en = run(&["--lang", "en"]);
    for needle in [
        "`host.antivirus.clamav` has no fact `daemon_runing`",
        "unknown function `frobnicate`",
        "unknown parameter `params.max_dayz`",
    ] {
        assert!(en.contains(needle), "{needle}: {en}");
    }
}
