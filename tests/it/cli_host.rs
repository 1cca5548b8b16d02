//! `khien scan host` and `khien eval` end to end, as a user runs them.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use crate::support::khien;

/// khien restricted to the anti-malware and backup rules, whose outcome the
/// `linux-clamav-*` fixtures were built to decide.
fn khien_av_backup_rules() -> Command {
    let mut c = khien();
    c.arg("--policy")
        .arg(root().join("rules/policy.toml"))
        .arg("--policy")
        .arg(root().join("rules/host.toml"));
    c
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validate(schema_file: &str, doc: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas").join(schema_file)).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema_file}: {errors:#?}");
}

fn config(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let backup = dir.join("backup");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&backup).unwrap();
    std::fs::write(backup.join("hocba.zip"), "zip").unwrap();
    let cfg = dir.join("khien.toml");
    std::fs::write(
        &cfg,
        format!(
            "[unit]\ncode = \"THCS-DL-07\"\nname = \"Trường THCS Đà Lạt\"\n\n[[backup]]\nname = \"hoc-ba\"\npath = {:?}\npattern = \"*.zip\"\nprotects = [{:?}]\n",
            backup.display().to_string(),
            data.display().to_string()
        ),
    )
    .unwrap();
    cfg
}

#[test]
fn scan_host_json_validates_and_every_rule_has_a_status_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let facts = dir.path().join("facts.json");
    let out = khien()
        .args(["scan", "host", "--format", "json", "--config"])
        .arg(&cfg)
        .arg("--facts-out")
        .arg(&facts)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    validate("result.schema.json", &doc);
    assert_eq!(doc["schema"], "khien-result/1");
    assert_eq!(doc["unit"]["code"], "THCS-DL-07");
    let findings = doc["targets"][0]["findings"].as_array().unwrap();
    let policy = khien().args(["rules", "list"]).output().unwrap();
    let host_rules = String::from_utf8_lossy(&policy.stdout)
        .lines()
        .filter(|l| l.contains(" host "))
        .count();
    assert_eq!(findings.len(), host_rules);
    for f in findings {
        assert!(
            ["pass", "fail", "unknown", "not_applicable"].contains(&f["status"].as_str().unwrap())
        );
        assert!(
            !f["evidence"].as_array().unwrap().is_empty(),
            "{} has no evidence",
            f["rule"]
        );
        if f["status"] == "unknown" {
            assert!(
                f["unknown_facts"].as_array().is_some_and(|u| !u.is_empty())
                    || f["error"].is_string(),
                "{} is unknown without a reason",
                f["rule"]
            );
        }
    }
    // The saved facts validate against their schema and evaluate to the same statuses.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    validate("facts.schema.json", &saved);
    validate("facts-host.schema.json", &saved["facts"]);
    let again = khien()
        .args(["eval", "--format", "json", "--facts"])
        .arg(&facts)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let statuses = |d: &serde_json::Value| -> Vec<(String, String)> {
        d["targets"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["rule"].to_string(), f["status"].to_string()))
            .collect()
    };
    assert_eq!(statuses(&doc), statuses(&again));
}

#[test]
fn text_report_is_vietnamese_by_default_and_english_on_request() {
    let fixture = root().join("fixtures/facts/linux-clamav-stale.json");
    let vi = khien()
        .arg("eval")
        .arg("--facts")
        .arg(&fixture)
        .output()
        .unwrap();
    let vi = String::from_utf8(vi.stdout).unwrap();
    assert!(vi.contains("KHÔNG ĐẠT"), "{vi}");
    assert!(vi.contains("Khắc phục"), "{vi}");
    assert!(
        !vi.contains('\u{1b}'),
        "no colour codes when not a terminal"
    );
    let en = khien()
        .args(["--lang", "en", "eval", "--facts"])
        .arg(&fixture)
        .output()
        .unwrap();
    let en = String::from_utf8(en.stdout).unwrap();
    assert!(en.contains("FAIL"), "{en}");
    assert!(en.contains("Remediation"), "{en}");
}

#[test]
fn exit_code_follows_fail_on() {
    let fixture = root().join("fixtures/facts/linux-clamav-stale.json");
    khien_av_backup_rules()
        .arg("eval")
        .arg("--facts")
        .arg(&fixture)
        .assert()
        .code(1);
    khien_av_backup_rules()
        .args(["eval", "--fail-on", "critical", "--facts"])
        .arg(&fixture)
        .assert()
        .code(0);
    let fresh = root().join("fixtures/facts/linux-clamav-fresh.json");
    khien_av_backup_rules()
        .arg("eval")
        .arg("--facts")
        .arg(&fresh)
        .assert()
        .code(0);
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ket-qua.json");
    let fixture = root().join("fixtures/facts/linux-clamav-fresh.json");
    khien_av_backup_rules()
        .args(["eval", "--format", "json", "--output"])
        .arg(&out)
        .arg("--facts")
        .arg(&fixture)
        .assert()
        .code(0)
        .stdout("");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    validate("result.schema.json", &doc);
}

#[test]
fn bad_config_is_a_positioned_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("khien.toml");
    std::fs::write(
        &cfg,
        "[params]\nmax_signature_age_days = \"ba\"\nnot_a_param = 1\n",
    )
    .unwrap();
    let out = khien()
        .args(["--lang", "en", "scan", "host", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:2:", cfg.display())), "{err}");
    assert!(err.contains("must be of type integer, not string"), "{err}");
    assert!(
        err.contains("no parameter `not_a_param`"),
        "both errors at once: {err}"
    );
}

#[test]
fn broken_fact_documents_are_rejected_with_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("facts.json");
    std::fs::write(&bad, "{\n  \"schema\": \"khien-facts/1\",\n  oops\n}").unwrap();
    let out = khien()
        .args(["--lang", "en", "eval", "--facts"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3:", bad.display())), "{err}");

    // Right envelope, wrong fact shape: the field is named.
    let mut doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/facts/linux-clamav-fresh.json")).unwrap(),
    )
    .unwrap();
    doc["facts"]["backups"][0]["file_count"] = serde_json::json!("many");
    std::fs::write(&bad, serde_json::to_string(&doc).unwrap()).unwrap();
    let out = khien()
        .args(["--lang", "en", "eval", "--facts"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("facts.backups[0].file_count"), "{err}");
}

#[test]
fn rules_show_and_facts_help_rule_authors() {
    let show = khien()
        .args(["--lang", "en", "rules", "show", "host-av-002"])
        .output()
        .unwrap();
    let show = String::from_utf8(show.stdout).unwrap();
    assert!(show.contains("KH-CĐS-2026-2030 III.4.a"), "{show}");
    assert!(show.contains("params.max_signature_age_days"), "{show}");
    khien()
        .args(["rules", "show", "NOPE-X-001"])
        .assert()
        .code(2);
    let facts = khien().args(["rules", "facts"]).output().unwrap();
    assert!(
        String::from_utf8(facts.stdout)
            .unwrap()
            .contains("host.antivirus.products[].active")
    );
}

/// `--raw-out` keeps what Windows gave (WMI rows, registry values); elsewhere the
/// option is refused before any scan, with the reason, and no file is written.
#[cfg(not(windows))]
#[test]
fn raw_out_is_refused_outside_windows() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.json");
    let out = khien()
        .args(["--lang", "en", "scan", "host", "--raw-out"])
        .arg(&raw)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--raw-out is for Windows only"), "{stderr}");
    assert!(out.stdout.is_empty(), "no scan ran");
    assert!(!raw.exists());
}

#[test]
fn the_shipped_example_configuration_is_valid() {
    let example = root().join("khien.toml.example");
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    // A config that does not load stops the scan with exit code 2.
    khien()
        .args(["scan", "host", "--format", "json", "--config"])
        .arg(&example)
        .arg("--facts-out")
        .arg(&facts)
        .assert()
        .code(predicates::ord::lt(2));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    assert_eq!(doc["target"]["unit"]["code"], "THPT-BL-01");
    assert_eq!(doc["facts"]["role"], "staff");
}

#[test]
fn init_writes_a_configuration_checked_against_the_register() {
    let dir = tempfile::tempdir().unwrap();
    let register = root().join("fixtures/register/lam-dong.toml");
    let out = dir.path().join("khien.toml");
    // A code the register does not have: refused, nothing written.
    let bad = khien()
        .current_dir(dir.path())
        .args(["init", "--unit-code", "THPT-XX-99", "--register"])
        .arg(&register)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("THPT-XX-99"));
    assert!(!out.exists());
    // A registered code: its name comes from the register.
    khien()
        .current_dir(dir.path())
        .args([
            "init",
            "--unit-code",
            "SO-GDDT",
            "--role",
            "server",
            "--register",
        ])
        .arg(&register)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("Sở Giáo dục và Đào tạo Lâm Đồng"), "{text}");
    assert!(text.contains("role = \"server\""), "{text}");
    // Not overwritten without --force.
    khien()
        .current_dir(dir.path())
        .args(["init", "--unit-code", "SO-GDDT"])
        .assert()
        .code(2);
    // The written file is what scan host reads by default in the working folder.
    let facts = dir.path().join("facts.json");
    khien()
        .current_dir(dir.path())
        .args(["scan", "host", "--format", "json", "--facts-out"])
        .arg(&facts)
        .assert()
        .code(predicates::ord::lt(2));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    assert_eq!(doc["target"]["unit"]["code"], "SO-GDDT");
    assert_eq!(doc["facts"]["role"], "server");
}

#[test]
fn plain_scan_says_how_to_make_the_departments_file_and_warns_without_a_unit() {
    let dir = tempfile::tempdir().unwrap();
    let out = khien()
        .current_dir(dir.path())
        .args(["scan", "host"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chưa khai báo đơn vị"), "{err}");
    assert!(err.contains("khien init --unit-code"), "{err}");
    assert!(
        err.contains("khien scan host --format json --output ket-qua.json"),
        "{err}"
    );
    // Writing the file itself: no such advice.
    let out = khien()
        .current_dir(dir.path())
        .args([
            "scan",
            "host",
            "--format",
            "json",
            "--output",
            "ket-qua.json",
        ])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("ket-qua.json"));
}
