//! The command line: parsing (clap) and the commands. Exit codes: 0 when no finding
//! fails at or above `--fail-on`, 1 when one does, 2 for bad input or usage.

pub mod args;
mod init;
mod mail;
mod pdata;
mod register;

// `report` is taken by `crate::report` in this module's imports.
#[path = "report.rs"]
mod report_cmd;
mod rules;
mod waivers;
pub mod windows;

mod web;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;

use crate::collect::host;
use crate::config::{self, LocalConfig};
use crate::engine::{self, Engine, ResultWriter};
use crate::facts::{FACTS_SCHEMA, FactDocument};
use crate::findings::ResultDocument;
use crate::i18n::{Lang, tr};
use crate::output::{self, OutputError};
use crate::policy::{self, Diagnostics, Policy, Severity};
use crate::report::Format;
use crate::settings::Settings;

/// Exit code when a finding fails at or above `--fail-on`.
pub const EXIT_FAILING: u8 = 1;
/// Exit code for bad input (policy, configuration, facts) or usage.
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "khien",
    version,
    // English; the Vietnamese texts of the command line are in `args::VI`.
    about = "khien (khiên): information-security compliance scanner for schools",
    long_about = None
)]
pub struct Cli {
    /// Language of messages and reports: vi (default) or en.
    #[arg(long, global = true, env = "KHIEN_LANG", default_value = "vi")]
    pub lang: Lang,
    /// How errors in input files are shown: for people (with the quoted line) or as
    /// JSON on standard error, for tools.
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub message_format: MessageFormat,
    /// Policy files or folders to use instead of the embedded default policy.
    #[arg(long, global = true, value_name = "PATH")]
    pub policy: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a target and evaluate the policy.
    #[command(subcommand)]
    Scan(ScanCommand),
    /// Evaluate a saved fact document (from `scan ... --facts-out`).
    Eval(EvalArgs),
    /// List, show and check rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Check waivers; read results with or without them.
    #[command(subcommand)]
    Waivers(waivers::WaiversCommand),
    /// Look for citizen ID numbers (personal data) in folders.
    #[command(subcommand)]
    Pdata(pdata::PdataCommand),

    /// Compliance-debt report from result documents (HTML, XLSX, CSV, JSON).
    Report(report_cmd::ReportArgs),
    /// Internal: parses one document from standard input in a confined child process
    /// (started by khien itself, see `pdata::isolate`).
    #[command(name = "__extract", hide = true)]
    Extract(crate::pdata::isolate::ExtractArgs),
    /// Write the unit's khien.toml (unit code checked against the register).
    Init(init::InitArgs),
    /// Central collection server of the Department (see docs/serve.md).
    Serve(crate::serve::command::ServeArgs),
}

#[derive(Subcommand, Debug)]
pub enum ScanCommand {
    /// Scan this machine.
    Host(HostArgs),
    /// Check the Department's register of units and information systems.
    Register(register::RegisterArgs),

    /// Scan websites over the network (TLS, redirects, headers, exposed files, CMS).
    Web(web::WebArgs),
    /// Check mail domains (MX, SPF, DMARC, DKIM, STARTTLS; EHLO/STARTTLS/QUIT only).
    Mail(mail::MailArgs),
}

#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the result to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with 1 when a finding fails at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "info")]
    pub fail_on: Severity,
    /// Waivers file: failing findings it accepts are shown as waived, never hidden.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct HostArgs {
    /// Local configuration (unit, backups, parameter overrides). Default: khien.toml
    /// in the current folder, then beside the executable.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also save the collected facts to FILE (for `khien eval`).
    #[arg(long, value_name = "FILE")]
    pub facts_out: Option<PathBuf>,
    /// Windows: also save what was read (WMI rows, registry values) to FILE, in the
    /// shape of the test fixtures; it names the machine's accounts, so look before
    /// you share it.
    #[arg(long, value_name = "FILE")]
    pub raw_out: Option<PathBuf>,
    /// Send the result to the Department's server ([send] in khien.toml); when it
    /// cannot be reached the result waits in the outbox and goes at the next run.
    #[arg(long)]
    pub send: bool,
    /// Outbox folder for --send (default: [send] outbox, else khien-outbox beside
    /// the executable).
    #[arg(long, value_name = "DIR", requires = "send")]
    pub outbox: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Fact document to evaluate.
    #[arg(long, value_name = "FILE")]
    pub facts: PathBuf,
    /// Local configuration for parameter overrides.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Evaluation time (RFC 3339); default: when the facts were collected.
    #[arg(long, value_name = "TIME")]
    pub at: Option<Timestamp>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// An error that ends the command with exit code 2: a message, or the diagnostics
/// of input files, rendered in the user's language (or as JSON) at the end.
pub enum BadInput {
    Message(String),
    Diagnostics(Diagnostics),
}

impl BadInput {
    pub fn message(text: String) -> Self {
        BadInput::Message(text)
    }

    /// The error as text for people, in `lang`.
    pub fn render(self, lang: Lang) -> String {
        match self {
            BadInput::Diagnostics(d) => d.render(lang),
            BadInput::Message(m) => m,
        }
    }
}

impl From<Diagnostics> for BadInput {
    fn from(d: Diagnostics) -> Self {
        BadInput::Diagnostics(d)
    }
}

/// Runs the CLI and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let lang = cli.lang;
    let result = match &cli.command {
        Command::Scan(ScanCommand::Host(args)) => scan_host(&cli, args),
        Command::Scan(ScanCommand::Web(args)) => web::scan_web(&cli, args),
        Command::Scan(ScanCommand::Mail(args)) => mail::scan_mail(&cli, args),
        Command::Eval(args) => eval(&cli, args),
        Command::Rules(cmd) => rules::run(&cli, cmd),
        Command::Scan(ScanCommand::Register(args)) => register::scan(&cli, args),
        Command::Waivers(cmd) => waivers::run(&cli, cmd),
        Command::Pdata(cmd) => pdata::run(&cli, cmd),

        Command::Report(args) => report_cmd::run(&cli, args),
        Command::Extract(args) => Ok(crate::pdata::isolate::child_main(args)),
        Command::Init(args) => init::run(&cli, args),
        Command::Serve(args) => crate::serve::command::run(&cli, args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(bad) => {
            let mut err = anstream::stderr();
            if cli.message_format == MessageFormat::Json {
                let json = match &bad {
                    BadInput::Diagnostics(d) => d.to_json(lang),
                    BadInput::Message(m) => serde_json::json!({
                        "diagnostics": [{ "code": null, "level": "error", "message": m }]
                    }),
                };
                let _ = writeln!(err, "{json}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            let msg = bad.render(lang);
            let _ = write!(err, "{msg}");
            if !msg.ends_with('\n') {
                let _ = writeln!(err);
            }
            let _ = writeln!(
                err,
                "{}",
                tr(
                    lang,
                    "khien dừng: dữ liệu đầu vào không hợp lệ (mã thoát 2).",
                    "khien stopped: invalid input (exit code 2)."
                )
            );
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

pub(crate) fn load_policy(cli: &Cli) -> Result<Policy, BadInput> {
    if cli.policy.is_empty() {
        policy::load_sources(policy::embedded_sources(), "embedded").map_err(BadInput::from)
    } else {
        policy::load_paths(&cli.policy).map_err(BadInput::from)
    }
}

/// `--config FILE`, else `khien.toml` in the working folder, else beside the executable.
fn find_config(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let cwd = PathBuf::from(config::DEFAULT_FILE_NAME);
    if cwd.is_file() {
        return Some(cwd);
    }
    let beside = std::env::current_exe()
        .ok()?
        .parent()?
        .join(config::DEFAULT_FILE_NAME);
    beside.is_file().then_some(beside)
}

pub(crate) fn load_config(
    explicit: Option<&Path>,
    policy: &Policy,
) -> Result<LocalConfig, BadInput> {
    match find_config(explicit) {
        Some(path) => LocalConfig::load(&path, policy).map_err(BadInput::from),
        None => Ok(LocalConfig::default()),
    }
}

fn scan_host(cli: &Cli, args: &HostArgs) -> Result<u8, BadInput> {
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    if args.raw_out.is_some() && !cfg!(windows) {
        return Err(BadInput::message(
            tr(
                cli.lang,
                "--raw-out chỉ dùng trên Windows (trên Linux, dữ kiện được đọc từ các tệp trong /etc, /proc, /var).",
                "--raw-out is for Windows only (on Linux the facts are read from files under /etc, /proc and /var).",
            )
            .to_string(),
        ));
    }
    let settings = Settings::new(&policy, &config);
    let doc = engine::collect_host(&settings, &config);
    if let Some(path) = &args.facts_out {
        output::write_json(path, &doc).map_err(BadInput::from)?;
    }
    if let (Some(path), Some(raw)) = (&args.raw_out, host::platform::raw_readings()) {
        output::write_json(path, &raw).map_err(BadInput::from)?;
    }
    let waivers = load_waivers(&args.out, Some(&policy))?;
    let result = Engine::new(&policy, &config)
        .with_waivers(waivers.as_ref())
        .evaluate(&[doc], None);
    let unit = result.unit.clone();
    let sent = args.send.then(|| result.clone());
    let code = emit(cli.lang, &args.out, result)?;
    if let Some(result) = sent {
        let (text, _) =
            crate::send::send_result(&config, args.outbox.as_deref(), None, &result, cli.lang)
                .map_err(BadInput::message)?;
        let _ = write!(anstream::stderr(), "{text}");
    } else if args.out.output.is_none() && matches!(args.out.format, Format::Text) {
        // A report on the screen only: say how to make the Department's file.
        eprint!(
            "{}",
            crate::report::text::scan_host_footer(unit.as_ref(), cli.lang)
        );
    }
    Ok(code)
}

fn eval(cli: &Cli, args: &EvalArgs) -> Result<u8, BadInput> {
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    let doc = read_fact_document(&args.facts, cli.lang)?;
    let waivers = load_waivers(&args.out, Some(&policy))?;
    let result = Engine::new(&policy, &config)
        .with_waivers(waivers.as_ref())
        .evaluate(&[doc], args.at);
    emit(cli.lang, &args.out, result)
}

/// Reads and checks a fact document; errors name the file and the position.
pub fn read_fact_document(path: &Path, lang: Lang) -> Result<FactDocument, BadInput> {
    let text = crate::io::read_bounded_text(path, crate::io::MAX_FACTS_BYTES)
        .map_err(|e| BadInput::message(format!("{}: {e}", path.display())))?;
    let doc: FactDocument = serde_json::from_str(&text).map_err(|e| {
        BadInput::message(format!(
            "{}:{}:{}: {} {e}\n{}",
            path.display(),
            e.line(),
            e.column(),
            tr(
                lang,
                "không phải tài liệu dữ kiện hợp lệ:",
                "not a valid fact document:"
            ),
            tr(
                lang,
                "hãy dùng tệp do `khien scan ... --facts-out` tạo ra",
                "use a file written by `khien scan ... --facts-out`"
            ),
        ))
    })?;
    if doc.schema != FACTS_SCHEMA {
        return Err(BadInput::message(format!(
            "{}: {} `{}` ({} `{FACTS_SCHEMA}`)",
            path.display(),
            tr(
                lang,
                "phiên bản tài liệu dữ kiện không được hỗ trợ",
                "unsupported fact document version"
            ),
            doc.schema,
            tr(lang, "cần", "expected"),
        )));
    }
    doc.target.kind.check_facts(&doc.facts).map_err(|e| {
        BadInput::message(format!(
            "{}: {} {e}",
            path.display(),
            tr(
                lang,
                "dữ kiện không đúng cấu trúc:",
                "facts do not have the expected shape:"
            )
        ))
    })?;
    Ok(doc)
}

/// `--waivers FILE`, checked against `policy` when given (a waiver naming a rule
/// the policy lacks is an error).
fn load_waivers(
    out: &OutputArgs,
    policy: Option<&Policy>,
) -> Result<Option<crate::waiver::WaiverSet>, BadInput> {
    out.waivers
        .as_deref()
        .map(|path| crate::waiver::load_file(path, policy).map_err(BadInput::from))
        .transpose()
}

/// Writes a result document as `--format` and `-o` say; the exit code follows
/// `--fail-on`. Waivers, if any, were applied by the engine.
fn emit(lang: Lang, out: &OutputArgs, doc: ResultDocument) -> Result<u8, BadInput> {
    let outcome =
        ResultWriter::write_document(out.output.as_deref(), out.format, lang, doc, out.fail_on)?;
    Ok(if outcome.failing { EXIT_FAILING } else { 0 })
}

impl From<OutputError> for BadInput {
    fn from(e: OutputError) -> Self {
        BadInput::message(e.to_string())
    }
}
