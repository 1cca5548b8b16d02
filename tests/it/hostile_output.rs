//! Output files written safely (issue 16, item 3): `-o` to a device writes to it
//! and never replaces it, a write error is a message and a non-zero exit, a link
//! is written through and kept, a FIFO is written to, and a link planted under the
//! old guessable temporary name is never followed. Through `khien pdata scan -o`,
//! which writes like every other output (report::AtomicFile).

use std::os::unix::fs::FileTypeExt as _;
use std::path::Path;
use std::time::Duration;

use crate::support::khien;

/// A folder with one document holding 12 IDs: the scan's output is a few hundred
/// bytes of JSON.
fn folder(dir: &Path) -> std::path::PathBuf {
    let docs = dir.join("tailieu");
    std::fs::create_dir_all(&docs).unwrap();
    let mut text = String::from("STT\tSố CCCD\n");
    for i in 0..12 {
        text.push_str(&format!("{i}\t068208{i:06}\n"));
    }
    std::fs::write(docs.join("ds.txt"), text).unwrap();
    docs
}

fn scan_to(docs: &Path, out: &Path) -> std::process::Output {
    khien()
        .args([
            "pdata",
            "scan",
            "--format",
            "json",
            "--min-ids",
            "100",
            "-o",
        ])
        .arg(out)
        .arg(docs)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap()
}

#[test]
fn devices_are_written_to_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = folder(tmp.path());
    let out = scan_to(&docs, Path::new("/dev/null"));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "/dev/null is still a device"
    );

    if !Path::new("/dev/full").exists() {
        return crate::support::skip("/dev/full is missing");
    }
    let out = scan_to(&docs, Path::new("/dev/full"));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/dev/full"),
        "the message names the target: {stderr}"
    );
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn a_link_is_written_through_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = folder(tmp.path());
    let real = tmp.path().join("ketqua-that.json");
    std::fs::write(&real, "old").unwrap();
    let link = tmp.path().join("ketqua.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = scan_to(&docs, &link);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(json[0]["files"][0]["distinct_ids"], 12);
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["ketqua-that.json", "ketqua.json", "tailieu"]);
}

#[test]
fn a_fifo_is_written_to() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = folder(tmp.path());
    let fifo = tmp.path().join("ong");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = scan_to(&docs, &fifo);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let got = reader.join().unwrap();
    assert!(got.contains("\"distinct_ids\": 12"), "{got}");
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "still a FIFO");
}

/// The old temporary name was `.NAME.PID.tmp`: links planted under every name the
/// next process IDs would give must not be followed to their victim.
#[test]
fn links_planted_at_guessable_temporary_names_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = folder(tmp.path());
    let shared = tmp.path().join("chung");
    std::fs::create_dir(&shared).unwrap();
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1);
    for pid in last..last + 3000 {
        std::os::unix::fs::symlink(&victim, shared.join(format!(".ketqua.json.{pid}.tmp")))
            .unwrap();
    }
    let target = shared.join("ketqua.json");
    let out = scan_to(&docs, &target);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(json[0]["files"][0]["distinct_ids"], 12);
    // Only the planted links and the result: no temporary file left.
    let count = std::fs::read_dir(&shared).unwrap().count();
    assert_eq!(count, 3001);
}

/// `-o /dev/stdout` with standard output redirected to a file: the file the shell
/// opened receives the result (it is not replaced beside the shell's back).
#[test]
fn dev_stdout_redirected_to_a_file_receives_the_result() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = folder(tmp.path());
    let redirected = tmp.path().join("stdout.json");
    let file = std::fs::File::create(&redirected).unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("khien"))
        .args([
            "pdata",
            "scan",
            "--format",
            "json",
            "--min-ids",
            "100",
            "-o",
        ])
        .arg("/dev/stdout")
        .arg(&docs)
        .stdout(file)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&redirected).unwrap()).unwrap();
    assert_eq!(json[0]["files"][0]["distinct_ids"], 12);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2);
}
