//! Ingest refuses what cannot be true (issue 16, item 4): a result dated 2099 (a
//! machine with a wrong clock) is skipped with its reason and listed in the report's
//! skipped inputs, so the debt does not drop and later genuine results still apply;
//! a result whose header unit differs from its targets' unit is skipped.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::khien;

fn result(unit: &str, target_unit: &str, at: &str, statuses: &[&str]) -> Value {
    let findings: Vec<Value> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "rule": format!("HOST-T-{:03}", i + 1), "requirement": "H01",
                "severity": "high", "status": s,
                "title": {"vi": "Tiêu đề", "en": "Title"},
                "remediation": {"vi": "Sửa", "en": "Fix"},
                "basis": [], "evidence": []
            })
        })
        .collect();
    json!({
        "schema": "khien-result/1",
        "tool": {"name": "khien", "version": "0.1.0"},
        "policy": {"id": "khien-default", "version": "test", "origin": "embedded"},
        "unit": {"code": unit, "name": "Trường A"},
        "generated_at": at,
        "evaluated_at": at,
        "params": {},
        "targets": [{
            "target": {"kind": "host", "id": "pc-01", "unit": {"code": target_unit, "name": "Trường"}},
            "collected_at": at,
            "findings": findings
        }],
        "summary": {"targets": 0, "findings": 0, "by_status": {}, "failing_by_severity": {}}
    })
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

/// `khien report FILE --db DB` as JSON: (report, stderr).
fn report(db: &Path, file: &Path) -> (Value, String) {
    let out = khien()
        .args(["--lang", "en", "report", "--period", "2026-H1"])
        .args(["--at", "2026-06-01T00:00:00Z", "--format", "json", "--db"])
        .arg(db)
        .arg(file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn debt(r: &Value) -> usize {
    r["debt"].as_array().unwrap().len()
}

fn skipped(r: &Value) -> Vec<String> {
    r["inputs"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["path"].as_str().unwrap(),
                s["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_result_from_2099_is_skipped_and_later_genuine_results_apply() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = dir.join("lichsu.db");
    let fail = ["fail"; 5];
    let first = write(
        dir,
        "thang3.json",
        &result("U1", "U1", "2026-03-01T00:00:00Z", &fail),
    );
    let (r, _) = report(&db, &first);
    assert_eq!(debt(&r), 5, "{r}");

    // All pass, dated 2099: refused, named with its field and what to do.
    let future = write(
        dir,
        "sai-dong-ho.json",
        &result("U1", "U1", "2099-01-01T00:00:00Z", &["pass"; 5]),
    );
    let (r, stderr) = report(&db, &future);
    assert_eq!(debt(&r), 5, "the debt must not drop: {r}");
    let why = skipped(&r);
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(
        why[0].contains("sai-dong-ho.json") && why[0].contains("evaluated_at 2099-01-01T00:00:00Z"),
        "{why:?}"
    );
    assert!(
        why[0].contains("in the future") && why[0].contains("clock"),
        "{why:?}"
    );
    assert!(stderr.contains("sai-dong-ho.json"), "{stderr}");

    // A genuine later result fixing two findings is applied.
    let later = write(
        dir,
        "thang4.json",
        &result(
            "U1",
            "U1",
            "2026-04-01T00:00:00Z",
            &["pass", "pass", "fail", "fail", "fail"],
        ),
    );
    let (r, _) = report(&db, &later);
    assert!(skipped(&r).is_empty(), "{r}");
    assert_eq!(debt(&r), 3, "{r}");
}

#[test]
fn a_target_of_another_unit_under_the_header_is_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = dir.join("lichsu.db");
    let mixed = write(
        dir,
        "tron.json",
        &result("U1", "U2", "2026-03-01T00:00:00Z", &["fail"; 2]),
    );
    let (r, _) = report(&db, &mixed);
    let why = skipped(&r);
    assert_eq!(why.len(), 1, "{why:?}");
    assert!(
        why[0].contains("targets[0].target.unit.code `U2`")
            && why[0].contains("differs from the document's unit `U1`"),
        "{why:?}"
    );
    assert_eq!(debt(&r), 0, "{r}");
}
