//! `khien report`: reads result documents (files, folders, or a history database),
//! records them in the history store, and writes the compliance-debt report as HTML,
//! XLSX, CSV or JSON, for the province or for one unit (`--unit`).
//!
//! A file that is not a valid result document is named on standard error and in the
//! report, and skipped; the rest of the work goes on. Files are parsed on a second
//! thread while the store writes, through a bounded channel, so memory does not grow
//! with the number of files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use clap::Args;
use jiff::Timestamp;

use super::{BadInput, Cli, load_config, load_policy};
use crate::history::{HistoryStore, PostgresStore, ReportRun, SqliteStore};
use crate::i18n::{Lang, tr};
use crate::output::Output;
use crate::report::compliance::{self, InputsSummary, ReportOptions, SinceSource};
use crate::report::input::{self, InputError};
use crate::report::inventory::Inventory;
use crate::report::period::Period;
use crate::report::{delimited, html, xlsx};

/// Result files parsed together (in parallel) before they go to the store in order.
const READ_BATCH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Html,
    Xlsx,
    Csv,
    Json,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Result documents (`khien ... --format json`): files, folders (every *.json in
    /// them), or a history database written with --db.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Reporting period: a year (2026, the annual report) or a half-year (2026-H1).
    #[arg(long, value_name = "PERIOD")]
    pub period: Period,
    /// Output format.
    #[arg(long, value_enum, default_value = "html")]
    pub format: ReportFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// History database (SQLite file, created if missing, or a PostgreSQL database
    /// as `postgres://user@host/db`, such as `khien serve`'s): the results read are
    /// recorded in it, and the report covers everything it holds.
    #[arg(long, value_name = "FILE|URL")]
    pub db: Option<PathBuf>,
    /// Report for one unit only (its code), worst first with the remediation steps.
    #[arg(long, value_name = "CODE")]
    pub unit: Option<String>,
    /// The Department's register (TOML, as for `khien scan register`): its units'
    /// communes and machine counts are the denominators of coverage.
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
    /// Units' machine counts for units the register does not hold (or without
    /// --register): CSV with columns unit_code,unit_name,commune,computers. A row
    /// overrides the register's entry for the same unit.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// Evaluation date (RFC 3339): ages and deadlines are computed to it. Default: now,
    /// or the end of the period if it is over.
    #[arg(long, value_name = "TIME")]
    pub at: Option<Timestamp>,
    /// Count new, fixed and reopened findings after this time. Default: the newest
    /// scan seen by the last report of the same scope (the province, or this --unit)
    /// published in --db with --publish, else the start of the period.
    #[arg(long, value_name = "TIME")]
    pub since: Option<Timestamp>,
    /// Local configuration for parameter overrides (deadlines per severity).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Record this report in --db as the published one: later reports count new,
    /// fixed and reopened findings since the data it saw. Without it nothing moves,
    /// so an HTML and an XLSX of the same data show the same changes.
    #[arg(long, requires = "db")]
    pub publish: bool,
}

fn history_error(path: &Path, e: impl std::fmt::Display) -> BadInput {
    BadInput::message(format!("{}: {e}", path.display()))
}

pub fn run(cli: &Cli, args: &ReportArgs) -> Result<u8, BadInput> {
    let lang = cli.lang;
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    let params = policy.param_values(&config.params);
    let mut inventory = match &args.register {
        Some(p) => Inventory::from_register(&crate::register::load_file(p)?),
        None => Inventory::default(),
    };
    if let Some(p) = &args.inventory {
        inventory.extend(Inventory::load(p, lang).map_err(BadInput::message)?);
    }
    let at = args
        .at
        .unwrap_or_else(|| Timestamp::now().min(args.period.end()));
    if at < args.period.start() {
        return Err(BadInput::message(format!(
            "--at {at}: {} {}",
            tr(
                lang,
                "trước khi kỳ báo cáo bắt đầu",
                "is before the period starts"
            ),
            args.period
        )));
    }
    if args.format == ReportFormat::Xlsx && args.output.is_none() {
        return Err(BadInput::message(
            tr(
                lang,
                "--format xlsx cần --output TỆP.xlsx",
                "--format xlsx needs --output FILE.xlsx",
            )
            .into(),
        ));
    }

    // The store: --db, else a history database given as an input, else a scratch file.
    let (db_inputs, json_inputs): (Vec<PathBuf>, Vec<PathBuf>) = args
        .inputs
        .iter()
        .cloned()
        .partition(|p| p.is_file() && input::is_sqlite_file(p));
    if db_inputs.len() + usize::from(args.db.is_some()) > 1 {
        return Err(BadInput::message(
            tr(
                lang,
                "chỉ dùng được một cơ sở dữ liệu lịch sử (--db hoặc một tệp đầu vào)",
                "give one history database only (--db or one input file)",
            )
            .into(),
        ));
    }
    let _scratch;
    let (mut db_path, persistent) = match args.db.clone().or_else(|| db_inputs.first().cloned()) {
        Some(p) => (p, true),
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("khien-report-")
                .suffix(".db")
                .tempfile()
                .map_err(|e| BadInput::message(format!("{e}")))?;
            let p = tmp.path().to_path_buf();
            _scratch = tmp;
            (p, false)
        }
    };
    let postgres = db_path
        .to_str()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
        .map(str::to_string);
    let mut store: Box<dyn HistoryStore> = match postgres {
        Some(url) => {
            // Errors name the database without its password.
            db_path = PathBuf::from(crate::history::postgres::redact(&url));
            Box::new(PostgresStore::connect(&url).map_err(|e| history_error(&db_path, e))?)
        }
        None => Box::new(SqliteStore::open(&db_path).map_err(|e| history_error(&db_path, e))?),
    };

    let (files, mut skipped) = input::expand_inputs(&json_inputs, lang);
    let files_total = files.len() as u64;
    let (tx, rx) = mpsc::sync_channel(32);
    let inventory = std::sync::Arc::new(inventory);
    let inv = inventory.clone();
    let reader = std::thread::spawn(move || {
        use rayon::prelude::*;
        let mut errors: Vec<InputError> = Vec::new();
        // Files per unit code the register lacks, to name them in the report.
        let mut unregistered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // Results dated after the report's time and the clock are refused.
        let clock = Timestamp::now().max(at);
        // Parsing is most of the CPU time of a first ingest: files are parsed on every
        // core, a batch at a time, and handed to the store in their order (the order
        // decides which of two results of one target is the newer one applied first).
        // A batch bounds the documents held besides the channel's.
        'batches: for batch in files.chunks(READ_BATCH) {
            let parsed: Vec<Result<input::ResultInput, InputError>> = batch
                .par_iter()
                .map_init(
                    || input::ResultReader::with_clock(clock),
                    |reader, f| reader.read_file(f, lang),
                )
                .collect();
            for (f, doc) in batch.iter().zip(parsed) {
                match doc {
                    Ok(doc) => {
                        for t in &doc.targets {
                            if !inv.is_registered(&t.unit_code) {
                                unregistered
                                    .entry(t.unit_code.clone())
                                    .or_default()
                                    .insert(f.display().to_string());
                            }
                        }
                        if tx.send(doc).is_err() {
                            break 'batches;
                        }
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        (errors, unregistered)
    });
    let ingest = store.ingest(&mut rx.iter());
    // Joined before the ingest result is looked at, so the reader always stops.
    let (read_errors, unregistered_files) = reader.join().unwrap_or_default();
    let ingest = ingest.map_err(|e| history_error(&db_path, e))?;
    let files_read = files_total - read_errors.len() as u64;
    skipped.extend(read_errors);
    let mut stderr = anstream::stderr();
    for s in &skipped {
        let _ = writeln!(stderr, "{}: {s}", tr(lang, "bỏ qua tệp", "skipping file"));
    }

    let since_source;
    let since = match (args.since, persistent) {
        (Some(s), _) => {
            since_source = SinceSource::Option;
            s
        }
        (None, true) => match store
            .last_report(args.unit.as_deref())
            .map_err(|e| history_error(&db_path, e))?
        {
            Some(prev) => {
                since_source = SinceSource::PreviousReport;
                prev.data_until
            }
            None => {
                since_source = SinceSource::PeriodStart;
                args.period.start()
            }
        },
        (None, false) => {
            since_source = SinceSource::PeriodStart;
            args.period.start()
        }
    };
    let opts = ReportOptions {
        period: args.period,
        at,
        since,
        since_source,
        unit: args.unit.clone(),
        due_days: compliance::due_days(&params),
        report_deadlines: compliance::report_deadlines(&params),
        incident_report_hours: compliance::incident_report_hours(&params),
        inventory: std::sync::Arc::unwrap_or_clone(inventory),
        stale_days: compliance::stale_days(&params),
        unregistered_files,
        persistent_history: persistent,
        heading: config.report.clone(),
    };
    let inputs = InputsSummary {
        files_read,
        skipped,
        ingest: Some(ingest),
    };
    let report =
        compliance::build(&*store, &opts, inputs).map_err(|e| history_error(&db_path, e))?;
    if let Some(unit) = &args.unit
        && report.units.iter().all(|u| &u.code != unit)
    {
        let _ = writeln!(
            stderr,
            "{} `{unit}`",
            tr(
                lang,
                "cảnh báo: không có kết quả hay danh mục nào cho đơn vị",
                "warning: no results and no inventory entry for unit"
            )
        );
    }

    // Written as it is rendered: the JSON and CSV of a large province are never held
    // in memory whole.
    // A full disk or `> /dev/full` is an error; a closed pipe (`| head`) is not.
    let mut out = Output::open(args.output.as_deref())?;
    {
        let mut buffered = std::io::BufWriter::new(&mut out);
        write_report(&report, args.format, lang, &mut buffered)
            .and_then(|()| buffered.flush().map_err(|e| e.to_string()))
            .map_err(|e| history_error(args.output.as_deref().unwrap_or(Path::new("-")), e))?;
    }
    out.finish()?;
    if args.publish {
        let data_until = store
            .data_until()
            .map_err(|e| history_error(&db_path, e))?
            .unwrap_or(report.evaluated_at);
        store
            .record_report(&ReportRun {
                generated_at: report.generated_at,
                period: report.period.clone(),
                unit: args.unit.clone(),
                data_until,
            })
            .map_err(|e| history_error(&db_path, e))?;
    }
    let _ = writeln!(
        stderr,
        "{}: {} {}, {} {}; {} {} ({} {}); {} {}, {} {}, {} {}",
        tr(lang, "khien report", "khien report"),
        report.inputs.files_read,
        tr(lang, "tệp đã đọc", "files read"),
        report.inputs.skipped.len(),
        tr(lang, "bỏ qua", "skipped"),
        report.debt_totals.open,
        tr(lang, "nợ tuân thủ đang mở", "open debt items"),
        report.debt_totals.overdue,
        tr(lang, "quá hạn", "overdue"),
        report.changes.new.len(),
        tr(lang, "mới", "new"),
        report.changes.fixed.len(),
        tr(lang, "đã khắc phục", "fixed"),
        report.changes.reopened.len(),
        tr(lang, "tái phát", "reopened"),
    );
    Ok(0)
}

fn write_report(
    report: &compliance::ComplianceReport,
    format: ReportFormat,
    lang: Lang,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    match format {
        ReportFormat::Html => out
            .write_all(html::render(report, lang).as_bytes())
            .map_err(|e| e.to_string()),
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())
        }
        ReportFormat::Csv => delimited::write(report, lang, out).map_err(|e| e.to_string()),
        ReportFormat::Xlsx => {
            let bytes = xlsx::render(report, lang).map_err(|e| e.to_string())?;
            out.write_all(&bytes).map_err(|e| e.to_string())
        }
    }
}
