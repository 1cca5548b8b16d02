//! Double-click use on Windows: `khien.exe` started from Explorer (no arguments,
//! a console of its own) scans this machine with the default policy and the
//! `khien.toml` beside it, writes the result file for the Department beside the
//! executable (named by unit, machine and time), prints the findings in Vietnamese
//! and waits for Enter so the window does not close at once.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use jiff::Timestamp;

use super::{BadInput, collect_host_document, evaluate, load_config};
use crate::i18n::{Lang, tr};
use crate::policy;
use crate::report;

/// Whether khien was started by a double click: no arguments and a console that
/// no other program shares (Explorer opened it for khien alone). Always false
/// outside Windows, where no arguments prints the help.
pub fn double_click_requested() -> bool {
    std::env::args_os().len() == 1 && own_console()
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

/// Runs the double-click scan and waits for Enter.
pub fn double_click() -> ExitCode {
    let lang = Lang::Vi;
    let folder = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let code = match scan_into(&folder, lang) {
        Ok((path, text, code)) => {
            let mut out = anstream::stdout();
            let _ = out.write_all(text.as_bytes());
            let _ = writeln!(
                out,
                "\n{} {}",
                tr(
                    lang,
                    "Đã lưu tệp kết quả để gửi Sở:",
                    "Result file for the Department saved as:"
                ),
                path.display()
            );
            code
        }
        Err(BadInput(msg)) => {
            let _ = writeln!(anstream::stderr(), "{msg}");
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

/// Scans this machine and writes the result file into `folder`. Returns the file,
/// the text report and the exit code.
pub fn scan_into(folder: &Path, lang: Lang) -> Result<(PathBuf, String, u8), BadInput> {
    let policy = policy::load_sources(policy::embedded_sources(), "embedded")?;
    let beside = folder.join(crate::config::DEFAULT_FILE_NAME);
    let config = load_config(beside.is_file().then_some(beside.as_path()), &policy)?;
    let doc = collect_host_document(&policy, &config);
    let name = result_file_name(
        doc.target.unit.as_ref().map(|u| u.code.as_str()),
        &doc.target.id,
        doc.collected_at,
    );
    let result = evaluate(&policy, &config, &[doc], None);
    let path = folder.join(name);
    report::write_atomically(&path, report::to_json(&result).as_bytes())
        .map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let failing = result
        .targets
        .iter()
        .flat_map(|t| &t.findings)
        .any(|f| f.status == crate::findings::Status::Fail);
    Ok((
        path,
        report::text::render(&result, lang),
        if failing { super::EXIT_FAILING } else { 0 },
    ))
}

/// `khien-UNIT-MACHINE-YYYYMMDD-HHMM.json`, with characters Windows forbids in
/// file names (and spaces) replaced by `_`.
pub fn result_file_name(unit: Option<&str>, machine: &str, at: Timestamp) -> String {
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
        "khien-{}-{}-{}.json",
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
        let name = result_file_name(Some("THPT-BL-01"), "PC:TIN/01", at);
        assert!(
            name.starts_with("khien-THPT-BL-01-PC_TIN_01-2026112"),
            "{name}"
        );
        assert!(name.ends_with(".json"));
        assert!(result_file_name(None, "may", at).contains("chua-khai-bao-don-vi"));
    }

    #[test]
    fn a_scan_writes_a_result_document_beside_the_executable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("khien.toml"),
            "[unit]\ncode = \"THCS-DL-02\"\nname = \"Trường THCS Đà Lạt\"\n",
        )
        .unwrap();
        let (path, text, _) = scan_into(dir.path(), Lang::Vi).ok().unwrap();
        assert!(path.starts_with(dir.path()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("khien-THCS-DL-02-"), "{name}");
        let doc: crate::findings::ResultDocument =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc.unit.unwrap().code, "THCS-DL-02");
        assert!(text.contains("Kết quả rà soát"));
    }

    #[test]
    fn never_on_outside_windows() {
        if !cfg!(windows) {
            assert!(!double_click_requested());
        }
    }
}
