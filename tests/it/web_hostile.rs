//! Hostile servers on loopback: one that never answers, one that drips a byte a
//! second, a 100 MB body, endless redirects, garbage instead of TLS and a header
//! holding `<script>`. Each must give the right facts within bounded time, and
//! none may break the report.

use crate::support::web as web_support;

use std::time::Instant;

use web_support::*;

#[test]
fn hostile_servers_cost_bounded_time_and_break_nothing() {
    let leaf = self_signed(&["127.0.0.1"]);
    let tls = |behavior| {
        let addr = serve_tls(
            "127.0.0.1:0",
            vec![leaf.der.clone()],
            &leaf.key_der,
            behavior,
        );
        format!("https://127.0.0.1:{}/", addr.port())
    };
    let silent = tls(Behavior::Silent);
    // Drips "H", "H", ... one byte a second: the start of an HTTP answer that never ends.
    let drip = serve_plain("127.0.0.1:0", Behavior::Drip);
    let drip = format!("http://127.0.0.1:{}/", drip.port());
    let garbage = tls(Behavior::Garbage);
    let huge = tls(routes(vec![(
        "/",
        Resp {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: Body::Filler(100 * 1024 * 1024),
        },
    )]));
    let script_header = tls(routes(vec![(
        "/",
        Resp::html(200, "<html>ok</html>")
            .header("Server", "<script>alert('xss')</script> Apache/2.4.10")
            .header("X-Powered-By", "PHP/5.6.40"),
    )]));
    let looping = serve_plain(
        "127.0.0.1:0",
        routes(vec![
            ("/", Resp::redirect(302, "/vong")),
            ("/vong", Resp::redirect(302, "/")),
        ]),
    );
    let looping = format!("http://127.0.0.1:{}/", looping.port());

    let started = Instant::now();
    let (doc, _code, stderr) = scan_json(&[
        "--timeout",
        "2",
        "--site-timeout",
        "8",
        &silent,
        &drip,
        &garbage,
        &huge,
        &script_header,
        &looping,
    ]);
    let elapsed = started.elapsed();
    println!("hostile scan took {elapsed:?}\n{stderr}");
    assert_eq!(doc["summary"]["targets"], 6);
    // Bounded: each site has an 8 s budget and they run concurrently.
    assert!(elapsed.as_secs() < 120, "took {elapsed:?}");

    let verdict = evidence(&doc, &silent, "WEB-TLS-001", "web.tls.handshake");
    assert_eq!(verdict["$unknown"]["reason"], "timeout", "{verdict}");
    assert_eq!(status(&doc, &silent, "WEB-TLS-001"), "unknown");
    assert_eq!(status(&doc, &silent, "WEB-FILE-001"), "unknown");
    let dripped = evidence(&doc, &drip, "WEB-HTTP-001", "web.http.redirect");
    assert_eq!(dripped["$unknown"]["reason"], "timeout", "{dripped}");
    assert_eq!(status(&doc, &drip, "WEB-HTTP-001"), "unknown");
    let g = evidence(&doc, &garbage, "WEB-TLS-002", "web.legacy.tls1_0");
    assert_eq!(g["$unknown"]["reason"], "unparsable", "{g}");
    assert_eq!(status(&doc, &garbage, "WEB-TLS-001"), "unknown");

    // The 100 MB page is read to the cap only.
    assert_eq!(
        evidence(&doc, &huge, "WEB-HTTP-003", "web.http.home.body_truncated"),
        true
    );
    assert_eq!(status(&doc, &huge, "WEB-FILE-001"), "pass");

    // The hostile header is kept verbatim as data (JSON escapes it) and judged.
    let server = evidence(&doc, &script_header, "WEB-VER-001", "web.http.home.server");
    assert_eq!(server, "<script>alert('xss')</script> Apache/2.4.10");
    assert_eq!(status(&doc, &script_header, "WEB-VER-001"), "fail");
    assert_eq!(status(&doc, &script_header, "WEB-SW-001"), "fail");

    let chain = evidence(&doc, &looping, "WEB-HTTP-001", "web.http.redirect");
    assert_eq!(chain["too_many_redirects"], true, "{chain}");
    assert_eq!(chain["hops"].as_array().unwrap().len(), 10);
    assert_eq!(status(&doc, &looping, "WEB-HTTP-001"), "fail");
}

#[test]
fn text_report_survives_hostile_headers() {
    let leaf = self_signed(&["127.0.0.1"]);
    let addr = serve_tls(
        "127.0.0.1:0",
        vec![leaf.der.clone()],
        &leaf.key_der,
        routes(vec![(
            "/",
            Resp::html(200, "<html>ok</html>")
                .header("X-Powered-By", "PHP/7.4.3 \u{1b}[31m<script>"),
        )]),
    );
    let url = format!("https://127.0.0.1:{}/", addr.port());
    let out = khien()
        .args(["--lang", "vi", "scan", "web", "--timeout", "2", &url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("WEB-SW-001"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "escape sequences from a server never reach the terminal"
    );
}
