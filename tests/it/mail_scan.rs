//! `khien scan mail` end to end against a DNS server and SMTP servers of our own
//! on loopback: each mail rule's pass, fail and unknown (DNS timeout, SERVFAIL,
//! SMTP refused, STARTTLS missing), and never a command that would send mail.

use crate::support::mail::*;
use crate::support::web::{Ca, FAR_AHEAD, LONG_AGO, self_signed};

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A DKIM `p=` value: a real RSA public key of `bits` made by openssl.
fn rsa_public_key(dir: &std::path::Path, bits: u32) -> String {
    let key = dir.join(format!("dkim{bits}.pem"));
    let out = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&key)
        .arg(bits.to_string())
        .output()
        .unwrap();
    assert!(out.status.success());
    let der = Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(der.status.success());
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(der.stdout)
}

fn scan(args: &[&str]) -> (serde_json::Value, String) {
    let out = crate::support::khien()
        .args(["--lang", "en", "scan", "mail", "--format", "json"])
        .args(args)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (doc, stderr)
}

fn finding<'a>(doc: &'a serde_json::Value, domain: &str, code: &str) -> &'a serde_json::Value {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"]["id"] == domain)
        .unwrap_or_else(|| panic!("no target {domain}"))["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == code)
        .unwrap_or_else(|| panic!("no {code} for {domain}"))
}

fn status(doc: &serde_json::Value, domain: &str, code: &str) -> String {
    finding(doc, domain, code)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn evidence(doc: &serde_json::Value, domain: &str, code: &str) -> serde_json::Value {
    finding(doc, domain, code)["evidence"][0]["value"].clone()
}

#[test]
fn mail_domains_pass_fail_and_unknown() {
    if Command::new("openssl").arg("version").output().is_err() {
        crate::support::skip("openssl is not installed (CI installs it: .ci/setup-web.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::root("khien mail test root");
    let good_leaf = ca.leaf(&["mx.good.test"], LONG_AGO, FAR_AHEAD);
    let legacy_leaf = ca.leaf(&["mx.legacy.test"], LONG_AGO, FAR_AHEAD);
    let selfie = self_signed(&["mx.selfsigned.test"]);
    std::fs::write(dir.path().join("ca.pem"), &ca.pem).unwrap();
    std::fs::write(dir.path().join("legacy.pem"), &legacy_leaf.pem).unwrap();
    std::fs::write(dir.path().join("legacy.key"), &legacy_leaf.key_pem).unwrap();

    // One SMTP port on several loopback addresses (MX hosts have no port in DNS).
    let port = std::net::TcpListener::bind("127.0.0.71:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let at = |last: u8| SocketAddr::from((Ipv4Addr::new(127, 0, 0, last), port));
    let good = serve_smtp(
        at(71),
        Smtp::Starttls(tls_config(
            vec![good_leaf.der.clone(), ca.der.clone()],
            &good_leaf.key_der,
        )),
    );
    let plain = serve_smtp(at(72), Smtp::Plain);
    let _selfsigned = serve_smtp(
        at(73),
        Smtp::Starttls(tls_config(vec![selfie.der.clone()], &selfie.key_der)),
    );
    // A TLS server that still accepts TLS 1.0 and 1.1 behind STARTTLS.
    let backend_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _backend = Server(
        Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                &format!("127.0.0.1:{backend_port}"),
                "-quiet",
                "-www",
                "-cipher",
                "DEFAULT@SECLEVEL=0",
                "-min_protocol",
                "TLSv1",
            ])
            .arg("-cert")
            .arg(dir.path().join("legacy.pem"))
            .arg("-key")
            .arg(dir.path().join("legacy.key"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts"),
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", backend_port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "s_server starts");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _legacy = serve_smtp(
        at(74),
        Smtp::StarttlsVia(SocketAddr::from(([127, 0, 0, 1], backend_port))),
    );
    // 127.0.0.75: nothing listens (refused).

    let k2048 = rsa_public_key(dir.path(), 2048);
    let k1024 = rsa_public_key(dir.path(), 1024);
    let mut zone = Zone::default()
        // Everything right.
        .mx("good.test", 10, "mx.good.test")
        .a("mx.good.test", Ipv4Addr::new(127, 0, 0, 71))
        .txt("good.test", "v=spf1 mx include:_spf.good.test -all")
        .txt("good.test", "google-site-verification=abc")
        .txt("_spf.good.test", "v=spf1 ip4:127.0.0.71 ~all")
        .txt(
            "_dmarc.good.test",
            "v=DMARC1; p=reject; rua=mailto:dmarc@good.test",
        )
        .txt(
            "s1._domainkey.good.test",
            &format!("v=DKIM1; k=rsa; p={k2048}"),
        )
        .txt("_mta-sts.good.test", "v=STSv1; id=20260101")
        .txt(
            "_smtp._tls.good.test",
            "v=TLSRPTv1; rua=mailto:tls@good.test",
        )
        // Everything wrong that can be.
        .mx("bad.test", 10, "mx.bad.test")
        .a("mx.bad.test", Ipv4Addr::new(127, 0, 0, 72))
        .txt("bad.test", "v=spf1 +all")
        .txt("_dmarc.bad.test", "v=DMARC1; p=none")
        .txt("s1._domainkey.bad.test", &format!("v=DKIM1; p={k1024}"))
        // Broken SPF syntax; self-signed MX.
        .mx("syntax.test", 10, "mx.selfsigned.test")
        .a("mx.selfsigned.test", Ipv4Addr::new(127, 0, 0, 73))
        .txt("syntax.test", "v=spf1 ip4:203.0.113.400 -all")
        // SPF of 11 lookups; an MX that accepts TLS 1.1.
        .mx("lookups.test", 10, "mx.legacy.test")
        .a("mx.legacy.test", Ipv4Addr::new(127, 0, 0, 74))
        // A domain with records but no MX; one whose MX refuses connections.
        .txt("nomx.test", "v=spf1 -all")
        .mx("refused.test", 10, "mx.refused.test")
        .a("mx.refused.test", Ipv4Addr::new(127, 0, 0, 75))
        .servfail("servfail.test")
        .silent("timeout.test");
    let mut spf = String::from("v=spf1");
    for i in 0..11 {
        spf.push_str(&format!(" include:i{i}.lookups.test"));
        zone = zone.txt(&format!("i{i}.lookups.test"), "v=spf1 ip4:127.0.0.74 ~all");
    }
    spf.push_str(" -all");
    zone = zone.txt("lookups.test", &spf);
    let dns = serve_dns(zone);

    let (doc, stderr) = scan(&[
        "--dns-server",
        &dns.to_string(),
        "--smtp-port",
        &port.to_string(),
        "--ca-file",
        dir.path().join("ca.pem").to_str().unwrap(),
        "--dkim-selector",
        "s1",
        "--timeout",
        "2",
        "good.test",
        "bad.test",
        "syntax.test",
        "lookups.test",
        "nomx.test",
        "refused.test",
        "servfail.test",
        "timeout.test",
    ]);

    // Pass.
    for code in [
        "MAIL-MX-001",
        "MAIL-SPF-001",
        "MAIL-SPF-002",
        "MAIL-DMARC-001",
        "MAIL-DMARC-002",
        "MAIL-DKIM-001",
        "MAIL-TLS-001",
        "MAIL-STS-001",
        "MAIL-RPT-001",
    ] {
        assert_eq!(
            status(&doc, "good.test", code),
            "pass",
            "{code}: {}\n{stderr}",
            finding(&doc, "good.test", code)
        );
    }
    let spf = evidence(&doc, "good.test", "MAIL-SPF-002");
    assert_eq!(spf["lookups"], 2, "mx and include: {spf}");
    let tls = evidence(&doc, "good.test", "MAIL-TLS-001");
    assert_eq!(tls[0]["certificate_reason"], "ok", "{tls}");
    assert_eq!(tls[0]["legacy_tls"], false, "{tls}");

    // Fail.
    for code in [
        "MAIL-SPF-001",
        "MAIL-DMARC-001",
        "MAIL-DMARC-002",
        "MAIL-DKIM-001",
        "MAIL-TLS-001",
        "MAIL-STS-001",
        "MAIL-RPT-001",
    ] {
        assert_eq!(status(&doc, "bad.test", code), "fail", "{code}");
    }
    assert_eq!(evidence(&doc, "bad.test", "MAIL-SPF-001")["all"], "+all");
    assert_eq!(
        evidence(&doc, "bad.test", "MAIL-DKIM-001")[0]["key_bits"],
        1024
    );
    let tls = evidence(&doc, "bad.test", "MAIL-TLS-001");
    assert_eq!(tls[0]["starttls"], false, "STARTTLS missing: {tls}");
    let spf = evidence(&doc, "syntax.test", "MAIL-SPF-001");
    assert_eq!(spf["valid"], false, "{spf}");
    assert!(
        spf["error"].as_str().unwrap().contains("ip4:203.0.113.400"),
        "{spf}"
    );
    assert_eq!(status(&doc, "syntax.test", "MAIL-SPF-001"), "fail");
    assert_eq!(
        status(&doc, "syntax.test", "MAIL-SPF-002"),
        "not_applicable"
    );
    let tls = evidence(&doc, "syntax.test", "MAIL-TLS-001");
    assert_eq!(tls[0]["certificate_reason"], "self_signed", "{tls}");
    assert_eq!(status(&doc, "syntax.test", "MAIL-TLS-001"), "fail");
    assert_eq!(status(&doc, "lookups.test", "MAIL-SPF-002"), "fail");
    assert_eq!(
        evidence(&doc, "lookups.test", "MAIL-SPF-002")["lookups"],
        11
    );
    let tls = evidence(&doc, "lookups.test", "MAIL-TLS-001");
    assert_eq!(tls[0]["legacy_tls"], true, "{tls}");
    assert_eq!(
        tls[0]["certificate_valid"], true,
        "only the old TLS fails: {tls}"
    );
    assert_eq!(status(&doc, "lookups.test", "MAIL-TLS-001"), "fail");
    assert_eq!(status(&doc, "nomx.test", "MAIL-MX-001"), "fail");
    assert_eq!(status(&doc, "nomx.test", "MAIL-TLS-001"), "not_applicable");
    assert_eq!(
        status(&doc, "nomx.test", "MAIL-DKIM-001"),
        "fail",
        "selector s1 has no key"
    );

    // Unknown: SMTP refused, SERVFAIL, no DNS answer. Never pass.
    assert_eq!(status(&doc, "refused.test", "MAIL-TLS-001"), "unknown");
    for domain in ["servfail.test", "timeout.test"] {
        for code in [
            "MAIL-MX-001",
            "MAIL-SPF-001",
            "MAIL-DMARC-001",
            "MAIL-TLS-001",
        ] {
            assert_eq!(status(&doc, domain, code), "unknown", "{domain} {code}");
        }
    }
    let why = finding(&doc, "servfail.test", "MAIL-MX-001").to_string();
    assert!(
        why.contains("SERVFAIL") || why.contains("Server Failure"),
        "{why}"
    );

    // Only EHLO, STARTTLS and QUIT were said: no mail sent or relayed.
    for transcript in [&good, &plain] {
        for c in transcript.commands.lock().unwrap().iter() {
            let verb = c
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            assert!(["EHLO", "STARTTLS", "QUIT"].contains(&verb.as_str()), "{c}");
        }
    }
    assert!(!good.commands.lock().unwrap().is_empty());
}

#[test]
fn register_units_give_mail_domains_and_bad_domains_are_named() {
    // A register unit's mail domain is scanned (here it does not answer: unknown).
    let dns = serve_dns(Zone::default().servfail("truong.test"));
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("so.toml");
    let text =
        std::fs::read_to_string(crate::support::repo_path("fixtures/register/lam-dong.toml"))
            .unwrap();
    assert!(text.contains("[[unit]]"));
    let text = text.replacen(
        "[[unit]]",
        "[[unit]]\nmail_domain = \"truong.test\"\ndkim_selectors = [\"s1\"]",
        1,
    );
    std::fs::write(&register, text).unwrap();
    let (doc, stderr) = scan(&[
        "--dns-server",
        &dns.to_string(),
        "--timeout",
        "2",
        "--register",
        register.to_str().unwrap(),
    ]);
    let target = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"]["id"] == "truong.test")
        .unwrap_or_else(|| panic!("{doc}\n{stderr}"));
    assert!(target["target"]["unit"]["code"].is_string(), "{target}");

    let out = crate::support::khien()
        .args([
            "--lang",
            "en",
            "scan",
            "mail",
            "--dns-server",
            &dns.to_string(),
            "--timeout",
            "2",
            "admin@truong.test",
            "truong.test",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("admin@truong.test: not a mail domain"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(2), "bad input, the rest scanned");
    assert!(String::from_utf8_lossy(&out.stdout).contains("truong.test"));
}
