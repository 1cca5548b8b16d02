//! The engine over the fact documents in `fixtures/facts/` (one recorded on a real
//! machine, the others derived from it by `fixtures/facts/derive.py`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use khien::config::LocalConfig;
use khien::engine::evaluate;
use khien::facts::{FactDocument, ReasonCode};
use khien::findings::{Finding, Status};
use khien::policy::{self, Policy};

fn policy() -> Policy {
    policy::load_sources(policy::embedded_sources(), "embedded").unwrap_or_else(|d| panic!("{d}"))
}

fn fixture(name: &str) -> FactDocument {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/facts")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn findings(name: &str) -> BTreeMap<String, Finding> {
    let doc = evaluate(&policy(), &LocalConfig::default(), &[fixture(name)], None);
    doc.targets[0]
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.clone()))
        .collect()
}

fn statuses(name: &str) -> BTreeMap<String, Status> {
    findings(name)
        .into_iter()
        .map(|(k, f)| (k, f.status))
        .collect()
}

#[test]
fn fresh_signatures_and_backups_pass() {
    let s = statuses("linux-clamav-fresh.json");
    for rule in ["HOST-AV-001", "HOST-AV-002", "HOST-BKP-001", "HOST-BKP-002"] {
        assert_eq!(s[rule], Status::Pass, "{rule}");
    }
}

#[test]
fn stale_signatures_and_old_backup_fail_with_evidence() {
    let f = findings("linux-clamav-stale.json");
    assert_eq!(f["HOST-AV-001"].status, Status::Pass);
    assert_eq!(f["HOST-AV-002"].status, Status::Fail);
    assert_eq!(f["HOST-BKP-001"].status, Status::Fail);
    let ev = &f["HOST-AV-002"].evidence;
    assert!(
        ev.iter()
            .any(|e| e.fact == "host.antivirus.clamav.signatures_built_at"
                && e.value.as_str().is_some_and(|s| s.starts_with("20")))
    );
    assert!(f["HOST-AV-002"].remediation.vi.contains("freshclam"));
}

#[test]
fn unreadable_facts_are_unknown_with_the_reason_never_pass() {
    let f = findings("linux-no-admin.json");
    for rule in ["HOST-AV-001", "HOST-AV-002", "HOST-BKP-001", "HOST-BKP-002"] {
        assert_eq!(f[rule].status, Status::Unknown, "{rule}");
        assert!(
            f[rule]
                .unknown_facts
                .iter()
                .all(|u| u.why.reason == ReasonCode::NeedsAdmin),
            "{rule}: {:?}",
            f[rule].unknown_facts
        );
        assert!(
            !f[rule].unknown_facts.is_empty(),
            "{rule} names no unknown fact"
        );
    }
    assert!(
        f["HOST-AV-001"]
            .unknown_facts
            .iter()
            .any(|u| u.fact == "host.antivirus.products")
    );
    assert!(
        f["HOST-BKP-001"]
            .unknown_facts
            .iter()
            .any(|u| u.fact.starts_with("host.backups[0]."))
    );
}

#[test]
fn no_antivirus_fails_and_undeclared_backups_are_not_applicable() {
    let s = statuses("linux-no-av-no-backups.json");
    assert_eq!(s["HOST-AV-001"], Status::Fail);
    assert_eq!(s["HOST-AV-002"], Status::NotApplicable);
    assert_eq!(s["HOST-BKP-001"], Status::NotApplicable);
    assert_eq!(s["HOST-BKP-002"], Status::NotApplicable);
}

#[test]
fn the_real_recording_evaluates_every_rule() {
    let s = statuses("linux-devvm-recorded.json");
    // Recorded inside a container: the container's host carries the anti-malware.
    assert_eq!(s["HOST-AV-001"], Status::NotApplicable);
    assert_eq!(s["HOST-BKP-001"], Status::Pass);
    // Backup and data folders were on the same disk of that machine.
    assert_eq!(s["HOST-BKP-002"], Status::Fail);
}

#[test]
fn every_foundation_rule_reaches_every_status() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/facts");
    let mut seen: BTreeMap<String, BTreeSet<Status>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for (rule, status) in statuses(&name) {
                seen.entry(rule).or_default().insert(status);
            }
        }
    }
    // `waived` comes from waivers, not from facts.
    let all: BTreeSet<Status> = [
        Status::Pass,
        Status::Fail,
        Status::Unknown,
        Status::NotApplicable,
    ]
    .into_iter()
    .collect();
    for rule in ["HOST-AV-001", "HOST-AV-002", "HOST-BKP-001", "HOST-BKP-002"] {
        assert_eq!(
            seen[rule], all,
            "{rule} does not reach every status in fixtures/facts"
        );
    }
}

#[test]
fn evaluation_time_is_a_parameter() {
    let doc = fixture("linux-clamav-fresh.json");
    let later = doc.collected_at + jiff::SignedDuration::from_hours(24 * 30);
    let result = evaluate(&policy(), &LocalConfig::default(), &[doc], Some(later));
    let av2 = result.targets[0]
        .findings
        .iter()
        .find(|f| f.rule == "HOST-AV-002")
        .unwrap();
    assert_eq!(
        av2.status,
        Status::Fail,
        "signatures a month old at the later time"
    );
    assert_eq!(result.evaluated_at, later);
}

#[test]
fn parameter_overrides_change_the_verdict() {
    let p = policy();
    let cfg = LocalConfig::parse(
        policy::SourceFile::new("khien.toml", "[params]\nmax_signature_age_days = 30\n"),
        &p,
    )
    .unwrap();
    let result = evaluate(&p, &cfg, &[fixture("linux-clamav-stale.json")], None);
    let av2 = result.targets[0]
        .findings
        .iter()
        .find(|f| f.rule == "HOST-AV-002")
        .unwrap();
    assert_eq!(av2.status, Status::Pass);
}

/// H17 on Linux: the kernel's clock status decides HOST-TIME-001 (the recorded VM
/// has no time daemon and an unsynchronised clock); HOST-SOC-001 looks for the
/// policy's agents among the processes, and is unknown when they cannot be listed.
#[test]
fn time_synchronisation_and_soc_agent() {
    let fresh = statuses("linux-clamav-fresh.json");
    assert_eq!(fresh["HOST-TIME-001"], Status::Pass);
    assert_eq!(fresh["HOST-SOC-001"], Status::Fail);
    let stale = statuses("linux-clamav-stale.json");
    assert_eq!(stale["HOST-TIME-001"], Status::Fail);
    let no_admin = findings("linux-no-admin.json");
    assert_eq!(no_admin["HOST-SOC-001"].status, Status::Unknown);
    // In a container neither applies: the host's clock and agents are not its own.
    let recorded = statuses("linux-devvm-recorded.json");
    assert_eq!(recorded["HOST-TIME-001"], Status::NotApplicable);
    assert_eq!(recorded["HOST-SOC-001"], Status::NotApplicable);

    // An agent of the allow-list among the processes passes.
    let mut doc = fixture("linux-clamav-stale.json");
    doc.facts["processes"]
        .as_array_mut()
        .unwrap()
        .push("wazuh-agentd".into());
    let result = evaluate(&policy(), &LocalConfig::default(), &[doc], None);
    let soc = result.targets[0]
        .findings
        .iter()
        .find(|f| f.rule == "HOST-SOC-001")
        .unwrap();
    assert_eq!(soc.status, Status::Pass);

    // A Department whose SOC monitors at network level switches the rule off.
    let p = policy();
    let cfg = LocalConfig::parse(
        policy::SourceFile::new("khien.toml", "[params]\nsoc_agent_required = false\n"),
        &p,
    )
    .unwrap();
    let result = evaluate(&p, &cfg, &[fixture("linux-clamav-fresh.json")], None);
    let soc = result.targets[0]
        .findings
        .iter()
        .find(|f| f.rule == "HOST-SOC-001")
        .unwrap();
    assert_eq!(soc.status, Status::NotApplicable);
}
