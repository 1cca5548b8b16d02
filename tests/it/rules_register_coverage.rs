//! Plan coverage in the register (issue 12, item 8): official-use digital signatures
//! (R10, KH-CĐS-2026-2030 III.3.a), personal-data governance and the sector database
//! rules (R12), and the kinds of system (LMS, learning materials, online testing,
//! school health) with the personal data each must declare.

use std::collections::BTreeMap;

use jiff::Timestamp;
use khien::eval::Evaluator;
use khien::facts::FactDocument;
use khien::findings::Status;
use khien::i18n::Lang;
use khien::policy::SourceFile;
use khien::register;

use crate::rules_registry::embedded;
use crate::support::repo_path;

const AT: &str = "2026-11-23T01:00:00Z";

fn docs(text: &str, at: &str) -> Vec<FactDocument> {
    let reg = register::parse(SourceFile::new("r.toml", text)).unwrap_or_else(|d| panic!("{d}"));
    register::facts::fact_documents(&reg, at.parse().unwrap())
}

/// Status of every (target, rule) of the register at `at`.
fn statuses(text: &str, at: &str) -> BTreeMap<(String, String), Status> {
    let policy = embedded();
    let at_ts: Timestamp = at.parse().unwrap();
    let ev = Evaluator::new(&policy, policy.param_values(&BTreeMap::new()), at_ts);
    docs(text, at)
        .iter()
        .flat_map(|d| {
            ev.evaluate(&d.target, at_ts, &d.facts)
                .findings
                .into_iter()
                .map(|f| ((d.target.id.clone(), f.rule), f.status))
        })
        .collect()
}

fn example_province() -> String {
    std::fs::read_to_string(repo_path("fixtures/register/lam-dong.toml")).unwrap()
}

#[test]
fn example_province_shows_the_new_register_rules() {
    let s = statuses(&example_province(), AT);
    let get = |t: &str, r: &str| s[&(t.to_string(), r.to_string())];
    // R10: the Department's 96 of 96 pass; a school with 61 of 68 fails; a school
    // that records nothing fails (unknown is never pass, nothing recorded is a debt).
    assert_eq!(get("unit:SO-GDDT", "REG-SIG-001"), Status::Pass);
    assert_eq!(get("unit:THPT-BL-01", "REG-SIG-001"), Status::Fail);
    assert_eq!(get("unit:THCS-LTV-01", "REG-SIG-001"), Status::Fail);
    // R12: the sector database rules are the Department's only.
    assert_eq!(get("unit:SO-GDDT", "REG-DATA-001"), Status::Pass);
    assert_eq!(
        get("unit:THPT-BL-01", "REG-DATA-001"),
        Status::NotApplicable
    );
    // The sector database shares with the IOC without a legal basis.
    assert_eq!(get("system:CSDL-NGANH", "REG-PD-001"), Status::Pass);
    assert_eq!(get("system:CSDL-NGANH", "REG-PD-002"), Status::Fail);
    // A system with personal data and no governance recorded fails.
    assert_eq!(get("system:QLTH-THPTBL", "REG-PD-001"), Status::Fail);
    // The continuing-education LMS declares its learners (hoc_vien).
    assert_eq!(get("system:ELEARNING-GDTX", "REG-PD-003"), Status::Pass);
    assert_eq!(
        get("system:THUVIEN-SO", "REG-PD-003"),
        Status::NotApplicable
    );
}

const UNIT: &str = r#"
[[unit]]
code = "THPT-X"
name = "Trường THPT X"
type = "thpt"
"#;

fn system(extra: &str) -> String {
    format!(
        r#"{UNIT}
[[system]]
id = "S"
name = "Hệ thống S"
unit = "THPT-X"
owner = "UBND tỉnh"
operator = "Trường THPT X"
hosting = {{ kind = "cloud" }}
status = "operating"
{extra}
"#
    )
}

#[test]
fn school_health_systems_must_declare_sensitive_data() {
    let text = system(
        "kind = \"school_health\"\npersonal_data = { categories = [\"hoc_sinh\"], subjects = 900 }",
    );
    let s = statuses(&text, AT);
    assert_eq!(s[&("system:S".into(), "REG-PD-003".into())], Status::Fail);
    let text = system(
        "kind = \"school_health\"\npersonal_data = { categories = [\"hoc_sinh\"], subjects = 900, sensitive = true }",
    );
    assert_eq!(
        statuses(&text, AT)[&("system:S".into(), "REG-PD-003".into())],
        Status::Pass
    );
    // Without a kind a system is `other`, and the rule does not apply.
    let d = docs(&system("personal_data = { categories = [] }"), AT);
    let sys = d.iter().find(|d| d.target.id == "system:S").unwrap();
    assert_eq!(sys.facts["system"]["kind"], "other");
}

#[test]
fn an_expired_attestation_counts_as_not_recorded() {
    let text = system(
        r#"personal_data = { categories = ["hoc_sinh"], subjects = 900 }

[system.data_governance]
impact_assessment = "filed"
impact_assessment_basis = "HS-1"
protection_contact = "B"
attested_by = "x"
attested_on = 2025-01-01
evidence = "HS-1"
expires = 2025-12-31
"#,
    );
    let d = docs(&text, AT);
    let sys = d.iter().find(|d| d.target.id == "system:S").unwrap();
    assert!(sys.facts["system"]["data_governance"].is_null());
    assert_eq!(sys.facts["system"]["expired"][0], "data_governance");
    assert_eq!(
        statuses(&text, AT)[&("system:S".into(), "REG-PD-001".into())],
        Status::Fail
    );
    // Evaluated in 2025, while the attestation was in force, it passes.
    assert_eq!(
        statuses(&text, "2025-06-01T00:00:00Z")[&("system:S".into(), "REG-PD-001".into())],
        Status::Pass
    );
}

#[test]
fn bad_new_register_fields_are_positioned_errors() {
    let cases = [
        (
            system("kind = \"elearning\"\npersonal_data = { categories = [] }"),
            "kind",
            "lms",
        ),
        (
            format!(
                "{UNIT}\n[unit.digital_signatures]\nstaff = 10\nvalid_certificates = 12\nattested_by = \"x\"\nattested_on = 2026-01-01\nevidence = \"e\"\nexpires = 2027-01-01\n"
            ),
            "valid_certificates",
            "staff",
        ),
        (
            system(
                "personal_data = { categories = [] }\n[system.data_governance]\nimpact_assessment = \"maybe\"\nattested_by = \"x\"\nattested_on = 2026-01-01\nevidence = \"e\"\nexpires = 2027-01-01\n",
            ),
            "impact_assessment",
            "filed",
        ),
    ];
    for (text, field, hint) in cases {
        let err = register::parse(SourceFile::new("r.toml", text.as_str()))
            .err()
            .unwrap_or_else(|| panic!("{field}: accepted"))
            .render(Lang::En);
        assert!(err.contains("r.toml:"), "{err}");
        assert!(err.contains(field), "{err}");
        assert!(err.contains(hint), "{err}");
    }
}
