//! The verdict gaps an independent lab found (issue 15), each end to end on
//! loopback: a 1024-bit RSA leaf and a SHA-1 signature (openssl-made chains served
//! by `openssl s_server`), an expired intermediate, phpinfo() of PHP 8, "Drupal 7"
//! for both version rules, `<link href=… rel=stylesheet>`, `/` redirecting to
//! `/vi/`, the home page read once, a refused port 80, and the connections a site
//! costs.

use crate::support::web as web_support;

use std::path::Path;
use std::process::Command;

use crate::support::openssl::{self, Server};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use web_support::*;

const NAME: &str = "truong.test";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (RSA 2048, SHA-256) and a leaf for NAME with `leaf_key` (e.g. `rsa:1024`)
/// signed with `digest` (e.g. `-sha1`), under `dir/NAME/`; returns the folder.
fn openssl_chain(dir: &Path, label: &str, leaf_bits: &str, digest: &str) -> std::path::PathBuf {
    let d = dir.join(label);
    std::fs::create_dir_all(&d).unwrap();
    openssl(
        &d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=khien test CA",
            "-sha256",
        ],
    );
    openssl(
        &d,
        &[
            "req",
            "-newkey",
            leaf_bits,
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=truong.test",
        ],
    );
    std::fs::write(d.join("ext.cnf"), "subjectAltName=DNS:truong.test\n").unwrap();
    openssl(
        &d,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "365",
            digest,
            "-extfile",
            "ext.cnf",
        ],
    );
    d
}

/// Weak keys and SHA-1 need the lowest security level to be served at all.
fn s_server(dir: &Path) -> Option<(Server, u16)> {
    openssl::s_server(dir, &["-cipher", "DEFAULT@SECLEVEL=0"])
}

#[test]
fn weak_key_and_sha1_signature_fail_with_their_own_reasons() {
    if Command::new("openssl").arg("version").output().is_err() {
        crate::support::skip("openssl is not installed (CI installs it: .ci/setup-web.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let weak = openssl_chain(dir.path(), "weak", "rsa:1024", "-sha256");
    let sha1 = openssl_chain(dir.path(), "sha1", "rsa:2048", "-sha1");
    let good = openssl_chain(dir.path(), "good", "rsa:2048", "-sha256");
    let (_a, weak_port) = s_server(&weak).expect("s_server starts");
    let (_b, sha1_port) = s_server(&sha1).expect("s_server starts");
    let (_c, good_port) = s_server(&good).expect("s_server starts");
    // Each chain has its own CA: trust all three.
    let mut cas = String::new();
    for d in [&weak, &sha1, &good] {
        cas.push_str(&std::fs::read_to_string(d.join("ca.pem")).unwrap());
    }
    let ca_file = dir.path().join("cas.pem");
    std::fs::write(&ca_file, cas).unwrap();
    let url = |p: u16| format!("https://{NAME}:{p}/");
    let (weak_url, sha1_url, good_url) = (url(weak_port), url(sha1_port), url(good_port));

    let (doc, _, stderr) = scan_json(&[
        "--timeout",
        "5",
        "--resolve",
        &format!("{NAME}:127.0.0.1"),
        "--ca-file",
        ca_file.to_str().unwrap(),
        &weak_url,
        &sha1_url,
        &good_url,
    ]);
    let verdict = |u: &str| evidence(&doc, u, "WEB-TLS-001", "web.tls.verification");

    let v = verdict(&weak_url);
    assert_eq!(v["reason"], "weak_key", "{v}\n{stderr}");
    assert_eq!(v["failing_index"], 0, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("1024"), "{v}");
    assert_eq!(status(&doc, &weak_url, "WEB-TLS-001"), "fail");

    let v = verdict(&sha1_url);
    assert_eq!(v["reason"], "weak_signature", "{v}\n{stderr}");
    assert_eq!(v["failing_index"], 0, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("sha1"), "{v}");
    assert_eq!(status(&doc, &sha1_url, "WEB-TLS-001"), "fail");

    // The same CA and server with a 2048-bit SHA-256 leaf passes: the verdicts above
    // come from the key and the signature, not from the set-up.
    let v = verdict(&good_url);
    assert_eq!(v["reason"], "ok", "{v}\n{stderr}");
    assert_eq!(status(&doc, &good_url, "WEB-TLS-001"), "pass");
}

/// An intermediate CA valid from `from` to `until`.
fn intermediate(root: &Ca, name: &str, from: Ymd, until: Ymd) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
    let key = KeyPair::generate().unwrap();
    let cert = params
        .signed_by(&key, &Issuer::from_params(&root.params, &root.key))
        .unwrap();
    Ca {
        der: cert.der().clone(),
        pem: cert.pem(),
        params,
        key,
    }
}

#[test]
fn expired_intermediate_is_named_not_the_leaf() {
    let root = Ca::root("khien test root");
    let old = intermediate(&root, "old intermediate", (2018, 1, 1), (2021, 1, 1));
    let leaf = old.leaf(&[NAME], LONG_AGO, FAR_AHEAD);
    let expired_leaf = {
        let fresh = intermediate(&root, "fresh intermediate", LONG_AGO, FAR_AHEAD);
        (fresh.leaf(&[NAME], (2020, 1, 1), (2021, 1, 1)), fresh)
    };
    let page = routes(vec![("/", Resp::html(200, "<html>ok</html>"))]);
    let a = serve_tls(
        "127.0.0.1:0",
        vec![leaf.der.clone(), old.der.clone()],
        &leaf.key_der,
        page.clone(),
    );
    let b = serve_tls(
        "127.0.0.1:0",
        vec![expired_leaf.0.der.clone(), expired_leaf.1.der.clone()],
        &expired_leaf.0.key_der,
        page,
    );
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), &root.pem).unwrap();
    let (ua, ub) = (
        format!("https://{NAME}:{}/", a.port()),
        format!("https://{NAME}:{}/", b.port()),
    );
    let (doc, _, stderr) = scan_json(&[
        "--resolve",
        &format!("{NAME}:127.0.0.1"),
        "--ca-file",
        ca.path().to_str().unwrap(),
        &ua,
        &ub,
    ]);
    let v = evidence(&doc, &ua, "WEB-TLS-001", "web.tls.verification");
    assert_eq!(v["reason"], "intermediate_expired", "{v}\n{stderr}");
    assert_eq!(v["failing_index"], 1, "{v}");
    assert!(
        v["failing_subject"]
            .as_str()
            .unwrap()
            .contains("old intermediate"),
        "{v}"
    );
    assert!(
        v["detail"].as_str().unwrap().contains("old intermediate"),
        "{v}"
    );
    // The leaf is in date: the leaf's own expiry rule passes.
    assert_eq!(status(&doc, &ua, "WEB-CERT-002"), "pass");

    let v = evidence(&doc, &ub, "WEB-TLS-001", "web.tls.verification");
    assert_eq!(v["reason"], "expired", "{v}");
    assert_eq!(v["failing_index"], 0, "{v}");
}

/// The start of a PHP 8 phpinfo() page (as php 8.2 prints it), then enough of its
/// tables that "PHP License" falls far past the 64 KiB read.
fn php8_info() -> String {
    let mut page = String::from(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"DTD/xhtml1-transitional.dtd\">\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\"><head>\n\
         <style type=\"text/css\">\nbody {background-color: #fff; color: #222;}\n</style>\n\
         <title>PHP 8.2.7 - phpinfo()</title><meta name=\"ROBOTS\" content=\"NOINDEX,NOFOLLOW,NOARCHIVE\" /></head>\n\
         <body><div class=\"center\">\n<table>\n<tr class=\"h\"><td>\n\
         <h1 class=\"p\">PHP Version 8.2.7</h1>\n</td></tr>\n</table>\n",
    );
    while page.len() < 200 * 1024 {
        page.push_str("<tr><td class=\"e\">session.save_path</td><td class=\"v\">/var/lib/php/sessions</td></tr>\n");
    }
    page.push_str("<h2>PHP License</h2></div></body></html>");
    page
}

#[test]
fn page_checks_follow_what_current_sites_serve() {
    let leaf = self_signed(&[NAME]);
    // `/` sends visitors to `/vi/`, where the real page is: its headers, cookie,
    // generator and stylesheet are what the page rules judge.
    let landing = Resp::html(
        200,
        r#"<html><head><meta name="Generator" content="Drupal 7 (http://drupal.org)">
           <link href="http://fonts.example.test/css?family=Roboto" rel="stylesheet">
           </head><body>Trang chủ</body></html>"#,
    )
    .header("X-Content-Type-Options", "nosniff")
    .header("X-Frame-Options", "SAMEORIGIN")
    .header("Referrer-Policy", "same-origin")
    .header("Set-Cookie", "SESS=1; Secure; HttpOnly; SameSite=Lax");
    let behavior = routes(vec![
        ("/", Resp::redirect(302, "/vi/")),
        ("/vi/", landing),
        ("/info.php", Resp::html(200, &php8_info())),
    ]);
    // Its own loopback address, where nothing listens on port 80.
    let (addr, stats) = serve_tls_counted(
        "127.0.0.61:0",
        vec![leaf.der.clone()],
        &leaf.key_der,
        behavior,
    );
    let url = format!("https://{NAME}:{}/", addr.port());
    let (doc, _, stderr) = scan_json(&["--resolve", &format!("{NAME}:127.0.0.61"), &url]);

    let home = evidence(
        &doc,
        &url,
        "WEB-HDR-001",
        "web.http.home.x_content_type_options",
    );
    assert_eq!(home, "nosniff", "{stderr}");
    assert_eq!(status(&doc, &url, "WEB-HDR-001"), "pass");
    assert_eq!(status(&doc, &url, "WEB-HDR-002"), "pass");
    // Mixed content with `rel` after `href`.
    assert_eq!(status(&doc, &url, "WEB-HTTP-003"), "fail");
    let mixed = evidence(&doc, &url, "WEB-HTTP-003", "web.http.home.mixed_content");
    assert_eq!(mixed[0]["kind"], "stylesheet", "{mixed}");
    let page_url = evidence(&doc, &url, "WEB-HTTP-003", "web.http.home.url");
    assert!(page_url.as_str().unwrap().ends_with("/vi/"), "{page_url}");
    // "Drupal 7": a disclosed version and an ended branch, for both rules alike.
    assert_eq!(status(&doc, &url, "WEB-VER-001"), "fail");
    let disclosed = evidence(
        &doc,
        &url,
        "WEB-VER-001",
        "web.http.home.disclosed_versions",
    );
    assert_eq!(disclosed[0]["product"], "drupal", "{disclosed}");
    assert_eq!(disclosed[0]["version"], "7", "{disclosed}");
    assert_eq!(status(&doc, &url, "WEB-SW-001"), "fail");
    // phpinfo() of PHP 8, "PHP License" far past the bytes read.
    assert_eq!(status(&doc, &url, "WEB-FILE-001"), "fail");
    let files = evidence(&doc, &url, "WEB-FILE-001", "web.exposed.files");
    assert_eq!(files[0]["path"], "/info.php", "{files}");
    // Port 80 refused: nothing served over plain HTTP, the redirect rule does not apply.
    let redirect = evidence(&doc, &url, "WEB-HTTP-001", "web.http.redirect");
    assert_eq!(redirect["port_closed"], true, "{redirect}");
    assert_eq!(status(&doc, &url, "WEB-HTTP-001"), "not_applicable");
    assert_eq!(status(&doc, &url, "WEB-HTTP-002"), "not_applicable");

    // `/` and `/vi/` were each asked for once (redirect, page checks and listing
    // check share them).
    assert_eq!(stats.requests_for("/"), 1, "{:?}", stats.requests);
    assert_eq!(stats.requests_for("/vi/"), 1, "{:?}", stats.requests);
}

#[test]
fn a_site_costs_at_most_seven_connections() {
    let leaf = self_signed(&[NAME]);
    let page = Resp::html(200, "<html><body>Trường</body></html>")
        .header("Strict-Transport-Security", "max-age=31536000");
    // The soft-404 fallback is longer than the 64 KiB read of each file check: the
    // rest is read and dropped so the connection carries the next request.
    let mut big =
        String::from("<!DOCTYPE html><html><head><title>Không tìm thấy</title></head><body>");
    while big.len() < 150 * 1024 {
        big.push_str("<p>Trang bạn tìm không tồn tại.</p>\n");
    }
    big.push_str("</body></html>");
    let behavior = Behavior::Routes {
        routes: [("/".to_string(), page)].into_iter().collect(),
        fallback: Resp::html(200, &big),
    };
    let (tls, tls_stats) = serve_tls_counted(
        "127.0.0.62:0",
        vec![leaf.der.clone()],
        &leaf.key_der,
        behavior,
    );
    let (plain, plain_stats) = serve_plain_counted(
        "127.0.0.62:0",
        routes(vec![(
            "/",
            Resp::redirect(301, &format!("https://{NAME}:{}/", tls.port())),
        )]),
    );
    let url = format!("http://{NAME}:{}/", plain.port());
    let (doc, _, stderr) = scan_json(&["--resolve", &format!("{NAME}:127.0.0.62"), &url]);
    assert_eq!(status(&doc, &url, "WEB-HTTP-001"), "pass", "{stderr}");
    let connections = tls_stats.connections() + plain_stats.connections();
    let requests = tls_stats.request_count() + plain_stats.request_count();
    assert!(
        connections <= 7,
        "{connections} connections for {requests} requests: {:?}\n{stderr}",
        tls_stats.requests
    );
    assert!(
        requests >= 20,
        "every fixed path was still asked for: {requests}"
    );
    // khien's own count, on standard error, agrees with the servers'.
    assert!(
        stderr.contains(&format!("connections: {connections}")),
        "{connections}: {stderr}"
    );
}
