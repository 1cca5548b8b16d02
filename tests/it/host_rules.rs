//! Host rules of issue 14 through the real policy: facts collected by the real
//! collectors from constructed roots (`fixtures/apt/`), or a fact document of
//! `fixtures/facts/` with the facts a scenario needs changed.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use khien::collect::host::apt;
use khien::config::LocalConfig;
use khien::facts::FactDocument;
use khien::facts::host::PendingPackage;
use khien::findings::{Finding, Status};

const AT: &str = "2026-11-23T00:00:00Z";

fn at() -> Timestamp {
    AT.parse().unwrap()
}

/// `fixtures/facts/linux-clamav-fresh.json` with `edit` applied, evaluated by the
/// embedded policy at [`AT`].
fn evaluate(edit: impl FnOnce(&mut serde_json::Value)) -> BTreeMap<String, Finding> {
    evaluate_with(&LocalConfig::default(), edit)
}

fn evaluate_with(
    config: &LocalConfig,
    edit: impl FnOnce(&mut serde_json::Value),
) -> BTreeMap<String, Finding> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/facts/linux-clamav-fresh.json");
    let mut doc: FactDocument =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut doc.facts);
    // What `khien eval --facts` refuses must not be evaluated here either.
    doc.target.kind.check_facts(&doc.facts).unwrap();
    let policy =
        khien::policy::load_sources(khien::policy::embedded_sources(), "embedded").unwrap();
    let result = khien::engine::evaluate(&policy, config, &[doc], Some(at()));
    result.targets[0]
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.clone()))
        .collect()
}

fn apt_root(name: &str) -> apt::AptReading {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/apt")
        .join(name);
    apt::read(&root, at()).expect("a dpkg status file")
}

/// Puts what the collector read from an apt root into the document's update facts.
fn with_apt(facts: &mut serde_json::Value, r: &apt::AptReading) {
    let u = &mut facts["updates"];
    u["security_updates_pending"] =
        serde_json::to_value(r.pending.clone().map(|p| !p.is_empty())).unwrap();
    u["pending_security_packages"] = serde_json::to_value(&r.pending).unwrap();
    u["lists_published_at"] = serde_json::to_value(&r.lists_published_at).unwrap();
}

#[test]
fn apt_lists_with_pending_security_updates_fail_upd_001() {
    let r = apt_root("pending");
    let pending: Vec<PendingPackage> = r.pending.value().unwrap().clone();
    let names: Vec<&str> = pending.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["curl", "libssl3", "openssl"]);
    assert_eq!(pending[2].installed, "3.0.15-1~deb12u1");
    assert_eq!(pending[2].available, "3.0.17-1~deb12u3");
    assert_eq!(
        r.lists_published_at.value().unwrap().to_string(),
        "2026-11-21T18:20:11Z"
    );
    let f = evaluate(|facts| with_apt(facts, &r));
    assert_eq!(f["HOST-UPD-001"].status, Status::Fail);
    // The packages are the evidence a teacher acts on.
    let ev = serde_json::to_string(&f["HOST-UPD-001"].evidence).unwrap();
    assert!(
        ev.contains("openssl") && ev.contains("3.0.17-1~deb12u3"),
        "{ev}"
    );
}

#[test]
fn up_to_date_packages_pass_upd_001_even_long_after_the_last_install() {
    let r = apt_root("current");
    assert_eq!(r.pending.value().map(Vec::len), Some(0));
    let f = evaluate(|facts| {
        with_apt(facts, &r);
        // Nothing installed for a year: irrelevant when nothing is pending.
        facts["updates"]["last_installed_at"] = "2025-11-01T00:00:00Z".into();
    });
    assert_eq!(f["HOST-UPD-001"].status, Status::Pass);
}

#[test]
fn stale_apt_lists_make_upd_001_unknown_with_the_reason() {
    let r = apt_root("stale");
    let why = r
        .pending
        .unknown_reason()
        .expect("stale lists give no answer");
    assert!(why.detail.contains("53 days old"), "{}", why.detail);
    assert!(why.detail.contains("apt update"), "{}", why.detail);
    // The lists' age stays a fact.
    assert_eq!(
        r.lists_published_at.value().unwrap().to_string(),
        "2026-10-01T06:10:00Z"
    );
    let f = evaluate(|facts| {
        with_apt(facts, &r);
        // A recent install must not turn stale knowledge into a pass.
        facts["updates"]["last_installed_at"] = "2026-11-22T00:00:00Z".into();
    });
    let upd = &f["HOST-UPD-001"];
    assert_eq!(upd.status, Status::Unknown);
    assert!(
        upd.unknown_facts
            .iter()
            .any(|u| u.fact == "host.updates.security_updates_pending"
                && u.why.detail.contains("days old")),
        "{:?}",
        upd.unknown_facts
    );
}

#[test]
fn a_machine_without_dpkg_is_not_read_as_debian() {
    let dir = tempfile::tempdir().unwrap();
    assert!(apt::read(dir.path(), at()).is_none());
}

/// A scanned folder holding a class list with 120 ID numbers, shared with nobody.
fn holds_personal_data(facts: &mut serde_json::Value) {
    facts["personal_data"]["folders"] = serde_json::json!([{
        "path": "/srv/hocba",
        "origin": "config",
        "shares": [],
        "open_to_everyone": false,
        "readable_by_all_users": false,
        "files_examined": 3,
        "bytes_examined": 48000,
        "files": [{
            "path": "/srv/hocba/lop-10a1.xlsx",
            "distinct_ids": 120,
            "labelled_ids": 120,
            "masked_samples": ["068******123"],
            "phones": 0,
            "old_ids": 0
        }],
        "files_omitted": 0,
        "protected_files": [],
        "unreadable_files": [],
        "complete": true
    }]);
}

#[test]
fn personal_data_without_any_backup_fails_bkp_003() {
    let f = evaluate(|facts| {
        holds_personal_data(facts);
        facts["backups"] = serde_json::json!([]);
        facts["discovered_backups"] = serde_json::json!([]);
    });
    assert_eq!(f["HOST-BKP-003"].status, Status::Fail);
    // Before issue 14 this machine was "not applicable" for H16.
    assert_eq!(f["HOST-BKP-001"].status, Status::NotApplicable);

    // File History found on the machine is a backup, even undeclared.
    let f = evaluate(|facts| {
        holds_personal_data(facts);
        facts["backups"] = serde_json::json!([]);
        facts["discovered_backups"] = serde_json::json!([{
            "tool": "File History", "location": "thuy",
            "last_changed_at": "2026-11-20T10:00:00Z"
        }]);
    });
    assert_eq!(f["HOST-BKP-003"].status, Status::Pass);

    // A declared backup (the fixture's) also counts.
    let f = evaluate(|facts| {
        holds_personal_data(facts);
        facts["discovered_backups"] = serde_json::json!([]);
    });
    assert_eq!(f["HOST-BKP-003"].status, Status::Pass);

    // Unreadable without root and nothing declared: unknown, never pass or fail.
    let f = evaluate(|facts| {
        holds_personal_data(facts);
        facts["backups"] = serde_json::json!([]);
        facts["discovered_backups"] = serde_json::json!({"$unknown": {"reason": "needs_admin", "detail": "/var/spool/cron/crontabs"}});
    });
    assert_eq!(f["HOST-BKP-003"].status, Status::Unknown);

    // No personal data: the rule does not apply.
    let f = evaluate(|facts| {
        facts["backups"] = serde_json::json!([]);
        facts["discovered_backups"] = serde_json::json!([]);
    });
    assert_eq!(f["HOST-BKP-003"].status, Status::NotApplicable);
}

#[test]
fn encryption_applies_to_staff_machines_and_to_any_machine_with_personal_data() {
    let unencrypted = |facts: &mut serde_json::Value| {
        facts["encryption"]["volumes"] = serde_json::json!([
            {"mount_point": "/", "encrypted": false, "method": ""}
        ]);
    };
    for (role, pd, want) in [
        ("staff", false, Status::Fail),
        ("lab", false, Status::NotApplicable),
        ("server", false, Status::NotApplicable),
        ("lab", true, Status::Fail),
        ("server", true, Status::Fail),
    ] {
        let f = evaluate(|facts| {
            unencrypted(facts);
            facts["role"] = role.into();
            if pd {
                holds_personal_data(facts);
            }
        });
        assert_eq!(f["HOST-ENC-001"].status, want, "{role}, personal data {pd}");
    }
    // A fact document written before roles existed is judged as a staff machine.
    let f = evaluate(|facts| {
        unencrypted(facts);
        facts.as_object_mut().unwrap().remove("role");
    });
    assert_eq!(f["HOST-ENC-001"].status, Status::Fail);
}

#[test]
fn the_role_comes_from_khien_toml_into_the_facts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("khien.toml");
    std::fs::write(
        &cfg,
        "[unit]\ncode = \"THPT-BL-01\"\nrole = \"staff\"\n[machine]\nrole = \"lab\"\n",
    )
    .unwrap();
    let out = dir.path().join("facts.json");
    crate::support::khien()
        .args(["scan", "host", "--config"])
        .arg(&cfg)
        .arg("--facts-out")
        .arg(&out)
        .assert()
        .code(predicates::ord::lt(2));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["facts"]["role"], "lab");
}
