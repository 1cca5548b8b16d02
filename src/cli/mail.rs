//! `khien scan mail`: check mail domains (MX, SPF, DMARC, DKIM, STARTTLS,
//! MTA-STS, TLS-RPT), given on the command line or read from the register's units.
//!
//! A domain that is not a domain name is reported and skipped; the others are
//! scanned and the command then exits with the bad-input code.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use futures_util::StreamExt;
use jiff::Timestamp;

use super::{BadInput, Cli, OutputArgs, emit, load_config, load_policy, load_waivers};
use crate::collect::mail::{MailScanOptions, MailScanner, MailTarget, valid_domain};
use crate::engine::Engine;
use crate::facts::FactDocument;
use crate::i18n::tr;

#[derive(Args, Debug)]
pub struct MailArgs {
    /// Mail domains, e.g. thpt-bl.edu.vn.
    #[arg(value_name = "DOMAINS", required_unless_present = "register")]
    pub domains: Vec<String>,
    /// Also check the `mail_domain` of every unit of the Department's register
    /// (with the unit's `dkim_selectors`).
    #[arg(long, value_name = "FILE")]
    pub register: Option<PathBuf>,
    /// DKIM selector to look up for the domains given on the command line
    /// (repeatable).
    #[arg(long = "dkim-selector", value_name = "SELECTOR")]
    pub dkim_selectors: Vec<String>,
    /// Ask this DNS server (IP or IP:PORT) instead of the system's resolver.
    #[arg(long, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,
    /// SMTP port of the mail servers (25; another only for test servers).
    #[arg(long, default_value_t = 25, value_name = "PORT")]
    pub smtp_port: u16,
    /// Also trust the CA certificates in this PEM file (mail server certificates).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Seconds for one DNS query, SMTP exchange or TLS handshake.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub timeout: u64,
    /// Domains checked at the same time.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub concurrency: usize,
    /// Local configuration for parameter overrides.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub out: OutputArgs,
}

fn parse_dns_server(s: &str) -> Option<SocketAddr> {
    s.parse::<SocketAddr>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53)))
}

pub(super) fn scan_mail(cli: &Cli, args: &MailArgs) -> Result<u8, BadInput> {
    let lang = cli.lang;
    let policy = load_policy(cli)?;
    let config = load_config(args.config.as_deref(), &policy)?;
    let dns_server = match &args.dns_server {
        Some(s) => Some(parse_dns_server(s).ok_or_else(|| {
            BadInput::message(format!(
                "--dns-server {s}: {}",
                tr(
                    lang,
                    "cần địa chỉ IP hoặc IP:CỔNG, ví dụ 203.0.113.53 hoặc 127.0.0.1:5353",
                    "expected an IP or IP:PORT, e.g. 203.0.113.53 or 127.0.0.1:5353"
                )
            ))
        })?),
        None => None,
    };
    let extra_ca_pem = match &args.ca_file {
        Some(p) => Some(
            crate::io::read_bounded_bytes(p, crate::io::MAX_PEM_BYTES)
                .map_err(|e| BadInput::message(format!("--ca-file {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let mut err = anstream::stderr();
    let mut targets = Vec::new();
    let mut bad = 0usize;
    for d in &args.domains {
        let domain = d.trim().trim_end_matches('.').to_ascii_lowercase();
        if valid_domain(&domain) {
            targets.push(MailTarget {
                domain,
                unit: None,
                dkim_selectors: args.dkim_selectors.clone(),
            });
        } else {
            bad += 1;
            let _ = writeln!(
                err,
                "{d}: {} ({})",
                tr(
                    lang,
                    "không phải tên miền thư, ví dụ thpt-bl.edu.vn",
                    "not a mail domain, e.g. thpt-bl.edu.vn"
                ),
                tr(lang, "bỏ qua", "skipped")
            );
        }
    }
    if let Some(path) = &args.register {
        let register = crate::register::load_file(path).map_err(BadInput::from)?;
        for unit in &register.units {
            if let Some(domain) = &unit.mail_domain {
                targets.push(MailTarget {
                    domain: domain.clone(),
                    unit: Some(crate::register::facts::unit_ref(unit)),
                    dkim_selectors: unit.dkim_selectors.clone(),
                });
            }
        }
    }
    if targets.is_empty() {
        return Err(BadInput::message(
            tr(
                lang,
                "không có tên miền thư nào để rà soát",
                "no mail domain to scan",
            )
            .into(),
        ));
    }
    let scanner = MailScanner::new(MailScanOptions {
        dns_server,
        smtp_port: args.smtp_port,
        timeout: Duration::from_secs(args.timeout.max(1)),
        extra_ca_pem,
    })
    .map_err(|e| BadInput::message(format!("khien scan mail: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BadInput::message(format!("tokio: {e}")))?;
    let docs: Vec<FactDocument> = runtime.block_on(async {
        let scanner = &scanner;
        futures_util::stream::iter(targets.iter())
            .map(|t| async move {
                let collected_at = Timestamp::now();
                let facts = scanner.scan(t).await;
                FactDocument::new(
                    t.identity(),
                    collected_at,
                    serde_json::to_value(&facts).expect("mail facts serialize"),
                )
            })
            .buffered(args.concurrency.max(1))
            .collect()
            .await
    });
    let waivers = load_waivers(&args.out, Some(&policy))?;
    let doc = Engine::new(&policy, &config)
        .with_waivers(waivers.as_ref())
        .evaluate(&docs, None);
    let code = emit(lang, &args.out, doc)?;
    let _ = writeln!(
        err,
        "{}: {}; {}: {bad}",
        tr(lang, "Số tên miền thư đã rà soát", "Mail domains scanned"),
        targets.len(),
        tr(lang, "bị bỏ qua", "skipped"),
    );
    Ok(if bad > 0 { super::EXIT_BAD_INPUT } else { code })
}
