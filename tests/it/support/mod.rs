//! What the integration tests share: the `khien` command as a user runs it, the
//! rule for tests that need an outside tool, and the loopback servers of the
//! website tests (`web`).

#![allow(dead_code)]

pub mod mail;
pub mod openssl;
pub mod postgres;
pub mod serve;
pub mod web;

use std::path::{Path, PathBuf};

/// The `khien` binary built for this test run, in the default language whatever
/// the environment says.
pub fn khien() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("khien").unwrap();
    c.env_remove("KHIEN_LANG");
    c
}

/// The repository root (where `rules/`, `fixtures/` and `schemas/` are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file or folder of the repository, by its path from the root.
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A test that cannot run without an outside tool calls this: it says so on
/// standard error (which the test runner shows) and returns; under CI (`CI=true`)
/// it fails instead, so CI never passes by skipping.
pub fn skip(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("required tool missing under CI: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// Debian's Chromium, for the tests that render pages in a real browser.
pub fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A folder for a test's screenshots and pages, kept after the run for people to look at.
pub fn artifacts(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
