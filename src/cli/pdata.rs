//! `khien pdata scan FOLDER...`: looks for citizen ID numbers in the documents of
//! the given folders, without a policy evaluation, and prints counts and masked
//! samples only. For a school's IT teacher checking a folder before sharing it, and
//! for the speed benchmark. Exit code 1 when a file holds at least `--min-ids`
//! distinct IDs.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};

use super::{BadInput, Cli, EXIT_FAILING, load_policy};
use crate::facts::pdata::ScannedFolder;
use crate::i18n::{Lang, tr};
use crate::pdata::{self, PersonalDataConfig, scan};
use crate::policy::ParamValue;

#[derive(Subcommand, Debug)]
pub enum PdataCommand {
    /// Scan folders for citizen ID numbers (CCCD); prints counts and masked samples only.
    Scan(PdataScanArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdataFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct PdataScanArgs {
    /// Folders to scan (recursively).
    #[arg(required = true, value_name = "FOLDER")]
    pub folders: Vec<PathBuf>,
    /// List files from this many distinct IDs; exit 1 when one is found.
    /// Default: the policy's `pdata_min_ids_per_file`.
    #[arg(long, value_name = "N")]
    pub min_ids: Option<u64>,
    /// Skip documents larger than this many megabytes.
    #[arg(long, value_name = "MB", default_value_t = 50.0)]
    pub max_file_mb: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: PdataFormat,
    /// Write the result to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print files and megabytes per second to standard error.
    #[arg(long)]
    pub stats: bool,
}

pub fn run(cli: &Cli, cmd: &PdataCommand) -> Result<u8, BadInput> {
    match cmd {
        PdataCommand::Scan(args) => scan_folders(cli, args),
    }
}

fn scan_folders(cli: &Cli, args: &PdataScanArgs) -> Result<u8, BadInput> {
    let lang = cli.lang;
    for f in &args.folders {
        if !f.is_dir() {
            return Err(BadInput::message(format!(
                "{}: {}",
                f.display(),
                tr(
                    lang,
                    "không phải thư mục (hãy đưa đường dẫn một thư mục)",
                    "not a folder (give the path of a folder)"
                )
            )));
        }
    }
    if !(args.max_file_mb.is_finite() && args.max_file_mb > 0.0) {
        return Err(BadInput::message(format!(
            "--max-file-mb {}: {}",
            args.max_file_mb,
            tr(lang, "phải lớn hơn 0", "must be more than 0")
        )));
    }
    let min_ids = match args.min_ids {
        Some(n) => n,
        None => {
            let policy = load_policy(cli)?;
            match policy
                .param_values(&Default::default())
                .get("pdata_min_ids_per_file")
            {
                Some(ParamValue::Integer(i)) => (*i).max(1) as u64,
                _ => 10,
            }
        }
    };
    let config = PersonalDataConfig {
        folders: args
            .folders
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        scan_shares: false,
        max_file_mb: args.max_file_mb,
        ..PersonalDataConfig::default()
    };
    let shares = pdata::shares::local_shares();
    let roots = scan::roots(&config, &shares);
    let started = Instant::now();
    let folders = scan::scan(&roots, &shares, &config, pdata::current_year());
    let elapsed = started.elapsed().as_secs_f64();

    if args.stats {
        let files: u64 = folders.iter().map(|f| f.files_examined).sum();
        let bytes: u64 = folders.iter().map(|f| f.bytes_examined).sum();
        eprintln!(
            "{files} files, {:.1} MB in {elapsed:.2} s: {:.0} files/s, {:.1} MB/s ({} threads)",
            bytes as f64 / 1e6,
            files as f64 / elapsed,
            bytes as f64 / 1e6 / elapsed,
            rayon::current_num_threads()
        );
    }

    let text = match args.format {
        PdataFormat::Json => {
            serde_json::to_string_pretty(&folders).expect("facts serialize") + "\n"
        }
        PdataFormat::Text => render(&folders, min_ids, lang),
    };
    crate::output::write_text(args.output.as_deref(), &text)?;
    let found = folders
        .iter()
        .flat_map(|f| &f.files)
        .any(|f| f.distinct_ids >= min_ids);
    Ok(if found { EXIT_FAILING } else { 0 })
}

fn render(folders: &[ScannedFolder], min_ids: u64, lang: Lang) -> String {
    let mut out = String::new();
    for f in folders {
        let _ = writeln!(out, "{}", f.path);
        let _ = writeln!(
            out,
            "  {}: {} ({:.1} MB)",
            tr(lang, "tài liệu đã đọc", "documents read"),
            f.files_examined,
            f.bytes_examined as f64 / 1e6
        );
        if !f.shares.is_empty() {
            let open = f.open_to_everyone.value() == Some(&true);
            let _ = writeln!(
                out,
                "  {}: {}{}",
                tr(lang, "được chia sẻ qua", "shared as"),
                f.shares.join(", "),
                if open {
                    tr(
                        lang,
                        " (khách/Everyone đọc được)",
                        " (guests/Everyone can read)",
                    )
                } else {
                    ""
                }
            );
        }
        if let Some(u) = f.complete.unknown_reason() {
            let _ = writeln!(
                out,
                "  {}: {}",
                tr(lang, "CHƯA QUÉT HẾT", "NOT FULLY SCANNED"),
                u.text(lang)
            );
        }
        let listed: Vec<_> = f
            .files
            .iter()
            .filter(|x| x.distinct_ids >= min_ids)
            .collect();
        if listed.is_empty() {
            let _ = writeln!(
                out,
                "  {} {min_ids} {}",
                tr(lang, "không có tệp nào chứa từ", "no file holds"),
                tr(lang, "số CCCD trở lên", "or more citizen ID numbers")
            );
        }
        for x in listed {
            let _ = writeln!(
                out,
                "  [{} {}] {}  ({}: {})",
                x.distinct_ids,
                tr(lang, "số CCCD", "IDs"),
                x.path,
                tr(lang, "ví dụ", "e.g."),
                x.masked_samples.join(", ")
            );
        }
        if !f.protected_files.is_empty() {
            let _ = writeln!(
                out,
                "  {}: {}",
                tr(
                    lang,
                    "tệp có mật khẩu (tốt)",
                    "password-protected files (good)"
                ),
                f.protected_files.len()
            );
        }
        for u in &f.unreadable_files {
            let _ = writeln!(
                out,
                "  {}: {} ({}{}{})",
                tr(lang, "không đọc được", "unreadable"),
                u.path,
                u.reason,
                if u.detail.is_empty() { "" } else { ": " },
                u.detail
            );
        }
    }
    out
}
