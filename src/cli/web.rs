//! `khien scan web`: scan many websites at once and stream one target result per
//! site to the output as each site completes, so memory stays flat on long lists.
//!
//! JSON output is written key by key: the header, then each target as it is
//! evaluated, then the summary; to a file it goes through a temporary file renamed
//! at the end, so an interrupted run never leaves a truncated report.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use futures_util::StreamExt;
use jiff::Timestamp;

use super::{BadInput, Cli, EXIT_FAILING, OutputArgs, load_config, load_policy};
use crate::collect::web::target::{self, BadLine, WebTarget};
use crate::collect::web::{CrawlOptions, FetchLimits, Scanner, WebScanOptions, unreachable_reason};
use crate::eval::Evaluator;
use crate::findings::{
    PolicyInfo, RESULT_SCHEMA, ResultDocument, Status, Summary, TargetResult, ToolInfo,
};
use crate::i18n::{Lang, tr};
use crate::pdata::crawl::CrawlLimits;
use crate::report::{self, Format};

#[derive(Args, Debug)]
pub struct WebArgs {
    /// Sites: URLs or host names, or files listing them (one a line, or CSV
    /// `unit code,unit name,URL`).
    #[arg(value_name = "TARGETS", required_unless_present = "register")]
    pub targets: Vec<String>,
    /// Scan every URL of the Department's register (and link each site to its unit
    /// and system; a site of no registered system, or an operating system whose URL
    /// does not answer, is a finding).
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
    /// Scan HOST at address IP instead of looking it up (repeatable), as curl's --resolve.
    #[arg(long, value_name = "HOST:IP")]
    pub resolve: Vec<String>,
    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Sites scanned at the same time.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub concurrency: usize,
    /// Connections open at once to one IP address (many sites share a server).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub per_ip: usize,
    /// New connections per second to one IP address (0: no limit).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub per_ip_rate: u32,
    /// Seconds for one request or handshake.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub timeout: u64,
    /// Seconds for a whole site; checks still running then are unknown (timeout).
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub site_timeout: u64,
    /// Also crawl each site (same host only) for citizen ID numbers in its pages and
    /// linked documents (rule W11). Many requests per site: depth, URL count, pause
    /// and time budget come from the policy's pdata_crawl_* parameters, and the crawl
    /// has its own time budget besides --site-timeout. Without it W11 is unknown.
    #[arg(long)]
    pub crawl_personal_data: bool,
    /// Sites crawled for personal data at the same time (each may hold one document
    /// of up to pdata_crawl_max_document_mb in memory).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub crawl_concurrency: usize,
    /// Local configuration for parameter overrides.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Splits the positional arguments into targets and unreadable lines.
fn gather_targets(args: &[String], lang: Lang) -> (Vec<WebTarget>, Vec<BadLine>) {
    let mut targets = Vec::new();
    let mut bad = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        let (t, b) = if !arg.contains("://") && path.is_file() {
            target::read_target_file(path, lang)
        } else if !arg.contains("://") && (arg.ends_with(".txt") || arg.ends_with(".csv")) {
            (
                Vec::new(),
                vec![BadLine {
                    origin: arg.clone(),
                    message: tr(
                        lang,
                        "không tìm thấy tệp danh sách",
                        "target list file not found",
                    )
                    .into(),
                }],
            )
        } else {
            match target::parse_site(arg) {
                Ok(url) => (
                    vec![WebTarget {
                        url,
                        unit: None,
                        system_id: None,
                        origin: arg.clone(),
                    }],
                    Vec::new(),
                ),
                Err(message) => (
                    Vec::new(),
                    vec![BadLine {
                        origin: arg.clone(),
                        message,
                    }],
                ),
            }
        };
        targets.extend(t);
        bad.extend(b);
    }
    (targets, bad)
}

fn parse_resolve(items: &[String], lang: Lang) -> Result<HashMap<String, IpAddr>, BadInput> {
    let mut map = HashMap::new();
    for item in items {
        // HOST:IP, where IP may be an IPv6 address in brackets or bare.
        let parsed = item.split_once(':').and_then(|(host, ip)| {
            let ip = ip.trim_start_matches('[').trim_end_matches(']');
            Some((host.to_ascii_lowercase(), ip.parse::<IpAddr>().ok()?))
        });
        match parsed {
            Some((host, ip)) if !host.is_empty() => {
                map.insert(host, ip);
            }
            _ => {
                return Err(BadInput(format!(
                    "--resolve {item}: {}",
                    tr(
                        lang,
                        "cần dạng TÊN_MÁY:ĐỊA_CHỈ_IP, ví dụ truong.edu.vn:203.0.113.5",
                        "expected HOST:IP, e.g. school.edu.vn:203.0.113.5"
                    )
                )));
            }
        }
    }
    Ok(map)
}

/// Where results stream: standard output, or a file that appears whole at the end
/// (never half-written, see [`report::AtomicFile`]).
enum Sink {
    Stdout(anstream::AutoStream<std::io::Stdout>),
    File(report::AtomicFile),
}

impl Sink {
    fn open(dest: Option<&Path>) -> std::io::Result<Sink> {
        Ok(match dest {
            None => Sink::Stdout(anstream::stdout()),
            Some(dest) => Sink::File(report::AtomicFile::create(dest)?),
        })
    }

    fn write(&mut self, s: &str) -> std::io::Result<()> {
        match self {
            Sink::Stdout(out) => out.write_all(s.as_bytes()),
            // Files never carry terminal colours.
            Sink::File(file) => {
                file.write_all(anstream::adapter::strip_str(s).to_string().as_bytes())
            }
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(mut out) => out.flush(),
            Sink::File(file) => file.commit(),
        }
    }
}

fn add_to_summary(summary: &mut Summary, result: &TargetResult) {
    let one = Summary::of(std::slice::from_ref(result));
    summary.targets += one.targets;
    summary.findings += one.findings;
    for (k, v) in one.by_status {
        *summary.by_status.entry(k).or_default() += v;
    }
    for (k, v) in one.failing_by_severity {
        *summary.failing_by_severity.entry(k).or_default() += v;
    }
    summary.worst_failing = summary.worst_failing.max(one.worst_failing);
}

pub(super) fn scan_web(cli: &Cli, args: &WebArgs) -> Result<u8, BadInput> {
    let lang = cli.lang;
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    let resolve = parse_resolve(&args.resolve, lang)?;
    let extra_ca_pem = match &args.ca_file {
        Some(p) => Some(
            std::fs::read(p).map_err(|e| BadInput(format!("--ca-file {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let register = match &args.register {
        Some(path) => Some(crate::register::load_file(path, lang).map_err(BadInput::from)?),
        None => None,
    };
    let waivers = match &args.out.waivers {
        Some(path) => Some(crate::waiver::load_file(path, Some(&policy), lang)?),
        None => None,
    };
    let (mut targets, bad_lines) = gather_targets(&args.targets, lang);
    if let Some(register) = &register {
        for t in crate::register::web::web_targets(register) {
            match target::parse_site(&t.url) {
                Ok(url) => targets.push(WebTarget {
                    url,
                    unit: Some(t.unit.clone()),
                    system_id: Some(t.system.clone()),
                    origin: t.url.clone(),
                }),
                // The register loader already rejects malformed URLs.
                Err(message) => {
                    let _ = writeln!(anstream::stderr(), "{}: {message}", t.url);
                }
            }
        }
    }
    let mut err = anstream::stderr();
    for b in &bad_lines {
        let _ = writeln!(
            err,
            "{}: {} ({})",
            b.origin,
            b.message,
            tr(lang, "bỏ qua dòng này", "line skipped")
        );
    }
    if targets.is_empty() {
        return Err(BadInput(
            tr(
                lang,
                "không có trang web nào để rà soát",
                "no website to scan",
            )
            .into(),
        ));
    }
    let options = WebScanOptions {
        resolve,
        extra_ca_pem,
        per_ip_connections: args.per_ip,
        per_ip_rate: args.per_ip_rate,
        fetch: FetchLimits {
            request_timeout: Duration::from_secs(args.timeout.max(1)),
            connect_timeout: Duration::from_secs(args.timeout.clamp(1, 5)),
            ..FetchLimits::default()
        },
        site_timeout: Duration::from_secs(args.site_timeout.max(1)),
        crawl: args.crawl_personal_data.then(|| CrawlOptions {
            limits: CrawlLimits::from_params(&policy.param_values(&config.params)),
            concurrent: args.crawl_concurrency.max(1),
            current_year: crate::pdata::current_year(),
        }),
    };
    let scanner = Scanner::new(options).map_err(|e| {
        BadInput(format!(
            "--ca-file {}: {e}",
            args.ca_file.as_deref().unwrap_or(Path::new("")).display()
        ))
    })?;

    let params = policy.param_values(&config.params);
    let started = Timestamp::now();
    let header = ResultDocument {
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
        unit: config.unit.clone(),
        generated_at: started,
        evaluated_at: started,
        params: params.clone(),
        targets: Vec::new(),
        summary: Summary::default(),
    };

    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(targets.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut sink = Sink::open(args.out.output.as_deref()).map_err(|e| {
        BadInput(format!(
            "{}: {e}",
            args.out
                .output
                .as_deref()
                .unwrap_or(Path::new("-"))
                .display()
        ))
    })?;
    let io_err = |e: std::io::Error| {
        BadInput(format!(
            "{}: {e}",
            args.out
                .output
                .as_deref()
                .unwrap_or(Path::new("-"))
                .display()
        ))
    };

    let json = args.out.format == Format::Json;
    if json {
        // Everything but `targets` and `summary`, whose values come as sites complete.
        let mut head = serde_json::to_value(&header).expect("result documents serialize");
        let obj = head.as_object_mut().expect("an object");
        obj.remove("targets");
        obj.remove("summary");
        let text = serde_json::to_string(&head).expect("serializes");
        sink.write(&text[..text.len() - 1]).map_err(io_err)?;
        sink.write(",\"targets\":[\n").map_err(io_err)?;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BadInput(format!("tokio: {e}")))?;
    let mut summary = Summary::default();
    let mut failing = false;
    let mut unreachable: Vec<(String, String)> = Vec::new();
    let mut kept: Vec<TargetResult> = Vec::new();
    let mut scanned_sites: Vec<crate::register::web::ScannedSite> = Vec::new();
    // Connections opened and requests sent, over all sites (politeness is about these).
    let mut cost = (0u64, 0u64);
    let mut first = true;
    let fail_on = args.out.fail_on;
    // Counts one site's result and streams it (JSON) or keeps it (text report).
    let mut deliver = |result: TargetResult| -> Result<(), BadInput> {
        failing |= result
            .findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity >= fail_on);
        add_to_summary(&mut summary, &result);
        if json {
            let mut text = String::new();
            if !first {
                text.push_str(",\n");
            }
            first = false;
            text.push_str(&serde_json::to_string(&result).expect("serializes"));
            sink.write(&text).map_err(io_err)
        } else {
            kept.push(result);
            Ok(())
        }
    };

    let outcome: Result<(), BadInput> = runtime.block_on(async {
        let scanner = &scanner;
        let mut results = futures_util::stream::iter(targets.iter())
            .map(|t| async move {
                let collected_at = Timestamp::now();
                let facts = scanner.scan(t).await;
                (t, collected_at, facts)
            })
            .buffer_unordered(args.concurrency.max(1));
        while let Some((t, collected_at, facts)) = results.next().await {
            if let Some(why) = unreachable_reason(&facts) {
                unreachable.push((t.url.to_string(), why.text(lang)));
            }
            scanned_sites.push(crate::register::web::ScannedSite {
                url: t.origin.clone(),
                answered: unreachable_reason(&facts).is_none(),
            });
            cost.0 += facts.site.connections;
            cost.1 += facts.site.requests;
            let facts = serde_json::to_value(&facts).expect("web facts serialize");
            let result = Evaluator::new(&policy, params.clone(), collected_at).evaluate(
                &Scanner::identity(t),
                collected_at,
                &facts,
            );
            deliver(with_waivers(
                waivers.as_ref(),
                &header,
                result,
                collected_at,
            ))?;
            progress.inc(1);
        }
        Ok(())
    });
    progress.finish_and_clear();
    outcome?;

    // The register's side of the link: sites of no registered system, and operating
    // systems whose URL did not answer.
    if let Some(register) = &register {
        let now = Timestamp::now();
        for result in crate::register::web::link_findings(
            &policy,
            params.clone(),
            register,
            &scanned_sites,
            now,
        ) {
            deliver(with_waivers(waivers.as_ref(), &header, result, now))?;
        }
    }

    if json {
        let s = serde_json::to_string(&summary).expect("serializes");
        sink.write(&format!("\n],\"summary\":{s}}}\n"))
            .map_err(io_err)?;
    } else {
        // The text report groups findings by severity across sites, so it needs
        // them all; use --format json for very long lists.
        let doc = ResultDocument {
            summary: Summary::of(&kept),
            targets: kept,
            ..header
        };
        sink.write(&report::text::render(&doc, lang))
            .map_err(io_err)?;
    }
    sink.finish().map_err(io_err)?;

    print_run_summary(lang, targets.len(), &unreachable, &bad_lines, cost);
    if !bad_lines.is_empty() {
        return Ok(super::EXIT_BAD_INPUT);
    }
    Ok(if failing { EXIT_FAILING } else { 0 })
}

/// Applies `--waivers` to one site's findings as it completes (results stream, so the
/// whole document is never in memory).
fn with_waivers(
    waivers: Option<&crate::waiver::WaiverSet>,
    header: &ResultDocument,
    result: TargetResult,
    at: Timestamp,
) -> TargetResult {
    let Some(set) = waivers else {
        return result;
    };
    let mut one = ResultDocument {
        targets: vec![result],
        ..header.clone()
    };
    set.apply(&mut one, at);
    one.targets.pop().expect("one target in, one out")
}

/// What could not be scanned and why, on stderr, after the report.
fn print_run_summary(
    lang: Lang,
    total: usize,
    unreachable: &[(String, String)],
    bad: &[BadLine],
    (connections, requests): (u64, u64),
) {
    let mut err = anstream::stderr();
    let _ = writeln!(
        err,
        "{}: {total}; {}: {}; {}: {}",
        tr(lang, "Số trang web đã rà soát", "Websites scanned"),
        tr(lang, "không kết nối được", "unreachable"),
        unreachable.len(),
        tr(lang, "dòng bị bỏ qua", "lines skipped"),
        bad.len()
    );
    let per_site = |n: u64| n as f64 / total.max(1) as f64;
    let (c, r) = (per_site(connections), per_site(requests));
    let _ = match lang {
        Lang::Vi => writeln!(
            err,
            "Kết nối TCP: {connections} ({c:.1}/trang); yêu cầu HTTP: {requests} ({r:.1}/trang)"
        ),
        Lang::En => writeln!(
            err,
            "TCP connections: {connections} ({c:.1}/site); HTTP requests: {requests} ({r:.1}/site)"
        ),
    };
    for (site, why) in unreachable.iter().take(50) {
        let _ = writeln!(err, "  {site}: {}", report::text::sanitize(why));
    }
    if unreachable.len() > 50 {
        let _ = writeln!(
            err,
            "  … {} {}",
            unreachable.len() - 50,
            tr(lang, "trang khác (xem báo cáo)", "more (see the report)")
        );
    }
}
