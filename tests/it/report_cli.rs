//! End-to-end tests of `khien report` on result sets with known answers: indicator
//! arithmetic, coverage, debt ages and deadlines, waivers, bad and hostile inputs,
//! the XLSX read back cell by cell, and a second run after new scans.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx, open_workbook};
use khien::i18n::Lang;
use serde_json::{Value, json};

use crate::support::khien;

fn finding(rule: &str, req: &str, severity: &str, status: &str) -> Value {
    json!({
        "rule": rule, "requirement": req, "severity": severity, "status": status,
        "title": {"vi": format!("Tiêu đề {rule}"), "en": format!("Title {rule}")},
        "remediation": {"vi": format!("Cách khắc phục {rule}"), "en": format!("Fix {rule}")},
        "basis": [], "evidence": []
    })
}

fn target(
    kind: &str,
    id: &str,
    unit: Option<(&str, &str)>,
    at: &str,
    findings: Vec<Value>,
) -> Value {
    let mut t = json!({"kind": kind, "id": id});
    if let Some((code, name)) = unit {
        t["unit"] = json!({"code": code, "name": name});
    }
    json!({"target": t, "collected_at": at, "findings": findings})
}

fn doc(targets: Vec<Value>) -> Value {
    json!({
        "schema": "khien-result/1",
        "tool": {"name": "khien", "version": "0.1.0"},
        "policy": {"id": "khien-default", "version": "test", "origin": "embedded"},
        "generated_at": "2026-03-01T00:00:00Z",
        "evaluated_at": "2026-03-01T00:00:00Z",
        "params": {},
        "targets": targets,
        "summary": {"targets": 0, "findings": 0, "by_status": {}, "failing_by_severity": {}}
    })
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

const AT: &str = "2026-03-01T00:00:00Z";
const U1: Option<(&str, &str)> = Some(("U1", "Trường A"));
const U2: Option<(&str, &str)> = Some(("U2", "Trường B"));
const U3: Option<(&str, &str)> = Some(("U3", "Trường C"));

/// The known-answer set: see the comments for the expected figures.
pub(crate) fn known_set(dir: &Path) {
    let h = |id, unit, f: &[(&str, &str, &str, &str)]| {
        target(
            "host",
            id,
            unit,
            AT,
            f.iter().map(|(r, q, s, st)| finding(r, q, s, st)).collect(),
        )
    };
    // U1 (4 computers in the inventory): pc1 passes all three antivirus checks, pc2 has
    // stale signatures, pc3 could not be read and its signatures do not apply.
    write(
        dir,
        "u1-host.json",
        &doc(vec![
            h(
                "pc1",
                U1,
                &[
                    ("AV1", "H01", "high", "pass"),
                    ("AV2", "H02", "high", "pass"),
                    ("AV3", "H03", "medium", "pass"),
                ],
            ),
            h(
                "pc2",
                U1,
                &[
                    ("AV1", "H01", "high", "pass"),
                    ("AV2", "H02", "high", "fail"),
                    ("AV3", "H03", "medium", "pass"),
                ],
            ),
            h(
                "pc3",
                U1,
                &[
                    ("AV1", "H01", "high", "unknown"),
                    ("AV2", "H02", "high", "not_applicable"),
                    ("AV3", "H03", "medium", "pass"),
                ],
            ),
        ]),
    );
    // U2 (2 computers): one scanned, not centrally managed.
    write(
        dir,
        "u2-host.json",
        &doc(vec![h(
            "pc1",
            U2,
            &[
                ("AV1", "H01", "high", "pass"),
                ("AV2", "H02", "high", "pass"),
                ("AV3", "H03", "medium", "fail"),
            ],
        )]),
    );
    // Websites: U1's HSTS failure is waived (still a failure for K16, not debt); U2's
    // certificate fails.
    let mut w4 = finding("W4", "W04", "low", "fail");
    w4["waiver"] = json!({"reason": "shared hosting", "until": "2026-12-31"});
    let web = |id, unit, last: Value| {
        target(
            "web",
            id,
            unit,
            AT,
            vec![
                finding("W1", "W01", "high", "pass"),
                finding(
                    "W2",
                    "W02",
                    "high",
                    if id.contains("b.") { "fail" } else { "pass" },
                ),
                finding("W3", "W03", "medium", "pass"),
                last,
            ],
        )
    };
    write(
        dir,
        "web.json",
        &doc(vec![
            web("https://a.example", U1, w4),
            web("https://b.example", U2, finding("W4", "W04", "low", "pass")),
        ]),
    );
    // Register: U3 (not in the inventory) has no focal point.
    write(
        dir,
        "register.json",
        &doc(vec![target(
            "register",
            "U3",
            U3,
            AT,
            vec![finding("R7", "R07", "low", "fail")],
        )]),
    );
    std::fs::write(
        dir.join("inventory.csv"),
        "unit_code,unit_name,commune,computers\nU1,Trường A,Xã Một,4\nU2,Trường B,Xã Hai,2\n",
    )
    .unwrap();
}

fn report_json(args: &[&str]) -> Value {
    let out = khien()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn indicator<'a>(r: &'a Value, code: &str) -> &'a Value {
    r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap()
}

fn unit_value<'a>(ind: &'a Value, unit: &str) -> &'a Value {
    ind["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["scope"] == unit)
        .unwrap()
}

fn close(v: &Value, expected: f64) -> bool {
    (v.as_f64().unwrap() - expected).abs() < 1e-9
}

#[test]
fn indicators_coverage_and_debt_have_the_known_answers() {
    let dir = tempfile::tempdir().unwrap();
    known_set(dir.path());
    let d = dir.path().to_str().unwrap();
    let inv = format!("{d}/inventory.csv");
    let r = report_json(&[
        "report",
        d,
        "--period",
        "2026-H1",
        "--at",
        "2026-03-31T00:00:00Z",
        "--inventory",
        &inv,
    ]);
    assert_eq!(r["period"], "2026-H1");
    assert_eq!(r["evaluated_at"], "2026-03-31T00:00:00Z");
    assert_eq!(r["report_due"], "05/06/2026");

    // K01: passing hosts ÷ computers in the inventory; the unknown pc3 is not a pass
    // and not evaluated (coverage = evaluated ÷ computers).
    let k01 = indicator(&r, "K01");
    let u1 = unit_value(k01, "U1");
    assert_eq!(
        (u1["pass"].as_u64(), u1["unknown"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(
        close(&u1["pct"], 50.0) && close(&u1["coverage_pct"], 50.0),
        "{u1}"
    );
    let p = &k01["province"];
    assert_eq!(
        (
            p["pass"].as_u64(),
            p["inventory"].as_u64(),
            p["scanned"].as_u64(),
            p["denominator"].as_u64(),
            p["evaluated"].as_u64()
        ),
        (Some(3), Some(6), Some(4), Some(6), Some(3))
    );
    assert!(
        close(&p["pct"], 50.0) && close(&p["coverage_pct"], 50.0),
        "{p}"
    );
    assert_eq!(p["meets_target"], false);
    // K02: pc3's not-applicable signatures are not counted at all.
    let u1 = unit_value(indicator(&r, "K02"), "U1");
    assert_eq!(
        (
            u1["pass"].as_u64(),
            u1["fail"].as_u64(),
            u1["unknown"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    assert!(close(&u1["pct"], 25.0));
    // K04 needs all three: only U1's pc1.
    let k04 = indicator(&r, "K04");
    assert_eq!(
        (
            k04["province"]["pass"].as_u64(),
            k04["province"]["fail"].as_u64(),
            k04["province"]["unknown"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    assert!(close(&k04["province"]["pct"], 100.0 / 6.0));
    // Per commune: Xã Hai is U2 alone.
    let hai = k04["communes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scope"] == "Xã Hai")
        .unwrap();
    assert!(close(&hai["pct"], 0.0) && close(&hai["coverage_pct"], 50.0));
    // K16 over websites: a waived failure is still a failure.
    let k16 = indicator(&r, "K16");
    assert_eq!(
        (
            k16["province"]["pass"].as_u64(),
            k16["province"]["fail"].as_u64()
        ),
        (Some(0), Some(2))
    );
    // Without a register the websites' denominator is what was scanned, and says so.
    assert_eq!(k16["province"]["denominator_from_register"], false);
    assert!(k16["province"]["coverage_pct"].is_null());
    // U3 is not in the inventory: named apart, counted nowhere, so K17 has no data.
    let k17 = indicator(&r, "K17");
    assert_eq!(k17["province"]["no_data"], true);
    assert!(k17["province"]["meets_target"].is_null());
    let unreg = &r["unregistered"][0];
    assert_eq!(unreg["code"], "U3");
    assert!(
        unreg["files"][0]
            .as_str()
            .unwrap()
            .ends_with("register.json")
    );

    // Debt: three open items, worst first; the waived one apart.
    let debt = r["debt"].as_array().unwrap();
    let keys: Vec<(&str, &str, bool, i64)> = debt
        .iter()
        .map(|d| {
            (
                d["unit_code"].as_str().unwrap(),
                d["rule"].as_str().unwrap(),
                d["overdue"].as_bool().unwrap(),
                d["age_days"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            ("U1", "AV2", true, 30),
            ("U2", "W2", true, 30),
            ("U2", "AV3", false, 30),
        ]
    );
    assert_eq!(debt[0]["due"], "2026-03-16T00:00:00Z");
    assert_eq!(r["debt_totals"]["open"], 3);
    assert_eq!(r["debt_totals"]["overdue"], 2);
    let k14 = indicator(&r, "K14");
    assert_eq!(k14["province"]["count"], 2);
    assert!(close(&k14["province"]["mean_age_days"], 30.0));
    let waived = r["waived"].as_array().unwrap();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["rule"], "W4");
    assert!(
        waived[0]["waiver"]
            .as_str()
            .unwrap()
            .contains("shared hosting")
    );
    // Everything is new in the first report of the period (U3's failure not counted).
    assert_eq!(r["changes"]["new"].as_array().unwrap().len(), 4);
}

#[test]
fn per_unit_report_shows_only_that_unit_worst_first() {
    let dir = tempfile::tempdir().unwrap();
    known_set(dir.path());
    let d = dir.path().to_str().unwrap();
    let r = report_json(&[
        "report",
        d,
        "--period",
        "2026",
        "--at",
        "2026-03-31T00:00:00Z",
        "--unit",
        "U2",
    ]);
    assert_eq!(r["unit"]["code"], "U2");
    assert_eq!(r["report_due"], "05/12/2026");
    let rules: Vec<&str> = r["debt"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["W2", "AV3"]);
    let html = khien()
        .args([
            "report",
            d,
            "--period",
            "2026",
            "--at",
            "2026-03-31T00:00:00Z",
            "--unit",
            "U2",
        ])
        .output()
        .unwrap();
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(html.contains("Việc cần làm, nặng nhất trước"));
    assert!(html.contains("Cách khắc phục W2"));
    assert!(
        !html.contains("Cách khắc phục AV2"),
        "another unit's debt leaked in"
    );
}

#[test]
fn bad_and_truncated_files_are_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    known_set(dir.path());
    let good = std::fs::read_to_string(dir.path().join("u2-host.json")).unwrap();
    std::fs::write(dir.path().join("truncated.json"), &good[..good.len() / 2]).unwrap();
    std::fs::write(
        dir.path().join("facts.json"),
        r#"{"schema":"khien-facts/1"}"#,
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let out = khien()
        .args([
            "--lang",
            "en",
            "report",
            d,
            "--period",
            "2026-H1",
            "--at",
            "2026-03-31T00:00:00Z",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("truncated.json") && stderr.contains("truncated file"),
        "{stderr}"
    );
    assert!(stderr.contains("facts.json"), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped: Vec<&str> = r["inputs"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 2);
    // The rest of the report is whole.
    assert_eq!(r["debt_totals"]["open"], 4);
}

#[test]
fn hostile_names_are_escaped_and_neutralised_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let evil_unit = Some((
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "=1+2 <b>bold</b>",
    ));
    let mut f = finding("X1", "W01", "high", "fail");
    f["title"]["vi"] = json!("<script>alert('tiêu đề')</script>");
    write(
        dir.path(),
        "evil.json",
        &doc(vec![target(
            "web",
            "https://x.example/\"><script>alert(1)</script>",
            evil_unit,
            AT,
            vec![f],
        )]),
    );
    let d = dir.path().to_str().unwrap();
    let base = [
        "report",
        d,
        "--period",
        "2026-H1",
        "--at",
        "2026-03-31T00:00:00Z",
    ];

    let html = khien().args(base).output().unwrap();
    let html = String::from_utf8(html.stdout).unwrap();
    assert!(
        !html.contains("<script"),
        "markup from a result reached the HTML"
    );
    assert!(!html.contains("<b>bold"));
    assert!(html.contains("&lt;script&gt;alert(&#39;tiêu đề&#39;)&lt;/script&gt;"));

    let csv = khien()
        .args(base)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""),
        "{csv}"
    );
    assert!(csv.contains("'=1+2"));
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("period,evaluated_at,no,unit_code,")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("2026-H1,2026-03-31T00:00:00Z,1,")
    );

    let xlsx = dir.path().join("out.xlsx");
    khien()
        .args(base)
        .args(["--format", "xlsx", "-o"])
        .arg(&xlsx)
        .assert()
        .success();
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    for sheet in wb.sheet_names() {
        let formulas = wb.worksheet_formula(&sheet).unwrap();
        assert!(
            formulas.used_cells().next().is_none(),
            "formula in sheet {sheet}"
        );
    }
    let detail = wb.worksheet_range("Chi tiết nợ").unwrap();
    assert_eq!(
        detail.get_value((1, 1)),
        Some(&Data::String(
            "'=HYPERLINK(\"http://evil.example\",\"x\")".into()
        ))
    );
    assert_eq!(
        detail.get_value((1, 2)),
        Some(&Data::String("'=1+2 <b>bold</b>".into()))
    );
}

#[test]
fn workbook_reads_back_cell_by_cell() {
    let dir = tempfile::tempdir().unwrap();
    known_set(dir.path());
    let d = dir.path().to_str().unwrap();
    let inv = format!("{d}/inventory.csv");
    let xlsx = dir.path().join("r.xlsx");
    khien()
        .args([
            "report",
            d,
            "--period",
            "2026-H1",
            "--at",
            "2026-03-31T00:00:00Z",
            "--inventory",
            &inv,
            "--format",
            "xlsx",
            "-o",
        ])
        .arg(&xlsx)
        .assert()
        .success();
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Tổng hợp",
            "Chỉ tiêu",
            "Theo đơn vị",
            "Theo quy tắc",
            "Chi tiết nợ",
            "Kế hoạch khắc phục",
            "Miễn trừ",
            "Thay đổi",
            "Tệp bị bỏ qua"
        ]
    );
    let s = |v: &str| Data::String(v.into());
    let summary = wb.worksheet_range("Tổng hợp").unwrap();
    assert_eq!(summary.get_value((2, 0)), Some(&s("Kỳ báo cáo")));
    assert_eq!(summary.get_value((2, 1)), Some(&s("2026-H1")));
    // Dates are real dates (Excel serial days), not text.
    let serial = |v: Option<&Data>| match v {
        Some(Data::DateTime(d)) => d.as_f64(),
        other => panic!("not a date: {other:?}"),
    };
    assert_eq!(serial(summary.get_value((5, 1))), 46112.0); // 31/03/2026
    assert_eq!(serial(summary.get_value((6, 1))), 46178.0); // 05/06/2026
    assert_eq!(summary.get_value((9, 1)), Some(&Data::Float(3.0)));
    assert_eq!(summary.get_value((10, 1)), Some(&Data::Float(2.0)));

    // Indicators: the province row of K01, then its communes and units.
    let ind = wb.worksheet_range("Chỉ tiêu").unwrap();
    let row: Vec<Data> = (0..19)
        .map(|c| ind.get_value((1, c)).cloned().unwrap_or(Data::Empty))
        .collect();
    assert_eq!(row[0], s("K01"));
    assert_eq!(row[2], s("Toàn tỉnh"));
    assert_eq!(row[5], s("100%"));
    assert_eq!(row[6], Data::Float(50.0));
    assert_eq!(row[8], s("Không"));
    assert_eq!(
        (row[9].clone(), row[10].clone(), row[11].clone()),
        (Data::Float(3.0), Data::Float(0.0), Data::Float(1.0))
    );
    assert_eq!(
        (row[12].clone(), row[13].clone(), row[14].clone()),
        (Data::Float(6.0), Data::Float(4.0), Data::Float(6.0))
    );
    assert_eq!(
        (row[15].clone(), row[16].clone(), row[17].clone()),
        (Data::Float(3.0), Data::Float(3.0), Data::Float(50.0))
    );

    // Remediation plan: the 06 rõ columns, blank where the school fills them in.
    let plan = wb.worksheet_range("Kế hoạch khắc phục").unwrap();
    let headers: Vec<String> = (0..15)
        .map(|c| plan.get_value((0, c)).unwrap().to_string())
        .collect();
    assert_eq!(
        &headers[7..],
        [
            "Vấn đề cần khắc phục",
            "Rõ người: người thực hiện",
            "Rõ việc: việc cần làm",
            "Hạn đề xuất (theo thời hạn khắc phục)",
            "Rõ thời gian: ngày đơn vị cam kết hoàn thành",
            "Rõ trách nhiệm: người chịu trách nhiệm",
            "Rõ sản phẩm: kết quả cần nộp",
            "Rõ thẩm quyền: người phê duyệt, nghiệm thu"
        ]
    );
    assert_eq!(plan.get_value((1, 1)), Some(&s("U1")));
    assert_eq!(plan.get_value((1, 6)), Some(&s("Cao")));
    assert_eq!(
        plan.get_value((1, 8)).cloned().unwrap_or(Data::Empty),
        Data::Empty
    );
    assert_eq!(plan.get_value((1, 9)), Some(&s("Cách khắc phục AV2")));
    // Overdue since 16/03: the proposal is 15 days (high) from the evaluation day, and
    // the unit's own date is left to fill in, never pre-filled with an overdue date.
    assert_eq!(serial(plan.get_value((1, 10))), 46127.0); // 15/04/2026
    for fill in [8, 11, 14] {
        assert_eq!(
            plan.get_value((1, fill)).cloned().unwrap_or(Data::Empty),
            Data::Empty,
            "column {fill} is the school's to fill"
        );
    }
    assert_eq!(plan.height(), 4);
    // Debt detail: "open since" is a date.
    let detail = wb.worksheet_range("Chi tiết nợ").unwrap();
    assert_eq!(serial(detail.get_value((1, 10))), 46082.0); // 01/03/2026
    let waived = wb.worksheet_range("Miễn trừ").unwrap();
    assert_eq!(waived.get_value((1, 6)), Some(&s("W4")));
}

#[test]
fn english_report_on_request() {
    let dir = tempfile::tempdir().unwrap();
    known_set(dir.path());
    let d = dir.path().to_str().unwrap();
    let out = khien()
        .args([
            "--lang",
            "en",
            "report",
            d,
            "--period",
            "2026-H1",
            "--at",
            "2026-03-31T00:00:00Z",
        ])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Compliance debt"));
    assert!(html.contains("Title AV2"));
}

#[test]
fn xlsx_without_output_and_bad_inventory_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    known_set(dir.path());
    let d = dir.path().to_str().unwrap();
    khien()
        .args(["report", d, "--period", "2026-H1", "--format", "xlsx"])
        .assert()
        .code(2);
    std::fs::write(
        dir.path().join("bad.csv"),
        "unit_code,unit_name,commune,computers\nU1,A,B,many\n",
    )
    .unwrap();
    let bad = format!("{d}/bad.csv");
    let out = khien()
        .args([
            "--lang",
            "en",
            "report",
            d,
            "--period",
            "2026-H1",
            "--inventory",
            &bad,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.csv:2"));
    // A register that does not load: its file and line are named, and no report
    // replaces the one already written.
    std::fs::write(
        dir.path().join("bad.toml"),
        "[[unit]]\ncode = \"U1\"\nname = \"A\"\ntype = \"truong\"\ncomputers = -3\n",
    )
    .unwrap();
    let previous = dir.path().join("report.html");
    std::fs::write(&previous, "earlier report").unwrap();
    let out = khien()
        .args([
            "--lang",
            "en",
            "report",
            d,
            "--period",
            "2026-H1",
            "--register",
        ])
        .arg(dir.path().join("bad.toml"))
        .arg("-o")
        .arg(&previous)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml:4"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&previous).unwrap(),
        "earlier report"
    );
    khien()
        .args(["report", d, "--period", "2026-H3"])
        .assert()
        .code(2);
}

/// The example province must stay in step with the result schema and the policy: every
/// file reads as a strict `ResultDocument`, and its register loads. Regenerate with
/// `cargo run --example gen_results -- province fixtures/results`.
#[test]
fn example_province_matches_the_result_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/results");
    let mut files = 0;
    for round in ["round-1", "round-2", "round-3"] {
        khien::register::load_file(&dir.join(round).join("so-dang-ky.toml"))
            .unwrap_or_else(|e| panic!("{round}: {}", e.render(Lang::En)));
        for entry in std::fs::read_dir(dir.join(round)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            if let Err(e) = serde_json::from_value::<khien::findings::ResultDocument>(v) {
                panic!("{}: {e}", path.display());
            }
            files += 1;
        }
    }
    assert_eq!(
        files,
        3 * (12 * 2 + 1),
        "12 schools send host results, and the Department scans their websites and its register, each round"
    );
}
