//! `khien scan web --register FILE`: the register as the source of web targets, and
//! the link back (an operating system whose URL does not answer; a site that answers
//! but belongs to no registered system). Loopback only.

use std::io::{Read, Write};
use std::net::TcpListener;

use assert_cmd::Command;

/// A minimal HTTP server on 127.0.0.1 answering 200 to every request, for the life
/// of the test process.
fn serve() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let body = "<html><body>Trường</body></html>";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

fn register(answering: u16) -> String {
    format!(
        r#"
[[unit]]
code = "THPT-A"
name = "Trường THPT A"
type = "thpt"

[[system]]
id = "WEB-A"
name = "Website trường A"
unit = "THPT-A"
owner = "Trường THPT A"
operator = "Trường THPT A"
urls = ["http://127.0.0.1:{answering}/"]
hosting = {{ kind = "on_premises" }}
status = "operating"
personal_data = {{ categories = [] }}

[[system]]
id = "LMS-A"
name = "Học trực tuyến A"
unit = "THPT-A"
owner = "Trường THPT A"
operator = "Trường THPT A"
urls = ["http://127.0.0.1:1/"]
hosting = {{ kind = "cloud" }}
status = "operating"
personal_data = {{ categories = [] }}
"#
    )
}

fn status(doc: &serde_json::Value, target: &str, rule: &str) -> Option<String> {
    doc["targets"]
        .as_array()?
        .iter()
        .find(|t| t["target"]["id"] == target)?["findings"]
        .as_array()?
        .iter()
        .find(|f| f["rule"] == rule)
        .map(|f| f["status"].as_str().unwrap().to_string())
}

#[test]
fn the_register_gives_the_targets_and_the_link_findings() {
    let registered = serve();
    let unregistered = serve();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("so-dang-ky.toml");
    std::fs::write(&path, register(registered)).unwrap();
    let extra = format!("http://127.0.0.1:{unregistered}/");
    let out = Command::cargo_bin("khien")
        .unwrap()
        .args([
            "scan",
            "web",
            "--format",
            "json",
            "--timeout",
            "3",
            "--site-timeout",
            "30",
            "--register",
        ])
        .arg(&path)
        .arg(&extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));

    // Every register URL was scanned as a web target, with its unit.
    let web: Vec<&serde_json::Value> = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["target"]["kind"] == "web")
        .collect();
    let site = web
        .iter()
        .find(|t| t["target"]["id"] == format!("http://127.0.0.1:{registered}/"))
        .expect("the registered site was scanned");
    assert_eq!(site["target"]["unit"]["code"], "THPT-A");
    assert!(
        web.iter()
            .any(|t| t["target"]["id"] == "http://127.0.0.1:1/")
    );

    // The link back to the register.
    assert_eq!(
        status(&doc, "system:WEB-A", "REG-WEB-001").as_deref(),
        Some("pass")
    );
    assert_eq!(
        status(&doc, "system:LMS-A", "REG-WEB-001").as_deref(),
        Some("fail")
    );
    assert_eq!(
        status(&doc, &format!("site:{extra}"), "REG-WEB-002").as_deref(),
        Some("fail")
    );
    assert_eq!(
        doc["summary"]["targets"].as_u64().unwrap() as usize,
        doc["targets"].as_array().unwrap().len()
    );
}

#[test]
fn a_bad_register_stops_the_web_scan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("so-dang-ky.toml");
    std::fs::write(&path, "[[system]]\nid = \"X\"\nunit = \"NOPE\"\n").unwrap();
    let out = Command::cargo_bin("khien")
        .unwrap()
        .args(["--lang", "en", "scan", "web", "--register"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("so-dang-ky.toml:"));
}
