//! A scan of 1,000 local sites: every site is accounted for, reachable or not.
//! Sites sit on distinct loopback addresses (127.1.x.y), as thousands of school
//! sites sit on their own or shared hosting addresses.

use crate::support::web as web_support;

use std::collections::HashSet;
use std::time::Instant;

use web_support::*;

#[test]
fn a_thousand_sites_are_all_accounted_for() {
    const SITES: usize = 1000;
    const CLOSED_EVERY: usize = 20; // every 20th site has nothing listening
    let leaf = self_signed(&["truong.test"]);
    let page = routes(vec![(
        "/",
        Resp::html(
            200,
            "<html><head><title>Trường</title></head><body>ok</body></html>",
        )
        .header("X-Content-Type-Options", "nosniff"),
    )]);
    let mut lines = String::from("ma_don_vi,ten_don_vi,url\n");
    let mut expected = HashSet::new();
    let mut closed = HashSet::new();
    for i in 0..SITES {
        let ip = format!("127.1.{}.{}", i / 250, i % 250 + 1);
        let url = if i % CLOSED_EVERY == 0 {
            // Bind then release: the port is closed when khien connects.
            let port = std::net::TcpListener::bind((ip.as_str(), 0))
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let url = format!("https://{ip}:{port}/");
            closed.insert(url.clone());
            url
        } else {
            let addr = serve_tls(
                &format!("{ip}:0"),
                vec![leaf.der.clone()],
                &leaf.key_der,
                page.clone(),
            );
            format!("https://{addr}/")
        };
        lines.push_str(&format!("T{i:04},Trường số {i},{url}\n"));
        expected.insert(url);
    }
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("sites.csv");
    std::fs::write(&list, lines).unwrap();
    let out_file = dir.path().join("ket-qua.json");

    let started = Instant::now();
    let out = khien()
        .args([
            "--lang",
            "en",
            "scan",
            "web",
            "--format",
            "json",
            "--timeout",
            "5",
            "-o",
        ])
        .arg(&out_file)
        .arg(&list)
        .timeout(std::time::Duration::from_secs(900))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!(
        "{SITES} sites in {elapsed:?} ({:.1} sites/s)",
        SITES as f64 / elapsed.as_secs_f64()
    );
    println!("{}", stderr.lines().next().unwrap_or(""));

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let targets = doc["targets"].as_array().unwrap();
    assert_eq!(targets.len(), SITES);
    assert_eq!(doc["summary"]["targets"], SITES);
    let seen: HashSet<String> = targets
        .iter()
        .map(|t| t["target"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, expected, "every site exactly once");
    let rules = targets[0]["findings"].as_array().unwrap().len();
    assert!(rules >= 16);
    for t in targets {
        let id = t["target"]["id"].as_str().unwrap();
        assert_eq!(t["findings"].as_array().unwrap().len(), rules, "{id}");
        assert!(
            t["target"]["unit"]["code"]
                .as_str()
                .unwrap()
                .starts_with('T')
        );
        let tls = t["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "WEB-TLS-001")
            .unwrap();
        if closed.contains(id) {
            assert_eq!(tls["status"], "unknown", "{id}");
        } else {
            assert_eq!(
                tls["status"], "fail",
                "{id}: self-signed, so a known fail: {tls}"
            );
        }
    }
    assert!(
        stderr.contains(&format!("unreachable: {}", closed.len())),
        "the run summary names the unreachable sites: {stderr}"
    );
}
