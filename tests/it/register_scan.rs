//! End-to-end: `khien scan register` on the example register, with the clock moved
//! by `--at`, and on broken registers.

use serde_json::Value;

const EXAMPLE: &str = "fixtures/register/lam-dong.toml";
const AT: &str = "2026-11-23T08:00:00+07:00";

use crate::support::khien;

fn scan_json(register: &str, at: &str) -> (i32, Value) {
    let out = khien()
        .args(["scan", "register", register, "--format", "json", "--at", at])
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc)
}

fn finding<'a>(doc: &'a Value, target: &str, rule: &str) -> &'a Value {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"]["id"] == target)
        .unwrap_or_else(|| panic!("no target {target}"))["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no finding {rule} on {target}"))
}

fn status(doc: &Value, target: &str, rule: &str) -> String {
    finding(doc, target, rule)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_example_register_fails_each_register_requirement_somewhere() {
    let (code, doc) = scan_json(EXAMPLE, AT);
    assert_eq!(code, 1, "failing findings give exit code 1");
    assert_eq!(doc["evaluated_at"], "2026-11-23T01:00:00Z");
    let mut failing_requirements: Vec<String> = Vec::new();
    for t in doc["targets"].as_array().unwrap() {
        // Every register target names its unit.
        assert!(t["target"]["unit"]["code"].is_string(), "{}", t["target"]);
        assert!(t["target"]["unit"]["name"].is_string(), "{}", t["target"]);
        for f in t["findings"].as_array().unwrap() {
            if f["status"] == "fail" {
                failing_requirements.push(f["requirement"].as_str().unwrap_or("").to_string());
            }
        }
    }
    for req in ["R01", "R02", "R03", "R04", "R05", "R06", "R07", "R11"] {
        assert!(
            failing_requirements.iter().any(|r| r == req),
            "no failing finding for {req}"
        );
    }
    // Each failure is attributed to the right system and unit.
    assert_eq!(status(&doc, "system:HOCBA-SO", "REG-LVL-001"), "fail");
    assert_eq!(status(&doc, "system:CSDL-NGANH", "REG-LVL-001"), "pass");
    assert_eq!(status(&doc, "system:TUYENSINH-10", "REG-LVL-002"), "fail");
    assert_eq!(status(&doc, "system:TUYENSINH-10", "REG-LVL-007"), "fail");
    assert_eq!(
        status(&doc, "system:CSDL-NGANH", "REG-LVL-007"),
        "not_applicable"
    );
    assert_eq!(status(&doc, "system:CONG-TTDT-SO", "REG-LVL-003"), "fail");
    assert_eq!(status(&doc, "system:CSDL-NGANH", "REG-LVL-003"), "pass");
    assert_eq!(status(&doc, "system:TUYENSINH-10", "REG-LVL-005"), "fail");
    assert_eq!(status(&doc, "system:HOCBA-SO", "REG-POL-001"), "fail");
    assert_eq!(status(&doc, "system:HOCBA-SO", "REG-BKP-001"), "fail");
    assert_eq!(status(&doc, "system:QLTH-THPTBL", "REG-BKP-002"), "fail");
    assert_eq!(status(&doc, "system:CONG-TTDT-SO", "REG-BKP-002"), "fail");
    assert_eq!(status(&doc, "system:CSDL-NGANH", "REG-BKP-003"), "pass");
    assert_eq!(status(&doc, "system:TUYENSINH-10", "REG-IR-001"), "fail");
    assert_eq!(status(&doc, "unit:THCS-LTV-01", "REG-FP-001"), "fail");
    assert_eq!(status(&doc, "unit:MN-HM-01", "REG-FP-001"), "fail");
    assert_eq!(status(&doc, "unit:SO-GDDT", "REG-FP-001"), "pass");
    assert_eq!(status(&doc, "unit:THPT-BL-01", "REG-RPT-001"), "fail");
    assert_eq!(status(&doc, "unit:THPT-BL-01", "REG-IR-002"), "fail");
    assert_eq!(status(&doc, "unit:SO-GDDT", "REG-IR-002"), "pass");
    assert_eq!(
        status(&doc, "unit:TH-HB-01", "REG-IR-002"),
        "not_applicable"
    );
    assert_eq!(status(&doc, "unit:TH-HB-01", "REG-RPT-001"), "pass");
    let hocba = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"]["id"] == "system:HOCBA-SO")
        .unwrap();
    assert_eq!(hocba["target"]["unit"]["code"], "SO-GDDT");
    let lvl = finding(&doc, "system:HOCBA-SO", "REG-LVL-001");
    assert!(
        lvl["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["value"] == "Học bạ số"),
        "the system's name is in the evidence: {lvl}"
    );
    // A count the register leaves out makes the level rule unknown, never pass.
    let unknown = finding(&doc, "system:ELEARNING-GDTX", "REG-LVL-005");
    assert_eq!(unknown["status"], "unknown");
    assert_eq!(
        unknown["unknown_facts"][0]["fact"],
        "register.system.personal_data.subjects"
    );
}

#[test]
fn an_expired_attestation_counts_as_not_recorded() {
    let (_, doc) = scan_json(EXAMPLE, AT);
    let f = finding(&doc, "system:QLTH-THPTBL", "REG-LVL-001");
    assert_eq!(f["status"], "fail");
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["fact"] == "register.system.expired"
                && e["value"] == serde_json::json!(["approval"])),
        "{f}"
    );
    // Before its expiry (30/09/2026) the same approval counted.
    let (_, earlier) = scan_json(EXAMPLE, "2026-09-30T12:00:00+07:00");
    assert_eq!(
        status(&earlier, "system:QLTH-THPTBL", "REG-LVL-001"),
        "pass"
    );
    // The Department's database approval expires on 25/03/2027.
    let (_, later) = scan_json(EXAMPLE, "2027-03-26T08:00:00+07:00");
    assert_eq!(status(&later, "system:CSDL-NGANH", "REG-LVL-001"), "fail");
}

#[test]
fn deadlines_apply_once_the_clock_passes_them() {
    // The transition deadline (01/01/2027) for systems invested in before 01/7/2026.
    let (_, before) = scan_json(EXAMPLE, AT);
    assert_eq!(
        status(&before, "system:THUVIEN-SO", "REG-LVL-004"),
        "not_applicable"
    );
    let (_, after) = scan_json(EXAMPLE, "2027-01-02T08:00:00+07:00");
    assert_eq!(status(&after, "system:THUVIEN-SO", "REG-LVL-004"), "fail");
    // The critical-systems deadline (30/04/2026): not yet due in March 2026.
    let (_, march) = scan_json(EXAMPLE, "2026-03-01T08:00:00+07:00");
    assert_eq!(
        status(&march, "system:CONG-TTDT-SO", "REG-LVL-003"),
        "not_applicable"
    );
    // The 05/12 report is due only once 05/12/2026 has passed.
    let (_, december) = scan_json(EXAMPLE, "2026-12-06T08:00:00+07:00");
    assert_eq!(status(&december, "unit:TH-HB-01", "REG-RPT-001"), "fail");
    assert_eq!(status(&before, "unit:TH-HB-01", "REG-RPT-001"), "pass");
}

#[test]
fn text_report_names_units_and_systems_in_both_languages() {
    let vi = khien()
        .args(["scan", "register", EXAMPLE, "--at", AT])
        .output()
        .unwrap();
    let vi = String::from_utf8(vi.stdout).unwrap();
    assert!(vi.contains("Đối tượng: system:HOCBA-SO"), "{vi}");
    assert!(vi.contains("Đơn vị: SO-GDDT Sở Giáo dục và Đào tạo Lâm Đồng"));
    assert!(vi.contains("Hệ thống thông tin đang vận hành đã được phê duyệt cấp độ"));
    let en = khien()
        .args(["--lang", "en", "scan", "register", EXAMPLE, "--at", AT])
        .output()
        .unwrap();
    let en = String::from_utf8(en.stdout).unwrap();
    assert!(en.contains("Every operating information system has an approved security level"));
    assert!(en.contains("Unit: THPT-BL-01 Trường THPT Bảo Lộc"));
}

const BROKEN: &str = r#"[[unit]]
code = "SO"
name = "Sở"
type = "so"

[[unit]]
code = "SO"
name = "Sở (trùng)"
type = "so"

[[system]]
id = "A"
name = "Hệ thống A"
unit = "THPT-KHONG-CO"
owner = "x"
operator = "x"
hosting = { kind = "on_premises" }
status = "operating"
go_live = "31/02/2026"
personal_data = { categories = [] }

[system.approval]
approved_level = 6
decision_no = "1/QĐ"
decision_date = 2026-01-01
approver = "x"
approver_role = "chu_quan"
regime = "nd331"
attested_by = "x"
attested_on = 2026-01-02
evidence = "x"
expires = 2027-01-02
"#;

#[test]
fn a_broken_register_lists_every_error_and_evaluates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("so-dang-ky.toml");
    std::fs::write(&register, BROKEN).unwrap();
    let output = dir.path().join("ket-qua.json");
    std::fs::write(&output, "previous result\n").unwrap();
    let out = khien()
        .args(["--lang", "en", "scan", "register"])
        .arg(&register)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let name = register.display().to_string();
    for (pos, what) in [
        ("7:8", "duplicate unit code `SO`"),
        ("14:8", "unit `THPT-KHONG-CO`"),
        ("19:11", "invalid date"),
        ("23:18", "a security level is 1 to 5"),
    ] {
        assert!(
            err.contains(&format!("{name}:{pos}")) || err.contains(&format!(":{pos}")),
            "no position {pos} in:\n{err}"
        );
        assert!(err.contains(what), "no `{what}` in:\n{err}");
    }
    assert!(err.contains("khien stopped: invalid input"));
    // Nothing was evaluated, and the previous output is intact.
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "previous result\n"
    );
}

#[test]
fn a_missing_register_is_bad_input_in_vietnamese_by_default() {
    let out = khien()
        .args(["scan", "register", "khong-co-so-nay.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("khong-co-so-nay.toml"), "{err}");
    assert!(err.contains("không đọc được sổ đăng ký"), "{err}");
}
