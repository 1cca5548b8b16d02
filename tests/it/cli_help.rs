//! The command line speaks the user's language: `--help` and argument errors are
//! Vietnamese by default and English with `--lang en` (or `KHIEN_LANG=en`), read
//! before clap parses; every command and argument has its Vietnamese text.

use crate::support::khien;

/// (exit code, standard output, standard error) of `khien ARGS`.
fn run(args: &[&str], env_lang: Option<&str>) -> (i32, String, String) {
    let mut cmd = khien();
    cmd.args(args).env("NO_COLOR", "1").env("COLUMNS", "100");
    if let Some(l) = env_lang {
        cmd.env("KHIEN_LANG", l);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn top_level_help_in_both_languages() {
    let (code, vi, _) = run(&["--help"], None);
    assert_eq!(code, 0);
    assert!(vi.contains("Cách dùng: khien"), "{vi}");
    assert!(vi.contains("Lệnh:") && vi.contains("Tùy chọn:"), "{vi}");
    assert!(!vi.contains("Usage:") && !vi.contains("Options:"), "{vi}");
    insta::assert_snapshot!("help_vi", vi);
    let (code, en, _) = run(&["--lang", "en", "--help"], None);
    assert_eq!(code, 0);
    assert!(en.contains("Usage: khien"), "{en}");
    insta::assert_snapshot!("help_en", en);
    // KHIEN_LANG is read before parsing too; --lang wins over it.
    assert!(
        run(&["--help"], Some("en"))
            .1
            .starts_with("khien (khiên): information-security")
    );
    assert_eq!(run(&["--lang=vi", "--help"], Some("en")).1, vi);
}

#[test]
fn scan_host_help_in_both_languages() {
    let (code, vi, _) = run(&["scan", "host", "--help"], None);
    assert_eq!(code, 0);
    // Defaults and allowed values in Vietnamese words.
    assert!(vi.contains("mặc định: text"), "{vi}");
    assert!(vi.contains("giá trị: text, json"), "{vi}");
    insta::assert_snapshot!("scan_host_help_vi", vi);
    let (_, en, _) = run(&["scan", "host", "--help", "--lang", "en"], None);
    insta::assert_snapshot!("scan_host_help_en", en);
}

#[test]
fn argument_errors_in_both_languages() {
    // An unknown flag, with its suggestion.
    let (code, _, vi) = run(&["scan", "host", "--formt", "json"], None);
    assert_eq!(code, 2, "{vi}");
    assert!(vi.contains("lỗi: không có tùy chọn '--formt'"), "{vi}");
    assert!(vi.contains("'--format'"), "{vi}");
    insta::assert_snapshot!("unknown_flag_vi", vi);
    let (code, _, en) = run(&["--lang", "en", "scan", "host", "--formt", "json"], None);
    assert_eq!(code, 2, "{en}");
    assert!(en.contains("unexpected argument '--formt'"), "{en}");
    insta::assert_snapshot!("unknown_flag_en", en);

    // A value not among those allowed lists them.
    let (code, _, vi) = run(&["scan", "host", "--format", "xml"], None);
    assert_eq!(code, 2);
    assert!(
        vi.contains("giá trị 'xml' không hợp lệ cho '--format <FORMAT>'"),
        "{vi}"
    );
    assert!(vi.contains("các giá trị được phép: text, json"), "{vi}");
    // A missing value and a missing argument.
    let (code, _, vi) = run(&["eval", "--facts"], None);
    assert_eq!(code, 2);
    assert!(vi.starts_with("lỗi: "), "{vi}");
    assert!(vi.contains("--facts"), "{vi}");
    let (code, _, vi) = run(&["eval"], None);
    assert_eq!(code, 2);
    assert!(
        vi.contains("lỗi: thiếu tham số bắt buộc: --facts <FILE>"),
        "{vi}"
    );
    // An unknown subcommand, with its suggestion.
    let (code, _, vi) = run(&["scan", "hots"], None);
    assert_eq!(code, 2);
    assert!(vi.contains("không có lệnh 'hots'"), "{vi}");
    assert!(vi.contains("có phải ý bạn là 'host'?"), "{vi}");
    // A missing subcommand shows the Vietnamese help.
    let (code, _, vi) = run(&["scan"], None);
    assert_eq!(code, 2);
    assert!(vi.contains("Cách dùng: khien scan"), "{vi}");
}

#[test]
fn every_command_and_argument_has_a_vietnamese_text() {
    let (missing, stale) = khien::cli::args::untranslated();
    assert!(missing.is_empty(), "no Vietnamese text: {missing:#?}");
    assert!(stale.is_empty(), "entries matching nothing: {stale:#?}");
}
