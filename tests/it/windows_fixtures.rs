//! The Windows parsers and the default host policy on Windows snapshots kept in
//! `fixtures/windows/` (see fixtures/README.md: constructed from documented formats).
//! Runs on every OS.

use std::collections::BTreeMap;

use jiff::Timestamp;
use khien::collect::host::platform::windows_parse::snapshot::{Snapshot, host_facts, interpret};
use khien::config::LocalConfig;
use khien::facts::{Fact, FactDocument, ReasonCode, TargetIdentity, TargetKind};
use khien::findings::Status;

fn load(name: &str) -> Snapshot {
    let path = format!("{}/fixtures/windows/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Rule code → status, for the default policy at 2026-11-23T00:00:00Z.
fn evaluate(name: &str, processes: &[&str]) -> BTreeMap<String, Status> {
    evaluate_snapshot(&load(name), name, processes)
}

fn evaluate_snapshot(snap: &Snapshot, name: &str, processes: &[&str]) -> BTreeMap<String, Status> {
    let facts = host_facts(
        snap,
        Fact::known(processes.iter().map(|p| p.to_string()).collect()),
    );
    let policy =
        khien::policy::load_sources(khien::policy::embedded_sources(), "embedded").unwrap();
    let at: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
    let doc = FactDocument::new(
        TargetIdentity {
            kind: TargetKind::Host,
            id: name.into(),
            unit: None,
        },
        at,
        serde_json::to_value(&facts).unwrap(),
    );
    let result = khien::engine::evaluate(&policy, &LocalConfig::default(), &[doc], Some(at));
    result.targets[0]
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.status))
        .collect()
}

fn expect(statuses: &BTreeMap<String, Status>, want: &[(&str, Status)]) {
    for (code, status) in want {
        assert_eq!(
            statuses.get(*code),
            Some(status),
            "{code}: all statuses {statuses:?}"
        );
    }
}

#[test]
fn defender_on_windows_11_pro() {
    let snap = load("defender-on.json");
    let w = interpret(&snap);
    let products = w.antivirus.value().unwrap();
    // Defender's own status replaces its Security Center row.
    assert_eq!(products.len(), 1);
    assert_eq!(products[0].source, "defender");
    assert_eq!(products[0].active.value(), Some(&true));
    assert_eq!(
        products[0]
            .signatures_updated_at
            .value()
            .unwrap()
            .to_string(),
        "2026-11-22T01:15:00Z"
    );
    let s = evaluate("defender-on.json", &["explorer.exe", "MsMpEng.exe"]);
    use Status::*;
    expect(
        &s,
        &[
            ("HOST-AV-001", Pass),
            ("HOST-AV-002", Pass),
            ("HOST-AV-003", Fail),
            ("HOST-AV-004", Pass),
            // Windows 11 23H2 Home/Pro ended on 2025-11-11.
            ("HOST-OS-001", Fail),
            ("HOST-UPD-001", Pass),
            ("HOST-UPD-002", Pass),
            ("HOST-FW-001", Pass),
            ("HOST-RDP-001", NotApplicable),
            ("HOST-SSH-001", NotApplicable),
            ("HOST-LEG-001", Pass),
            ("HOST-LEG-002", Pass),
            ("HOST-LEG-003", Fail), // 0x91 is Windows' default, not every drive
            ("HOST-ACC-001", Pass),
            ("HOST-ACC-002", Pass),
            ("HOST-ACC-003", Pass),
            ("HOST-ACC-004", Pass),
            ("HOST-PWD-001", Pass),
            ("HOST-PWD-002", Pass),
            ("HOST-PWD-003", Pass),
            ("HOST-LCK-001", Pass),
            ("HOST-ENC-001", Pass),
            ("HOST-TIME-001", Pass), // W32Time, NTP with time.windows.com, synced 41 h ago
            ("HOST-LOG-002", Pass),  // logon success and failure, logoff audited
            ("HOST-SOC-001", Fail),  // no SOC agent among the processes
        ],
    );
}

#[test]
fn passive_defender_beside_kaspersky() {
    let w = interpret(&load("defender-passive-kaspersky.json"));
    let products = w.antivirus.value().unwrap();
    let defender = products.iter().find(|p| p.source == "defender").unwrap();
    assert_eq!(
        defender.active.value(),
        Some(&false),
        "passive is not protection"
    );
    let kes = products
        .iter()
        .find(|p| p.name.starts_with("Kaspersky"))
        .unwrap();
    assert_eq!(kes.active.value(), Some(&true));
    assert_eq!(kes.signatures_up_to_date.value(), Some(&true));
    let s = evaluate(
        "defender-passive-kaspersky.json",
        &["avp.exe", "klnagent.exe"],
    );
    use Status::*;
    expect(
        &s,
        &[
            ("HOST-AV-001", Pass),
            // Kaspersky's own flag says up to date; Defender's stale date does not matter.
            ("HOST-AV-002", Pass),
            ("HOST-AV-003", Pass),
            ("HOST-AV-004", Pass),
            ("HOST-OS-001", Fail), // Windows 10 ended 2025-10-14
            ("HOST-UPD-002", Fail),
            ("HOST-RDP-001", Fail),
            ("HOST-LEG-001", Fail),
            ("HOST-PWD-001", Fail),
            ("HOST-PWD-002", Fail),
            ("HOST-ENC-001", Fail),
        ],
    );
}

#[test]
fn stale_signatures_on_windows_11_home() {
    let s = evaluate("stale-signatures-home.json", &["MsMpEng.exe"]);
    use Status::*;
    expect(
        &s,
        &[
            ("HOST-AV-001", Pass),
            ("HOST-AV-002", Fail),
            ("HOST-OS-001", Fail),   // 24H2 Home ended 2026-10-13
            ("HOST-UPD-001", Fail),  // last hotfix 2026-09-10
            ("HOST-FW-001", Fail),   // public profile off
            ("HOST-PWD-003", Fail),  // passwords never expire
            ("HOST-ENC-001", Fail),  // Home: no BitLocker
            ("HOST-TIME-001", Fail), // W32Time Type NoSync
        ],
    );
    let w = interpret(&load("stale-signatures-home.json"));
    assert!(w.posture.encryption.hint.contains("Home"));
}

#[test]
fn windows_server_without_security_center() {
    let w = interpret(&load("server-2019-no-security-center.json"));
    let products = w.antivirus.value().unwrap();
    assert_eq!(products.len(), 1);
    assert_eq!(products[0].name, "ESET");
    assert_eq!(products[0].source, "service");
    let s = evaluate(
        "server-2019-no-security-center.json",
        &["ekrn.exe", "ERAAgent.exe"],
    );
    use Status::*;
    expect(
        &s,
        &[
            // A running service says nothing about real-time protection (issue 14):
            // unknown, never pass.
            ("HOST-AV-001", Unknown),
            // A service list gives no signature age: unknown, never pass.
            ("HOST-AV-002", Unknown),
            ("HOST-AV-003", Pass),
            ("HOST-OS-001", Pass), // Server 2019 until 2029-01-09
            ("HOST-RDP-001", Pass),
            ("HOST-LEG-001", Pass), // SMB1 = 0 in the registry
            ("HOST-ACC-003", Pass), // 2 local admins; the domain group is not a local user
            ("HOST-PWD-001", Pass),
            ("HOST-PWD-002", Pass),
            ("HOST-PWD-003", Pass),
            ("HOST-LCK-001", Pass),
            ("HOST-ENC-001", Fail),  // D: not encrypted
            ("HOST-TIME-001", Pass), // NT5DS: the domain's time
        ],
    );
}

#[test]
fn vietnamese_windows_admins_found_by_sid() {
    let w = interpret(&load("vietnamese-accounts.json"));
    let admins = w.posture.accounts.administrators.value().unwrap();
    assert_eq!(admins.len(), 3);
    let users = w.posture.accounts.users.value().unwrap();
    let by = |n: &str| users.iter().find(|u| u.name == n).unwrap();
    assert_eq!(by("Quản trị").administrator.value(), Some(&true));
    assert_eq!(by("vanthu").administrator.value(), Some(&true));
    assert_eq!(by("hieutruong").administrator.value(), Some(&false));
    assert_eq!(w.posture.accounts.guest_enabled.value(), Some(&true));
    // BitLocker needs administrator rights: unknown with that reason.
    assert_eq!(
        w.posture
            .encryption
            .volumes
            .unknown_reason()
            .unwrap()
            .reason,
        ReasonCode::NeedsAdmin
    );
    let s = evaluate("vietnamese-accounts.json", &[]);
    use Status::*;
    expect(
        &s,
        &[
            ("HOST-ACC-001", Fail),
            ("HOST-ACC-002", Fail),
            ("HOST-ACC-003", Fail),
            ("HOST-ACC-004", Fail), // vanthu unused since 2026-08-01
            ("HOST-ENC-001", Unknown),
        ],
    );
}

/// The one real recording: wine's answers (not Windows'). A provider that lists no
/// account, spells property names its own way and dates hotfixes day-first must
/// give unknowns or the right reading, never a pass made of an empty list.
#[test]
fn wine_recording_gives_unknowns_not_passes() {
    let w = interpret(&load("wine-8.0-recorded.json"));
    // Win32_UserAccount was empty: no accounts is not "no problem with accounts".
    assert_eq!(
        w.posture.accounts.users.unknown_reason().unwrap().reason,
        ReasonCode::Unsupported
    );
    assert!(w.posture.accounts.guest_enabled.value().is_none());
    // BitLocker's namespace is missing: the volumes are unknown.
    assert!(w.posture.encryption.volumes.value().is_none());
    // `22/2/2022` is 22 February 2022.
    assert_eq!(
        w.posture
            .updates
            .last_installed_at
            .value()
            .map(|t| t.to_string()),
        Some("2022-02-22T00:00:00Z".to_string())
    );
    let s = evaluate("wine-8.0-recorded.json", &[]);
    use Status::*;
    expect(
        &s,
        &[
            ("HOST-ACC-001", Unknown),
            ("HOST-ACC-002", Unknown),
            ("HOST-ACC-003", Unknown),
            ("HOST-ACC-004", Unknown),
            ("HOST-PWD-001", Unknown),  // NetUserModalsGet failed
            ("HOST-TIME-001", Unknown), // no W32Time key under wine
            ("HOST-LEG-002", Unknown),  // no StandardCimv2
            ("HOST-ENC-001", Unknown),
            ("HOST-UPD-001", Fail), // last hotfix in 2022
            ("HOST-OS-001", Fail),  // the registry says Windows 7 SP1
        ],
    );
}

/// When the administrators' members cannot be read, no account is taken for a
/// non-administrator: the count of administrators is unknown, not zero.
#[test]
fn unreadable_administrators_make_the_admin_count_unknown() {
    let mut snap = load("vietnamese-accounts.json");
    snap.wmi.insert(
        r"root\cimv2:Win32_Group(S-1-5-32-544) members".into(),
        serde_json::json!({"$unknown": {"reason": "timeout", "detail": "WMI did not answer"}}),
    );
    let w = interpret(&snap);
    let users = w.posture.accounts.users.value().unwrap();
    assert!(users.iter().all(|u| u.administrator.value().is_none()));
    expect(
        &evaluate_snapshot(&snap, "admins-unreadable", &[]),
        &[("HOST-ACC-003", Status::Unknown)],
    );
}

#[test]
fn defender_with_real_time_protection_off_fails_av_001() {
    let w = interpret(&load("defender-realtime-off.json"));
    let products = w.antivirus.value().unwrap();
    assert_eq!(products.len(), 1);
    // The engine still runs: only real-time protection is off.
    assert_eq!(products[0].active.value(), Some(&true));
    assert_eq!(products[0].realtime.value(), Some(&false));
    let s = evaluate(
        "defender-realtime-off.json",
        &["explorer.exe", "MsMpEng.exe"],
    );
    expect(&s, &[("HOST-AV-001", Status::Fail)]);
    // The same machine with it on passes: the failure is real-time protection alone.
    let on = evaluate("defender-on.json", &["explorer.exe", "MsMpEng.exe"]);
    expect(&on, &[("HOST-AV-001", Status::Pass)]);
}

/// H17 on Windows (issue 14): how long ago Windows Time last synchronised and the
/// logon audit policy, on `defender-on.json` changed one reading at a time.
#[test]
fn time_sync_age_and_logon_auditing_decide_h17() {
    use khien::collect::host::platform::windows_parse::audit::AuditPolicyEntry;
    use khien::facts::Unknown;
    let base = load("defender-on.json");
    let w32tm = |seconds_ago: &str| {
        let Some(Ok(text)) = &base.w32tm_status else {
            panic!("defender-on.json has a w32tm status")
        };
        let last = text.lines().last().unwrap();
        text.replace(
            last,
            &format!("Time since Last Good Sync Time: {seconds_ago}s"),
        )
    };
    // 20 days without a successful synchronisation: set to sync, but it does not.
    let mut stale = base.clone();
    stale.w32tm_status = Some(Ok(w32tm("1728000.0000000")));
    let facts = interpret(&stale);
    assert_eq!(facts.posture.time_sync.synchronized.value(), Some(&true));
    expect(
        &evaluate_snapshot(&stale, "stale-sync", &[]),
        &[("HOST-TIME-001", Status::Fail)],
    );
    // The Windows Time service stopped: w32tm prints an error; unknown, not pass.
    let mut stopped = base.clone();
    stopped.w32tm_status = Some(Ok(
        "The following error occurred: The service has not been started. (0x80070426)\r\n".into(),
    ));
    expect(
        &evaluate_snapshot(&stopped, "w32time-stopped", &[]),
        &[("HOST-TIME-001", Status::Unknown)],
    );
    // The local CMOS clock as the source: not synchronised.
    expect(
        &evaluate("stale-signatures-home.json", &[]),
        &[("HOST-TIME-001", Status::Fail)],
    );
    // Windows 7's default audit policy: successful logons only.
    let mut win7 = base.clone();
    win7.audit_policy = Some(Ok(vec![
        AuditPolicyEntry {
            subcategory: "0CCE9215-69AE-11D9-BED3-505054503030".into(),
            flags: 1,
        },
        AuditPolicyEntry {
            subcategory: "0CCE9216-69AE-11D9-BED3-505054503030".into(),
            flags: 1,
        },
    ]));
    expect(
        &evaluate_snapshot(&win7, "win7-audit", &[]),
        &[("HOST-LOG-002", Status::Fail)],
    );
    // Not an administrator: unknown, and the reason says what to do.
    let mut user = base.clone();
    user.audit_policy = Some(Err(Unknown::new(
        ReasonCode::NeedsAdmin,
        "AuditQuerySystemPolicy: A required privilege is not held by the client. (1314)",
    )));
    let facts = interpret(&user);
    let why = facts
        .posture
        .logging
        .logon_auditing
        .unknown_reason()
        .unwrap();
    assert_eq!(why.reason, ReasonCode::NeedsAdmin);
    assert!(why.detail.contains("run as administrator"), "{why:?}");
    expect(
        &evaluate_snapshot(&user, "not-admin", &[]),
        &[("HOST-LOG-002", Status::Unknown)],
    );
}
