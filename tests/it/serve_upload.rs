//! `khien serve` end to end on loopback: a real server process over TLS, tokens issued
//! with `khien serve tokens`, results sent by khien's own client (the library's
//! `send` module and `khien scan host --send`), and what the server kept checked in
//! its data folder and history store.

use std::path::Path;
use std::time::Duration;

use khien::config::SendSettings;
use khien::send::{Outcome, queue_and_send};

use crate::support::serve::{Site, free_port, request};
use crate::support::{khien, repo_path};

fn settings(site: &Site, url: &str, token: &str) -> SendSettings {
    SendSettings {
        url: url.to_string(),
        token: token.to_string(),
        ca_file: Some(site.ca_pem.display().to_string()),
        outbox: None,
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("fixtures/results/round-1/{name}"))).unwrap()
}

/// Targets and findings per target in the server's SQLite history.
fn history_counts(site: &Site) -> Vec<(String, String, i64)> {
    let conn = rusqlite::Connection::open(site.data().join("history.db")).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT t.unit_code, t.target_id, COUNT(f.id) FROM targets t LEFT JOIN findings f
             ON f.target_ref = t.id GROUP BY t.id ORDER BY t.unit_code, t.target_id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn files_under(dir: &Path) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .count()
}

#[test]
fn accepted_wrong_unit_future_duplicate_and_oversized() {
    let site = Site::new();
    site.config("127.0.0.1:0", "max_upload_mb = 0.5");
    let tokens = site.issue(&[]);
    assert!(tokens.contains_key("LD-THPT-001") && tokens.contains_key("LD-TH-004"));
    let server = site.start();
    let thpt = settings(&site, &server.url, &tokens["LD-THPT-001"]);
    let outbox = site.path().join("outbox");

    // Accepted: kept by content address and ingested.
    let doc = fixture("host-ld-thpt-001.json");
    let d = queue_and_send(&thpt, None, &outbox, "a.json", &doc).unwrap();
    let Outcome::Sent(reply) = &d[0].outcome else {
        panic!("{d:?}\n{}", site.log())
    };
    assert_eq!(reply.status, "accepted", "{reply:?}");
    assert!(
        reply.message.contains("Đã nhận kết quả"),
        "{}",
        reply.message
    );
    let sha = reply.sha256.clone().unwrap();
    let kept = site
        .data()
        .join("received")
        .join(&sha[..2])
        .join(format!("{sha}.json"));
    assert_eq!(std::fs::read(&kept).unwrap(), doc, "kept as received");
    let counts = history_counts(&site);
    let expected: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    let targets = expected["targets"].as_array().unwrap();
    assert_eq!(counts.len(), targets.len());
    for t in targets {
        let id = t["target"]["id"].as_str().unwrap();
        let row = counts.iter().find(|c| c.1 == id).unwrap();
        assert_eq!(row.0, "LD-THPT-001");
        assert_eq!(row.2 as usize, t["findings"].as_array().unwrap().len());
    }
    assert!(
        !outbox.join("a.json").exists(),
        "delivered files leave the outbox"
    );

    // The same content again: stored once.
    let d = queue_and_send(&thpt, None, &outbox, "b.json", &doc).unwrap();
    let Outcome::Sent(reply) = &d[0].outcome else {
        panic!("{d:?}")
    };
    assert_eq!(reply.status, "duplicate");
    assert!(
        reply.message.contains("đã nhận trước đó"),
        "{}",
        reply.message
    );
    assert_eq!(files_under(&site.data().join("received")), 1);
    assert_eq!(history_counts(&site), counts);

    // Another unit's result with this token: 403 and a Vietnamese reason.
    let other = fixture("host-ld-th-004.json");
    let d = queue_and_send(&thpt, None, &outbox, "c.json", &other).unwrap();
    let Outcome::Refused { reply, kept } = &d[0].outcome else {
        panic!("{d:?}")
    };
    assert_eq!(reply.status, "refused");
    assert!(
        reply
            .message
            .contains("ghi đơn vị `LD-TH-004`, nhưng mã gửi (token) là của đơn vị `LD-THPT-001`"),
        "{}",
        reply.message
    );
    assert!(kept.ends_with("refused/c.json") && kept.is_file());
    let (status, _, body) = request(
        "POST",
        &format!("{}/api/v1/results", server.url),
        &site.ca_pem,
        &[(
            "authorization",
            &format!("Bearer {}", tokens["LD-THPT-001"]),
        )],
        other.clone(),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        history_counts(&site),
        counts,
        "nothing of the other unit applied"
    );

    // Dated 2099: quarantined with the reason, never applied.
    let mut future: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    future["evaluated_at"] = "2099-01-01T00:00:00Z".into();
    let future = serde_json::to_string(&future).unwrap();
    let d = queue_and_send(&thpt, None, &outbox, "d.json", future.as_bytes()).unwrap();
    let Outcome::Refused { reply, .. } = &d[0].outcome else {
        panic!("{d:?}")
    };
    assert_eq!(reply.status, "quarantined", "{reply:?}");
    assert!(
        reply.message.contains("cách ly") && reply.message.contains("2099"),
        "{}",
        reply.message
    );
    let sha = reply.sha256.clone().unwrap();
    let q = site.data().join("quarantine").join(format!("{sha}.json"));
    assert!(q.is_file());
    assert!(
        std::fs::read_to_string(q.with_extension("reason.txt"))
            .unwrap()
            .contains("in the future")
    );
    assert_eq!(
        history_counts(&site),
        counts,
        "a quarantined result is not applied"
    );

    // Over max_upload_mb (0.5 MB, after decompression): 413.
    let big = format!(
        "{{\"schema\":\"khien-result/1\",\"pad\":\"{}\"}}",
        "x".repeat(600 * 1024)
    );
    let d = queue_and_send(&thpt, None, &outbox, "e.json", big.as_bytes()).unwrap();
    let Outcome::Refused { reply, .. } = &d[0].outcome else {
        panic!("{d:?}")
    };
    assert!(
        reply.message.contains("quá lớn") && reply.message.contains("0.5 MB"),
        "{}",
        reply.message
    );
    let (status, _, _) = request(
        "POST",
        &format!("{}/api/v1/results", server.url),
        &site.ca_pem,
        &[(
            "authorization",
            &format!("Bearer {}", tokens["LD-THPT-001"]),
        )],
        big.into_bytes(),
    );
    assert_eq!(status, 413);

    // No token, a wrong one: 401, and nothing read.
    let (status, headers, _) = request(
        "POST",
        &format!("{}/api/v1/results", server.url),
        &site.ca_pem,
        &[("authorization", "Bearer khien_0000")],
        doc.clone(),
    );
    assert_eq!(status, 401);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "www-authenticate" && v == "Bearer")
    );

    // The audit log has the uploads and the refusals.
    let ledger = rusqlite::Connection::open(site.data().join("serve.db")).unwrap();
    let events: Vec<String> = ledger
        .prepare("SELECT event FROM audit ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for e in ["upload", "refusal", "quarantine"] {
        assert!(events.iter().any(|x| x == e), "{e} in {events:?}");
    }
}

#[test]
fn health_headers_and_a_revoked_or_rotated_token() {
    let site = Site::new();
    site.config("127.0.0.1:0", "");
    let tokens = site.issue(&["--unit", "LD-THPT-001", "--unit", "LD-TH-004"]);
    assert_eq!(tokens.len(), 2);
    let mut server = site.start();
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    let (status, headers, body) = request(
        "GET",
        &format!("{}/healthz", server.url),
        &site.ca_pem,
        &[],
        vec![],
    );
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    for h in [
        "strict-transport-security",
        "x-content-type-options",
        "content-security-policy",
    ] {
        assert!(
            headers.iter().any(|(k, _)| k == h),
            "{h} missing: {headers:?}"
        );
    }
    let (status, _, _) = request(
        "GET",
        &format!("{}/../etc/passwd", server.url),
        &site.ca_pem,
        &[],
        vec![],
    );
    assert_eq!(status, 404);

    // Rotate: the old token stops working at once, the new one works.
    let out = site.path().join("rotated");
    let o = khien()
        .args(["serve", "tokens", "--config"])
        .arg(site.path().join("khien-serve.toml"))
        .args(["rotate", "--unit", "LD-THPT-001", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let section = std::fs::read_to_string(out.join("send/LD-THPT-001.toml")).unwrap();
    assert!(
        section.contains("[send]") && section.contains("url = \"https://127.0.0.1:0\""),
        "{section}"
    );
    let new_token = section
        .lines()
        .find_map(|l| l.strip_prefix("token = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    assert_ne!(new_token, tokens["LD-THPT-001"]);
    let outbox = site.path().join("outbox");
    let doc = fixture("host-ld-thpt-001.json");
    let d = queue_and_send(
        &settings(&site, &server.url, &tokens["LD-THPT-001"]),
        None,
        &outbox,
        "a.json",
        &doc,
    )
    .unwrap();
    let Outcome::Refused { reply, .. } = &d[0].outcome else {
        panic!("{d:?}")
    };
    assert!(
        reply.message.contains("không còn hiệu lực"),
        "{}",
        reply.message
    );
    let d = queue_and_send(
        &settings(&site, &server.url, &new_token),
        None,
        &outbox,
        "b.json",
        &doc,
    )
    .unwrap();
    assert!(
        matches!(&d[0].outcome, Outcome::Sent(r) if r.status == "accepted"),
        "{d:?}"
    );

    // Revoke; export lists fingerprints and dates, never a token.
    let o = khien()
        .args(["serve", "tokens", "--config"])
        .arg(site.path().join("khien-serve.toml"))
        .args(["revoke", "--unit", "LD-TH-004"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = khien()
        .args(["serve", "tokens", "--config"])
        .arg(site.path().join("khien-serve.toml"))
        .arg("export")
        .output()
        .unwrap();
    let csv = String::from_utf8(o.stdout).unwrap();
    assert!(
        csv.starts_with("unit_code,unit_name,kind,fingerprint,issued_at,revoked_at"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 3, "{csv}");
    for t in tokens.values().chain([&new_token]) {
        assert!(!csv.contains(t.as_str()), "a token in the export");
    }
    let revoked = csv.lines().find(|l| l.starts_with("LD-TH-004,")).unwrap();
    assert!(!revoked.ends_with(','), "LD-TH-004 revoked: {revoked}");
    let d = queue_and_send(
        &settings(&site, &server.url, &tokens["LD-TH-004"]),
        None,
        &outbox,
        "c.json",
        &fixture("host-ld-th-004.json"),
    )
    .unwrap();
    assert!(matches!(&d[0].outcome, Outcome::Refused { .. }), "{d:?}");

    // An administrator token uploads any unit's results (the Department's own
    // website and register scans), and is refused nothing for the unit.
    let admin = site.issue(&["--admin", "van-phong-so"]);
    let admin_token = &admin["admin:van-phong-so"];
    let web = std::fs::read(repo_path("fixtures/results/round-1/web-ld-th-004.json")).unwrap();
    let d = queue_and_send(
        &settings(&site, &server.url, admin_token),
        None,
        &outbox,
        "w.json",
        &web,
    )
    .unwrap();
    assert!(
        matches!(&d[0].outcome, Outcome::Sent(r) if r.status == "accepted"),
        "{d:?}"
    );
    assert!(
        history_counts(&site).iter().any(|c| c.0 == "LD-TH-004"),
        "the admin's upload is in the history"
    );

    // Issuing again gives no second token to a unit that has one.
    let again = site.issue(&[]);
    assert!(
        !again.contains_key("LD-THPT-001")
            && again.contains_key("LD-TH-004")
            && again.contains_key("LD-SO")
    );

    let status = server.terminate(Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
    let log = site.log();
    assert!(
        log.contains("stopping: finishing requests in flight"),
        "{log}"
    );
    assert!(log.contains("unit=LD-THPT-001"), "structured fields: {log}");
}

#[test]
fn bad_configuration_is_reported_with_positions() {
    let site = Site::new();
    let p = site.path().join("khien-serve.toml");
    std::fs::write(
        &p,
        "listen = \"127.0.0.1\"\ndata_dir = \"data\"\nregister = \"nope.toml\"\nbehind_proxy = true\n",
    )
    .unwrap();
    let o = khien()
        .args(["serve", "--config"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("khien-serve.toml:1:10"), "{err}");
    assert!(err.contains("không phải địa chỉ IP:cổng"), "{err}");
    assert!(err.contains("khien-serve.toml:3:12"), "{err}");
}

#[test]
fn server_down_then_the_outbox_is_delivered_at_the_next_run() {
    let site = Site::new();
    let port = free_port();
    site.config(&format!("127.0.0.1:{port}"), "");
    let tokens = site.issue(&["--unit", "LD-THPT-001"]);
    let url = format!("https://127.0.0.1:{port}");
    let school = site.school("LD-THPT-001", &url, &tokens["LD-THPT-001"]);

    // The server is not running: the scan's result waits in the outbox.
    let o = khien()
        .current_dir(&school)
        .args([
            "scan", "host", "--send", "--format", "json", "--output", "r1.json",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Chưa gửi được") && err.contains("lần chạy sau"),
        "{err}"
    );
    let queued = files_under(&school.join("outbox"));
    assert_eq!(queued, 1, "{err}");

    // Next run with the server up: both results go, the outbox empties.
    let server = site.start();
    assert_eq!(server.url, url);
    let o = khien()
        .current_dir(&school)
        .args([
            "scan", "host", "--send", "--format", "json", "--output", "r2.json",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.matches("Đã gửi về Sở").count(),
        2,
        "{err}\n{}",
        site.log()
    );
    assert_eq!(files_under(&school.join("outbox")), 0);
    let counts = history_counts(&site);
    assert_eq!(counts.len(), 1, "one machine: {counts:?}");
    assert_eq!(counts[0].0, "LD-THPT-001");
    assert!(counts[0].2 > 10, "{counts:?}");
}

#[test]
fn kill_9_during_ingests_leaves_no_partial_rows_and_resent_results_apply() {
    let site = Site::new();
    let port = free_port();
    site.config(&format!("127.0.0.1:{port}"), "uploads_per_minute = 100000");
    let tokens = site.issue(&[]);
    let url = format!("https://127.0.0.1:{port}");
    let mut server = site.start();

    // Many distinct results from each unit, sent from four threads; the server is
    // killed while they go.
    let units: Vec<(String, Vec<u8>)> = std::fs::read_dir(repo_path("fixtures/results/round-1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("host-")
        })
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            (
                v["targets"][0]["target"]["unit"]["code"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                bytes,
            )
        })
        .collect();
    let mut handles = Vec::new();
    for chunk in units.chunks(units.len().div_ceil(4)) {
        let chunk = chunk.to_vec();
        let tokens = tokens.clone();
        let url = url.clone();
        let ca = site.ca_pem.clone();
        let base = site.path().to_path_buf();
        handles.push(std::thread::spawn(move || {
            let mut outboxes = Vec::new();
            for round in 0..6 {
                for (unit, bytes) in &chunk {
                    // Trailing spaces make each a new document (content address).
                    let text = String::from_utf8(bytes.clone()).unwrap() + &" ".repeat(round);
                    let s = SendSettings {
                        url: url.clone(),
                        token: tokens[unit].clone(),
                        ca_file: Some(ca.display().to_string()),
                        outbox: None,
                    };
                    let outbox = base.join(format!("outbox-{unit}"));
                    let _ = queue_and_send(
                        &s,
                        None,
                        &outbox,
                        &format!("{round}.json"),
                        text.as_bytes(),
                    );
                    if round == 0 {
                        outboxes.push((unit.clone(), outbox));
                    }
                }
            }
            outboxes
        }));
    }
    // Kill once some uploads are in.
    let start = std::time::Instant::now();
    while !site.log().contains("upload received") && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    server.kill9();
    let outboxes: Vec<(String, std::path::PathBuf)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let waiting: usize = outboxes.iter().map(|(_, o)| files_under(o)).sum();
    assert!(
        waiting > 0,
        "the kill should have left results in the outboxes"
    );

    // The store after the kill: every target has all its findings or is absent.
    let check = |counts: &[(String, String, i64)]| {
        for (_unit, target, n) in counts {
            let expected = units
                .iter()
                .find_map(|(_, bytes)| {
                    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                    v["targets"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|t| t["target"]["id"] == target.as_str())
                        .map(|t| t["findings"].as_array().unwrap().len())
                })
                .unwrap();
            assert_eq!(*n as usize, expected, "target {target}");
        }
    };
    let after_kill = history_counts(&site);
    check(&after_kill);

    // Restarted, the clients' next run sends what waited; everything is applied.
    let _server = site.start();
    for (unit, outbox) in &outboxes {
        let s = SendSettings {
            url: url.clone(),
            token: tokens[unit].clone(),
            ca_file: Some(site.ca_pem.display().to_string()),
            outbox: None,
        };
        let d = khien::send::send_outbox(&s, None, outbox);
        assert!(
            d.iter().all(|d| matches!(d.outcome, Outcome::Sent(_))),
            "{d:?}"
        );
        assert_eq!(files_under(outbox), 0);
    }
    let total_targets: usize = units
        .iter()
        .map(|(_, b)| {
            serde_json::from_slice::<serde_json::Value>(b).unwrap()["targets"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    let final_counts = history_counts(&site);
    assert_eq!(final_counts.len(), total_targets);
    check(&final_counts);
}
