//! The diagnostic model: stable codes (a snapshot of the list, each documented),
//! messages in the user's language, and JSON for tools.

use khien::diagnostic::Code;

use crate::support::{khien, repo_path};

#[test]
fn codes_are_unique_stable_and_documented() {
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), codes.len(), "a code is used twice: {codes:?}");

    // Renaming or deleting a code must be a visible change: update the snapshot
    // (and never reuse a code) with KHIEN_BLESS=1.
    let snapshot = repo_path("tests/it/snapshots/diagnostic-codes.txt");
    let listed: String = Code::ALL
        .iter()
        .map(|c| format!("{} {}\n", c.as_str(), c.summary().en))
        .collect();
    if std::env::var_os("KHIEN_BLESS").is_some() {
        std::fs::write(&snapshot, &listed).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&snapshot).unwrap(),
        listed,
        "the diagnostic codes changed; codes are stable (KHIEN_BLESS=1 to accept an addition)"
    );

    let doc = std::fs::read_to_string(repo_path("docs/diagnostics.md")).unwrap();
    for c in Code::ALL {
        let row = format!(
            "| {} | {} | {} |",
            c.as_str(),
            c.summary().vi,
            c.summary().en
        );
        assert!(
            doc.contains(&row),
            "docs/diagnostics.md lacks the row `{row}`"
        );
    }
}

/// A bad khien.toml: Vietnamese by default, English on request, JSON for tools;
/// each with the code and the position.
#[test]
fn a_bad_configuration_is_reported_in_the_users_language_or_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("khien.toml");
    std::fs::write(&cfg, "[limits]\nmax_seconds = inf\n[params]\nno_such = 1\n").unwrap();
    let facts = repo_path("fixtures/facts/linux-clamav-stale.json");
    let run = |extra: &[&str]| {
        let out = khien()
            .args(extra)
            .args(["eval", "--facts"])
            .arg(&facts)
            .arg("--config")
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stderr).unwrap()
    };

    let vi = run(&[]);
    assert!(vi.contains("error[K201]"), "{vi}");
    assert!(vi.contains("phải là một số lớn hơn 0 đến 86400"), "{vi}");
    assert!(vi.contains("error[K205]"), "{vi}");
    assert!(vi.contains("bộ quy tắc không có tham số `no_such`"), "{vi}");
    assert!(vi.contains("khien.toml:2:"), "{vi}");

    let en = run(&["--lang", "en"]);
    assert!(en.contains("must be a number above 0 to 86400"), "{en}");
    assert!(en.contains("the policy has no parameter `no_such`"), "{en}");

    let json = run(&["--lang", "en", "--message-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect(&json);
    let items = v["diagnostics"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    assert_eq!(items[0]["code"], "K201");
    assert_eq!(items[0]["line"], 2);
    assert!(items[0]["file"].as_str().unwrap().ends_with("khien.toml"));
    assert_eq!(items[1]["code"], "K205");
    assert_eq!(items[1]["line"], 4);
}

/// Every loader speaks the same model: a register, a waivers file and a policy with
/// a broken line each give a code and a position.
#[test]
fn every_loader_gives_codes_and_positions() {
    let dir = tempfile::tempdir().unwrap();
    let register = dir.path().join("so.toml");
    std::fs::write(
        &register,
        "[register]\nname = \"x\"\n[[unit]\ncode = \"A\"\n",
    )
    .unwrap();
    let out = khien()
        .args([
            "--lang",
            "en",
            "--message-format",
            "json",
            "scan",
            "register",
        ])
        .arg(&register)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "K102", "{v}");
    assert_eq!(v["diagnostics"][0]["line"], 3, "{v}");

    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[policy]\nid = \"x\"\nversion = \"1\"\ntitle.vi = \"x\"\ntitle.en = \"x\"\n[bogus]\n",
    )
    .unwrap();
    let out = khien()
        .args(["--message-format", "json", "--policy"])
        .arg(&policy)
        .args(["rules", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(codes.contains(&"K103"), "{v}");
}
