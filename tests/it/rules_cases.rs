//! Every rule is a tested unit: the worked examples in `fixtures/rules/CODE.json` (see
//! `khien::policy::examples`) are evaluated one by one, each must give its status,
//! and each rule must have examples reaching every status it can reach.

use std::collections::BTreeSet;

use khien::findings::Status;
use khien::policy::examples::{self, RuleExamples};

use crate::rules_registry::embedded;
use crate::support::repo_path;

fn all_examples() -> Vec<RuleExamples> {
    examples::load_dir(&repo_path("fixtures/rules")).unwrap_or_else(|e| panic!("{e}"))
}

/// The table: every case of every rule gives the status it states, and names only
/// facts the fact model has.
#[test]
fn every_example_gives_its_status() {
    let policy = embedded();
    let mut failures = Vec::new();
    let mut count = 0;
    for ex in all_examples() {
        let Some(rule) = policy.rule(&ex.rule) else {
            failures.push(format!(
                "{}: no rule `{}` in the policy",
                ex.path.display(),
                ex.rule
            ));
            continue;
        };
        for (i, case) in ex.cases.iter().enumerate() {
            count += 1;
            let at = format!("{} case {} ({})", ex.path.display(), i + 1, case.note.en);
            let typos = examples::unknown_fact_paths(rule, case);
            if !typos.is_empty() {
                failures.push(format!("{at}: facts not in the fact model: {typos:?}"));
            }
            match examples::evaluate_case(&policy, rule, case) {
                Ok(f) if f.status == case.status => {}
                Ok(f) => failures.push(format!(
                    "{at}: expected {:?}, got {:?} (error: {:?}, unknown: {:?})",
                    case.status, f.status, f.error, f.unknown_facts
                )),
                Err(e) => failures.push(format!("{at}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(count >= 200, "only {count} cases");
}

/// Each rule has examples for pass, fail and unknown (any rule can meet a fact that
/// could not be read), and for not_applicable exactly when it has `applies_when`.
#[test]
fn every_rule_reaches_each_status_it_can_reach() {
    let policy = embedded();
    let examples = all_examples();
    let mut problems = Vec::new();
    for rule in &policy.rules {
        let Some(ex) = examples.iter().find(|e| e.rule == rule.code) else {
            problems.push(format!(
                "{}: no fixtures/rules/{}.json",
                rule.code, rule.code
            ));
            continue;
        };
        let seen: BTreeSet<Status> = ex.cases.iter().map(|c| c.status).collect();
        let mut wanted = vec![Status::Pass, Status::Fail, Status::Unknown];
        if rule.applies_when.is_some() {
            wanted.push(Status::NotApplicable);
        } else if seen.contains(&Status::NotApplicable) {
            problems.push(format!(
                "{}: not_applicable example but no applies_when",
                rule.code
            ));
        }
        for s in wanted {
            if !seen.contains(&s) {
                problems.push(format!("{}: no {s:?} example", rule.code));
            }
        }
    }
    for ex in &examples {
        if policy.rule(&ex.rule).is_none() {
            problems.push(format!(
                "{}: examples of a rule the policy does not have",
                ex.path.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The table catches a wrong expectation: flipping a passing example's facts to a
/// failing one's is seen (guards against a runner that accepts anything).
#[test]
fn a_wrong_expectation_is_caught() {
    let policy = embedded();
    let ex = all_examples()
        .into_iter()
        .find(|e| e.rule == "HOST-ACC-001")
        .unwrap();
    let rule = policy.rule("HOST-ACC-001").unwrap();
    let fail = ex.cases.iter().find(|c| c.status == Status::Fail).unwrap();
    let mut wrong = fail.clone();
    wrong.status = Status::Pass;
    let f = examples::evaluate_case(&policy, rule, &wrong).unwrap();
    assert_eq!(f.status, Status::Fail);
    assert_ne!(f.status, wrong.status);
    let mut typo = fail.clone();
    typo.facts = serde_json::json!({"acounts": {"guest_enabled": true}});
    assert_eq!(
        examples::unknown_fact_paths(rule, &typo),
        vec!["host.acounts".to_string()]
    );
}
