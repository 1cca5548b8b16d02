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
    let result = khien::cli::evaluate(&policy, config, &[doc], Some(at()));
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
