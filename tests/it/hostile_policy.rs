//! Policies bounded (issue 16, item 6): a condition too long, too busy or too deep
//! is a positioned load error (never a stack overflow), a rule that runs away is
//! `unknown (timeout)` within its evaluation budget while the other rules are
//! evaluated, and a policy of 16,000 rules loads. Every policy is generated here.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use khien::eval::Evaluator;
use khien::facts::{TargetIdentity, TargetKind};
use khien::findings::Status;
use khien::policy::{SourceFile, load_sources};

use crate::support::khien;

const HEADER: &str = r#"[policy]
id = "test"
version = "1"
title.vi = "Thử"
title.en = "Test"
"#;

fn rule(code: &str, check: &str) -> String {
    format!(
        r#"
[[rule]]
code = "{code}"
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
check = "{check}"
"#
    )
}

/// `khien rules check` on `text`: exit code, stderr, file path, time taken.
fn rules_check(text: &str) -> (Option<i32>, String, String, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chinh-sach.toml");
    std::fs::write(&path, text).unwrap();
    let started = Instant::now();
    let out = khien()
        .args(["--lang", "en", "rules", "check"])
        .arg(&path)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        path.display().to_string(),
        started.elapsed(),
    )
}

#[test]
fn long_chains_and_deep_nesting_are_positioned_load_errors() {
    // 10,000 `+` (20 KB) passed the old check and overflowed in evaluation;
    // 30,000 crashed `rules check` itself.
    for n in [10_000usize, 30_000] {
        let chain = vec!["1"; n + 1].join("+");
        let text = format!("{HEADER}{}", rule("HOST-T-001", &format!("{chain} > 0")));
        let line = text.lines().position(|l| l.starts_with("check")).unwrap() + 1;
        let (code, err, path, took) = rules_check(&text);
        assert_eq!(code, Some(2), "{n}: {err}");
        // Said once, positioned at the 16,385th byte of the condition (column 10
        // is its first), without quoting the whole line.
        assert_eq!(err.matches("condition too large").count(), 1, "{n}: {err}");
        assert!(err.contains("bytes, more than 16384"), "{n}: {err}");
        let col = 10 + 16384;
        assert!(err.contains(&format!("{path}:{line}:{col}")), "{n}: {err}");
        assert!(
            err.len() < 1000,
            "{n}: {} bytes of errors: {err}",
            err.len()
        );
        assert!(took < Duration::from_secs(60), "{took:?}");
    }
    // Short but busy: the 257th operator is named.
    let chain = vec!["1"; 300].join(" + ");
    let text = format!("{HEADER}{}", rule("HOST-T-001", &format!("{chain} > 0")));
    let line = text.lines().position(|l| l.starts_with("check")).unwrap() + 1;
    let (code, err, path, _) = rules_check(&text);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("more than 256 operators"), "{err}");
    // Column 10 is the first `1`; each `1 + ` takes 4 columns; the `+` is 2 in.
    let col = 10 + 4 * 256 + 2;
    assert!(err.contains(&format!("{path}:{line}:{col}")), "{err}");
    let deep = format!("{}1{}", "(".repeat(5_000), ")".repeat(5_000));
    let text = format!("{HEADER}{}", rule("HOST-T-001", &format!("{deep} > 0")));
    let (code, err, _, _) = rules_check(&text);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("brackets nested deeper than 32"), "{err}");
    let huge = format!("'{}' != ''", "x".repeat(20_000));
    let text = format!("{HEADER}{}", rule("HOST-T-001", &huge));
    let (code, err, _, _) = rules_check(&text);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bytes, more than 16384"), "{err}");
}

#[test]
fn conditions_at_the_limits_still_load_and_evaluate() {
    let chain = vec!["1"; 250].join(" + ");
    let nested = format!("{}1{}", "(".repeat(30), ")".repeat(30));
    let text = format!(
        "{HEADER}{}{}",
        rule("HOST-T-001", &format!("{chain} == 250")),
        rule("HOST-T-002", &format!("{nested} == 1"))
    );
    let policy = load_sources(vec![SourceFile::new("p.toml", text)], "test")
        .unwrap_or_else(|d| panic!("{}", d.render(khien::i18n::Lang::En)));
    let at = "2026-12-01T00:00:00Z".parse().unwrap();
    let result = Evaluator::new(&policy, BTreeMap::new(), at).evaluate(
        &host("a"),
        at,
        &serde_json::json!({}),
    );
    let statuses: Vec<Status> = result.findings.iter().map(|f| f.status).collect();
    assert_eq!(statuses, [Status::Pass, Status::Pass], "{result:?}");
}

fn host(id: &str) -> TargetIdentity {
    TargetIdentity {
        kind: TargetKind::Host,
        id: id.into(),
        unit: None,
    }
}

#[test]
fn a_runaway_rule_is_unknown_timeout_and_the_others_are_evaluated() {
    // 1,000³ = 10⁹ steps: minutes, or hours unoptimised.
    let list = format!(
        "[{}]",
        (0..1000)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let runaway = format!("{list}.all(a, {list}.all(b, {list}.all(c, a + b + c >= 0)))");
    let text = format!(
        "{HEADER}{}{}{}",
        rule("HOST-T-001", "1 + 1 == 2"),
        rule("HOST-T-002", &runaway),
        rule("HOST-T-003", "1 + 1 == 3")
    );
    let policy = load_sources(vec![SourceFile::new("p.toml", text)], "test")
        .unwrap_or_else(|d| panic!("{}", d.render(khien::i18n::Lang::En)));
    let at = "2026-12-01T00:00:00Z".parse().unwrap();
    let evaluator =
        Evaluator::new(&policy, BTreeMap::new(), at).with_rule_budget(Duration::from_millis(500));
    let started = Instant::now();
    let first = evaluator.evaluate(&host("pc-01"), at, &serde_json::json!({}));
    let second = evaluator.evaluate(&host("pc-02"), at, &serde_json::json!({}));
    let took = started.elapsed();
    for (result, again) in [(&first, false), (&second, true)] {
        let statuses: Vec<Status> = result.findings.iter().map(|f| f.status).collect();
        assert_eq!(
            statuses,
            [Status::Pass, Status::Unknown, Status::Fail],
            "{result:?}"
        );
        let why = result.findings[1].error.as_deref().unwrap();
        assert!(why.starts_with("timeout"), "{why}");
        assert_eq!(why.contains("earlier target"), again, "{why}");
    }
    // One budget spent, not one per target.
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn sixteen_thousand_rules_load() {
    let mut text = String::from(HEADER);
    for i in 0..16_000 {
        text.push_str(
            &rule(&format!("HOST-T{}-{:03}", i / 1000, i % 1000), "1 + 1 == 2")
                .replace("HOST-T", "HOST-G"),
        );
    }
    let started = Instant::now();
    let policy = load_sources(vec![SourceFile::new("p.toml", text)], "test")
        .unwrap_or_else(|d| panic!("{}", d.render(khien::i18n::Lang::En)));
    eprintln!("16,000 rules loaded in {:?}", started.elapsed());
    assert!(
        policy
            .rules_for(TargetKind::Host)
            .all(|r| r.defined_at.starts_with("p.toml:"))
    );
    assert_eq!(policy.rules_for(TargetKind::Host).count(), 16_000);
}
