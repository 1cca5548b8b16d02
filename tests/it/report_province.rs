//! Province numbers the Department can sign (issue 13), end to end on the example
//! province (`fixtures/results`, round 3) with the dirt real data has: unregistered and
//! mistyped unit codes, more machines than registered, no results, personal-data
//! checks all unknown, no website crawl, one website, a failure that stops applying,
//! and reports run in several formats. Expected figures come from the fixtures:
//! the register lists 60 computers and 13 public URLs; round 3 has 46 hosts (H01:
//! 39 pass, 6 fail, 1 unknown) and 12 websites (K16: 3 pass, 8 fail, 1 unknown).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{khien, repo_path};

const AT: &str = "2026-05-31T00:00:00Z";

fn round3() -> PathBuf {
    repo_path("fixtures/results/round-3")
}

/// Copies the round-3 result files whose names pass `keep` into `dir`.
fn stage(dir: &Path, keep: impl Fn(&str) -> bool) {
    for e in std::fs::read_dir(round3()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".json") && keep(&name) {
            std::fs::copy(&p, dir.join(&name)).unwrap();
        }
    }
}

fn read(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(round3().join(name)).unwrap()).unwrap()
}

fn write(dir: &Path, name: &str, v: &Value) {
    std::fs::write(dir.join(name), serde_json::to_string(v).unwrap()).unwrap();
}

/// A result file of another unit code: the document's and every target's.
fn recode(doc: &mut Value, code: Option<&str>, id_suffix: &str) {
    match code {
        Some(c) => doc["unit"]["code"] = json!(c),
        None => {
            doc.as_object_mut().unwrap().remove("unit");
        }
    }
    for t in doc["targets"].as_array_mut().unwrap() {
        match code {
            Some(c) => t["target"]["unit"]["code"] = json!(c),
            None => {
                t["target"].as_object_mut().unwrap().remove("unit");
            }
        }
        let id = format!("{}{id_suffix}", t["target"]["id"].as_str().unwrap());
        t["target"]["id"] = json!(id);
    }
}

fn report(inputs: &[&Path], extra: &[&str]) -> Value {
    let out = khien()
        .arg("report")
        .args(inputs)
        .arg("--register")
        .arg(repo_path("fixtures/results/register.toml"))
        .args(["--period", "2026-H1", "--at", AT, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn province<'a>(r: &'a Value, code: &str) -> &'a Value {
    &r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no indicator {code}"))["province"]
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

/// Every scope of every indicator: no rate or coverage above 100%, nothing met
/// without data. Shared with the property test.
pub fn assert_signable(r: &Value) {
    for ind in r["indicators"].as_array().unwrap() {
        let scopes = std::iter::once(&ind["province"])
            .chain(ind["communes"].as_array().unwrap())
            .chain(ind["units"].as_array().unwrap());
        for v in scopes {
            for key in ["pct", "coverage_pct"] {
                if let Some(x) = v[key].as_f64() {
                    assert!(
                        (0.0..=100.0 + 1e-9).contains(&x),
                        "{} {key} {x} in {v}",
                        ind["code"]
                    );
                }
            }
            if v["no_data"] == true {
                assert!(
                    v["meets_target"].is_null(),
                    "{} met without data",
                    ind["code"]
                );
            }
        }
    }
}

#[test]
fn the_register_gives_every_denominator() {
    let r = report(&[&round3()], &[]);
    assert_signable(&r);
    let k01 = province(&r, "K01");
    assert_eq!(
        (
            k01["pass"].as_u64(),
            k01["denominator"].as_u64(),
            k01["evaluated"].as_u64()
        ),
        (Some(39), Some(60), Some(45))
    );
    assert!(
        close(&k01["pct"], 65.0) && close(&k01["coverage_pct"], 75.0),
        "{k01}"
    );
    assert_eq!(k01["meets_target"], false);
    // Websites over the register's 13 public URLs, not over the 12 crawled.
    let k16 = province(&r, "K16");
    assert_eq!(
        (
            k16["pass"].as_u64(),
            k16["denominator"].as_u64(),
            k16["evaluated"].as_u64()
        ),
        (Some(3), Some(13), Some(11))
    );
    assert!(close(&k16["pct"], 300.0 / 13.0) && close(&k16["coverage_pct"], 1100.0 / 13.0));
    // Register indicators have coverage too: 14 systems, 14 units.
    for (code, den) in [("K06", 14), ("K11", 14), ("K17", 14), ("K24", 14)] {
        let v = province(&r, code);
        assert_eq!(v["denominator"], den, "{code}: {v}");
        assert!(close(&v["coverage_pct"], 100.0), "{code}: {v}");
    }
    // The Department and one school sent nothing of their own in the period; the
    // register scan's date is not "their last scan".
    assert_eq!(r["not_reporting"], json!(["LD-SO", "LD-TH-013"]));
    let so = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "LD-SO")
        .unwrap();
    assert!(so["last_scan"].is_null(), "{so}");
    assert_eq!(r["unregistered"], json!([]));
    assert_eq!(r["register_out_of_date"], json!([]));
    // Every unit is listed, worst first: overdue critical/high items decide.
    let units = r["units"].as_array().unwrap();
    assert_eq!(units.len(), 14);
    let keys: Vec<u64> = units
        .iter()
        .map(|u| u["overdue_critical_high"].as_u64().unwrap())
        .collect();
    assert!(keys.windows(2).all(|w| w[0] >= w[1]), "{keys:?}");
    assert_eq!(r["worst_units"][0]["code"], units[0]["code"]);
}

#[test]
fn unregistered_and_mistyped_codes_are_named_and_never_counted() {
    let dir = tempfile::tempdir().unwrap();
    stage(dir.path(), |_| true);
    let mut typo = read("host-ld-th-004.json");
    recode(&mut typo, Some("LD-TH-0O4"), "-typo");
    write(dir.path(), "host-typo.json", &typo);
    let mut stranger = read("host-ld-thpt-002.json");
    recode(&mut stranger, Some("TRUONG-LA"), "-x");
    write(dir.path(), "host-stranger.json", &stranger);
    let mut nobody = read("web-ld-th-007.json");
    recode(&mut nobody, None, "");
    write(dir.path(), "web-nobody.json", &nobody);

    let r = report(&[dir.path()], &[]);
    assert_signable(&r);
    // The province's figures are those of the clean round.
    let k01 = province(&r, "K01");
    assert_eq!(
        (k01["pass"].as_u64(), k01["denominator"].as_u64()),
        (Some(39), Some(60))
    );
    assert!(close(&k01["pct"], 65.0) && close(&k01["coverage_pct"], 75.0));
    let k16 = province(&r, "K16");
    assert_eq!(
        (k16["pass"].as_u64(), k16["evaluated"].as_u64()),
        (Some(3), Some(11))
    );
    let unreg = r["unregistered"].as_array().unwrap();
    let codes: Vec<&str> = unreg.iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["", "LD-TH-0O4", "TRUONG-LA"]);
    assert_eq!(unreg[1]["did_you_mean"], "LD-TH-004");
    assert_eq!(unreg[1]["targets"], 4);
    assert!(
        unreg[1]["files"][0]
            .as_str()
            .unwrap()
            .ends_with("host-typo.json")
    );
    assert!(unreg[2]["did_you_mean"].is_null());
    assert_eq!(unreg[2]["targets"], 6);
    assert!(
        unreg[0]["files"][0]
            .as_str()
            .unwrap()
            .ends_with("web-nobody.json")
    );
    // Their findings are in no debt list.
    for d in r["debt"].as_array().unwrap() {
        assert!(!["", "LD-TH-0O4", "TRUONG-LA"].contains(&d["unit_code"].as_str().unwrap()));
    }

    // The first screen names them, with the hint.
    let html = dir.path().join("r.html");
    khien()
        .arg("report")
        .arg(dir.path())
        .arg("--register")
        .arg(repo_path("fixtures/results/register.toml"))
        .args(["--period", "2026-H1", "--at", AT, "-o"])
        .arg(&html)
        .assert()
        .success();
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("có phải LD-TH-004?"));
    assert!(text.contains("Mã đơn vị không có trong danh mục"));
    assert!(text.contains("<b>3 (11 đối tượng, không tính)</b>"), "card");
}

#[test]
fn more_machines_than_registered_counts_the_larger_number() {
    let dir = tempfile::tempdir().unwrap();
    stage(dir.path(), |_| true);
    // LD-TH-009 registers 4 computers and sends 2 + 4 more (copies of pc01, H01 pass).
    let mut doc = read("host-ld-th-009.json");
    let pc01 = doc["targets"][0].clone();
    for i in 0..4 {
        let mut t = pc01.clone();
        t["target"]["id"] = json!(format!("ld-th-009-extra{i}"));
        doc["targets"].as_array_mut().unwrap().push(t);
    }
    write(dir.path(), "host-ld-th-009.json", &doc);
    let r = report(&[dir.path()], &[]);
    assert_signable(&r);
    let k01 = &r["indicators"][0];
    let unit = k01["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["scope"] == "LD-TH-009")
        .unwrap();
    assert_eq!(unit["denominator"], 6);
    assert!(close(&unit["pct"], 100.0), "{unit}");
    let p = &k01["province"];
    assert_eq!(
        (p["pass"].as_u64(), p["denominator"].as_u64()),
        (Some(43), Some(62))
    );
    assert!(close(&p["pct"], 4300.0 / 62.0));
    assert_eq!(
        r["register_out_of_date"],
        json!([{"code": "LD-TH-009", "name": "Trường Tiểu học Đạm Ri", "what": "computers",
                "registered": 4, "found": 6}])
    );
}

#[test]
fn no_results_at_all_is_no_data_never_met() {
    let dir = tempfile::tempdir().unwrap();
    let r = report(&[dir.path()], &[]);
    assert_signable(&r);
    for ind in r["indicators"].as_array().unwrap() {
        let p = &ind["province"];
        assert_eq!(p["no_data"], true, "{}: {p}", ind["code"]);
        assert!(p["meets_target"].is_null(), "{}: {p}", ind["code"]);
        for c in ind["communes"].as_array().unwrap() {
            assert!(c["meets_target"].is_null(), "{}: {c}", ind["code"]);
        }
    }
    assert_eq!(r["not_reporting"].as_array().unwrap().len(), 14);
    let html = dir.path().join("r.html");
    khien()
        .arg("report")
        .arg(dir.path())
        .arg("--register")
        .arg(repo_path("fixtures/results/register.toml"))
        .args(["--period", "2026-H1", "--at", AT, "-o"])
        .arg(&html)
        .assert()
        .success();
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(!text.contains("class=\"num ok\""), "something shown as met");
    assert!(text.contains("không có số liệu"));
    assert!(text.contains("Không có cơ sở dữ liệu lịch sử (--db)"));
}

/// Sets every H15 finding of a host result to `status`.
fn h15(doc: &mut Value, status: &str) {
    for t in doc["targets"].as_array_mut().unwrap() {
        for f in t["findings"].as_array_mut().unwrap() {
            if f["requirement"] == "H15" {
                f["status"] = json!(status);
            }
        }
    }
}

#[test]
fn personal_data_unknown_or_not_crawled_is_never_zero_and_met() {
    // Every personal-data check unknown, no website crawl: no data.
    let dir = tempfile::tempdir().unwrap();
    stage(dir.path(), |n| n.starts_with("host-"));
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        h15(&mut doc, "unknown");
        std::fs::write(&p, doc.to_string()).unwrap();
    }
    let r = report(&[dir.path()], &[]);
    let k15 = province(&r, "K15");
    assert_eq!(
        (
            k15["no_data"].as_bool(),
            k15["count"].as_u64(),
            k15["evaluated"].as_u64(),
            k15["unknown"].as_u64()
        ),
        (Some(true), Some(0), Some(0), Some(46))
    );
    assert!(k15["meets_target"].is_null());
    // 60 machines and 13 URLs in the register, none evaluated.
    assert_eq!(k15["not_evaluated"], 73);

    // Every machine passes H15 but no website was crawled: 0 found, not "met".
    let dir = tempfile::tempdir().unwrap();
    stage(dir.path(), |n| n.starts_with("host-"));
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let p = e.unwrap().path();
        let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        h15(&mut doc, "pass");
        std::fs::write(&p, doc.to_string()).unwrap();
    }
    let r = report(&[dir.path()], &[]);
    let k15 = province(&r, "K15");
    assert_eq!(
        (
            k15["no_data"].as_bool(),
            k15["count"].as_u64(),
            k15["evaluated"].as_u64()
        ),
        (Some(false), Some(0), Some(46))
    );
    // 14 machines not scanned + 13 sites not crawled.
    assert_eq!(k15["not_evaluated"], 27);
    assert!(k15["meets_target"].is_null(), "{k15}");
    assert_signable(&r);
}

#[test]
fn one_website_is_one_of_the_registers_thirteen() {
    let dir = tempfile::tempdir().unwrap();
    stage(dir.path(), |n| n == "web-ld-th-004.json");
    let r = report(&[dir.path()], &[]);
    assert_signable(&r);
    let k16 = province(&r, "K16");
    assert_eq!(
        (k16["pass"].as_u64(), k16["denominator"].as_u64()),
        (Some(1), Some(13))
    );
    assert!(close(&k16["pct"], 100.0 / 13.0) && close(&k16["coverage_pct"], 100.0 / 13.0));
    assert_eq!(k16["meets_target"], false);
    // Nothing of the machines: no data, not 0% and not met.
    let k01 = province(&r, "K01");
    assert_eq!(k01["no_data"], true);
    assert!(k01["pct"].is_null() && k01["meets_target"].is_null());
}

mod property {
    //! Random subsets of the example province, with random typos in unit codes: no
    //! rate or coverage above 100%, nothing "met" without data, and a mistyped code
    //! never reaches a unit row or the debt.

    use proptest::prelude::*;

    use super::*;

    fn files() -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(round3())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        v.sort();
        v
    }

    proptest! {
        // Each case runs khien once (about a second in a debug build).
        #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
        #[test]
        fn random_subsets_with_typos_stay_signable(
            keep in prop::collection::vec(any::<bool>(), 25),
            typos in prop::collection::vec((0usize..25, 0usize..12, prop::sample::select(vec!['0', 'O', '1', 'l', '-', 'X'])), 0..4),
        ) {
            let all = files();
            let dir = tempfile::tempdir().unwrap();
            let mut mistyped = Vec::new();
            for (i, name) in all.iter().enumerate() {
                if !keep.get(i).copied().unwrap_or(true) {
                    continue;
                }
                let mut doc = read(name);
                let original = doc["unit"]["code"].as_str().map(str::to_string);
                for (file, pos, c) in &typos {
                    if *file != i || doc["unit"]["code"].is_null() {
                        continue;
                    }
                    let code: Vec<char> = doc["unit"]["code"].as_str().unwrap().chars().collect();
                    let mut new = code.clone();
                    new[pos % code.len()] = *c;
                    let new: String = new.into_iter().collect();
                    let old: String = code.into_iter().collect();
                    if new != old {
                        // Target ids change too: another unit's machines, not a rescan.
                        recode(&mut doc, Some(&new), "-t");
                    }
                }
                // Two typos in one file: only the last code reaches the report.
                let code = doc["unit"]["code"].as_str().map(str::to_string);
                if code != original && let Some(code) = code {
                    mistyped.push(code);
                }
                write(dir.path(), name, &doc);
            }
            let r = report(&[dir.path()], &[]);
            assert_signable(&r);
            let registered: Vec<&str> = r["units"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["code"].as_str().unwrap())
                .collect();
            prop_assert_eq!(registered.len(), 14);
            for code in &mistyped {
                if registered.contains(&code.as_str()) {
                    continue; // a typo that made another registered code
                }
                prop_assert!(
                    r["unregistered"].as_array().unwrap().iter().any(|u| u["code"] == code.as_str()),
                    "{} not named", code
                );
                prop_assert!(r["debt"].as_array().unwrap().iter().all(|d| d["unit_code"] != code.as_str()));
            }
        }
    }
}

#[test]
fn an_official_heading_from_khien_toml_for_filing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khien.toml");
    std::fs::write(
        &config,
        r#"[report]
parent_body = "UBND TỈNH LÂM ĐỒNG"
issuer = "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
number = "125/BC-SGDĐT"
place = "Lâm Đồng"
date = 2026-06-04
signer_title = "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
signer = "Nguyễn Văn B"
"#,
    )
    .unwrap();
    let html = dir.path().join("r.html");
    khien()
        .arg("report")
        .arg(round3())
        .arg("--register")
        .arg(repo_path("fixtures/results/register.toml"))
        .args(["--period", "2026-H1", "--at", AT, "--config"])
        .arg(&config)
        .arg("-o")
        .arg(&html)
        .assert()
        .success();
    let text = std::fs::read_to_string(&html).unwrap();
    for expected in [
        "UBND TỈNH LÂM ĐỒNG",
        "<b>SỞ GIÁO DỤC VÀ ĐÀO TẠO</b>",
        "Số: 125/BC-SGDĐT",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Lâm Đồng, ngày 04 tháng 06 năm 2026",
        "<b>Nguyễn Văn B</b>",
    ] {
        assert!(text.contains(expected), "no `{expected}`");
    }
    assert!(text.find("Số: 125").unwrap() < text.find("<h1>").unwrap());
    // A mistyped field is named with the file, never ignored.
    std::fs::write(&config, "[report]\nissuer = \"SỞ\"\nsigner_name = \"x\"\n").unwrap();
    let out = khien()
        .arg("report")
        .arg(round3())
        .args(["--period", "2026-H1", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("khien.toml") && err.contains("signer_name"),
        "{err}"
    );
}

/// `khien scan register` of `register` at `at`: the status of REG-RPT-001 per unit.
fn report_rule(register: &Path, at: &str) -> std::collections::BTreeMap<String, String> {
    let out = khien()
        .args(["scan", "register"])
        .arg(register)
        .args(["--format", "json", "--at", at])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            let id = t["target"]["id"].as_str().unwrap().to_string();
            t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["rule"] == "REG-RPT-001")
                .map(move |f| (id.clone(), f["status"].as_str().unwrap().to_string()))
        })
        .collect()
}

#[test]
fn report_deadlines_recur_every_year_and_before_means_the_day_before() {
    let example = repo_path("fixtures/register/lam-dong.toml");
    // 2026: the school that sent its six-monthly report on 04/6 is on time.
    let y2026 = report_rule(&example, "2026-11-23T08:00:00+07:00");
    assert_eq!(y2026["unit:THCS-LTV-01"], "pass");
    assert_eq!(y2026["unit:TH-HB-01"], "pass");
    assert_eq!(y2026["unit:THPT-BL-01"], "fail");
    // "Before 05/6" is 04/6 at the latest: sent on 05/6 is late.
    let dir = tempfile::tempdir().unwrap();
    let late = dir.path().join("late.toml");
    let text = std::fs::read_to_string(&example)
        .unwrap()
        .replace("submitted = 2026-06-04", "submitted = 2026-06-05");
    std::fs::write(&late, text).unwrap();
    assert_eq!(
        report_rule(&late, "2026-11-23T08:00:00+07:00")["unit:THCS-LTV-01"],
        "fail"
    );
    // The same deadline in 2031, with no 2031 report recorded: due again.
    let y2031 = report_rule(&example, "2031-06-06T08:00:00+07:00");
    assert_eq!(y2031["unit:TH-HB-01"], "fail");
    // On the deadline day itself nothing is due yet (and 05/12/2025 is before the
    // plan's first year, register_report_deadlines_from).
    let on_the_day = report_rule(&example, "2026-06-05T08:00:00+07:00");
    assert_eq!(on_the_day["unit:THPT-BL-01"], "pass");
}

#[test]
fn report_deadlines_across_the_year_boundary() {
    let example = repo_path("fixtures/register/lam-dong.toml");
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("so-dang-ky.toml");
    // TH-HB-01 also sent its 2026 annual report on 03/12/2026.
    let text = std::fs::read_to_string(&example).unwrap().replace(
        "submitted = 2026-06-02\nevidence = \"Công văn 15/THHB\"\n",
        "submitted = 2026-06-02\nevidence = \"Công văn 15/THHB\"\n\n[[unit.report]]\n\
         name = \"Báo cáo năm 2026\"\ndue = 2026-12-05\nsubmitted = 2026-12-03\n\
         evidence = \"Công văn 61/THHB\"\n",
    );
    assert!(text.contains("Công văn 61/THHB"));
    std::fs::write(&register, text).unwrap();
    // In January 2027 the last deadlines are 05/6/2026 and 05/12/2026.
    let jan = report_rule(&register, "2027-01-10T08:00:00+07:00");
    assert_eq!(jan["unit:TH-HB-01"], "pass");
    assert_eq!(jan["unit:THCS-LTV-01"], "fail", "no 2026 annual report");
    // On 05/6/2027 nothing new is due yet; from 06/6/2027 the 2027 six-monthly is.
    let on_the_day = report_rule(&register, "2027-06-05T23:00:00+07:00");
    assert_eq!(on_the_day["unit:TH-HB-01"], "pass");
    let after = report_rule(&register, "2027-06-06T00:00:00+07:00");
    assert_eq!(after["unit:TH-HB-01"], "fail");
    // The province report follows the same deadlines: the 2026 annual report is due
    // on 05/12/2026, the first half of 2027 on 05/6/2027, and K24 is named after them.
    let due = |period: &str, at: &str| {
        let out = khien()
            .arg("report")
            .arg(dir.path())
            .arg("--register")
            .arg(&register)
            .args(["--period", period, "--at", at, "--format", "json"])
            .output()
            .unwrap();
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        let k24 = r["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "K24")
            .unwrap()["name"]["vi"]
            .clone();
        (r["report_due"].as_str().unwrap().to_string(), k24)
    };
    assert_eq!(
        due("2026", "2027-01-10T00:00:00Z"),
        (
            "05/12/2026".to_string(),
            json!("Tỷ lệ báo cáo nộp đúng hạn (trước 05/6, 05/12)")
        )
    );
    assert_eq!(due("2027-H1", "2027-06-30T00:00:00Z").0, "05/06/2027");
}

#[test]
fn stale_data_follows_the_policy_parameter() {
    // Round 3 was scanned 18–21/05/2026; at 30/09/2026 that is 132 days or more.
    let run = |extra: &[&str]| {
        let out = khien()
            .arg("report")
            .arg(round3())
            .arg("--register")
            .arg(repo_path("fixtures/results/register.toml"))
            .args([
                "--period",
                "2026",
                "--at",
                "2026-09-30T00:00:00Z",
                "--format",
                "json",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let r = run(&[]);
    assert_eq!(r["stale_days"], 90);
    // Every unit that sent results is stale; the two that sent none are "not reporting".
    assert_eq!(r["stale"].as_array().unwrap().len(), 12);
    assert_eq!(r["not_reporting"], json!(["LD-SO", "LD-TH-013"]));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("khien.toml");
    std::fs::write(&config, "[params]\nreport_stale_days = 150\n").unwrap();
    let r = run(&["--config", config.to_str().unwrap()]);
    assert_eq!(r["stale_days"], 150);
    // 30/09 − 150 days = 03/05: none of the May scans is older.
    assert_eq!(r["stale"], json!([]));
}

#[test]
fn k18_comes_from_the_registers_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let run = |period: &str, at: &str| {
        let out = khien()
            .arg("report")
            .arg(dir.path())
            .arg("--register")
            .arg(repo_path("fixtures/register/lam-dong.toml"))
            .args(["--period", period, "--at", at, "--format", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    // Two incidents in 2026: the Department's reported after 1 h 40, THPT-BL-01's after
    // three days (late).
    let r = run("2026", "2026-11-30T00:00:00Z");
    let k18 = province(&r, "K18");
    assert_eq!(
        (
            k18["pass"].as_u64(),
            k18["fail"].as_u64(),
            k18["denominator"].as_u64()
        ),
        (Some(1), Some(1), Some(2))
    );
    assert!(close(&k18["pct"], 50.0));
    assert_eq!(k18["meets_target"], false);
    assert_eq!(
        r["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "K18")
            .unwrap()["name"]["vi"],
        "Tỷ lệ sự cố được báo cáo về Sở đúng hạn (trong 24 giờ)"
    );
    // The limit is the policy's `register_incident_report_hours` (REG-IR-002 judges by
    // it too): at 80 hours, the school's report after 77 h 45 min is in time.
    let conf_dir = tempfile::tempdir().unwrap();
    let config = conf_dir.path().join("khien.toml");
    std::fs::write(&config, "[params]\nregister_incident_report_hours = 80\n").unwrap();
    let out = khien()
        .arg("report")
        .arg(dir.path())
        .arg("--register")
        .arg(repo_path("fixtures/register/lam-dong.toml"))
        .args(["--period", "2026", "--at", "2026-11-30T00:00:00Z"])
        .args(["--format", "json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r80: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k18 = province(&r80, "K18");
    assert_eq!(
        (k18["pass"].as_u64(), k18["fail"].as_u64()),
        (Some(2), Some(0)),
        "{k18}"
    );
    assert_eq!(k18["meets_target"], true);
    assert!(
        r80.to_string()
            .contains("Incidents reported to the Department in time (within 80 hours)")
    );
    // None in the first half: no data, not 100%.
    let r = run("2026-H1", "2026-06-30T00:00:00Z");
    let k18 = province(&r, "K18");
    assert_eq!(k18["no_data"], true);
    assert!(k18["meets_target"].is_null());
    // What is still not measured says what data would measure it.
    let codes: Vec<&str> = r["not_measured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["K19", "K20", "K21–K22", "K23", "K25"]);
}

/// The example province's register with `[system.protection_plan]` added to some
/// systems: `(system id, implemented, expires)`.
fn register_with_plans(plans: &[(&str, &str, &str)]) -> String {
    let text = std::fs::read_to_string(repo_path("fixtures/results/register.toml")).unwrap();
    let mut parts: Vec<String> = text.split("\n[[system]]\n").map(str::to_string).collect();
    for (id, implemented, expires) in plans {
        let part = parts
            .iter_mut()
            .find(|p| p.starts_with(&format!("id = \"{id}\"")))
            .unwrap_or_else(|| panic!("no system {id}"));
        part.push_str(&format!(
            "\n[system.protection_plan]\nimplemented = \"{implemented}\"\ndate = 2026-05-20\n\
             document_no = \"BC-PA-{id}\"\nattested_by = \"Văn phòng Sở\"\n\
             attested_on = 2026-05-20\nevidence = \"Báo cáo triển khai phương án bảo vệ\"\n\
             expires = {expires}\n"
        ));
    }
    parts.join("\n[[system]]\n")
}

#[test]
fn k09_counts_fully_implemented_plans_over_approved_systems() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap();
    let register = dir.path().join("so-dang-ky.toml");
    // Of the register's 10 operating systems with an approved level: two full, one
    // partial, one none, one whose confirmation expired on 25/05, five not recorded.
    std::fs::write(
        &register,
        register_with_plans(&[
            ("LD-SO-CSDL", "full", "2027-05-20"),
            ("LD-THPT-001-QLTH", "full", "2027-05-20"),
            ("LD-THPT-002-QLTH", "partial", "2027-05-20"),
            ("LD-THCS-003-QLTH", "none", "2027-05-20"),
            ("LD-TH-004-QLTH", "full", "2026-05-25"),
        ]),
    )
    .unwrap();
    khien()
        .args(["scan", "register"])
        .arg(&register)
        .args(["--at", AT, "--format", "json", "-o"])
        .arg(results.join("register.json"))
        .output()
        .unwrap();
    let out = khien()
        .arg("report")
        .arg(&results)
        .arg("--register")
        .arg(&register)
        .args(["--period", "2026-H1", "--at", AT, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_signable(&r);
    let k09 = province(&r, "K09");
    assert_eq!(
        (
            k09["pass"].as_u64(),
            k09["fail"].as_u64(),
            k09["unknown"].as_u64(),
            k09["denominator"].as_u64(),
            k09["evaluated"].as_u64(),
            k09["not_evaluated"].as_u64(),
        ),
        (Some(2), Some(2), Some(6), Some(10), Some(4), Some(6)),
        "{k09}"
    );
    assert!(
        close(&k09["pct"], 20.0) && close(&k09["coverage_pct"], 40.0),
        "{k09}"
    );
    assert_eq!(k09["meets_target"], false);
    let units = r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "K09")
        .unwrap()["units"]
        .as_array()
        .unwrap();
    let unit = |code: &str| units.iter().find(|u| u["scope"] == code).cloned();
    // Full: met. The expired confirmation is no data, never met.
    assert_eq!(unit("LD-SO").unwrap()["meets_target"], true);
    let th004 = unit("LD-TH-004").unwrap();
    assert_eq!(
        (th004["no_data"].clone(), th004["meets_target"].clone()),
        (json!(true), Value::Null)
    );
    // A unit whose only system has no approved level is not in K09 at all.
    assert_eq!(units.len(), 10, "{units:?}");
    // The partial and the missing plans are debt, named by their failing state.
    let debt: Vec<&Value> = r["debt"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "REG-LVL-008")
        .collect();
    assert_eq!(debt.len(), 2);
    // Without a single recorded implementation: no data, not 0%.
    std::fs::write(&register, register_with_plans(&[])).unwrap();
    khien()
        .args(["scan", "register"])
        .arg(&register)
        .args(["--at", AT, "--format", "json", "-o"])
        .arg(results.join("register.json"))
        .output()
        .unwrap();
    let out = khien()
        .arg("report")
        .arg(&results)
        .arg("--register")
        .arg(&register)
        .args(["--period", "2026-H1", "--at", AT, "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let k09 = province(&r, "K09");
    assert_eq!(k09["no_data"], true, "{k09}");
    assert!(
        k09["meets_target"].is_null() && k09["pct"].is_null(),
        "{k09}"
    );
    assert_eq!(k09["denominator"], 10);
    assert!(close(&k09["coverage_pct"], 0.0), "{k09}");
}
