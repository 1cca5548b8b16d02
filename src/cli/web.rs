//! `khien scan web`: scan many websites at once and stream one target result per
//! site to the output as each site completes, so memory stays flat on long lists.
//!
//! Results go through the engine's [`ResultWriter`]: JSON is written key by key (the
//! header, each target as it is evaluated, the summary); to a file it goes through
//! a temporary file renamed at the end, so an interrupted run never leaves a
//! truncated report.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use futures_util::StreamExt;
use jiff::Timestamp;

use super::{BadInput, Cli, EXIT_FAILING, OutputArgs, load_config, load_policy, load_waivers};
use crate::collect::web::target::{self, BadLine, WebTarget};
use crate::collect::web::{CrawlOptions, FetchLimits, Scanner, WebScanOptions, unreachable_reason};
use crate::engine::{Engine, ResultWriter};
use crate::facts::FactDocument;
use crate::i18n::{Lang, tr};
use crate::report;
use crate::settings::Settings;

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
    /// and time budget come from the [crawl] section of khien.toml, and the crawl
    /// has its own time budget besides --site-timeout. Without it W11 is unknown.
    #[arg(long)]
    pub crawl_personal_data: bool,
    /// Sites crawled for personal data at the same time (each may hold one document
    /// of up to [crawl] max_document_mb in memory).
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
                return Err(BadInput::message(format!(
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

pub(super) fn scan_web(cli: &Cli, args: &WebArgs) -> Result<u8, BadInput> {
    let lang = cli.lang;
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    let resolve = parse_resolve(&args.resolve, lang)?;
    let extra_ca_pem = match &args.ca_file {
        Some(p) => Some(
            crate::io::read_bounded_bytes(p, crate::io::MAX_PEM_BYTES)
                .map_err(|e| BadInput::message(format!("--ca-file {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let register = match &args.register {
        Some(path) => Some(crate::register::load_file(path).map_err(BadInput::from)?),
        None => None,
    };
    let waivers = load_waivers(&args.out, Some(&policy))?;
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
        return Err(BadInput::message(
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
            limits: Settings::new(&policy, &config).crawl,
            concurrent: args.crawl_concurrency.max(1),
            current_year: crate::pdata::current_year(),
        }),
    };
    let scanner = Scanner::new(options).map_err(|e| {
        BadInput::message(format!(
            "--ca-file {}: {e}",
            args.ca_file.as_deref().unwrap_or(Path::new("")).display()
        ))
    })?;

    let engine = Engine::new(&policy, &config).with_waivers(waivers.as_ref());
    let header = engine.header(Timestamp::now());

    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(targets.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut writer = ResultWriter::create(
        args.out.output.as_deref(),
        args.out.format,
        lang,
        header,
        args.out.fail_on,
    )?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BadInput::message(format!("tokio: {e}")))?;
    let mut unreachable: Vec<(String, String)> = Vec::new();
    let mut scanned_sites: Vec<crate::register::web::ScannedSite> = Vec::new();
    // Connections opened and requests sent, over all sites (politeness is about these).
    let mut cost = (0u64, 0u64);

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
            let doc = FactDocument::new(Scanner::identity(t), collected_at, facts);
            writer.push(engine.evaluate_one(&doc, None))?;
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
        for mut result in crate::register::web::link_findings(
            &policy,
            engine.params().clone(),
            register,
            &scanned_sites,
            now,
        ) {
            engine.apply_waivers(&mut result, now);
            writer.push(result)?;
        }
    }

    // The text report groups findings by severity across sites, so it holds them
    // all until the end; use --format json for very long lists.
    let outcome = writer.finish()?;

    print_run_summary(lang, targets.len(), &unreachable, &bad_lines, cost);
    // Not one site answered: nothing was checked, which must not look like a clean
    // run (a wrong --resolve, no network, a list of dead addresses).
    if !bad_lines.is_empty() || unreachable.len() == targets.len() {
        return Ok(super::EXIT_BAD_INPUT);
    }
    Ok(if outcome.failing { EXIT_FAILING } else { 0 })
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
