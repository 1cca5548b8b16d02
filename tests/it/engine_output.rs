//! The engine as a library and its output: one result document whether written
//! whole or streamed; settings out of range refused with their position before
//! anything runs; write errors on files and standard output are errors.

use std::process::Stdio;

use khien::config::LocalConfig;
use khien::engine::{Engine, ResultWriter};
use khien::facts::FactDocument;
use khien::i18n::Lang;
use khien::policy::{self, Severity, SourceFile};
use khien::report::Format;

use crate::support::{khien, repo_path};

const FACTS: &str = "fixtures/facts/linux-clamav-stale.json";

fn policy() -> policy::Policy {
    policy::load_sources(policy::embedded_sources(), "embedded").unwrap()
}

fn facts() -> FactDocument {
    serde_json::from_str(&std::fs::read_to_string(repo_path(FACTS)).unwrap()).unwrap()
}

#[test]
fn streamed_json_is_the_same_document_as_the_whole_one() {
    let policy = policy();
    let engine = Engine::new(&policy, &LocalConfig::default());
    let whole = engine.evaluate(&[facts(), facts()], None);
    assert_eq!(whole.summary.targets, 2);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ket-qua.json");
    let outcome = ResultWriter::write_document(
        Some(&path),
        Format::Json,
        Lang::Vi,
        whole.clone(),
        Severity::Info,
    )
    .unwrap();
    let written: khien::findings::ResultDocument =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(written, whole);
    assert_eq!(outcome.summary, whole.summary);
    // The stale-signature fixture fails HOST-AV-002, so --fail-on info fails.
    assert!(outcome.failing);
}

#[test]
fn fail_on_counts_only_failures_at_or_above_the_severity() {
    let policy = policy();
    let doc = Engine::new(&policy, &LocalConfig::default()).evaluate(&[facts()], None);
    let worst = doc.summary.worst_failing.expect("the fixture fails a rule");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.txt");
    let above = Severity::ALL_DESCENDING
        .into_iter()
        .find(|s| *s > worst)
        .unwrap_or(Severity::Critical);
    let outcome =
        ResultWriter::write_document(Some(&path), Format::Text, Lang::En, doc.clone(), worst)
            .unwrap();
    assert!(outcome.failing);
    if above > worst {
        let outcome =
            ResultWriter::write_document(Some(&path), Format::Text, Lang::En, doc, above).unwrap();
        assert!(!outcome.failing);
    }
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("HOST-AV-002")
    );
}

/// Each setting out of range, as a user might write it.
#[test]
fn settings_out_of_range_are_positioned_errors() {
    let policy = policy();
    for (text, line, setting) in [
        ("[limits]\nmax_seconds = inf\n", 2, "max_seconds"),
        (
            "[limits]\nmax_files = 10\nmax_seconds = 1e300\n",
            3,
            "max_seconds",
        ),
        ("[limits]\nmax_seconds = -1.0\n", 2, "max_seconds"),
        ("[limits]\nmax_seconds = nan\n", 2, "max_seconds"),
        ("[limits]\nwmi_query_seconds = 0\n", 2, "wmi_query_seconds"),
        (
            "[personal_data]\nmax_seconds_per_file = 1e300\n",
            2,
            "max_seconds_per_file",
        ),
        ("[crawl]\nmax_urls = 0\n", 2, "max_urls"),
        (
            "[crawl]\n\nmax_document_mb = 100000\n",
            3,
            "max_document_mb",
        ),
    ] {
        let err = LocalConfig::parse(SourceFile::new("khien.toml", text), &policy)
            .expect_err(text)
            .render(khien::i18n::Lang::En);
        assert!(err.contains(setting), "{text}: {err}");
        assert!(
            err.contains(&format!("khien.toml:{line}:")),
            "{text}: no position of line {line} in {err}"
        );
    }
}

#[test]
fn an_infinite_limit_stops_the_scan_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("khien.toml");
    std::fs::write(&cfg, "[limits]\nmax_seconds = inf\n").unwrap();
    let out = khien()
        .args(["--lang", "en", "eval", "--facts"])
        .arg(repo_path(FACTS))
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("khien.toml:2:"), "{stderr}");
    assert!(stderr.contains("max_seconds"), "{stderr}");
}

/// `> /dev/full`: the write fails, and khien says so with a non-zero exit.
#[test]
fn a_full_standard_output_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        crate::support::skip("/dev/full is missing on this system");
        return;
    }
    for format in ["json", "text"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("khien"))
            .args(["--lang", "en", "eval", "--format", format, "--facts"])
            .arg(repo_path(FACTS))
            .stdout(Stdio::from(full))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("No space left"), "{format}: {stderr}");
    }
}

/// `| head -c 10`: a reader that goes away early is not an error.
#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("khien"))
        .args(["--lang", "en", "eval", "--format", "json", "--facts"])
        .arg(repo_path(FACTS))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    // The fixture fails a rule: exit 1, the decision made at the end as usual.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}

/// The Department's report to a full disk: an error, not a silent half file.
#[test]
fn a_report_to_a_full_standard_output_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        crate::support::skip("/dev/full is missing on this system");
        return;
    }
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let results = repo_path("fixtures/results");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("khien"))
        .args(["--lang", "en", "report"])
        .arg(results.join("round-1"))
        .args([
            "--period",
            "2026-H1",
            "--at",
            "2026-03-31T00:00:00Z",
            "--format",
            "csv",
        ])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left"), "{stderr}");
}

/// One problem, one diagnostic: a personal-data limit out of range is reported once
/// (by the range check), and an empty folder path is pointed at where it is written.
#[test]
fn personal_data_settings_give_one_positioned_diagnostic_each() {
    let policy = policy();
    let text = "[personal_data]\nfolders = ['D:\\\\HocSinh', '']\nmax_seconds_per_file = -1\n";
    let err = LocalConfig::parse(SourceFile::new("khien.toml", text), &policy).unwrap_err();
    let rendered = err.render(khien::i18n::Lang::En);
    assert_eq!(err.errors.len(), 2, "{rendered}");
    assert!(rendered.contains("khien.toml:2:"), "{rendered}");
    assert!(rendered.contains("a folder path is empty"), "{rendered}");
    assert!(rendered.contains("khien.toml:3:"), "{rendered}");
    assert!(rendered.contains("max_seconds_per_file"), "{rendered}");
}
