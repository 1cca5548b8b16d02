//! Every file khien reads is capped in size and must be a regular file (issue 16,
//! item 7): `--config /dev/zero` and a FIFO as `--config` end at once with exit 2
//! and a message naming the file, instead of growing without bound or hanging; an
//! oversized configuration, policy or register is refused with its limit; so are
//! `--ca-file` and the units inventory (`report --inventory`).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::khien;

/// Runs khien with `args`; asserts exit 2, a message naming `needle` and `what`,
/// within a few seconds.
fn refused(args: &[&str], path: &Path, what: &str) {
    let started = Instant::now();
    let out = khien()
        .args(["--lang", "en"])
        .args(args)
        .arg(path)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?} {path:?}: {stderr}");
    assert!(
        stderr.contains(&path.display().to_string()) && stderr.contains(what),
        "{args:?} {path:?}: {stderr}"
    );
    assert!(took < Duration::from_secs(20), "{args:?}: {took:?}");
}

#[test]
fn devices_and_fifos_are_refused_where_a_file_is_expected() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("khien.toml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let zero = Path::new("/dev/zero");
    for path in [zero, fifo.as_path()] {
        refused(&["scan", "host", "--config"], path, "not a regular file");
        refused(&["rules", "check"], path, "not a regular file");
        refused(&["scan", "register"], path, "not a regular file");
        refused(&["eval", "--facts"], path, "not a regular file");
        // Extra CA certificates and the units inventory: read before any connection
        // or report is made.
        refused(
            &["scan", "web", "https://127.0.0.1:9/", "--ca-file"],
            path,
            "not a regular file",
        );
        refused(
            &["scan", "mail", "truong.example", "--ca-file"],
            path,
            "not a regular file",
        );
        refused(
            &["report", "--period", "2026-H1", "--inventory"],
            path,
            "not a regular file",
        );
    }
}

#[test]
fn oversized_configuration_and_policy_are_refused_with_their_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("lon.toml");
    // Valid TOML all along (comments), larger than any cap it meets here.
    let line = format!("# {}\n", "x".repeat(1000));
    std::fs::write(&big, line.repeat(17 * 1024)).unwrap();
    refused(&["scan", "host", "--config"], &big, "larger than 1 MB");
    refused(&["rules", "check"], &big, "larger than 8 MB");
    refused(
        &["scan", "web", "https://127.0.0.1:9/", "--ca-file"],
        &big,
        "larger than 4 MB",
    );
}
