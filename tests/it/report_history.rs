//! The history store through `khien report --db`: a second run after new scans shows
//! what was fixed, new and reopened; ingesting the same results again changes nothing;
//! a run killed in the middle of an ingest leaves the database as it was.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use khien::history::SqliteStore;
use serde_json::Value;

use crate::support::khien;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/results")
}

fn report(db: &Path, inputs: &[PathBuf], extra: &[&str]) -> Value {
    let out = khien()
        .arg("report")
        .args(inputs)
        .arg("--db")
        .arg(db)
        .args(["--period", "2026-H1", "--format", "json", "--register"])
        .arg(fixtures().join("register.toml"))
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn len(v: &Value) -> i64 {
    v.as_array().unwrap().len() as i64
}

fn table_counts(db: &Path) -> Vec<u64> {
    let store = SqliteStore::open(db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    ["units", "targets", "rules", "findings", "events"]
        .iter()
        .map(|t| store.count(t).unwrap())
        .collect()
}

#[test]
fn second_run_shows_fixed_new_and_reopened_and_reingest_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("khien.db");
    let f = fixtures();
    let first = report(
        &db,
        &[f.join("round-1"), f.join("round-2")],
        &["--at", "2026-03-31T00:00:00Z"],
    );
    assert_eq!(first["since_source"], "period_start");
    // A school's own report in between does not move the province's "previous report".
    let unit = report(
        &db,
        &[],
        &["--at", "2026-04-30T00:00:00Z", "--unit", "LD-THPT-006"],
    );
    assert_eq!(unit["since_source"], "period_start");
    let second = report(&db, &[f.join("round-3")], &["--at", "2026-05-31T00:00:00Z"]);
    assert_eq!(second["since_source"], "previous_report");
    // "Since the previous report" starts after the newest scan that report saw.
    assert_eq!(second["since"], "2026-03-18T20:00:00Z");
    let ch = &second["changes"];
    let (new, fixed, reopened) = (len(&ch["new"]), len(&ch["fixed"]), len(&ch["reopened"]));
    assert!(
        new > 0 && fixed > 0 && reopened > 0,
        "{new} {fixed} {reopened}"
    );
    for e in ch["new"]
        .as_array()
        .unwrap()
        .iter()
        .chain(ch["fixed"].as_array().unwrap())
    {
        assert!(e["at"].as_str().unwrap() > "2026-05-01", "{e}");
    }
    // Every failing finding (debt and waived) is accounted for by the changes.
    let failing = |r: &Value| len(&r["debt"]) + len(&r["waived"]);
    assert_eq!(failing(&second), failing(&first) + new + reopened - fixed);
    // Reopened debt is flagged on the item and dated from its reopening.
    let reopened_item = second["debt"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["waived"].as_array().unwrap())
        .find(|d| d["reopened"] == true)
        .expect("a reopened debt item");
    assert!(reopened_item["open_since"].as_str().unwrap() > "2026-05-01");

    // The same results again: nothing changes in the store or in the report.
    let before = table_counts(&db);
    let again = report(
        &db,
        &[f.join("round-1"), f.join("round-2"), f.join("round-3")],
        &[
            "--at",
            "2026-05-31T00:00:00Z",
            "--since",
            "2026-03-18T20:00:00Z",
        ],
    );
    assert_eq!(table_counts(&db), before);
    assert_eq!(again["inputs"]["ingest"]["targets_applied"], 0);
    for key in [
        "indicators",
        "debt",
        "waived",
        "changes",
        "units",
        "debt_series",
    ] {
        assert!(again[key] == second[key], "{key} changed on re-ingest");
    }
    // The database alone is an input too.
    let from_db = khien()
        .arg("report")
        .arg(&db)
        .args([
            "--period",
            "2026-H1",
            "--format",
            "json",
            "--at",
            "2026-05-31T00:00:00Z",
        ])
        .arg("--register")
        .arg(f.join("register.toml"))
        .output()
        .unwrap();
    let from_db: Value = serde_json::from_slice(&from_db.stdout).unwrap();
    assert!(
        from_db["debt"] == second["debt"],
        "report from the database alone differs"
    );
}

/// Writes `n` host results, each a copy of a fixture with its own target ids.
fn many_results(dir: &Path, n: usize) {
    let template: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("round-3/host-ld-thpt-001.json")).unwrap(),
    )
    .unwrap();
    for i in 0..n {
        let mut doc = template.clone();
        for (k, t) in doc["targets"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            t["target"]["id"] = format!("copy-{i:05}-{k}").into();
        }
        std::fs::write(dir.join(format!("r{i:05}.json")), doc.to_string()).unwrap();
    }
}

#[test]
fn a_run_killed_mid_ingest_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("khien.db");
    let journal = dir.path().join("khien.db-journal");
    let f = fixtures();
    let baseline = report(&db, &[f.join("round-1")], &["--at", "2026-03-31T00:00:00Z"]);
    let counts = table_counts(&db);
    let big = dir.path().join("big");
    std::fs::create_dir(&big).unwrap();

    // Kill while the ingest runs: as soon as its transaction has spilled pages to the
    // rollback journal, or after 1.5 s (the whole run takes far longer).
    many_results(&big, 1000);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("khien"))
        .arg("report")
        .arg(&big)
        .arg("--db")
        .arg(&db)
        .args(["--period", "2026-H1", "--format", "json", "-o"])
        .arg(dir.path().join("out.json"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !journal.exists() && start.elapsed() < Duration::from_millis(1500) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let hot_journal = journal.exists();
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    if !running {
        println!("the ingest finished before it could be killed: nothing to check");
        return;
    }
    println!(
        "killed after {:?}; rollback journal present: {hot_journal}",
        start.elapsed()
    );
    assert!(
        !dir.path().join("out.json").exists(),
        "no half report written"
    );
    // Opening the store rolls the unfinished transaction back.
    assert_eq!(table_counts(&db), counts);
    let after = report(
        &db,
        &[],
        &[
            "--at",
            "2026-03-31T00:00:00Z",
            "--since",
            "2026-01-01T00:00:00+07:00",
        ],
    );
    for key in ["indicators", "debt", "units"] {
        assert!(after[key] == baseline[key], "{key} differs after the crash");
    }
}

/// The register gives the coverage denominators and each unit's commune, and K07/K08
/// count the register rules of their part of R02 only (REG-LVL-003, REG-LVL-002): the
/// expected figures are worked out here from the fixture files themselves.
#[test]
fn register_gives_coverage_denominators_and_k07_k08() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    let r = report(
        &dir.path().join("k.db"),
        &[f.join("round-1"), f.join("round-2"), f.join("round-3")],
        &["--at", "2026-05-31T00:00:00Z"],
    );
    let register =
        khien::register::load_file(&f.join("register.toml"), khien::i18n::Lang::En).unwrap();
    let computers: u64 = register.units.iter().filter_map(|u| u.computers).sum();
    let indicator = |code: &str| {
        r["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .unwrap_or_else(|| panic!("{code} in the report"))
            .clone()
    };
    let k01 = indicator("K01");
    assert_eq!(k01["province"]["inventory"].as_u64(), Some(computers));
    // Every school's commune comes from the register.
    for u in r["units"].as_array().unwrap() {
        let code = u["code"].as_str().unwrap();
        let unit = register.unit(code).unwrap_or_else(|| panic!("{code}"));
        assert_eq!(u["commune"], unit.commune.as_str(), "{code}");
    }
    // K07 and K08 against the register results of the last round.
    let latest: Value =
        serde_json::from_str(&std::fs::read_to_string(f.join("round-3/register.json")).unwrap())
            .unwrap();
    let count = |rule: &str, status: &str| {
        latest["targets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["findings"].as_array().unwrap())
            .filter(|x| x["rule"] == rule && x["status"] == status)
            .count() as u64
    };
    for (code, rule) in [("K07", "REG-LVL-003"), ("K08", "REG-LVL-002")] {
        let p = &indicator(code)["province"];
        let (pass, fail) = (count(rule, "pass"), count(rule, "fail"));
        assert!(pass + fail > 0, "{rule} applies somewhere in the fixtures");
        assert_eq!(
            (p["pass"].as_u64(), p["fail"].as_u64()),
            (Some(pass), Some(fail)),
            "{code}"
        );
    }
    assert!(
        r["not_measured"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["code"] != "K07" && n["code"] != "K08")
    );
}
