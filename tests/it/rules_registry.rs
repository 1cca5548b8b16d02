//! Invariants of the rule book (the embedded policy, `rules/*.toml`): every rule carries
//! what a school and the Department's policy author need to act on a finding.

use khien::facts::TargetKind;
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
    let params = policy.param_values(&Default::default());
    let result = khien::eval::Evaluator::new(&policy, params, facts.collected_at).evaluate(
        &facts.target,
        facts.collected_at,
        &facts.facts,
    );
    let f = result
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

/// Renaming or deleting a rule code breaks waivers, histories and the Department's
/// reports: the list of codes is a snapshot that only changes on purpose. Update it
/// with `KHIEN_BLESS=1 cargo test --test it rules_registry`.
#[test]
fn rule_codes_match_the_snapshot() {
    let policy = embedded();
    let mut codes: Vec<&str> = policy.rules.iter().map(|r| r.code.as_str()).collect();
    codes.sort_unstable();
    let unique: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(unique.len(), codes.len(), "duplicate rule codes");
    let text = codes.join("\n") + "\n";
    let path = crate::support::repo_path("tests/it/snapshots/rule-codes.txt");
    if std::env::var_os("KHIEN_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == text,
        "the rule codes changed; codes are stable and never reused. If this is intended, \
         run KHIEN_BLESS=1 cargo test --test it rules_registry\nnow:\n{text}"
    );
}

/// What a school and the Department need to act on a finding, for every rule.
#[test]
fn every_rule_is_complete_and_cited_one_way() {
    let policy = embedded();
    let requirement = regex::Regex::new(r"^[HWR][0-9]{2}$").unwrap();
    // Sections as the plans number them: `III.4.a`, `III.V.5`, `VI`.
    let section = regex::Regex::new(r"^[IVX]+(\.[0-9A-Za-zIVX]+)*$").unwrap();
    let mut problems = Vec::new();
    for r in &policy.rules {
        // Host, web and register rules implement the requirements H, W and R of
        // docs/basis.md; a rule of another kind names one when it has one.
        let needs_requirement =
            [TargetKind::Host, TargetKind::Web, TargetKind::Register].contains(&r.target);
        match &r.requirement {
            Some(q) if requirement.is_match(q) => {}
            None if !needs_requirement => {}
            other => problems.push(format!("{}: requirement {other:?}", r.code)),
        }
        for (what, t) in [
            ("title", &r.title),
            ("problem", &r.problem),
            ("rationale", &r.rationale),
            ("remediation", &r.remediation),
        ] {
            if t.vi.trim().is_empty() || t.en.trim().is_empty() {
                problems.push(format!("{}: {what} missing in a language", r.code));
            }
            // One spelling convention: "hóa/khóa/hòa", never "hoá/khoá/hoà".
            for bad in ["oá", "oà", "oả", "oã", "oạ", "uỷ", "uý", "uỳ"] {
                if t.vi
                    .split(|c: char| !c.is_alphabetic())
                    .any(|w| w.ends_with(bad) && !w.starts_with(['q', 'Q']))
                {
                    problems.push(format!(
                        "{}: {what}.vi spells a word ending in `{bad}`",
                        r.code
                    ));
                }
            }
        }
        if r.basis.is_empty() {
            problems.push(format!("{}: no basis", r.code));
        }
        for b in &r.basis {
            if !section.is_match(&b.section) {
                problems.push(format!(
                    "{}: section `{}` not written like III.4.a",
                    r.code, b.section
                ));
            }
            if !["KH-CĐS-2026-2030", "KH-NQ57-2026"].contains(&b.plan.as_str()) {
                problems.push(format!("{}: unknown plan `{}`", r.code, b.plan));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `docs/basis.md` is the reader's copy of what the rules cite: every requirement code
/// and every plan section a rule names is there, so no citation leads nowhere.
#[test]
fn basis_document_covers_every_citation() {
    let policy = embedded();
    let basis = std::fs::read_to_string(crate::support::repo_path("docs/basis.md")).unwrap();
    let mut missing = Vec::new();
    for r in &policy.rules {
        if let Some(q) = &r.requirement
            && !basis.contains(&format!("| {q} |"))
        {
            missing.push(format!("{}: requirement {q}", r.code));
        }
        for b in &r.basis {
            let plan = basis.find(&format!("### {}", b.plan));
            let found = plan.is_some_and(|start| {
                let rest = &basis[start + 4..];
                let end = ["\n## ", "\n### "]
                    .iter()
                    .filter_map(|h| rest.find(h))
                    .min()
                    .unwrap_or(rest.len());
                let section = &rest[..end];
                section.contains(&format!("**{}**", b.section))
            });
            if !found {
                missing.push(format!("{}: {} {}", r.code, b.plan, b.section));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in docs/basis.md:\n{}",
        missing.join("\n")
    );
}

/// A rule without its failing-state title is a load error naming the field, with a
/// position, like any other missing key.
#[test]
fn a_rule_without_problem_is_rejected_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(
        &path,
        r#"[policy]
id = "t"
version = "1"
title.vi = "Thử"
title.en = "Test"

[[rule]]
code = "HOST-T-001"
target = "host"
severity = "low"
title.vi = "Tiêu đề"
title.en = "Title"
rationale.vi = "Lý do"
rationale.en = "Why"
remediation.vi = "Sửa"
remediation.en = "Fix"
basis = [{ plan = "KH-CĐS-2026-2030", section = "III.4.a" }]
check = "host.accounts.guest_enabled == false"
"#,
    )
    .unwrap();
    let out = crate::support::khien()
        .args(["--lang", "en", "rules", "check"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing field `problem`"), "{err}");
    assert!(err.contains(&format!("{}:7:1", path.display())), "{err}");
}

/// A parameter nobody reads is a setting the Department would change for nothing
/// (`max_update_age_days` outlived the rule that read it). Every parameter the policy
/// declares is read by a rule's conditions or by one of the code's readers below.
#[test]
fn every_parameter_is_read_by_a_rule_or_the_code() {
    // Parameters read from Rust, with the reader: the report's deadlines and the
    // host collector's default for declared backups.
    const READ_BY_CODE: &[(&str, &str)] = &[
        ("debt_due_days_critical", "report::compliance::due_days"),
        ("debt_due_days_high", "report::compliance::due_days"),
        ("debt_due_days_medium", "report::compliance::due_days"),
        ("debt_due_days_low", "report::compliance::due_days"),
        ("debt_due_days_info", "report::compliance::due_days"),
        ("report_stale_days", "report::compliance::stale_days"),
        (
            "register_report_deadlines",
            "report::compliance::report_deadlines",
        ),
        (
            "default_backup_max_age_days",
            "engine: declared backups' age limit",
        ),
    ];
    let policy = embedded();
    let read_by_rules = |name: &str| {
        let needle = format!("params.{name}");
        policy.rules.iter().any(|r| {
            std::iter::once(r.check.source.as_str())
                .chain(r.applies_when.as_ref().map(|a| a.source.as_str()))
                .any(|text| {
                    text.match_indices(&needle).any(|(i, _)| {
                        !text[i + needle.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    })
                })
        })
    };
    let unread: Vec<&String> = policy
        .params
        .keys()
        .filter(|name| !read_by_rules(name) && !READ_BY_CODE.iter().any(|(n, _)| n == name))
        .collect();
    assert!(unread.is_empty(), "parameters nobody reads: {unread:?}");
    for (name, reader) in READ_BY_CODE {
        assert!(
            policy.params.contains_key(*name),
            "{reader} reads `{name}`, which the policy does not declare"
        );
    }
}
