//! Rule W11 end to end: `khien scan web --crawl-personal-data` against school sites
//! served on 127.0.0.1 by the test (pages plus PDF, XLSX and CSV documents from the
//! constructed corpus in fixtures/pdata/corpus). The result file must hold counts
//! and masked samples only, never an ID number in clear; a site without IDs passes;
//! without the flag W11 is unknown; endless documents and endless link pages are
//! bounded, and a crawl cut short is never a pass.

use crate::support::web as web_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use web_support::*;

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/pdata/corpus")
            .join(name),
    )
    .unwrap()
}

/// The true IDs of the corpus files (`labels.json`).
fn corpus_ids(name: &str) -> Vec<String> {
    let labels: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&corpus("labels.json")).unwrap();
    labels[name]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// `n` distinct citizen ID numbers of pupils born in Lâm Đồng (068) in 2009.
fn pupil_ids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("068209{:06}", 104_729 + i * 37))
        .collect()
}

fn admission_page(ids: &[String]) -> String {
    let mut html = String::from(
        "<html><head><meta charset=utf-8><title>Kết quả tuyển sinh lớp 10</title></head><body>\
         <h1>Danh sách trúng tuyển</h1><table><tr><th>STT</th><th>Họ và tên</th><th>Số CCCD</th></tr>",
    );
    for (i, id) in ids.iter().enumerate() {
        html.push_str(&format!(
            "<tr><td>{}</td><td>Nguyễn Văn {i}</td><td>{id}</td></tr>",
            i + 1
        ));
    }
    html.push_str("</table></body></html>");
    html
}

fn doc(body: Vec<u8>, content_type: &str) -> Resp {
    Resp {
        status: 200,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: Body::Bytes(body),
    }
}

/// khien.toml with crawl limits (its `[crawl]` section), in a temporary folder.
fn config(dir: &Path, crawl: &str) -> PathBuf {
    let path = dir.join("khien.toml");
    std::fs::write(&path, format!("[crawl]\n{crawl}")).unwrap();
    path
}

/// Runs `khien --lang en scan web --format json -o FILE ARGS`; returns the result
/// document, the file's raw text and the exit code.
fn scan_to_file(dir: &Path, args: &[&str]) -> (serde_json::Value, String, i32) {
    let out_file = dir.join("ketqua.json");
    let out = khien()
        .args(["--lang", "en", "scan", "web", "--format", "json", "-o"])
        .arg(&out_file)
        .args(args)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("khien runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text = std::fs::read_to_string(&out_file)
        .unwrap_or_else(|e| panic!("no result file ({e}); stderr: {stderr}"));
    let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (doc, text, out.status.code().unwrap_or(-1))
}

fn finding<'a>(doc: &'a serde_json::Value, id: &str, code: &str) -> &'a serde_json::Value {
    target(doc, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == code)
        .unwrap_or_else(|| panic!("no finding {code} for {id}"))
}

fn is_masked(s: &str) -> bool {
    s.len() == 12
        && s[..3].bytes().all(|b| b.is_ascii_digit())
        && &s[3..9] == "******"
        && s[9..].bytes().all(|b| b.is_ascii_digit())
}

#[test]
fn published_ids_fail_w11_with_counts_and_masked_samples_only() {
    let page_ids = pupil_ids(120);
    let leaking = serve_plain(
        "127.0.0.1:0",
        routes(vec![
            (
                "/",
                Resp::html(
                    200,
                    r#"<html><body><h1>Trường THPT Bảo Lộc</h1>
                    <a href="/tin-tuc/ket-qua-tuyen-sinh.html">Kết quả tuyển sinh</a>
                    <a href="/van-ban/trung-tuyen.pdf">Danh sách (PDF)</a>
                    <a href="/van-ban/ds-lop-10a1.xlsx">Lớp 10A1</a>
                    <a href="/van-ban/ds-hoc-sinh.csv">Học sinh (CSV)</a>
                    <a href="/lien-he.html">Liên hệ</a></body></html>"#,
                ),
            ),
            (
                "/tin-tuc/ket-qua-tuyen-sinh.html",
                Resp::html(200, &admission_page(&page_ids)),
            ),
            (
                "/van-ban/trung-tuyen.pdf",
                doc(corpus("trungtuyen_0.pdf"), "application/pdf"),
            ),
            (
                "/van-ban/ds-lop-10a1.xlsx",
                doc(
                    corpus("ds_lop_1.xlsx"),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ),
            (
                "/van-ban/ds-hoc-sinh.csv",
                doc(corpus("ds_hocsinh_0.csv"), "text/csv; charset=utf-8"),
            ),
            (
                "/lien-he.html",
                Resp::html(200, "<html>Điện thoại: 0263 3864 123</html>"),
            ),
        ]),
    );
    let clean = serve_plain(
        "127.0.0.1:0",
        routes(vec![
            (
                "/",
                Resp::html(
                    200,
                    r#"<html><a href="/gioi-thieu.html">Giới thiệu</a>
                    <a href="/van-ban/hoa-don.xlsx">Công khai tài chính</a></html>"#,
                ),
            ),
            (
                "/gioi-thieu.html",
                Resp::html(200, "<html>Trường thành lập năm 1975.</html>"),
            ),
            (
                "/van-ban/hoa-don.xlsx",
                doc(corpus("hoadon_1.xlsx"), "application/octet-stream"),
            ),
        ]),
    );
    let leaking = format!("http://127.0.0.1:{}/", leaking.port());
    let clean = format!("http://127.0.0.1:{}/", clean.port());
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "delay_ms = 0\n");

    let (doc, text, code) = scan_to_file(
        dir.path(),
        &[
            "--crawl-personal-data",
            "--config",
            cfg.to_str().unwrap(),
            "--timeout",
            "5",
            &leaking,
            &clean,
        ],
    );
    assert_eq!(code, 1, "a failing finding gives exit code 1");

    // The leaking site: high and critical W11 findings, with evidence per URL.
    let high = finding(&doc, &leaking, "WEB-PD-001");
    assert_eq!(high["status"], "fail", "{high}");
    assert_eq!(high["requirement"], "W11");
    assert_eq!(high["severity"], "high");
    let critical = finding(&doc, &leaking, "WEB-PD-002");
    assert_eq!(critical["status"], "fail", "{critical}");
    assert_eq!(critical["severity"], "critical");

    let exposures = evidence(&doc, &leaking, "WEB-PD-001", "web.personal_data.exposures");
    let by_url: BTreeMap<String, &serde_json::Value> = exposures
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["url"].as_str().unwrap().to_string(), e))
        .collect();
    let count = |path: &str| by_url[&format!("{leaking}{path}")]["distinct_ids"].clone();
    assert_eq!(count("tin-tuc/ket-qua-tuyen-sinh.html"), 120, "{exposures}");
    assert_eq!(
        count("van-ban/ds-hoc-sinh.csv"),
        corpus_ids("ds_hocsinh_0.csv").len(),
        "{exposures}"
    );
    assert_eq!(
        count("van-ban/ds-lop-10a1.xlsx"),
        corpus_ids("ds_lop_1.xlsx").len(),
        "{exposures}"
    );
    // The PDF is read from its text layer.
    assert_eq!(
        count("van-ban/trung-tuyen.pdf"),
        corpus_ids("trungtuyen_0.pdf").len(),
        "{exposures}"
    );
    assert_eq!(by_url.len(), 4, "the contact page holds no ID: {exposures}");
    // The biggest exposure first, with masked samples.
    assert_eq!(
        exposures[0]["url"],
        format!("{leaking}tin-tuc/ket-qua-tuyen-sinh.html")
    );
    assert_eq!(exposures[0]["kind"], "page");
    for e in exposures.as_array().unwrap() {
        let samples = e["masked_samples"].as_array().unwrap();
        assert!(!samples.is_empty(), "{e}");
        for s in samples {
            assert!(is_masked(s.as_str().unwrap()), "not masked: {s}");
        }
    }
    let samples = exposures[0]["masked_samples"].as_array().unwrap();
    assert!(
        samples
            .iter()
            .all(|s| s.as_str().unwrap().starts_with("068"))
    );
    assert_eq!(
        evidence(&doc, &leaking, "WEB-PD-001", "web.personal_data.complete"),
        true
    );
    assert_eq!(
        evidence(
            &doc,
            &leaking,
            "WEB-PD-001",
            "web.personal_data.pages_examined"
        ),
        3
    );
    assert_eq!(
        evidence(
            &doc,
            &leaking,
            "WEB-PD-001",
            "web.personal_data.documents_examined"
        ),
        3
    );

    // No ID number in clear anywhere in the result file.
    let mut all_ids = page_ids.clone();
    for name in ["trungtuyen_0.pdf", "ds_lop_1.xlsx", "ds_hocsinh_0.csv"] {
        all_ids.extend(corpus_ids(name));
    }
    assert!(all_ids.len() > 200);
    for id in &all_ids {
        assert!(
            !text.contains(id.as_str()),
            "ID {id} in clear in the result file"
        );
        // Nor with its leading zero lost, as a spreadsheet number would show it.
        assert!(
            !text.contains(id.trim_start_matches('0')),
            "ID {id} in clear"
        );
    }

    // The clean site passes both rules, after a complete crawl.
    assert_eq!(finding(&doc, &clean, "WEB-PD-001")["status"], "pass");
    assert_eq!(finding(&doc, &clean, "WEB-PD-002")["status"], "pass");
    assert_eq!(
        evidence(
            &doc,
            &clean,
            "WEB-PD-001",
            "web.personal_data.documents_examined"
        ),
        1
    );
    assert_eq!(
        evidence(&doc, &clean, "WEB-PD-001", "web.personal_data.exposures"),
        serde_json::json!([])
    );
}

#[test]
fn without_the_flag_w11_is_unknown_with_its_reason() {
    let site = serve_plain(
        "127.0.0.1:0",
        routes(vec![(
            "/",
            Resp::html(200, &admission_page(&pupil_ids(20))),
        )]),
    );
    let site = format!("http://127.0.0.1:{}/", site.port());
    let dir = tempfile::tempdir().unwrap();
    let (doc, text, _) = scan_to_file(dir.path(), &["--timeout", "5", &site]);
    for code in ["WEB-PD-001", "WEB-PD-002"] {
        let f = finding(&doc, &site, code);
        assert_eq!(f["status"], "unknown", "{f}");
        let why = &f["unknown_facts"][0];
        assert_eq!(why["fact"], "web.personal_data", "{f}");
        assert_eq!(why["reason"], "not_configured", "{f}");
        assert_eq!(
            why["detail"], "not crawled: run with --crawl-personal-data",
            "{f}"
        );
    }
    // Nothing was crawled, so nothing about the page's numbers is in the file.
    assert!(!text.contains("068209"), "{text}");
}

#[test]
fn endless_documents_and_link_pages_are_bounded_and_never_pass() {
    // Every unknown path answers a page of 40 new relative links: endless pages.
    let mut endless = String::from("<html><body>");
    for i in 0..40 {
        endless.push_str(&format!("<a href=\"{i}/\">trang {i}</a> "));
    }
    endless.push_str("</body></html>");
    let hostile = serve_plain(
        "127.0.0.1:0",
        Behavior::Routes {
            routes: [
                (
                    "/".to_string(),
                    Resp::html(
                        200,
                        r#"<a href="/van-ban/vo-tan.pdf">PDF</a> <a href="/tin/">Tin tức</a>"#,
                    ),
                ),
                (
                    "/van-ban/vo-tan.pdf".to_string(),
                    Resp {
                        status: 200,
                        headers: vec![("Content-Type".into(), "application/pdf".into())],
                        body: Body::Filler(1024 * 1024 * 1024),
                    },
                ),
            ]
            .into_iter()
            .collect(),
            fallback: Resp::html(200, &endless),
        },
    );
    let hostile = format!("http://127.0.0.1:{}/", hostile.port());
    let dir = tempfile::tempdir().unwrap();

    // URL and size limits: 60 URLs, 2 MB per response, no pause.
    let cfg = config(
        dir.path(),
        "delay_ms = 0\nmax_urls = 60\nmax_document_mb = 2\n",
    );
    let started = Instant::now();
    let (doc, _, _) = scan_to_file(
        dir.path(),
        &[
            "--crawl-personal-data",
            "--config",
            cfg.to_str().unwrap(),
            "--timeout",
            "5",
            &hostile,
        ],
    );
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(90), "took {elapsed:?}");
    let f = finding(&doc, &hostile, "WEB-PD-001");
    assert_eq!(
        f["status"], "unknown",
        "a cut-short crawl never passes: {f}"
    );
    assert_eq!(
        f["unknown_facts"][0]["fact"], "web.personal_data.complete",
        "{f}"
    );
    assert_eq!(f["unknown_facts"][0]["reason"], "limit_reached", "{f}");
    assert_eq!(
        evidence(
            &doc,
            &hostile,
            "WEB-PD-001",
            "web.personal_data.url_limit_reached"
        ),
        true
    );
    assert_eq!(
        evidence(&doc, &hostile, "WEB-PD-001", "web.personal_data.truncated"),
        serde_json::json!([format!("{hostile}van-ban/vo-tan.pdf")])
    );
    let pages = evidence(
        &doc,
        &hostile,
        "WEB-PD-001",
        "web.personal_data.pages_examined",
    );
    assert_eq!(pages, 59, "60 URLs: the PDF and 59 pages");

    // Time limit: a 400 ms pause and a 4 s budget, with a 3 s budget for the
    // site's other checks, which must not be cut by the longer crawl.
    let cfg = config(dir.path(), "delay_ms = 400\nmax_seconds = 4\n");
    let started = Instant::now();
    let (doc, _, _) = scan_to_file(
        dir.path(),
        &[
            "--crawl-personal-data",
            "--config",
            cfg.to_str().unwrap(),
            "--timeout",
            "3",
            "--site-timeout",
            "3",
            &hostile,
        ],
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(4),
        "the crawl ran its budget: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    assert_eq!(
        evidence(
            &doc,
            &hostile,
            "WEB-PD-001",
            "web.personal_data.time_limit_reached"
        ),
        true
    );
    assert_eq!(finding(&doc, &hostile, "WEB-PD-001")["status"], "unknown");
    // The other checks finished within their own budget.
    assert_eq!(finding(&doc, &hostile, "WEB-FILE-001")["status"], "pass");
    assert_eq!(finding(&doc, &hostile, "WEB-HTTP-001")["status"], "fail");
}
