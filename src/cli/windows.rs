//! Double-click use on Windows: `khien.exe` started from Explorer (no arguments,
//! a console of its own) scans this machine with the default policy and the
//! `khien.toml` beside it, writes the result file for the Department beside the
//! executable (named by unit, machine and time) and the machine's HTML report next to
//! it, opens that report in the default browser, prints the findings in Vietnamese
//! and waits for Enter so the window does not close at once.
//!
//! `KHIEN_DOUBLE_CLICK=1` runs this mode from a console too (the wine test uses it);
//! `KHIEN_NO_BROWSER=1` writes the HTML report without opening it.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use jiff::Timestamp;

use super::{BadInput, load_config};
use crate::engine::{self, Engine};
use crate::i18n::{Lang, tr};
use crate::policy;
use crate::report;
use crate::settings::Settings;

/// Whether khien was started by a double click: no arguments and a console that
/// no other program shares (Explorer opened it for khien alone), or
/// `KHIEN_DOUBLE_CLICK=1`. Without the variable, always false outside Windows,
/// where no arguments prints the help.
pub fn double_click_requested() -> bool {
    std::env::args_os().len() == 1
        && (std::env::var_os("KHIEN_DOUBLE_CLICK").is_some_and(|v| v == "1") || own_console())
}

#[cfg(windows)]
fn own_console() -> bool {
    let mut ids = [0u32; 4];
    // SAFETY: the buffer is valid for its length; the call only writes into it.
    let n = unsafe { windows::Win32::System::Console::GetConsoleProcessList(&mut ids) };
    n == 1
}

#[cfg(not(windows))]
fn own_console() -> bool {
    false
}

/// Opens `path` with the program Windows associates with it (the default browser
/// for an .html file), through `ShellExecuteW` with the "open" verb.
#[cfg(windows)]
pub fn open_with_default_program(path: &Path) -> Result<(), String> {
    use std::os::windows::ffi::OsStrExt as _;
    use windows::Win32::UI::Shell::ShellExecuteW;
    use windows::Win32::UI::WindowsAndMessaging::SW_SHOWNORMAL;
    use windows::core::{PCWSTR, w};
    let wide: Vec<u16> = path.as_os_str().encode_wide().chain([0]).collect();
    // SAFETY: both strings are NUL-terminated and outlive the call; no window handle.
    let code = unsafe {
        ShellExecuteW(
            None,
            w!("open"),
            PCWSTR(wide.as_ptr()),
            PCWSTR::null(),
            PCWSTR::null(),
            SW_SHOWNORMAL,
        )
    };
    // Values above 32 mean success (documented for ShellExecuteW).
    let code = code.0 as isize;
    if code > 32 {
        Ok(())
    } else {
        Err(format!("ShellExecuteW error {code}"))
    }
}

#[cfg(not(windows))]
pub fn open_with_default_program(_path: &Path) -> Result<(), String> {
    Err("opening files is only done on Windows".into())
}

/// What a double-click scan wrote.
pub struct Written {
    /// The result file for the Department.
    pub result: PathBuf,
    /// The machine's HTML report, or why it could not be written.
    pub html: Result<PathBuf, String>,
    /// The findings as text, for the console.
    pub text: String,
    pub exit_code: u8,
}

/// Runs the double-click scan and waits for Enter.
pub fn double_click() -> ExitCode {
    let lang = Lang::Vi;
    let folder = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let code = match scan_into(&folder, lang) {
        Ok(w) => {
            let mut out = anstream::stdout();
            let _ = out.write_all(w.text.as_bytes());
            let _ = writeln!(
                out,
                "\n{} {}",
                tr(
                    lang,
                    "Đã lưu tệp kết quả để gửi Sở:",
                    "Result file for the Department saved as:"
                ),
                w.result.display()
            );
            match &w.html {
                Ok(html) => {
                    let _ = writeln!(
                        out,
                        "{} {}",
                        tr(
                            lang,
                            "Đã lưu báo cáo HTML của máy:",
                            "This machine's HTML report saved as:"
                        ),
                        html.display()
                    );
                    let no_browser = std::env::var_os("KHIEN_NO_BROWSER").is_some_and(|v| v == "1");
                    if !no_browser && let Err(e) = open_with_default_program(html) {
                        let _ = writeln!(
                            out,
                            "{} ({e}). {}",
                            tr(
                                lang,
                                "Không mở được báo cáo bằng trình duyệt",
                                "Could not open the report in the browser"
                            ),
                            tr(
                                lang,
                                "Hãy mở tệp ở đường dẫn trên bằng trình duyệt web.",
                                "Open the file at the path above with a web browser."
                            )
                        );
                    }
                }
                Err(e) => {
                    let _ = writeln!(
                        out,
                        "{} {e}",
                        tr(
                            lang,
                            "Không ghi được báo cáo HTML (tệp kết quả vẫn dùng được):",
                            "Could not write the HTML report (the result file is fine):"
                        )
                    );
                }
            }
            w.exit_code
        }
        Err(bad) => {
            let _ = writeln!(anstream::stderr(), "{}", bad.render(lang));
            super::EXIT_BAD_INPUT
        }
    };
    print!(
        "\n{}",
        tr(
            lang,
            "Nhấn Enter để đóng cửa sổ...",
            "Press Enter to close this window..."
        )
    );
    let _ = std::io::stdout().flush();
    let _ = std::io::stdin().lock().read_line(&mut String::new());
    ExitCode::from(code)
}

/// Scans this machine and writes the result file and the machine's HTML report into
/// `folder`. A report that cannot be written is told in [`Written::html`]; only a
/// result file that cannot be written is an error.
pub fn scan_into(folder: &Path, lang: Lang) -> Result<Written, BadInput> {
    let policy = policy::load_sources(policy::embedded_sources(), "embedded")?;
    let beside = folder.join(crate::config::DEFAULT_FILE_NAME);
    let config = load_config(beside.is_file().then_some(beside.as_path()), &policy)?;
    let doc = engine::collect_host(&Settings::new(&policy, &config), &config);
    let stem = output_file_stem(
        doc.target.unit.as_ref().map(|u| u.code.as_str()),
        &doc.target.id,
        doc.collected_at,
    );
    let result = Engine::new(&policy, &config).evaluate(&[doc], None);
    let path = folder.join(format!("{stem}.json"));
    report::write_atomically(&path, report::to_json(&result).as_bytes())
        .map_err(|e| BadInput::message(format!("{}: {e}", path.display())))?;
    let html_path = folder.join(format!("{stem}.html"));
    let html = report::machine::html_of_result(&result, &path, lang).and_then(|html| {
        report::write_atomically(&html_path, html.as_bytes())
            .map(|()| html_path.clone())
            .map_err(|e| format!("{}: {e}", html_path.display()))
    });
    let failing = result
        .targets
        .iter()
        .flat_map(|t| &t.findings)
        .any(|f| f.status == crate::findings::Status::Fail);
    Ok(Written {
        result: path,
        html,
        text: report::text::render(&result, lang),
        exit_code: if failing { super::EXIT_FAILING } else { 0 },
    })
}

/// `khien-UNIT-MACHINE-YYYYMMDD-HHMM`, the name of the result file (`.json`) and of
/// the machine's HTML report (`.html`), with characters Windows forbids in file names
/// (and spaces) replaced by `_`.
pub fn output_file_stem(unit: Option<&str>, machine: &str, at: Timestamp) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .take(60)
            .collect()
    };
    let local = at.to_zoned(jiff::tz::TimeZone::system());
    format!(
        "khien-{}-{}-{}",
        clean(unit.unwrap_or("chua-khai-bao-don-vi")),
        clean(machine),
        local.strftime("%Y%m%d-%H%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_say_unit_machine_and_date() {
        let at: Timestamp = "2026-11-23T03:04:00Z".parse().unwrap();
        let stem = output_file_stem(Some("THPT-BL-01"), "PC:TIN/01", at);
        assert!(
            stem.starts_with("khien-THPT-BL-01-PC_TIN_01-2026112"),
            "{stem}"
        );
        assert!(!stem.contains('.'), "{stem}");
        assert!(output_file_stem(None, "may", at).contains("chua-khai-bao-don-vi"));
    }

    #[test]
    fn a_scan_writes_the_result_and_the_machines_html_report_beside_the_executable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("khien.toml"),
            "[unit]\ncode = \"THCS-DL-02\"\nname = \"Trường THCS Đà Lạt\"\n",
        )
        .unwrap();
        let w = scan_into(dir.path(), Lang::Vi).ok().unwrap();
        assert!(w.result.starts_with(dir.path()));
        let name = w.result.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("khien-THCS-DL-02-"), "{name}");
        assert!(name.ends_with(".json"), "{name}");
        let doc: crate::findings::ResultDocument =
            serde_json::from_str(&std::fs::read_to_string(&w.result).unwrap()).unwrap();
        assert_eq!(doc.unit.as_ref().unwrap().code, "THCS-DL-02");
        assert!(w.text.contains("Kết quả rà soát"));

        // The HTML report sits beside it under the same name, and lists this scan's
        // failing findings.
        let html_path = w.html.unwrap();
        assert_eq!(html_path, w.result.with_extension("html"));
        let html = std::fs::read_to_string(&html_path).unwrap();
        assert!(html.contains("Trường THCS Đà Lạt"));
        for f in doc.targets[0]
            .findings
            .iter()
            .filter(|f| f.status == crate::findings::Status::Fail && f.waiver.is_none())
        {
            assert!(
                html.contains(&format!("({})", f.rule)),
                "{} missing",
                f.rule
            );
        }
        // Only the two files, no temporary left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn opening_is_refused_outside_windows_with_a_reason() {
        if !cfg!(windows) {
            let e = open_with_default_program(Path::new("x.html")).unwrap_err();
            assert!(e.contains("Windows"), "{e}");
        }
    }

    #[test]
    fn never_on_outside_windows() {
        if !cfg!(windows) && std::env::var_os("KHIEN_DOUBLE_CLICK").is_none() {
            assert!(!double_click_requested());
        }
    }
}
