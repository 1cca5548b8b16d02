//! The PostgreSQL history store beside the SQLite one: the same rounds of the example
//! province's results give the same history and the same report from both, the
//! schema is versioned, and `khien serve` works with `database = "postgres://…"`.
//! Each test starts its own throw-away cluster (support::postgres).

use std::path::PathBuf;

use jiff::Timestamp;
use khien::history::{HistoryStore, IngestStats, PostgresStore, ReportRun, SqliteStore, Window};
use khien::i18n::Lang;
use khien::report::compliance::{self, InputsSummary, ReportOptions, SinceSource};
use khien::report::input::{FindingInput, ResultInput, ResultReader, RuleTexts, TargetInput};
use khien::report::inventory::Inventory;

use crate::support::postgres::Cluster;
use crate::support::repo_path;
use crate::support::serve::{Site, request};

fn round(name: &str) -> Vec<khien::report::input::ResultInput> {
    let dir = repo_path(&format!("fixtures/results/{name}"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut reader = ResultReader::default();
    files
        .iter()
        .map(|f| reader.read_file(f, Lang::Vi).unwrap())
        .collect()
}

fn everything() -> Window {
    Window {
        from: Timestamp::UNIX_EPOCH,
        to: "2100-01-01T00:00:00Z".parse().unwrap(),
        unit: None,
    }
}

fn findings(store: &dyn HistoryStore, window: &Window) -> Vec<khien::history::FindingState> {
    let mut out = Vec::new();
    store.visit_findings(window, &mut |f| out.push(f)).unwrap();
    out
}

fn report(store: &dyn HistoryStore, unit: Option<&str>) -> serde_json::Value {
    let register = khien::register::load_file(&repo_path("fixtures/results/register.toml"))
        .unwrap_or_else(|d| panic!("{d}"));
    let opts = ReportOptions {
        period: "2026".parse().unwrap(),
        at: "2026-05-31T00:00:00Z".parse().unwrap(),
        since: "2026-03-01T00:00:00Z".parse().unwrap(),
        since_source: SinceSource::Option,
        unit: unit.map(str::to_string),
        due_days: compliance::due_days(&Default::default()),
        inventory: Inventory::from_register(&register),
        stale_days: 30,
        unregistered_files: Default::default(),
        persistent_history: true,
        report_deadlines: [(6, 5), (12, 5)],
        incident_report_hours: 24.0,
        heading: None,
    };
    let inputs = InputsSummary {
        files_read: 0,
        skipped: vec![],
        ingest: None,
    };
    let mut v = serde_json::to_value(compliance::build(store, &opts, inputs).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("generated_at");
    v
}

#[test]
fn both_stores_give_the_same_history_and_the_same_report() {
    let Some(pg) = Cluster::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(&dir.path().join("h.db")).unwrap();
    let mut postgres = PostgresStore::connect(&pg.database("parity")).unwrap();
    for name in ["round-1", "round-2", "round-3"] {
        let docs = round(name);
        let a = sqlite.ingest(&mut docs.clone().into_iter()).unwrap();
        let b = postgres.ingest(&mut docs.into_iter()).unwrap();
        assert_eq!(a, b, "{name}");
        assert!(a.targets_applied > 0, "{name}: {a:?}");
    }
    let w = everything();
    let (fa, fb) = (findings(&sqlite, &w), findings(&postgres, &w));
    assert!(fa.len() > 100, "{}", fa.len());
    assert_eq!(fa, fb);
    let one_unit = Window {
        unit: Some("LD-THPT-001".into()),
        ..everything()
    };
    assert_eq!(findings(&sqlite, &one_unit), findings(&postgres, &one_unit));
    assert!(!findings(&postgres, &one_unit).is_empty());

    let after: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let (ea, eb) = (
        sqlite.events_after(after, &w).unwrap(),
        postgres.events_after(after, &w).unwrap(),
    );
    assert!(
        ea.iter()
            .any(|e| e.kind == khien::history::EventKind::Fixed),
        "{ea:?}"
    );
    assert_eq!(ea, eb);
    let points: Vec<Timestamp> = [
        "2026-02-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
        "2026-05-30T00:00:00Z",
    ]
    .iter()
    .map(|p| p.parse().unwrap())
    .collect();
    let all = |_: &str| true;
    let registered = |u: &str| u != "LD-TH-004";
    assert_eq!(
        sqlite.debt_at(&points, None, &all).unwrap(),
        postgres.debt_at(&points, None, &all).unwrap()
    );
    assert_eq!(
        sqlite.debt_at(&points, None, &registered).unwrap(),
        postgres.debt_at(&points, None, &registered).unwrap()
    );
    assert_eq!(
        sqlite.debt_at(&points, Some("LD-THPT-001"), &all).unwrap(),
        postgres
            .debt_at(&points, Some("LD-THPT-001"), &all)
            .unwrap()
    );
    assert_eq!(sqlite.first_data().unwrap(), postgres.first_data().unwrap());
    let at: Timestamp = "2026-12-31T00:00:00Z".parse().unwrap();
    assert_eq!(
        sqlite.last_scans(at).unwrap(),
        postgres.last_scans(at).unwrap()
    );
    assert!(!postgres.last_scans(at).unwrap().is_empty());
    assert_eq!(sqlite.rule_texts().unwrap(), postgres.rule_texts().unwrap());
    assert_eq!(sqlite.data_until().unwrap(), postgres.data_until().unwrap());

    // The report, province and one unit, is the same from either store.
    let (ra, rb) = (report(&sqlite, None), report(&postgres, None));
    assert!(
        ra["debt_totals"]["open"].as_u64().unwrap() > 0,
        "{}",
        ra["debt_totals"]
    );
    assert_eq!(ra, rb);
    assert_eq!(
        report(&sqlite, Some("LD-TH-004")),
        report(&postgres, Some("LD-TH-004"))
    );

    // Ingesting a round again changes nothing.
    let before = postgres.count("findings").unwrap();
    let again = postgres.ingest(&mut round("round-3").into_iter()).unwrap();
    assert_eq!(again.targets_applied, 0);
    assert_eq!(postgres.count("findings").unwrap(), before);

    // Report runs are remembered per scope.
    let run = ReportRun {
        generated_at: "2026-06-01T00:00:00Z".parse().unwrap(),
        period: "2026".into(),
        unit: Some("LD-TH-004".into()),
        data_until: "2026-05-20T00:00:00Z".parse().unwrap(),
    };
    postgres.record_report(&run).unwrap();
    assert_eq!(postgres.last_report(Some("LD-TH-004")).unwrap(), Some(run));
    assert_eq!(postgres.last_report(None).unwrap(), None);
}

#[test]
fn migrations_are_versioned_and_a_newer_database_is_refused() {
    let Some(pg) = Cluster::start() else { return };
    let url = pg.database("migrations");
    let store = PostgresStore::connect(&url).unwrap();
    assert_eq!(store.schema_version().unwrap(), 2);
    drop(store);
    // Connecting again applies nothing twice.
    let store = PostgresStore::connect(&url).unwrap();
    assert_eq!(store.schema_version().unwrap(), 2);
    drop(store);
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute("INSERT INTO schema_migrations(version, applied_at) VALUES (99, 0)")
        .unwrap();
    let err = PostgresStore::connect(&url).err().unwrap().to_string();
    assert!(
        err.contains("schema version 99") && err.contains("newer"),
        "{err}"
    );
}

#[test]
fn serve_with_postgres_stores_uploads_once() {
    let Some(pg) = Cluster::start() else { return };
    let url = pg.database("serve");
    let site = Site::new();
    site.config("127.0.0.1:0", &format!("database = \"{url}\""));
    let tokens = site.issue(&["--unit", "LD-THPT-001"]);
    let server = site.start();
    let (status, _, body) = request(
        "GET",
        &format!("{}/healthz", server.url),
        &site.ca_pem,
        &[],
        vec![],
    );
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let settings = khien::config::SendSettings {
        url: server.url.clone(),
        token: tokens["LD-THPT-001"].clone(),
        ca_file: Some(site.ca_pem.display().to_string()),
        outbox: None,
    };
    let doc = std::fs::read(repo_path("fixtures/results/round-1/host-ld-thpt-001.json")).unwrap();
    let outbox = site.path().join("outbox");
    for (name, expected) in [("a.json", "accepted"), ("b.json", "duplicate")] {
        let d = khien::send::queue_and_send(&settings, None, &outbox, name, &doc).unwrap();
        assert!(
            matches!(&d[0].outcome, khien::send::Outcome::Sent(r) if r.status == expected),
            "{d:?}\n{}",
            site.log()
        );
    }
    let targets = serde_json::from_slice::<serde_json::Value>(&doc).unwrap()["targets"]
        .as_array()
        .unwrap()
        .len();
    let store = PostgresStore::connect(&url).unwrap();
    assert_eq!(store.count("targets").unwrap() as usize, targets);
    assert!(
        !site.data().join("history.db").exists(),
        "no SQLite history beside PostgreSQL"
    );
}

/// One machine's scan on `day` (March 2026) with `statuses` per rule.
fn scan(
    unit: &str,
    machine: &str,
    day: u32,
    statuses: &[(&str, khien::findings::Status)],
) -> ResultInput {
    let at: Timestamp = format!("2026-03-{day:02}T08:00:00Z").parse().unwrap();
    ResultInput {
        path: format!("{machine}-{day}.json").into(),
        evaluated_at: at,
        targets: vec![TargetInput {
            unit_code: unit.into(),
            unit_name: if day.is_multiple_of(2) {
                format!("Trường {unit}")
            } else {
                String::new()
            },
            kind: "host".into(),
            id: machine.into(),
            collected_at: at,
            findings: statuses
                .iter()
                .map(|(rule, status)| FindingInput {
                    rule: rule.to_string(),
                    requirement: Some("H01".into()),
                    severity: khien::policy::Severity::High,
                    status: *status,
                    texts: std::sync::Arc::new(RuleTexts {
                        title_vi: format!("Tiêu đề {rule} {day}"),
                        title_en: format!("Title {rule}"),
                        ..Default::default()
                    }),
                    waiver: (*rule == "W").then(|| "miễn trừ".to_string()),
                })
                .collect(),
        }],
    }
}

/// The server commits uploads in groups (`HistoryStore::ingest_each`): a group that
/// holds the same machine several times, older scans after newer ones, the same scan
/// twice, and more machines than one PostgreSQL round of multi-row statements gives
/// the same history and the same per-document answers from both stores as applying
/// the documents one by one.
#[test]
fn a_group_commit_applies_as_one_document_at_a_time_in_both_stores() {
    use khien::findings::Status::{Fail, NotApplicable, Pass, Unknown};
    let Some(pg) = Cluster::start() else { return };
    let mut docs = Vec::new();
    for (day, a, b) in [
        (1, Fail, Pass),
        (3, Unknown, Fail),
        (2, Pass, Pass), // older than day 3: unchanged
        (5, Pass, NotApplicable),
        (5, Pass, NotApplicable), // the same again
        (7, Fail, Fail),
        (9, NotApplicable, Pass),
        (11, Fail, Unknown),
    ] {
        docs.push(scan("U1", "pc-1", day, &[("A", a), ("B", b), ("W", Fail)]));
        docs.push(scan(
            "U2",
            "pc-2",
            day + 1,
            &[("B", a), ("A", b), ("A", Pass)],
        ));
    }
    // More distinct machines than one round (256 targets), one of them twice.
    for m in 0..300 {
        docs.push(scan("U3", &format!("m-{m:03}"), 4, &[("A", Fail)]));
    }
    docs.push(scan("U3", "m-007", 6, &[("A", Pass)]));

    let dir = tempfile::tempdir().unwrap();
    let mut one_by_one = SqliteStore::open(&dir.path().join("a.db")).unwrap();
    let expected: Vec<IngestStats> = docs
        .iter()
        .map(|d| one_by_one.ingest(&mut std::iter::once(d.clone())).unwrap())
        .collect();
    let mut sqlite = SqliteStore::open(&dir.path().join("b.db")).unwrap();
    let mut postgres = PostgresStore::connect(&pg.database("groups")).unwrap();
    assert_eq!(sqlite.ingest_each(&docs).unwrap(), expected);
    assert_eq!(postgres.ingest_each(&docs).unwrap(), expected);
    assert!(
        expected
            .iter()
            .any(|s| s.reopened > 0 && s.targets_applied == 1)
    );
    assert!(expected.iter().any(|s| s.targets_unchanged == 1));

    let w = everything();
    let reference = findings(&one_by_one, &w);
    assert_eq!(reference.len(), 2 + 2 + 1 + 300);
    assert_eq!(findings(&sqlite, &w), reference);
    assert_eq!(findings(&postgres, &w), reference);
    let events = one_by_one.events_after(Timestamp::UNIX_EPOCH, &w).unwrap();
    assert_eq!(
        sqlite.events_after(Timestamp::UNIX_EPOCH, &w).unwrap(),
        events
    );
    assert_eq!(
        postgres.events_after(Timestamp::UNIX_EPOCH, &w).unwrap(),
        events
    );
    let points: Vec<Timestamp> = (1..=13)
        .map(|d| format!("2026-03-{d:02}T12:00:00Z").parse().unwrap())
        .collect();
    let debt = one_by_one.debt_at(&points, None, &|_| true).unwrap();
    assert_eq!(sqlite.debt_at(&points, None, &|_| true).unwrap(), debt);
    assert_eq!(postgres.debt_at(&points, None, &|_| true).unwrap(), debt);
    assert_eq!(
        postgres.rule_texts().unwrap(),
        one_by_one.rule_texts().unwrap()
    );
    for table in ["units", "targets", "findings", "events"] {
        assert_eq!(
            postgres.count(table).unwrap(),
            one_by_one.count(table).unwrap(),
            "{table}"
        );
    }
}
