//! End-to-end: waivers on register and host findings, their expiry with the clock,
//! and reading results with and without them.

use serde_json::Value;

const EXAMPLE: &str = "fixtures/register/lam-dong.toml";
const WAIVERS: &str = "fixtures/register/waivers.toml";

use crate::support::khien;

fn run_json(args: &[&str]) -> (i32, Value) {
    let out = khien().args(args).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

fn finding<'a>(doc: &'a Value, target: &str, rule: &str) -> &'a Value {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["target"]["id"] == target)
        .flat_map(|t| t["findings"].as_array().unwrap())
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no finding {rule} on {target}"))
}

fn scan_at(at: &str) -> Value {
    run_json(&[
        "scan",
        "register",
        EXAMPLE,
        "--waivers",
        WAIVERS,
        "--format",
        "json",
        "--at",
        at,
    ])
    .1
}

#[test]
fn a_waived_finding_stays_visible_until_its_waiver_expires() {
    let doc = scan_at("2026-11-23T08:00:00+07:00");
    let f = finding(&doc, "system:CONG-TTDT-SO", "REG-BKP-002");
    assert_eq!(f["status"], "waived");
    assert_eq!(f["waiver"]["id"], "MT-2026-004");
    assert_eq!(f["waiver"]["approved_by"], "Phó Giám đốc Sở GDĐT");
    assert_eq!(f["waiver"]["expires"], "2027-01-31");
    // By unit: the waiver covers that unit's finding only.
    assert_eq!(
        finding(&doc, "unit:MN-HM-01", "REG-FP-001")["status"],
        "waived"
    );
    assert_eq!(
        finding(&doc, "unit:THCS-LTV-01", "REG-FP-001")["status"],
        "fail"
    );
    // The same rule on another system is not waived.
    assert_eq!(
        finding(&doc, "system:TUYENSINH-10", "REG-BKP-002")["status"],
        "fail"
    );
    assert_eq!(doc["summary"]["by_status"]["waived"], 2);

    // The expiry day still counts; the next day the waiver has stopped by itself.
    let last_day = scan_at("2027-01-31T23:00:00+07:00");
    assert_eq!(
        finding(&last_day, "system:CONG-TTDT-SO", "REG-BKP-002")["status"],
        "waived"
    );
    let after = scan_at("2027-02-01T08:00:00+07:00");
    let f = finding(&after, "system:CONG-TTDT-SO", "REG-BKP-002");
    assert_eq!(f["status"], "fail");
    assert!(f.get("waiver").is_none());
    // A waiver approved later does not apply before its approval date.
    let before = scan_at("2026-10-31T08:00:00+07:00");
    assert_eq!(
        finding(&before, "unit:MN-HM-01", "REG-FP-001")["status"],
        "fail"
    );
}

#[test]
fn results_read_with_and_without_waivers() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("ket-qua.json");
    let status = khien()
        .args([
            "scan",
            "register",
            EXAMPLE,
            "--waivers",
            WAIVERS,
            "--format",
            "json",
        ])
        .args(["--at", "2026-11-23T08:00:00+07:00", "--output"])
        .arg(&saved)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(1));
    let saved = saved.to_str().unwrap();
    let (_, with) = run_json(&["waivers", "view", saved, "--format", "json"]);
    assert_eq!(
        finding(&with, "system:CONG-TTDT-SO", "REG-BKP-002")["status"],
        "waived"
    );
    let (_, without) = run_json(&[
        "waivers",
        "view",
        saved,
        "--without-waivers",
        "--format",
        "json",
    ]);
    assert_eq!(
        finding(&without, "system:CONG-TTDT-SO", "REG-BKP-002")["status"],
        "fail"
    );
    assert!(without["summary"]["by_status"].get("waived").is_none());
    assert_eq!(
        without["summary"]["by_status"]["fail"].as_u64().unwrap(),
        with["summary"]["by_status"]["fail"].as_u64().unwrap() + 2
    );
    // The text report shows waived findings with their justification.
    let text = khien().args(["waivers", "view", saved]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("ĐƯỢC MIỄN TRỪ (1)"), "{text}");
    assert!(
        text.contains("Miễn trừ MT-2026-004: Đang chuyển hệ thống sao lưu"),
        "{text}"
    );
}

#[test]
fn waivers_apply_to_host_findings_too() {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("may.json");
    let scan = khien()
        .args(["scan", "host", "--format", "json", "--facts-out"])
        .arg(&facts)
        .output()
        .unwrap();
    let plain: Value = serde_json::from_slice(&scan.stdout).unwrap();
    let host = plain["targets"][0]["target"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let failing: Vec<String> = plain["targets"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    if failing.is_empty() {
        // Nothing to waive: the test would pass without exercising waivers.
        crate::support::skip(
            "no host rule fails on this machine; the waiver path cannot be exercised",
        );
        return;
    }
    // Waive every rule that fails on this machine, for this host only.
    let mut waivers = String::new();
    for (i, rule) in failing.iter().enumerate() {
        waivers += &format!(
            "[[waiver]]\nid = \"MT-{i}\"\nrule = \"{rule}\"\ntarget = {host:?}\njustification = \"Máy thử\"\napproved_by = \"Sở\"\napproved_on = 2026-01-01\nexpires = 2099-12-31\n\n"
        );
    }
    let waivers_file = dir.path().join("mien-tru.toml");
    std::fs::write(&waivers_file, waivers).unwrap();
    let out = khien()
        .args(["eval", "--format", "json", "--facts"])
        .arg(&facts)
        .arg("--waivers")
        .arg(&waivers_file)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = doc["targets"][0]["findings"].as_array().unwrap();
    for rule in &failing {
        let f = findings
            .iter()
            .find(|f| f["rule"] == rule.as_str())
            .unwrap();
        assert_eq!(f["status"], "waived", "{f}");
    }
    assert!(findings.iter().all(|f| f["status"] != "fail"));
    // Nothing fails any more, so the exit code is 0.
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_bad_waivers_file_is_rejected_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("mien-tru.toml");
    std::fs::write(
        &bad,
        "[[waiver]]\nid = \"X\"\nrule = \"REG-KHONG-CO\"\nunit = \"SO-GDDT\"\njustification = \"x\"\napproved_by = \"x\"\napproved_on = \"2026-13-01\"\nexpires = 2027-01-01\n",
    )
    .unwrap();
    let out = khien()
        .args(["--lang", "en", "scan", "register", EXAMPLE, "--waivers"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(":3:8"), "{err}");
    assert!(
        err.contains("the policy has no rule `REG-KHONG-CO`"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let check = khien()
        .args([
            "--lang",
            "en",
            "waivers",
            "check",
            WAIVERS,
            "--at",
            "2026-12-15T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0));
    let listing = String::from_utf8(check.stdout).unwrap();
    assert!(
        listing.contains("MT-2026-004 REG-BKP-002 system:CONG-TTDT-SO — in force"),
        "{listing}"
    );

    // Against the register: both waivers name what exists.
    khien()
        .args(["waivers", "check", WAIVERS, "--register", EXAMPLE])
        .assert()
        .success();
    let typo = dir.path().join("typo.toml");
    std::fs::write(
        &typo,
        std::fs::read_to_string(WAIVERS)
            .unwrap()
            .replace("system:CONG-TTDT-SO", "system:CONG-TTDT"),
    )
    .unwrap();
    let out = khien()
        .args(["--lang", "en", "waivers", "check"])
        .arg(&typo)
        .args(["--register", EXAMPLE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("`system:CONG-TTDT` is not in the register")
    );
}
