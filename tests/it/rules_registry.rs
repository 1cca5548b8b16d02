//! Invariants of the rule book (the embedded policy, `rules/*.toml`): every rule carries
//! what a school and the Department's policy author need to act on a finding.

use khien::policy::{self, Policy};

pub fn embedded() -> Policy {
    policy::load_sources(policy::embedded_sources(), "embedded").unwrap_or_else(|d| panic!("{d}"))
}

/// Each rule names the failing state (the problem to fix) in both languages, and that
/// text is not the title (the desired state) copied.
#[test]
fn every_rule_has_a_failing_state_title_distinct_from_its_title() {
    let policy = embedded();
    assert!(policy.rules.len() >= 60, "{} rules", policy.rules.len());
    for r in &policy.rules {
        for (lang, problem, title) in [
            ("vi", &r.problem.vi, &r.title.vi),
            ("en", &r.problem.en, &r.title.en),
        ] {
            assert!(
                !problem.trim().is_empty(),
                "{}: empty problem.{lang}",
                r.code
            );
            assert_ne!(
                problem.trim().to_lowercase(),
                title.trim().to_lowercase(),
                "{}: problem.{lang} repeats the title",
                r.code
            );
        }
    }
}

/// The problem text reaches the result document, so the report can list it.
#[test]
fn findings_carry_the_problem_text() {
    let policy = embedded();
    let facts: khien::facts::FactDocument = serde_json::from_str(
        &std::fs::read_to_string(crate::support::repo_path(
            "fixtures/facts/linux-clamav-stale.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let doc = khien::cli::evaluate(&policy, &Default::default(), &[facts], None);
    let f = doc.targets[0]
        .findings
        .iter()
        .find(|f| f.rule == "HOST-AV-002")
        .unwrap();
    let rule = policy.rule("HOST-AV-002").unwrap();
    assert_eq!(f.problem.as_ref(), Some(&rule.problem));
    let json = serde_json::to_value(f).unwrap();
    assert_eq!(json["problem"]["vi"], "Mẫu nhận diện mã độc đã cũ");
}

/// Result files written before the field existed still read.
#[test]
fn older_findings_without_problem_still_read() {
    let f: khien::findings::Finding = serde_json::from_value(serde_json::json!({
        "rule": "HOST-AV-001", "severity": "high", "status": "fail",
        "title": {"vi": "T", "en": "T"}, "remediation": {"vi": "R", "en": "R"},
        "basis": [], "evidence": []
    }))
    .unwrap();
    assert_eq!(f.problem, None);
    assert!(serde_json::to_value(&f).unwrap().get("problem").is_none());
}
