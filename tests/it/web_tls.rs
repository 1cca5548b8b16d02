//! `khien scan web` against real TLS servers on loopback: rustls servers with
//! rcgen-made chains (valid, expired, not yet valid, wrong name, self-signed,
//! missing intermediate, unknown issuer), each scanned by name with `--resolve`.

use crate::support::web as web_support;

use web_support::*;

const NAME: &str = "truong.test";

/// A site answering with `chain` for `truong.test` at a fresh loopback port.
fn site(chain: Vec<rustls::pki_types::CertificateDer<'static>>, key: &[u8]) -> String {
    let behavior = routes(vec![(
        "/",
        Resp::html(200, "<html><body>Trường THPT</body></html>")
            .header(
                "Strict-Transport-Security",
                "max-age=31536000; includeSubDomains",
            )
            .header("X-Content-Type-Options", "nosniff")
            .header("X-Frame-Options", "SAMEORIGIN")
            .header("Referrer-Policy", "strict-origin-when-cross-origin"),
    )]);
    let addr = serve_tls("127.0.0.1:0", chain, key, behavior);
    format!("https://{NAME}:{}/", addr.port())
}

#[test]
fn certificate_verdicts_name_the_precise_reason() {
    let ca = Ca::root("khien test root");
    let inter = ca.intermediate("khien test intermediate");
    let other_ca = Ca::root("unknown private root");
    let other_inter = other_ca.intermediate("unknown private intermediate");

    let valid = inter.leaf(&[NAME], LONG_AGO, FAR_AHEAD);
    let expired = inter.leaf(&[NAME], (2020, 1, 1), (2021, 1, 1));
    let not_yet = inter.leaf(&[NAME], (2039, 1, 1), FAR_AHEAD);
    let wrong = inter.leaf(&["khac.test"], LONG_AGO, FAR_AHEAD);
    let selfie = self_signed(&[NAME]);
    let unknown = other_inter.leaf(&[NAME], LONG_AGO, FAR_AHEAD);

    let cases = [
        (
            "ok",
            site(vec![valid.der.clone(), inter.der.clone()], &valid.key_der),
        ),
        (
            "expired",
            site(
                vec![expired.der.clone(), inter.der.clone()],
                &expired.key_der,
            ),
        ),
        (
            "not_yet_valid",
            site(
                vec![not_yet.der.clone(), inter.der.clone()],
                &not_yet.key_der,
            ),
        ),
        (
            "wrong_name",
            site(vec![wrong.der.clone(), inter.der.clone()], &wrong.key_der),
        ),
        (
            "self_signed",
            site(vec![selfie.der.clone()], &selfie.key_der),
        ),
        // The server forgets its intermediate.
        (
            "incomplete_chain",
            site(vec![valid.der.clone()], &valid.key_der),
        ),
        (
            "unknown_issuer",
            site(
                vec![unknown.der.clone(), other_inter.der.clone()],
                &unknown.key_der,
            ),
        ),
    ];

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let mut args = vec![
        "--ca-file".to_string(),
        ca_file.display().to_string(),
        "--resolve".to_string(),
        format!("{NAME}:127.0.0.1"),
        "--timeout".into(),
        "5".into(),
    ];
    args.extend(cases.iter().map(|(_, url)| url.clone()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (doc, _code, stderr) = scan_json(&args);

    for (reason, url) in &cases {
        let verdict = evidence(&doc, url, "WEB-TLS-001", "web.tls.verification");
        assert_eq!(verdict["reason"], *reason, "{url}: {verdict}\n{stderr}");
        let expected = if *reason == "ok" { "pass" } else { "fail" };
        assert_eq!(status(&doc, url, "WEB-TLS-001"), expected, "{url}");
        // The chain is read whatever the verdict.
        let chain = evidence(&doc, url, "WEB-TLS-001", "web.tls.chain");
        assert!(
            chain[0]["subject"].as_str().unwrap().contains("CN="),
            "{chain}"
        );
        let handshake = evidence(&doc, url, "WEB-TLS-001", "web.tls.handshake");
        assert_eq!(handshake["version"], "TLSv1.3", "{url}: {handshake}");
    }

    let (ok_url, expired_url) = (&cases[0].1, &cases[1].1);
    let chain = evidence(&doc, ok_url, "WEB-TLS-001", "web.tls.chain");
    assert_eq!(chain[0]["sans"][0], NAME);
    assert_eq!(chain[0]["key_type"], "ec");
    assert_eq!(chain[0]["key_bits"], 256);
    assert_eq!(chain[0]["signature_algorithm"], "ecdsa-with-SHA256");
    assert_eq!(chain[0]["not_after"], "2040-01-01T00:00:00Z");
    assert_eq!(chain.as_array().unwrap().len(), 2);
    // Expiry rules: days left and lifetime fraction.
    assert_eq!(status(&doc, ok_url, "WEB-CERT-001"), "pass");
    assert_eq!(status(&doc, expired_url, "WEB-CERT-001"), "fail");
    assert_eq!(status(&doc, expired_url, "WEB-CERT-002"), "fail");
    // rustls servers refuse every legacy protocol and weak suite.
    assert_eq!(status(&doc, ok_url, "WEB-TLS-002"), "pass");
    assert_eq!(status(&doc, ok_url, "WEB-TLS-003"), "pass");
    let tls10 = evidence(&doc, ok_url, "WEB-TLS-002", "web.legacy.tls1_0");
    assert_eq!(tls10["accepted"], false);
    assert!(
        tls10["refusal"].as_str().unwrap().starts_with("alert:"),
        "{tls10}"
    );
    // Headers read even though the HTTP side on port 80 is closed.
    assert_eq!(status(&doc, ok_url, "WEB-HSTS-001"), "pass");
    assert_eq!(status(&doc, ok_url, "WEB-HDR-001"), "pass");
    // Port 80 refused: nothing is served over plain HTTP, nothing to redirect.
    assert_eq!(status(&doc, ok_url, "WEB-HTTP-001"), "not_applicable");
}

#[test]
fn a_certificate_near_its_end_fails_the_expiry_rules() {
    // A 90-day certificate with 5 days left: below 30 days and below 20% of its life.
    let today = jiff::Zoned::now().date();
    let start = today.checked_sub(jiff::Span::new().days(85)).unwrap();
    let end = today.checked_add(jiff::Span::new().days(5)).unwrap();
    let ymd = |d: jiff::civil::Date| (d.year() as i32, d.month() as u8, d.day() as u8);
    let ca = Ca::root("khien test root");
    let leaf = ca.leaf(&[NAME], ymd(start), ymd(end));
    let url = site(vec![leaf.der.clone()], &leaf.key_der);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (doc, code, _) = scan_json(&[
        "--ca-file",
        ca_file.to_str().unwrap(),
        "--resolve",
        &format!("{NAME}:127.0.0.1"),
        &url,
    ]);
    assert_eq!(status(&doc, &url, "WEB-TLS-001"), "pass");
    assert_eq!(status(&doc, &url, "WEB-CERT-001"), "fail");
    assert_eq!(status(&doc, &url, "WEB-CERT-002"), "fail");
    assert_eq!(code, 1, "failing findings give exit code 1");
}
