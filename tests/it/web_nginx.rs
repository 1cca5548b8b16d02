//! `khien scan web` against nginx from Debian on loopback: the HTTP → HTTPS
//! redirect, security headers, version disclosure, a NukeViet generator tag, mixed
//! content, an exposed `.git/HEAD`, a directory listing with a spreadsheet, and a
//! soft-404 page served with status 200 that must never count as a finding.
//! Skips when nginx is absent.

use crate::support::web as web_support;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use web_support::*;

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn nginx_binary() -> Option<&'static str> {
    ["/usr/sbin/nginx", "nginx"]
        .into_iter()
        .find(|b| Command::new(b).arg("-v").output().is_ok())
}

fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

#[test]
fn nginx_site_facts() {
    let Some(nginx) = nginx_binary() else {
        crate::support::skip("nginx is not installed (CI installs it: .ci/setup-web.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path();
    let root = prefix.join("www");
    write(
        &root,
        "index.html",
        br#"<html><head><meta name="generator" content="NukeViet v4.4"><title>THPT</title></head>
<body><script src="http://cdn.example.invalid/jquery.js"></script>
<form action="http://127.0.0.1/dang-nhap" method="post"></form></body></html>"#,
    );
    write(
        &root,
        "404.html",
        "<html><body>Không tìm thấy</body></html>".as_bytes(),
    );
    write(&root, ".git/HEAD", b"ref: refs/heads/master\n");
    write(&root, "uploads/diem-thi-hk1.xlsx", b"PK\x03\x04");
    let leaf = self_signed(&["127.0.0.1"]);
    write(prefix, "cert.pem", leaf.pem.as_bytes());
    write(prefix, "key.pem", leaf.key_pem.as_bytes());
    // nginx workers may run as nobody when the tests run as root.
    let _ = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(prefix)
        .status();

    let (http_port, https_port) = (free_port(), free_port());
    let p = prefix.display();
    let conf = format!(
        r#"
error_log {p}/error.log;
pid {p}/nginx.pid;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
  log_format proto '$connection $server_port $server_protocol $request_uri';
  access_log {p}/access.log proto;
  client_body_temp_path {p}/body;
  proxy_temp_path {p}/proxy;
  fastcgi_temp_path {p}/fastcgi;
  uwsgi_temp_path {p}/uwsgi;
  scgi_temp_path {p}/scgi;
  server {{
    listen 127.0.0.1:{http_port};
    return 301 https://$host:{https_port}$request_uri;
  }}
  server {{
    listen 127.0.0.1:{https_port} ssl http2;
    ssl_certificate {p}/cert.pem;
    ssl_certificate_key {p}/key.pem;
    root {root};
    error_page 404 =200 /404.html;
    add_header Strict-Transport-Security "max-age=600" always;
    add_header X-Content-Type-Options nosniff always;
    add_header Set-Cookie "PHPSESSID=abc; Path=/; HttpOnly" always;
    location /uploads/ {{ autoindex on; }}
  }}
}}
"#,
        root = root.display()
    );
    write(prefix, "nginx.conf", conf.as_bytes());
    let child = Command::new(nginx)
        .arg("-p")
        .arg(prefix)
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nginx starts");
    let _guard = Nginx(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", https_port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nginx did not start: {}",
            std::fs::read_to_string(prefix.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let site = format!("http://127.0.0.1:{http_port}/");
    let (doc, _, stderr) = scan_json(&["--timeout", "5", &site]);

    let redirect = evidence(&doc, &site, "WEB-HTTP-001", "web.http.redirect");
    assert_eq!(redirect["first_status"], 301, "{redirect}\n{stderr}");
    assert_eq!(redirect["first_hop_to_https_same_host"], true);
    assert_eq!(status(&doc, &site, "WEB-HTTP-001"), "pass");
    assert_eq!(status(&doc, &site, "WEB-HTTP-002"), "pass");
    // The HTTPS endpoint was found through the redirect.
    let handshake = evidence(&doc, &site, "WEB-TLS-001", "web.tls.handshake");
    assert!(
        handshake["version"].as_str().unwrap().starts_with("TLSv1."),
        "{handshake}"
    );

    let mixed = evidence(&doc, &site, "WEB-HTTP-003", "web.http.home.mixed_content");
    let kinds: Vec<_> = mixed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].clone())
        .collect();
    assert_eq!(kinds, ["script", "form"], "{mixed}");
    assert_eq!(status(&doc, &site, "WEB-HTTP-003"), "fail");

    // HSTS too short, no anti-framing, cookie without Secure.
    assert_eq!(status(&doc, &site, "WEB-HSTS-001"), "fail");
    assert_eq!(status(&doc, &site, "WEB-HDR-001"), "fail");
    assert_eq!(status(&doc, &site, "WEB-HDR-002"), "fail");
    // "nginx/1.x" and "NukeViet v4.4" disclose versions.
    assert_eq!(status(&doc, &site, "WEB-VER-001"), "fail");

    // Only the real file is a finding: every other path got the soft 404 with status 200.
    let files = evidence(&doc, &site, "WEB-FILE-001", "web.exposed.files");
    let paths: Vec<_> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].clone())
        .collect();
    assert_eq!(paths, ["/.git/HEAD"], "{files}");
    assert_eq!(status(&doc, &site, "WEB-FILE-001"), "fail");

    let listings = evidence(&doc, &site, "WEB-DIR-001", "web.exposed.listings");
    assert_eq!(listings[0]["path"], "/uploads/", "{listings}");
    assert_eq!(listings[0]["sensitive_files"], true);
    assert_eq!(status(&doc, &site, "WEB-DIR-002"), "fail");

    let products = evidence(&doc, &site, "WEB-SW-001", "web.software.products");
    assert_eq!(products[0]["name"], "nukeviet", "{products}");
    assert_eq!(products[0]["version"], "4.4");
    // No dated end of life for NukeViet in the table: nothing to fail on.
    assert_eq!(status(&doc, &site, "WEB-SW-001"), "pass");

    // nginx offers HTTP/2: every HTTPS request of the site went over it, on one
    // connection (the home page once).
    let log = std::fs::read_to_string(prefix.join("access.log")).unwrap();
    let https: Vec<&str> = log
        .lines()
        .filter(|l| l.split(' ').nth(1) == Some(&https_port.to_string()[..]))
        .collect();
    assert!(https.len() >= 20, "{log}");
    assert!(https.iter().all(|l| l.contains(" HTTP/2.0 ")), "{log}");
    let connections: std::collections::BTreeSet<&str> =
        https.iter().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(connections.len(), 1, "{log}");
    assert_eq!(
        https.iter().filter(|l| l.ends_with(" /")).count(),
        1,
        "{log}"
    );
}
