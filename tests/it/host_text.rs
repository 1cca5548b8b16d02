//! Snapshots of the text report a teacher reads after `khien scan host`, through
//! `khien eval --facts` on fact documents of `fixtures/facts/`: one collected as
//! root (`linux-clamav-stale.json`) and one without administrator rights
//! (`linux-no-admin.json`), in Vietnamese and English. Remediation steps are those
//! of the platform running the test, so the snapshots are Linux's.

use crate::support::{khien, repo_path};

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn report(fixture: &str, lang: &str) -> String {
    let out = khien()
        .args(["eval", "--facts"])
        .arg(repo_path(&format!("fixtures/facts/{fixture}")))
        .args(["--lang", lang])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn root_scan_report_in_both_languages() {
    let vi = report("linux-clamav-stale.json", "vi");
    // Evidence in words, not JSON; local time; no line longer than the width.
    assert!(!vi.contains("{\""), "{vi}");
    assert!(vi.contains("(GMT+7)"));
    assert!(vi.lines().all(|l| l.chars().count() <= 100), "{vi}");
    insta::assert_snapshot!("root_vi", vi);
    insta::assert_snapshot!("root_en", report("linux-clamav-stale.json", "en"));
}

#[cfg(target_os = "linux")]
#[test]
fn non_root_scan_report_groups_what_needs_rights() {
    let vi = report("linux-no-admin.json", "vi");
    // One closing line names what needs rights, instead of a line per fact.
    assert_eq!(vi.matches("Chạy lại với quyền quản trị").count(), 1, "{vi}");
    assert!(!vi.contains("Permission denied"), "{vi}");
    assert!(!vi.contains("users[0]"), "{vi}");
    insta::assert_snapshot!("non_root_vi", vi);
    insta::assert_snapshot!("non_root_en", report("linux-no-admin.json", "en"));
}
