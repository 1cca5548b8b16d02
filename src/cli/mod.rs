//! The command line: parsing (clap) and the commands. Exit codes: 0 when no finding
//! fails at or above `--fail-on`, 1 when one does, 2 for bad input or usage.

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

use crate::collect::host::{self, HostScanOptions};
use crate::config::{self, LocalConfig};
use crate::eval::Evaluator;
use crate::facts::{FACTS_SCHEMA, FactDocument};
use crate::findings::{
    PolicyInfo, RESULT_SCHEMA, ResultDocument, Status, Summary, TargetResult, ToolInfo,
};
use crate::i18n::{Lang, tr};
use crate::policy::{self, Diagnostics, Policy, Severity};
use crate::report::{self, Format};

/// Exit code when a finding fails at or above `--fail-on`.
pub const EXIT_FAILING: u8 = 1;
/// Exit code for bad input (policy, configuration, facts) or usage.
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "khien",
    version,
    about = "khien (khiên): rà soát tuân thủ an toàn thông tin cho các trường học — information-security compliance scanner",
    long_about = None
)]
pub struct Cli {
    /// Language of messages and reports: vi (default) or en.
    #[arg(long, global = true, env = "KHIEN_LANG", default_value = "vi")]
    pub lang: Lang,
    /// Policy files or folders to use instead of the embedded default policy.
    #[arg(long, global = true, value_name = "PATH")]
    pub policy: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
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

/// An error that ends the command with exit code 2.
pub struct BadInput(pub String);

impl From<Diagnostics> for BadInput {
    fn from(d: Diagnostics) -> Self {
        BadInput(d.render())
    }
}

/// Runs the CLI and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let lang = cli.lang;
    let result = match &cli.command {
        Command::Scan(ScanCommand::Host(args)) => scan_host(&cli, args),
        Command::Scan(ScanCommand::Web(args)) => web::scan_web(&cli, args),
        Command::Eval(args) => eval(&cli, args),
        Command::Rules(cmd) => rules::run(&cli, cmd),
        Command::Scan(ScanCommand::Register(args)) => register::scan(&cli, args),
        Command::Waivers(cmd) => waivers::run(&cli, cmd),
        Command::Pdata(cmd) => pdata::run(&cli, cmd),

        Command::Report(args) => report_cmd::run(&cli, args),
        Command::Serve(args) => crate::serve::command::run(&cli, args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(BadInput(msg)) => {
            let mut err = anstream::stderr();
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

fn default_backup_age(policy: &Policy, config: &LocalConfig) -> f64 {
    match policy
        .param_values(&config.params)
        .get("default_backup_max_age_days")
    {
        Some(policy::ParamValue::Float(f)) => *f,
        Some(policy::ParamValue::Integer(i)) => *i as f64,
        _ => 7.0,
    }
}

/// `wmi_query_timeout_seconds`: how long one WMI/COM query may take on Windows.
/// Values below one second are raised to one second.
fn query_timeout(policy: &Policy, config: &LocalConfig) -> std::time::Duration {
    let secs = match policy
        .param_values(&config.params)
        .get("wmi_query_timeout_seconds")
    {
        Some(policy::ParamValue::Float(f)) => *f,
        Some(policy::ParamValue::Integer(i)) => *i as f64,
        _ => host::platform::bounded::DEFAULT_TIMEOUT.as_secs_f64(),
    };
    std::time::Duration::from_secs_f64(if secs.is_finite() {
        secs.clamp(1.0, 3600.0)
    } else {
        20.0
    })
}

/// Collects this machine's facts into a fact document.
pub(crate) fn collect_host_document(policy: &Policy, config: &LocalConfig) -> FactDocument {
    let opts = HostScanOptions {
        config,
        default_backup_max_age_days: default_backup_age(policy, config),
        query_timeout: query_timeout(policy, config),
    };
    let collected_at = Timestamp::now();
    let (target, facts) = host::collect(&opts);
    let facts = serde_json::to_value(&facts).expect("host facts serialize");
    FactDocument::new(target, collected_at, facts)
}

fn scan_host(cli: &Cli, args: &HostArgs) -> Result<u8, BadInput> {
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    if args.raw_out.is_some() && !cfg!(windows) {
        return Err(BadInput(
            tr(
                cli.lang,
                "--raw-out chỉ dùng trên Windows (trên Linux, dữ kiện được đọc từ các tệp trong /etc, /proc, /var).",
                "--raw-out is for Windows only (on Linux the facts are read from files under /etc, /proc and /var).",
            )
            .to_string(),
        ));
    }
    let doc = collect_host_document(&policy, &config);
    if let Some(path) = &args.facts_out {
        write_json(path, &doc)?;
    }
    if let (Some(path), Some(raw)) = (&args.raw_out, host::platform::raw_readings()) {
        write_json(path, &raw)?;
    }
    let result = evaluate(&policy, &config, &[doc], None);
    let code = emit_with(cli.lang, &args.out, &result, Some(&policy))?;
    if args.send {
        let (text, _) =
            crate::send::send_result(&config, args.outbox.as_deref(), None, &result, cli.lang)
                .map_err(BadInput)?;
        let _ = write!(anstream::stderr(), "{text}");
    }
    Ok(code)
}

/// Writes `value` as pretty JSON to `path`, whole or not at all.
fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), BadInput> {
    let json = serde_json::to_string_pretty(value).expect("khien's documents serialize") + "\n";
    report::write_atomically(path, json.as_bytes())
        .map_err(|e| BadInput(format!("{}: {e}", path.display())))
}

fn eval(cli: &Cli, args: &EvalArgs) -> Result<u8, BadInput> {
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    let doc = read_fact_document(&args.facts, cli.lang)?;
    let result = evaluate(&policy, &config, &[doc], args.at);
    emit_with(cli.lang, &args.out, &result, Some(&policy))
}

/// Reads and checks a fact document; errors name the file and the position.
pub fn read_fact_document(path: &Path, lang: Lang) -> Result<FactDocument, BadInput> {
    let text =
        std::fs::read_to_string(path).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
    let doc: FactDocument = serde_json::from_str(&text).map_err(|e| {
        BadInput(format!(
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
        return Err(BadInput(format!(
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
        BadInput(format!(
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

/// Evaluates fact documents into a result document. `at` overrides the evaluation
/// time, which is otherwise each document's collection time.
pub fn evaluate(
    policy: &Policy,
    config: &LocalConfig,
    docs: &[FactDocument],
    at: Option<Timestamp>,
) -> ResultDocument {
    let params = policy.param_values(&config.params);
    let targets: Vec<TargetResult> = docs
        .iter()
        .map(|doc| {
            let now = at.unwrap_or(doc.collected_at);
            Evaluator::new(policy, params.clone(), now).evaluate(
                &doc.target,
                doc.collected_at,
                &doc.facts,
            )
        })
        .collect();
    // Without --at each target is judged as of its own collection; the document
    // states the latest of those times.
    let evaluated_at = at
        .or_else(|| docs.iter().map(|d| d.collected_at).max())
        .unwrap_or_else(Timestamp::now);
    let unit = config
        .unit
        .clone()
        .or_else(|| docs.iter().find_map(|d| d.target.unit.clone()));
    ResultDocument {
        schema: RESULT_SCHEMA.to_string(),
        tool: ToolInfo {
            name: "khien".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        policy: PolicyInfo {
            id: policy.header.id.clone(),
            version: policy.header.version.clone(),
            origin: policy.origin.clone(),
        },
        unit,
        generated_at: Timestamp::now(),
        evaluated_at,
        params,
        summary: Summary::of(&targets),
        targets,
    }
}

fn emit(lang: Lang, out: &OutputArgs, doc: &ResultDocument) -> Result<u8, BadInput> {
    emit_with(lang, out, doc, None)
}

/// Like [`emit`], applying `--waivers` first (checked against `policy` when given:
/// a waiver naming a rule the policy lacks is an error). Waivers are judged at the
/// document's evaluation time.
fn emit_with(
    lang: Lang,
    out: &OutputArgs,
    doc: &ResultDocument,
    policy: Option<&Policy>,
) -> Result<u8, BadInput> {
    let waived;
    let doc = match &out.waivers {
        Some(path) => {
            let set = crate::waiver::load_file(path, policy, lang)?;
            let mut copy = doc.clone();
            set.apply(&mut copy, doc.evaluated_at);
            waived = copy;
            &waived
        }
        None => doc,
    };
    let text = match out.format {
        Format::Json => report::to_json(doc),
        Format::Text => report::text::render(doc, lang),
    };
    match &out.output {
        Some(path) => {
            // Files never carry terminal colours.
            let plain = anstream::adapter::strip_str(&text).to_string();
            report::write_atomically(path, plain.as_bytes())
                .map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
        }
        None => {
            let mut stdout = anstream::stdout();
            let _ = stdout.write_all(text.as_bytes());
        }
    }
    let failing = doc
        .targets
        .iter()
        .flat_map(|t| &t.findings)
        .any(|f| f.status == Status::Fail && f.severity >= out.fail_on);
    Ok(if failing { EXIT_FAILING } else { 0 })
}
