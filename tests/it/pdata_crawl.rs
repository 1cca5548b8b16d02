//! The W11 crawler against a real HTTP server on 127.0.0.1, started by the test:
//! pages with an ID table, linked documents from the corpus, a robots.txt rule, an
//! off-site link that must not be followed, and a broken document.
//!
//! The fetcher here is a minimal HTTP/1.0 client over a TCP socket that refuses any
//! address but loopback; the website collector's fetcher takes its place in khien.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use khien::pdata::crawl::{CrawlLimits, FetchedPage, PageFetcher, crawl};
use url::Url;

const YEAR: u16 = 2026;

struct Site {
    pages: HashMap<String, (&'static str, Vec<u8>)>,
}

/// Serves `site` on 127.0.0.1 until the process ends; returns the port and the
/// log of requested paths.
fn serve(site: Site) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            // Read up to the end of the request head.
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let req = String::from_utf8_lossy(&head);
            let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
            log2.lock().unwrap().push(path.clone());
            let (status, ctype, body) = match site.pages.get(&path) {
                Some((ct, b)) => ("200 OK", *ct, b.clone()),
                None => ("404 Not Found", "text/plain", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.0 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    (port, log)
}

/// HTTP/1.0 GET over a plain socket, loopback only.
struct LoopbackFetcher;

impl PageFetcher for LoopbackFetcher {
    fn fetch(&self, url: &Url) -> Result<FetchedPage, String> {
        let host = url.host_str().ok_or("no host")?;
        if host != "127.0.0.1" {
            return Err(format!("refused: {host} is not loopback"));
        }
        let port = url.port_or_known_default().ok_or("no port")?;
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let request = format!("GET {target} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        s.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).map_err(|e| e.to_string())?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no header end")?;
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("bad status line")?;
        let content_type = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Type: "))
            .map(str::to_string);
        Ok(FetchedPage {
            final_url: url.clone(),
            status,
            content_type,
            body: raw[split + 4..].to_vec(),
            truncated: false,
        })
    }
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/pdata/corpus")
            .join(name),
    )
    .unwrap()
}

#[test]
fn crawl_finds_ids_in_pages_and_linked_documents() {
    let mut table = String::from(
        "<html><body><h1>Danh sách trúng tuyển</h1><table><tr><th>Họ tên</th><th>Số CCCD</th></tr>",
    );
    for i in 0..12 {
        table.push_str(&format!(
            "<tr><td>Học sinh {i}</td><td>06820900{i:04}</td></tr>"
        ));
    }
    table.push_str("</table></body></html>");
    let mut pages = HashMap::new();
    pages.insert(
        "/".to_string(),
        (
            "text/html; charset=utf-8",
            r#"<html><a href="/tin-tuc/tuyen-sinh.html">Tuyển sinh</a>
                <a href="/van-ban/trungtuyen.pdf">PDF</a> <a href='/van-ban/hoadon.xlsx'>HĐ</a>
                <a href="/van-ban/matkhau.xlsx">MK</a> <a href="/van-ban/hong.docx">hỏng</a>
                <a href="/private/ds.csv">riêng</a> <a href="http://192.0.2.1/ngoai.html">ngoài</a>
                <a href="/tin-tuc/tuyen-sinh.html#top">lại</a></html>"#
                .as_bytes()
                .to_vec(),
        ),
    );
    pages.insert(
        "/tin-tuc/tuyen-sinh.html".into(),
        ("text/html", table.into_bytes()),
    );
    pages.insert(
        "/van-ban/trungtuyen.pdf".into(),
        ("application/pdf", corpus("trungtuyen_0.pdf")),
    );
    pages.insert(
        "/van-ban/hoadon.xlsx".into(),
        ("application/octet-stream", corpus("hoadon_1.xlsx")),
    );
    pages.insert(
        "/van-ban/matkhau.xlsx".into(),
        ("application/octet-stream", corpus("matkhau.xlsx")),
    );
    pages.insert(
        "/van-ban/hong.docx".into(),
        ("application/octet-stream", b"PK\x03\x04broken".to_vec()),
    );
    pages.insert(
        "/private/ds.csv".into(),
        ("text/csv", corpus("ds_hocsinh_0.csv")),
    );
    pages.insert(
        "/robots.txt".into(),
        (
            "text/plain",
            b"User-agent: *\nDisallow: /private/\n".to_vec(),
        ),
    );
    let (port, log) = serve(Site { pages });

    let start = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let limits = CrawlLimits {
        delay: Duration::ZERO,
        ..CrawlLimits::default()
    };
    let facts = crawl(&start, &LoopbackFetcher, limits, YEAR);

    assert_eq!(facts.complete.value(), Some(&true), "{facts:?}");
    assert_eq!(facts.pages_examined, 2, "{facts:?}");
    assert_eq!(facts.documents_examined, 4, "{facts:?}");
    let urls: Vec<(&str, u64)> = facts
        .exposures
        .iter()
        .map(|e| (e.url.rsplit('/').next().unwrap(), e.distinct_ids))
        .collect();
    assert_eq!(urls.len(), 2, "{urls:?}");
    assert!(urls.contains(&("tuyen-sinh.html", 12)), "{urls:?}");
    assert!(
        urls.iter().any(|(u, n)| *u == "trungtuyen.pdf" && *n > 10),
        "{urls:?}"
    );
    assert!(
        facts
            .protected_documents
            .iter()
            .any(|u| u.ends_with("matkhau.xlsx"))
    );
    assert!(facts.unreadable.iter().any(|u| u.contains("hong.docx")));
    for e in &facts.exposures {
        for s in &e.masked_samples {
            assert!(s.len() == 12 && &s[3..9] == "******", "{s}");
        }
    }
    let requested = log.lock().unwrap().clone();
    assert!(
        !requested.iter().any(|p| p.starts_with("/private/")),
        "{requested:?}"
    );
    assert_eq!(
        requested
            .iter()
            .filter(|p| *p == "/tin-tuc/tuyen-sinh.html")
            .count(),
        1,
        "a page is fetched once: {requested:?}"
    );
    let json = serde_json::to_string(&facts).unwrap();
    assert!(
        !json.contains("0682090000"),
        "unmasked ID in the facts: {json}"
    );
}

#[test]
fn depth_and_url_limits_hold() {
    // A chain of pages /p0 -> /p1 -> ... : depth 2 reaches /p2 and stops.
    let mut pages = HashMap::new();
    for i in 0..10 {
        pages.insert(
            format!("/p{i}"),
            (
                "text/html",
                format!("<a href=\"/p{}\">next</a>", i + 1).into_bytes(),
            ),
        );
    }
    let (port, log) = serve(Site { pages });
    let start = Url::parse(&format!("http://127.0.0.1:{port}/p0")).unwrap();
    let limits = CrawlLimits {
        max_depth: 2,
        delay: Duration::ZERO,
        ..CrawlLimits::default()
    };
    let facts = crawl(&start, &LoopbackFetcher, limits, YEAR);
    assert_eq!(facts.pages_examined, 3);
    assert!(!facts.url_limit_reached);
    // The depth limit is the crawl's scope, not a shortfall.
    assert_eq!(facts.complete.value(), Some(&true), "{facts:?}");
    let limits = CrawlLimits {
        max_depth: 9,
        max_urls: 4,
        delay: Duration::ZERO,
        ..CrawlLimits::default()
    };
    let facts = crawl(&start, &LoopbackFetcher, limits, YEAR);
    assert_eq!(facts.pages_examined, 4);
    assert!(facts.url_limit_reached);
    // Links left unvisited: the crawl is not complete, so W11 cannot pass on it.
    let why = facts.complete.unknown_reason().expect("incomplete crawl");
    assert_eq!(
        why.reason,
        khien::facts::ReasonCode::LimitReached,
        "{why:?}"
    );
    assert!(why.detail.contains("4 URLs"), "{why:?}");
    assert!(
        log.lock()
            .unwrap()
            .iter()
            .all(|p| p.starts_with("/p") || p == "/robots.txt")
    );
}

#[test]
fn an_unreachable_site_is_unknown_not_clean() {
    // Bind then drop a listener: nothing answers on that port.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let facts = crawl(&start, &LoopbackFetcher, CrawlLimits::default(), YEAR);
    assert!(facts.complete.value().is_none(), "{facts:?}");
    assert!(facts.exposures.is_empty());
}

#[test]
fn the_time_budget_stops_a_slow_crawl() {
    // An endless chain of pages, a pause of 300 ms between requests, 1 s in all.
    let mut pages = HashMap::new();
    for i in 0..100 {
        pages.insert(
            format!("/p{i}"),
            (
                "text/html",
                format!("<a href=\"/p{}\">next</a>", i + 1).into_bytes(),
            ),
        );
    }
    let (port, _log) = serve(Site { pages });
    let start = Url::parse(&format!("http://127.0.0.1:{port}/p0")).unwrap();
    let limits = CrawlLimits {
        max_depth: 1000,
        delay: Duration::from_millis(300),
        time_budget: Duration::from_secs(1),
        ..CrawlLimits::default()
    };
    let started = std::time::Instant::now();
    let facts = crawl(&start, &LoopbackFetcher, limits, YEAR);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(facts.time_limit_reached, "{facts:?}");
    assert!(!facts.url_limit_reached, "{facts:?}");
    assert!((2..=5).contains(&facts.pages_examined), "{facts:?}");
    let why = facts.complete.unknown_reason().expect("incomplete crawl");
    assert_eq!(
        why.reason,
        khien::facts::ReasonCode::LimitReached,
        "{why:?}"
    );
}
