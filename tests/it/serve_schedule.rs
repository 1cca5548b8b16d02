//! The daily `scan web --register` that `khien serve` runs itself (`[schedule]`): a
//! schedule due now against a loopback website puts the scan's result in the store
//! as the Department's upload, audited; a run that fails is audited, recorded for the
//! day (tried again tomorrow, not in a loop) and leaves the server serving.

use std::time::{Duration, Instant};

use crate::support::serve::{Site, request};
use crate::support::web::{Resp, routes, serve_plain};

fn register(site: &Site, systems: &str) {
    std::fs::write(
        site.path().join("register.toml"),
        format!(
            "[[unit]]\ncode = \"THPT-A\"\nname = \"Trường THPT A\"\ntype = \"thpt\"\ncommune = \"Xã A\"\n{systems}"
        ),
    )
    .unwrap();
}

/// The audit events of `serve.db` whose name starts with `schedule`.
fn schedule_events(site: &Site) -> Vec<(String, String)> {
    let Ok(db) = rusqlite::Connection::open(site.data().join("serve.db")) else {
        return vec![];
    };
    let Ok(mut stmt) =
        db.prepare("SELECT event, detail FROM audit WHERE event LIKE 'schedule%' ORDER BY id")
    else {
        return vec![];
    };
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Waits (at most 3 minutes) for the scheduled run to end; its events.
fn wait_for_run(site: &Site) -> Vec<(String, String)> {
    let start = Instant::now();
    loop {
        let events = schedule_events(site);
        if events
            .iter()
            .any(|(e, _)| e == "schedule_done" || e == "schedule_failed")
        {
            return events;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "no scheduled run ended: {events:?}\n{}",
            site.log()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_schedule_due_now_scans_the_registers_websites_into_the_store() {
    let site_addr = serve_plain(
        "127.0.0.1:0",
        routes(vec![(
            "/",
            Resp::html(
                200,
                "<!DOCTYPE html><html><head><title>Trường THPT A</title></head><body>Trường</body></html>",
            ),
        )]),
    );
    let site = Site::new();
    register(
        &site,
        &format!(
            r#"
[[system]]
id = "WEB-A"
name = "Website trường A"
unit = "THPT-A"
owner = "Trường THPT A"
operator = "Trường THPT A"
urls = ["http://truong-a.test:{}/"]
hosting = {{ kind = "on_premises" }}
status = "operating"
personal_data = {{ categories = [] }}
"#,
            site_addr.port()
        ),
    );
    // Midnight in Vietnam has always passed today: due as soon as the server starts.
    site.config(
        "127.0.0.1:0",
        "[schedule]\nweb_scan_at = \"00:00\"\nresolve = [\"truong-a.test:127.0.0.1\"]\nper_ip = 2\ntimeout_seconds = 5\nsite_timeout_seconds = 60\n",
    );
    let server = site.start();
    let events = wait_for_run(&site);
    assert_eq!(
        events.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
        ["schedule_start", "schedule_done"],
        "{events:?}\n{}",
        site.log()
    );
    assert!(events[1].1.contains("200 Result received"), "{events:?}");

    // In the history, as the Department's upload through the ingest's own checks.
    let history = rusqlite::Connection::open(site.data().join("history.db")).unwrap();
    let (unit, id): (String, String) = history
        .query_row(
            "SELECT unit_code, target_id FROM targets WHERE kind = 'web'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(unit, "THPT-A");
    assert!(id.contains("truong-a.test"), "{id}");
    let findings: i64 = history
        .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
        .unwrap();
    assert!(findings > 5, "{findings} findings");
    let ledger = rusqlite::Connection::open(site.data().join("serve.db")).unwrap();
    let (uploader, status): (String, String) = ledger
        .query_row("SELECT unit_code, status FROM uploads", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (uploader.as_str(), status.as_str()),
        ("admin:schedule", "accepted")
    );
    let upload: String = ledger
        .query_row(
            "SELECT detail FROM audit WHERE event = 'upload' AND remote = 'schedule'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(upload.starts_with("200 accepted"), "{upload}");
    let (code, _, _) = request(
        "GET",
        &format!("{}/healthz", server.url),
        &site.ca_pem,
        &[],
        vec![],
    );
    assert_eq!(code, 200);
}

#[test]
fn a_failed_scheduled_run_is_audited_and_the_server_keeps_serving() {
    let site = Site::new();
    // No website in the register: `scan web --register` has nothing to scan.
    register(&site, "");
    site.config("127.0.0.1:0", "[schedule]\nweb_scan_at = \"00:00\"\n");
    let server = site.start();
    let events = wait_for_run(&site);
    assert_eq!(
        events.iter().map(|(e, _)| e.as_str()).collect::<Vec<_>>(),
        ["schedule_start", "schedule_failed"],
        "{events:?}"
    );
    assert!(events[1].1.contains("wrote no result"), "{events:?}");
    let log = std::fs::read_to_string(site.data().join("schedule/web-scan.log")).unwrap();
    assert!(log.contains("no website to scan"), "{log}");
    // The day is recorded: tried again tomorrow, not at the next tick.
    let ledger = rusqlite::Connection::open(site.data().join("serve.db")).unwrap();
    let day: String = ledger
        .query_row(
            "SELECT value FROM meta WHERE key = 'schedule.web_scan.last_day'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
        .date()
        .to_string();
    assert_eq!(day, today);
    assert!(
        site.log().contains("scheduled website scan failed"),
        "{}",
        site.log()
    );
    let (code, _, _) = request(
        "GET",
        &format!("{}/healthz", server.url),
        &site.ca_pem,
        &[],
        vec![],
    );
    assert_eq!(code, 200);
}
