//! Runs the Windows build of khien under wine: `khien.exe scan host --format json`
//! must give a valid result document (unknowns where wine lacks a Windows API,
//! never a crash). The .exe is built by `.ci/after-windows.sh`, which then runs
//! this test with `KHIEN_WINDOWS_EXE` (and `KHIEN_WIN7_EXE` for the Windows 7
//! build); without them, or without wine, the test says so and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use khien::findings::{ResultDocument, Status};

fn wine() -> Option<PathBuf> {
    ["/usr/bin/wine", "/usr/lib/wine/wine64", "/usr/bin/wine64"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A fresh wine prefix with the ProcessPrng shim (needed by Windows 10+ builds
/// under wine 8.0) and the Windows version wine reports.
fn prefix(dir: &Path, windows_version: &str, with_shim: bool) {
    let wine = wine().unwrap();
    let status = Command::new(&wine)
        .args([
            "reg",
            "add",
            r"HKCU\Software\Wine",
            "/v",
            "Version",
            "/d",
            windows_version,
            "/f",
        ])
        .env("WINEPREFIX", dir)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .output()
        .expect("wine runs");
    assert!(status.status.success(), "wine reg add: {status:?}");
    if with_shim {
        let dll = dir.join("drive_c/windows/system32/bcryptprimitives.dll");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/bcryptprimitives.c");
        let out = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-o"])
            .arg(&dll)
            .arg(&src)
            .arg("-ladvapi32")
            .output()
            .expect("x86_64-w64-mingw32-gcc runs");
        assert!(
            out.status.success(),
            "shim build: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Double-click mode (no arguments; `KHIEN_DOUBLE_CLICK=1` stands for the fresh
/// console Explorer gives): the result file and the machine's HTML report are
/// written beside the executable, and the report is opened with ShellExecuteW.
/// A fresh wine prefix has no program for .html files (ShellExecuteW answers 31,
/// no association), so the test associates them with `cmd.exe /c rem`: "opening"
/// starts nothing on the host but goes through the same Windows call.
fn run_double_click(exe: &Path, windows_version: &str, with_shim: bool) {
    let dir = tempfile::tempdir().unwrap();
    prefix(dir.path(), windows_version, with_shim);
    let wine = wine().unwrap();
    for (key, value) in [
        (r"HKLM\Software\Classes\.html", "khien.testhtml"),
        (
            r"HKLM\Software\Classes\khien.testhtml\shell\open\command",
            r#"C:\windows\system32\cmd.exe /c rem "%1""#,
        ),
    ] {
        let status = Command::new(&wine)
            .args(["reg", "add", key, "/ve", "/d", value, "/f"])
            .env("WINEPREFIX", dir.path())
            .env("WINEDEBUG", "-all")
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .output()
            .expect("wine runs");
        assert!(status.status.success(), "wine reg add {key}: {status:?}");
    }
    let folder = dir.path().join("drive_c/khien");
    std::fs::create_dir_all(&folder).unwrap();
    let copy = folder.join("khien.exe");
    std::fs::copy(exe, &copy).unwrap();
    std::fs::write(
        folder.join("khien.toml"),
        "[unit]\ncode = \"THCS-DL-02\"\nname = \"Trường THCS Đà Lạt\"\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let mut child = Command::new(&wine)
        .arg(r"C:\khien\khien.exe")
        .env("WINEPREFIX", dir.path())
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .env("KHIEN_DOUBLE_CLICK", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("wine runs");
    // The Enter that closes the window.
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(b"\r\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!(
        "double-click mode under wine ({windows_version}): exit {:?} in {:.1} s",
        out.status.code(),
        started.elapsed().as_secs_f64()
    );
    for line in stdout
        .lines()
        .filter(|l| l.contains("khien-THCS-DL-02-") || l.contains("Không mở được"))
    {
        println!("  {line}");
    }
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "khien.exe failed: {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let json = names
        .iter()
        .find(|n| n.starts_with("khien-THCS-DL-02-") && n.ends_with(".json"))
        .unwrap_or_else(|| panic!("no result file beside the .exe: {names:?}"));
    let html = json.replace(".json", ".html");
    assert!(
        names.contains(&html),
        "no HTML report beside the .exe: {names:?}"
    );
    let doc: ResultDocument =
        serde_json::from_str(&std::fs::read_to_string(folder.join(json)).unwrap()).unwrap();
    let page = std::fs::read_to_string(folder.join(&html)).unwrap();
    assert!(page.contains("Trường THCS Đà Lạt"));
    for f in doc.targets[0]
        .findings
        .iter()
        .filter(|f| f.status == khien::findings::Status::Fail && f.waiver.is_none())
    {
        assert!(
            page.contains(&format!("({})", f.rule)),
            "{} missing",
            f.rule
        );
    }
    assert!(stdout.contains("Đã lưu báo cáo HTML của máy:"), "{stdout}");
    assert!(stdout.contains("Nhấn Enter để đóng cửa sổ"), "{stdout}");
    assert!(
        !stdout.contains("Không mở được báo cáo"),
        "ShellExecuteW did not open the report: {stdout}"
    );
}

fn run_scan(exe: &Path, windows_version: &str, with_shim: bool) {
    let dir = tempfile::tempdir().unwrap();
    prefix(dir.path(), windows_version, with_shim);
    let out_file = dir.path().join("drive_c/result.json");
    let started = std::time::Instant::now();
    let out = Command::new(wine().unwrap())
        .arg(exe)
        .args([
            "scan",
            "host",
            "--format",
            "json",
            "--output",
            r"C:\result.json",
            "--raw-out",
            r"C:\raw.json",
        ])
        .env("WINEPREFIX", dir.path())
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .output()
        .expect("wine runs");
    println!(
        "{} under wine ({windows_version}): exit {:?} in {:.1} s",
        exe.display(),
        out.status.code(),
        started.elapsed().as_secs_f64()
    );
    // 0 = nothing failing, 1 = findings fail; anything else is a crash or bad input.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "khien.exe failed: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_file).expect("result file written");
    let doc: ResultDocument = serde_json::from_str(&text).expect("a valid result document");
    let schema = ResultDocument::json_schema();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(
        validator.is_valid(&value),
        "result does not match its schema"
    );
    let target = &doc.targets[0];
    assert!(!target.findings.is_empty());
    let statuses: Vec<String> = target
        .findings
        .iter()
        .map(|f| format!("{} {:?}", f.rule, f.status))
        .collect();
    println!("{}", statuses.join(", "));
    // Wine's WMI lists no local account and no administrators group: the account
    // rules are unknown, never passed on an empty list.
    for rule in ["HOST-ACC-002", "HOST-ACC-003", "HOST-ACC-004"] {
        let f = target.findings.iter().find(|f| f.rule == rule).unwrap();
        assert_eq!(f.status, Status::Unknown, "{rule}");
    }

    // The raw readings show the WMI client at work: wine's service manager answers
    // Win32_Service with rows, the namespaces wine lacks are unknown with WMI's
    // reason, and the registry was read.
    let raw: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("drive_c/raw.json"))
            .expect("raw readings written"),
    )
    .expect("raw readings are JSON");
    let services = raw["wmi"][r"root\cimv2:Win32_Service"]
        .as_array()
        .expect("Win32_Service rows");
    assert!(
        services
            .iter()
            .any(|s| s["Name"].is_string() && s["State"].is_string()),
        "{services:?}"
    );
    let security_center = &raw["wmi"][r"root\SecurityCenter2:AntiVirusProduct"]["$unknown"];
    assert_eq!(security_center["reason"], "unsupported", "{raw}");
    assert!(
        security_center["detail"]
            .as_str()
            .unwrap()
            .contains("0x8004100E")
    );
    assert!(raw["registry"].as_object().is_some_and(|r| !r.is_empty()));
}

#[test]
#[ignore = "needs the Windows .exe: .ci/after-windows.sh builds it and runs this with --ignored"]
fn windows_build_runs_under_wine() {
    let Some(exe) = std::env::var_os("KHIEN_WINDOWS_EXE").map(PathBuf::from) else {
        crate::support::skip(
            "KHIEN_WINDOWS_EXE is not set (.ci/after-windows.sh builds the .exe and sets it)",
        );
        return;
    };
    if wine().is_none() {
        crate::support::skip("wine is not installed (apt-get install wine64)");
        return;
    }
    run_scan(&exe, "win10", true);
    run_double_click(&exe, "win10", true);
}

#[test]
#[ignore = "needs the Windows 7 .exe: .ci/after-windows.sh builds it and runs this with --ignored"]
fn windows7_build_runs_under_wine_in_windows7_mode() {
    let Some(exe) = std::env::var_os("KHIEN_WIN7_EXE").map(PathBuf::from) else {
        crate::support::skip(
            "KHIEN_WIN7_EXE is not set (.ci/after-windows.sh attempts the Windows 7 build)",
        );
        return;
    };
    if wine().is_none() {
        crate::support::skip("wine is not installed (apt-get install wine64)");
        return;
    }
    // The Windows 7 build must run without the ProcessPrng shim.
    run_scan(&exe, "win7", false);
    run_double_click(&exe, "win7", false);
}
