//! The HTML report opened in headless Chromium (Debian's `chromium`): it renders with
//! no console message (no script, no blocked resource), and prints to A4 PDF. The
//! screenshots and PDF are kept as test artifacts in `target/tmp/report-artifacts/`.
//! Skips with a message when Chromium is not installed (`.ci/setup-report.sh` installs it).

use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// Runs Chromium headless on a local file only; returns its standard error.
fn run_chromium(bin: &Path, profile: &Path, page: &Path, action: &[String]) -> String {
    let mut child = Process::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1240,1754",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(action)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("chromium did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn render(args: &[&str], out: &Path) {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/results");
    Command::cargo_bin("khien")
        .unwrap()
        .env_remove("KHIEN_LANG")
        .arg("report")
        .arg(f.join("round-1"))
        .arg(f.join("round-2"))
        .arg(f.join("round-3"))
        .arg("--register")
        .arg(f.join("register.toml"))
        .args(["--period", "2026-H1", "--at", "2026-05-31T00:00:00Z", "-o"])
        .arg(out)
        .args(args)
        .assert()
        .success();
}

#[test]
fn html_report_renders_in_chromium_without_console_errors_and_prints_on_a4() {
    let Some(bin) = crate::support::chromium() else {
        crate::support::skip("chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = crate::support::artifacts("report-artifacts");
    let profile = tempfile::tempdir().unwrap();
    // Real dirt for the first screen: a school's results under a mistyped unit code.
    let dirt = tempfile::tempdir().unwrap();
    let typo = dirt.path().join("host-typo.json");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/results/round-3/host-ld-th-004.json"),
    )
    .unwrap()
    .replace("LD-TH-004", "LD-TH-0O4")
    .replace("ld-th-004-pc", "typo-pc");
    std::fs::write(&typo, text).unwrap();
    let typo = typo.to_str().unwrap();
    for (name, args) in [
        ("report-province", &[typo][..]),
        ("report-unit", &["--unit", "LD-THPT-006"][..]),
        ("report-province-en", &["--lang", "en", typo][..]),
    ] {
        let html = dir.join(format!("{name}.html"));
        render(args, &html);
        let text = std::fs::read_to_string(&html).unwrap();
        assert!(
            !text.contains("<script"),
            "the report must not carry scripts"
        );
        for external in ["src=", "<link", "url(", "@import", "href=\"http"] {
            assert!(
                !text.contains(external),
                "{name}: external resource `{external}`"
            );
        }
        // The first screen answers the director before any table of indicators:
        // the cards, the 10 worst units, who did not report, the unregistered codes.
        if !name.contains("unit") {
            let pos = |needle: &str| {
                text.find(needle)
                    .unwrap_or_else(|| panic!("{name}: no `{needle}`"))
            };
            let indicators = pos("id=\"chi-tieu\"");
            for first in [
                "class=\"cards\"",
                "id=\"can-quan-tam\"",
                "id=\"chua-gui\"",
                "id=\"ngoai-danh-muc\"",
            ] {
                assert!(
                    pos(first) < indicators,
                    "{name}: `{first}` after the indicators"
                );
            }
            assert!(
                text.contains("LD-TH-0O4"),
                "{name}: the mistyped code is named"
            );
        }
        let png = dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&png);
        let log = run_chromium(
            &bin,
            profile.path(),
            &html,
            &[format!("--screenshot={}", png.display())],
        );
        assert!(png.exists(), "no screenshot; chromium said:\n{log}");
        let png_bytes = std::fs::read(&png).unwrap();
        assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
        // Console messages (errors, CSP violations, failed loads) are logged as CONSOLE.
        let console: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
            .collect();
        assert!(
            console.is_empty(),
            "console messages for {name}:\n{}",
            console.join("\n")
        );
        println!("screenshot: {}", png.display());
    }
    // Printing: the province report on A4 pages.
    let pdf = dir.join("report-province.pdf");
    let _ = std::fs::remove_file(&pdf);
    let log = run_chromium(
        &bin,
        profile.path(),
        &dir.join("report-province.html"),
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let bytes = std::fs::read(&pdf).unwrap_or_else(|_| panic!("no PDF; chromium said:\n{log}"));
    let text = String::from_utf8_lossy(&bytes);
    // A4 is 595 × 842 points (Chromium writes 594.95996 × 841.91998).
    let pages = text.matches("/MediaBox [0 0 594.9").count();
    assert!(pages > 0, "no A4 page in the PDF");
    assert_eq!(pages, text.matches("/MediaBox").count(), "a page is not A4");
    println!("PDF: {pages} A4 pages");
    println!("PDF: {}", pdf.display());
}
