//! Legacy protocol probes against `openssl s_server` on loopback: one server that
//! accepts TLS 1.0 and 1.1, one that refuses them, and one that speaks only
//! TLS 1.0 (its certificate must still be read). Skips when openssl is absent.

use crate::support::web as web_support;

use std::process::Command;

use crate::support::openssl::s_server;
use web_support::*;

#[test]
fn legacy_protocols_are_probed_with_hand_built_hellos() {
    if Command::new("openssl").arg("version").output().is_err() {
        crate::support::skip("openssl is not installed (CI installs it: .ci/setup-web.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let leaf = self_signed(&["127.0.0.1"]);
    std::fs::write(dir.path().join("cert.pem"), &leaf.pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), &leaf.key_pem).unwrap();

    let legacy_too = ["-cipher", "DEFAULT@SECLEVEL=0", "-min_protocol", "TLSv1"];
    let (_a, accepting) = s_server(dir.path(), &legacy_too).expect("s_server starts");
    let (_b, modern) =
        s_server(dir.path(), &["-min_protocol", "TLSv1.2"]).expect("s_server starts");
    let only_old = [
        "-cipher",
        "DEFAULT@SECLEVEL=0",
        "-min_protocol",
        "TLSv1",
        "-max_protocol",
        "TLSv1",
    ];
    let (_c, old_only) = s_server(dir.path(), &only_old).expect("s_server starts");
    let url = |p: u16| format!("https://127.0.0.1:{p}/");
    let (accepting, modern, old_only) = (url(accepting), url(modern), url(old_only));

    let (doc, _, stderr) = scan_json(&["--timeout", "5", &accepting, &modern, &old_only]);

    let probe = |u: &str, fact: &str| evidence(&doc, u, "WEB-TLS-002", fact);
    for fact in ["web.legacy.tls1_0", "web.legacy.tls1_1"] {
        let p = probe(&accepting, fact);
        assert_eq!(p["accepted"], true, "{fact}: {p}\n{stderr}");
        assert!(!p["cipher_suite"].as_str().unwrap().is_empty());
        assert_eq!(probe(&modern, fact)["accepted"], false, "{fact}");
    }
    // OpenSSL 3 has no SSLv3 at all.
    assert_eq!(probe(&accepting, "web.legacy.ssl3")["accepted"], false);
    assert_eq!(status(&doc, &accepting, "WEB-TLS-002"), "fail");
    assert_eq!(status(&doc, &modern, "WEB-TLS-002"), "pass");
    let modern_hs = probe(&modern, "web.tls.handshake");
    assert_eq!(modern_hs["version"], "TLSv1.3", "{modern_hs}");

    // A TLS 1.0-only server: rustls cannot talk to it, the legacy probe reads its chain.
    assert_eq!(probe(&old_only, "web.legacy.tls1_0")["accepted"], true);
    let hs = probe(&old_only, "web.tls.handshake");
    assert!(hs.get("$unknown").is_some(), "{hs}");
    let chain = evidence(&doc, &old_only, "WEB-TLS-001", "web.tls.chain");
    assert_eq!(chain[0]["sans"][0], "127.0.0.1", "{chain}");
    let verdict = evidence(&doc, &old_only, "WEB-TLS-001", "web.tls.verification");
    assert_eq!(verdict["reason"], "self_signed");
}
