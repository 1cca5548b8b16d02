//! The register rules of the default policy on small registers made for each case:
//! level thresholds, approvers, periods that depend on the level, and parameters.

use std::collections::BTreeMap;

use jiff::Timestamp;
use khien::eval::Evaluator;
use khien::findings::Status;
use khien::policy::{self, ParamValue, Policy, SourceFile};
use khien::register;

const AT: &str = "2026-11-23T01:00:00Z";

fn policy() -> Policy {
    policy::load_sources(policy::embedded_sources(), "embedded").unwrap()
}

/// One operating system of a school, with `extra` TOML appended to its table.
fn register_with(system: &str) -> String {
    format!(
        r#"
[[unit]]
code = "THPT-X"
name = "Trường THPT X"
type = "thpt"

[[system]]
id = "S"
name = "Hệ thống S"
unit = "THPT-X"
owner = "UBND tỉnh"
operator = "Trường THPT X"
hosting = {{ kind = "cloud" }}
status = "operating"
go_live = 2024-09-01
{system}
"#
    )
}

fn approval(level: u8, role: &str) -> String {
    format!(
        r#"
[system.approval]
approved_level = {level}
decision_no = "1/QĐ"
decision_date = 2024-08-01
approver = "x"
approver_role = "{role}"
regime = "nd85"
attested_by = "x"
attested_on = 2026-01-01
evidence = "QĐ 1"
expires = 2027-12-31
"#
    )
}

fn record(name: &str, date: &str, result: &str) -> String {
    format!(
        r#"
[system.records.{name}]
date = {date}
result = "{result}"
attested_by = "x"
attested_on = {date}
evidence = "biên bản"
expires = 2027-12-31
"#
    )
}

fn status_with(text: &str, rule: &str, overrides: &[(&str, ParamValue)], at: &str) -> Status {
    let policy = policy();
    let reg = register::parse(SourceFile::new("r.toml", text)).unwrap_or_else(|d| panic!("{d}"));
    let overrides: BTreeMap<String, ParamValue> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let at: Timestamp = at.parse().unwrap();
    let evaluator = Evaluator::new(&policy, policy.param_values(&overrides), at);
    let doc = register::facts::fact_documents(&reg, at)
        .into_iter()
        .find(|d| d.target.id == "system:S")
        .unwrap();
    let result = evaluator.evaluate(&doc.target, at, &doc.facts);
    let f = result.findings.iter().find(|f| f.rule == rule).unwrap();
    f.status
}

fn status(text: &str, rule: &str) -> Status {
    status_with(text, rule, &[], AT)
}

#[test]
fn required_level_follows_the_data_held() {
    let pd = |cats: &str, subjects: u64, sensitive: bool, citizen: bool| {
        format!(
            "citizen_facing = {citizen}\npersonal_data = {{ categories = [{cats}], subjects = {subjects}, sensitive = {sensitive} }}\n"
        )
    };
    // No personal data: level 1 is enough.
    let none = register_with(&(pd("", 0, false, false) + &approval(1, "chu_quan")));
    assert_eq!(status(&none, "REG-LVL-005"), Status::Pass);
    // Pupils' data: level 2 at least.
    let pupils = pd("\"hoc_sinh\"", 900, false, false);
    let l1 = register_with(&(pupils.clone() + &approval(1, "chu_quan")));
    assert_eq!(status(&l1, "REG-LVL-005"), Status::Fail);
    let l2 = register_with(&(pupils + &approval(2, "chu_quan")));
    assert_eq!(status(&l2, "REG-LVL-005"), Status::Pass);
    // An online service with 100,000 people needs level 3; 99,999 does not.
    let big = pd("\"hoc_sinh\"", 100_000, false, true);
    let l2_big = register_with(&(big.clone() + &approval(2, "chu_quan")));
    assert_eq!(status(&l2_big, "REG-LVL-005"), Status::Fail);
    let l2_below =
        register_with(&(pd("\"hoc_sinh\"", 99_999, false, true) + &approval(2, "chu_quan")));
    assert_eq!(status(&l2_below, "REG-LVL-005"), Status::Pass);
    // Sensitive data: 10,000 people already needs level 3.
    let sensitive =
        register_with(&(pd("\"hoc_sinh\"", 10_000, true, true) + &approval(2, "chu_quan")));
    assert_eq!(status(&sensitive, "REG-LVL-005"), Status::Fail);
    // The threshold is a parameter.
    assert_eq!(
        status_with(
            &l2_big,
            "REG-LVL-005",
            &[("register_level3_min_subjects", ParamValue::Integer(200_000))],
            AT
        ),
        Status::Pass
    );
    // Administrative procedures need level 3 whatever the data.
    let tthc = register_with(
        &("administrative_procedures = true\n".to_string()
            + &pd("", 0, false, false)
            + &approval(2, "chu_quan")),
    );
    assert_eq!(status(&tthc, "REG-LVL-005"), Status::Fail);
}

#[test]
fn the_approver_must_be_competent_for_the_level() {
    let pd = "personal_data = { categories = [] }\n";
    for (level, role, expected) in [
        (2, "don_vi_chuyen_trach", Status::Pass),
        (3, "don_vi_chuyen_trach", Status::Fail),
        (3, "chu_quan", Status::Pass),
        (4, "chu_quan", Status::Pass),
        (5, "chu_quan", Status::Fail),
        (5, "thu_tuong", Status::Pass),
    ] {
        let text = register_with(&(pd.to_string() + &approval(level, role)));
        assert_eq!(
            status(&text, "REG-LVL-006"),
            expected,
            "level {level} approved by {role} under NĐ 85"
        );
    }
    // NĐ 331 Đ18: the owner approves levels 3 to 5 (4–5 after Bộ Công an's appraisal);
    // the Prime Minister approves no level.
    for (level, role, expected) in [
        (2, "don_vi_chuyen_trach", Status::Pass),
        (3, "don_vi_chuyen_trach", Status::Fail),
        (4, "chu_quan", Status::Pass),
        (5, "chu_quan", Status::Pass),
        (5, "thu_tuong", Status::Fail),
    ] {
        let text = register_with(
            &(pd.to_string() + &approval(level, role).replace("\"nd85\"", "\"nd331\"")),
        );
        assert_eq!(
            status(&text, "REG-LVL-006"),
            expected,
            "level {level} approved by {role} under NĐ 331"
        );
    }
}

#[test]
fn periods_are_shorter_for_higher_levels() {
    let pd = "personal_data = { categories = [] }\n";
    // A restore test 200 days before the evaluation: fine for level 3, too old for level 4.
    let test = record("restore_test", "2026-05-07", "success");
    let l3 = register_with(&(pd.to_string() + &approval(3, "chu_quan") + &test));
    assert_eq!(status(&l3, "REG-BKP-002"), Status::Pass);
    let l4 = register_with(&(pd.to_string() + &approval(4, "chu_quan") + &test));
    assert_eq!(status(&l4, "REG-BKP-002"), Status::Fail);
    // A failed restore test does not count.
    let failed = record("restore_test", "2026-11-01", "failure");
    let l2 = register_with(&(pd.to_string() + &approval(2, "chu_quan") + &failed));
    assert_eq!(status(&l2, "REG-BKP-002"), Status::Fail);
    // A vulnerability scan 200 days old: fine at level 2, too old from level 3.
    let scan = record("vulnerability_scan", "2026-05-07", "success");
    let v2 = register_with(&(pd.to_string() + &approval(2, "chu_quan") + &scan));
    assert_eq!(status(&v2, "REG-VUL-001"), Status::Pass);
    let v3 = register_with(&(pd.to_string() + &approval(3, "chu_quan") + &scan));
    assert_eq!(status(&v3, "REG-VUL-001"), Status::Fail);
    // Level 3 needs the SOC connection; level 2 does not.
    assert_eq!(status(&v3, "REG-SOC-001"), Status::Fail);
    assert_eq!(status(&v2, "REG-SOC-001"), Status::NotApplicable);
}

#[test]
fn level_3_backups_follow_3_2_1_and_unstated_counts_are_unknown() {
    let pd = "personal_data = { categories = [] }\n";
    let plan = |extra: &str| {
        format!(
            "\n[system.records.backup_plan]\ndate = 2026-01-01\n{extra}\nattested_by = \"x\"\nattested_on = 2026-01-02\nevidence = \"PA\"\nexpires = 2027-12-31\n"
        )
    };
    let full = plan("copies = 3\nmedia = 2\noffsite = true");
    let l3 = register_with(&(pd.to_string() + &approval(3, "chu_quan") + &full));
    assert_eq!(status(&l3, "REG-BKP-003"), Status::Pass);
    let onsite = plan("copies = 3\nmedia = 2\noffsite = false");
    let l3 = register_with(&(pd.to_string() + &approval(3, "chu_quan") + &onsite));
    assert_eq!(status(&l3, "REG-BKP-003"), Status::Fail);
    let unstated = plan("copies = 3");
    let l3 = register_with(&(pd.to_string() + &approval(3, "chu_quan") + &unstated));
    assert_eq!(status(&l3, "REG-BKP-003"), Status::Unknown);
    // Below level 3 the rule does not apply.
    let l2 = register_with(&(pd.to_string() + &approval(2, "chu_quan") + &onsite));
    assert_eq!(status(&l2, "REG-BKP-003"), Status::NotApplicable);
    // 3-2-1 keys belong to the backup plan only.
    let misplaced = register_with(
        &(pd.to_string()
            + "\n[system.records.restore_test]\ndate = 2026-01-01\ncopies = 3\nattested_by = \"x\"\nattested_on = 2026-01-02\nevidence = \"BB\"\nexpires = 2027-12-31\n"),
    );
    let err = register::parse(SourceFile::new("r.toml", misplaced)).unwrap_err();
    assert!(
        err.to_string()
            .contains("`copies` belongs in [system.records.backup_plan] only"),
        "{err}"
    );
}

#[test]
fn the_quy_che_must_come_before_the_approval() {
    let pd = "personal_data = { categories = [] }\n";
    let late = record("security_policy", "2024-08-15", "success");
    let text = register_with(&(pd.to_string() + &approval(2, "chu_quan") + &late));
    assert_eq!(status(&text, "REG-POL-001"), Status::Fail);
    let early = record("security_policy", "2024-07-15", "success");
    let text = register_with(&(pd.to_string() + &approval(2, "chu_quan") + &early));
    assert_eq!(status(&text, "REG-POL-001"), Status::Pass);
}

fn unit_status(text: &str, rule: &str, at: &str) -> Status {
    let policy = policy();
    let reg = register::parse(SourceFile::new("r.toml", text)).unwrap_or_else(|d| panic!("{d}"));
    let at: Timestamp = at.parse().unwrap();
    let evaluator = Evaluator::new(&policy, policy.param_values(&BTreeMap::new()), at);
    let doc = register::facts::fact_documents(&reg, at)
        .into_iter()
        .find(|d| d.target.id == "unit:THPT-X")
        .unwrap();
    let result = evaluator.evaluate(&doc.target, at, &doc.facts);
    result
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap()
        .status
}

#[test]
fn incidents_are_late_only_once_their_deadline_passes() {
    let incident = |extra: &str| {
        register_with("personal_data = { categories = [] }\n")
            + &format!(
                "\n[[unit.incident]]\nsummary = \"Mã độc\"\ndetected_at = \"2026-10-03T08:00:00\"\n{extra}\n"
            )
    };
    // Not reported yet: fine for 24 hours, late afterwards.
    let open = incident("");
    assert_eq!(
        unit_status(&open, "REG-IR-002", "2026-10-03T20:00:00+07:00"),
        Status::Pass
    );
    assert_eq!(
        unit_status(&open, "REG-IR-002", "2026-10-04T09:00:00+07:00"),
        Status::Fail
    );
    // Reported after 23 hours: on time for good.
    let on_time = incident("reported_to_department_at = \"2026-10-04T07:00:00\"");
    assert_eq!(
        unit_status(&on_time, "REG-IR-002", "2027-01-01T00:00:00Z"),
        Status::Pass
    );
    // A serious incident also needs the Ministry within 24 hours.
    let serious = incident(
        "reported_to_department_at = \"2026-10-03T09:00:00\"\nserious = true\nreported_to_ministry_at = \"2026-10-05T09:00:00\"",
    );
    assert_eq!(
        unit_status(&serious, "REG-IR-002", "2027-01-01T00:00:00Z"),
        Status::Fail
    );
    // A personal-data breach notified within 72 hours.
    let breach = incident(
        "reported_to_department_at = 2026-10-03T09:00:00+07:00\npersonal_data_breach = true\nbreach_notified_at = 2026-10-06T07:00:00+07:00",
    );
    assert_eq!(
        unit_status(&breach, "REG-IR-002", "2027-01-01T00:00:00Z"),
        Status::Pass
    );
}

/// Evaluated as of an earlier day, the register does not count what was decided,
/// attested or recorded after it (`--at` in the past gives the state of that day).
#[test]
fn later_decisions_and_records_do_not_count_for_an_earlier_day() {
    // Decided 2024-08-01 but attested only on 2026-01-01.
    let text = register_with(&format!(
        "personal_data = {{ categories = [] }}\n{}",
        approval(1, "chu_quan")
    ));
    assert_eq!(
        status_with(&text, "REG-LVL-001", &[], "2026-06-01T01:00:00Z"),
        Status::Pass
    );
    assert_eq!(
        status_with(&text, "REG-LVL-001", &[], "2025-12-01T01:00:00Z"),
        Status::Fail,
        "an attestation made later does not count yet"
    );
    // The decision itself dated after the evaluation day (even if attested before).
    let later = text.replace("decision_date = 2024-08-01", "decision_date = 2026-05-12");
    assert_eq!(
        status_with(&later, "REG-LVL-001", &[], "2026-03-01T01:00:00Z"),
        Status::Fail
    );
    assert_eq!(
        status_with(&later, "REG-LVL-001", &[], "2026-06-01T01:00:00Z"),
        Status::Pass
    );
}
