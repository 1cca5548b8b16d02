//! Website collector: TLS, legacy protocols, HTTP redirects and headers, exposed
//! files and CMS versions of one site, read over the network in one pass.
//!
//! [`Scanner`] holds what every site of a run shares (trust roots, per-IP limits,
//! time limits); [`Scanner::scan`] reads one [`WebTarget`] into [`WebFacts`]. Every
//! fact that cannot be read is unknown with its reason; nothing is guessed.

pub mod crawl;
pub mod exposed;
pub mod fetch;
pub mod http;
pub mod legacy;
pub mod limits;
pub mod software;
pub mod target;
pub mod tls;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, UnixTime};
use tokio::time::Instant;
use url::Url;

use crate::facts::web::{
    ExposedFacts, HttpFacts, LegacyTlsFacts, SiteFacts, SoftwareFacts, TlsFacts, WebFacts,
};
use crate::facts::{Fact, ReasonCode, TargetIdentity, TargetKind, Unknown};

pub use crawl::CrawlOptions;
pub use fetch::{Counters, FetchLimits, Fetched, SiteFetcher, USER_AGENT};
pub use limits::IpLimiter;
pub use target::WebTarget;

/// Settings of a website scan.
#[derive(Clone, Debug)]
pub struct WebScanOptions {
    /// `--resolve HOST:IP` overrides, by lower-case host name.
    pub resolve: HashMap<String, IpAddr>,
    /// PEM CA certificates trusted besides the Mozilla roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Concurrent requests to one IP address.
    pub per_ip_connections: usize,
    /// New requests per second to one IP address (0: unlimited).
    pub per_ip_rate: u32,
    pub fetch: FetchLimits,
    /// The whole time one site may take; later checks become unknown (timeout).
    /// The personal-data crawl is not counted: it has its own budget.
    pub site_timeout: Duration,
    /// The personal-data crawl (W11), when asked for.
    pub crawl: Option<CrawlOptions>,
}

impl Default for WebScanOptions {
    fn default() -> Self {
        WebScanOptions {
            resolve: HashMap::new(),
            extra_ca_pem: None,
            per_ip_connections: 4,
            per_ip_rate: 20,
            fetch: FetchLimits::default(),
            site_timeout: Duration::from_secs(120),
            crawl: None,
        }
    }
}

/// What every site of one run shares.
pub struct Scanner {
    options: WebScanOptions,
    roots: Arc<RootCertStore>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    http_tls: rustls::ClientConfig,
    limiter: Arc<IpLimiter>,
    /// Crawls running at once (each may hold a large document in memory).
    crawl_slots: Arc<tokio::sync::Semaphore>,
}

impl Scanner {
    /// Fails only when `--ca-file` is unusable.
    pub fn new(options: WebScanOptions) -> Result<Self, String> {
        let provider = tls::provider();
        let roots = Arc::new(tls::root_store(options.extra_ca_pem.as_deref())?);
        let http_tls = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(tls::RecordingVerifier::accept_any(
                provider.clone(),
            )))
            .with_no_client_auth();
        let limiter = Arc::new(IpLimiter::new(
            options.per_ip_connections,
            options.per_ip_rate,
        ));
        let crawl_slots = Arc::new(tokio::sync::Semaphore::new(
            options.crawl.map_or(1, |c| c.concurrent.max(1)),
        ));
        Ok(Scanner {
            options,
            roots,
            provider,
            http_tls,
            limiter,
            crawl_slots,
        })
    }

    /// Resolves a host: `--resolve` first, then IP literals, then the system resolver.
    async fn resolve(&self, host: &str, port: u16) -> Result<IpAddr, Unknown> {
        if let Some(ip) = self.options.resolve.get(&host.to_ascii_lowercase()) {
            return Ok(*ip);
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(ip);
        }
        let lookup = tokio::net::lookup_host((host, port));
        match tokio::time::timeout(self.options.fetch.connect_timeout, lookup).await {
            Ok(Ok(mut addrs)) => addrs.next().map(|a| a.ip()).ok_or_else(|| {
                Unknown::new(
                    ReasonCode::Unreachable,
                    format!("DNS: no address for {host}"),
                )
            }),
            Ok(Err(e)) => Err(Unknown::new(
                ReasonCode::Unreachable,
                format!("DNS: {host}: {e}"),
            )),
            Err(_) => Err(Unknown::new(
                ReasonCode::Timeout,
                format!("DNS: {host}: no answer"),
            )),
        }
    }

    /// The identity a target is reported under.
    pub fn identity(target: &WebTarget) -> TargetIdentity {
        TargetIdentity {
            kind: TargetKind::Web,
            id: target.url.to_string(),
            unit: target.unit.clone(),
        }
    }

    /// Reads every fact of one site.
    pub async fn scan(&self, target: &WebTarget) -> WebFacts {
        let deadline = Instant::now() + self.options.site_timeout;
        let host = target.host().to_string();
        let bare_host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let (mut https_url, http_url) = endpoints(&target.url);
        let first_port = target.url.port_or_known_default().unwrap_or(443);

        let ip = match self.resolve(&host, first_port).await {
            Ok(ip) => ip,
            Err(why) => {
                let pd = self.personal_data_unknown(&why);
                return unreachable_facts(&host, &https_url, &http_url, why, pd);
            }
        };
        let counters = Counters::default();
        let fetcher = match SiteFetcher::new(
            &host,
            ip,
            self.http_tls.clone(),
            self.limiter.clone(),
            self.options.fetch,
            deadline,
            counters.clone(),
        ) {
            Ok(f) => f,
            Err(e) => {
                let why = Unknown::new(ReasonCode::Error, e);
                let pd = self.personal_data_unknown(&why);
                return unreachable_facts(&host, &https_url, &http_url, why, pd);
            }
        };
        // A site given by its http:// address: its HTTPS endpoint is where the
        // redirect chain goes on the same host (default port 443 otherwise).
        let early_redirect = if target.url.scheme() == "http" {
            let chain = http::redirect_chain(&fetcher, &http_url).await;
            if let Some(u) = chain
                .as_ref()
                .ok()
                .and_then(|c| first_https_same_host(c, &http_url))
            {
                https_url = u;
            }
            Some(chain)
        } else {
            None
        };
        let https_port = https_url.port_or_known_default().unwrap_or(443);
        let tls_addr = SocketAddr::new(ip, https_port);
        let sni = bare_host
            .parse::<IpAddr>()
            .is_err()
            .then_some(bare_host.as_str());
        let budget = self.options.fetch.request_timeout;

        // A TLS probe is a new connection: it waits for the per-IP politeness and
        // is counted with the site's HTTP connections.
        let probe_connection = || {
            counters
                .connections
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.limiter.acquire(ip)
        };
        let probe_budget = || budget.min(deadline.saturating_duration_since(Instant::now()));
        let tls_part = async {
            let _permit = probe_connection().await;
            tls::modern_handshake(&bare_host, tls_addr, self.provider.clone(), budget).await
        };
        let legacy_part = async {
            let mut outcomes =
                legacy::protocol_versions(tls_addr, sni, probe_budget, probe_connection).await;
            let _permit = probe_connection().await;
            outcomes.push(
                legacy::probe(legacy::ProbeKind::WeakTls12, tls_addr, sni, probe_budget()).await,
            );
            outcomes
        };
        let http_part = async {
            let redirect = match early_redirect {
                Some(chain) => chain,
                None => http::redirect_chain(&fetcher, &http_url).await,
            };
            let home = match http::landing(&fetcher, &https_url).await {
                Ok(r) => Ok(r),
                Err(https_err) => {
                    // No working HTTPS: read the plain page the redirect chain ended on.
                    let plain = redirect
                        .as_ref()
                        .ok()
                        .and_then(|c| c.hops.last())
                        .filter(|h| h.url.starts_with("http://") && h.status == 200)
                        .and_then(|h| Url::parse(&h.url).ok());
                    match plain {
                        Some(u) => http::landing(&fetcher, &u).await.map_err(|_| https_err),
                        None => Err(https_err),
                    }
                }
            };
            (redirect, home)
        };
        let (modern, legacy_outcomes, (redirect, home)) =
            tokio::join!(tls_part, legacy_part, http_part);

        let (exposed, software, personal_data) = match &home {
            Ok((_, page)) => {
                let base = page.url.clone();
                let (files, listings, products, personal_data) = tokio::join!(
                    exposed::exposed_files(&fetcher, &base),
                    exposed::listings(&fetcher, &base),
                    software::detect(&fetcher, page),
                    self.personal_data(&host, ip, &base),
                );
                (
                    ExposedFacts { files, listings },
                    Fact::known(products),
                    personal_data,
                )
            }
            Err(why) => {
                // Without a home page the site does not answer HTTP: the checks that
                // need it are unknown for the same reason, without spending time on them.
                let why = Unknown::new(why.reason, format!("home page: {}", why.detail));
                (
                    ExposedFacts {
                        files: Fact::from_unknown(why.clone()),
                        listings: Fact::from_unknown(why.clone()),
                    },
                    Fact::from_unknown(why.clone()),
                    self.personal_data_unknown(&why),
                )
            }
        };

        let tls = self.tls_facts(&bare_host, modern, &legacy_outcomes);
        let mut legacy_probes = legacy_outcomes.into_iter().map(|o| o.probe);
        let mut next = || {
            legacy_probes
                .next()
                .unwrap_or_else(|| Fact::unknown(ReasonCode::Error, "probe missing"))
        };
        WebFacts {
            site: SiteFacts {
                host: host.clone(),
                https_url: https_url.to_string(),
                http_url: http_url.to_string(),
                address: Fact::known(ip.to_string()),
                connections: counters.connections(),
                requests: counters.requests(),
            },
            tls,
            legacy: LegacyTlsFacts {
                ssl3: next(),
                tls1_0: next(),
                tls1_1: next(),
                weak_ciphers: next(),
            },
            http: HttpFacts {
                redirect: fetch::to_fact(redirect),
                home: fetch::to_fact(home.map(|(from, r)| {
                    let mut page = http::home_page(&r);
                    if from != r.url {
                        page.redirected_from = from.to_string();
                    }
                    page
                })),
            },
            exposed,
            software: SoftwareFacts {
                products: software,
                eol_table_date: software::eol_table_date(),
            },
            personal_data,
        }
    }

    /// The personal-data crawl from the home page `start`, when asked for: its own
    /// fetcher (bigger body cap, longer request time) with its own deadline, so the
    /// crawl neither shortens nor is shortened by the site's other checks.
    async fn personal_data(
        &self,
        host: &str,
        ip: IpAddr,
        start: &Url,
    ) -> Fact<crate::facts::web::WebPersonalDataFacts> {
        let Some(options) = self.options.crawl else {
            return crawl::not_crawled();
        };
        let _slot = self
            .crawl_slots
            .acquire()
            .await
            .expect("the crawl semaphore is never closed");
        // A second of slack: the crawler's own clock starts a little later and
        // stops the crawl first, so no request is cut by this deadline.
        let deadline = Instant::now() + options.limits.time_budget + Duration::from_secs(1);
        let limits = FetchLimits {
            max_body_bytes: options.limits.max_response_bytes,
            request_timeout: self
                .options
                .fetch
                .request_timeout
                .max(crawl::CRAWL_REQUEST_TIMEOUT),
            connect_timeout: self.options.fetch.connect_timeout,
        };
        match SiteFetcher::new(
            host,
            ip,
            self.http_tls.clone(),
            self.limiter.clone(),
            limits,
            deadline,
            Counters::default(),
        ) {
            Ok(fetcher) => crawl::crawl_site(start.clone(), fetcher, options).await,
            Err(e) => Fact::unknown(ReasonCode::Error, e),
        }
    }

    /// The personal-data fact of a site whose home page could not be read.
    fn personal_data_unknown(
        &self,
        why: &Unknown,
    ) -> Fact<crate::facts::web::WebPersonalDataFacts> {
        match self.options.crawl {
            Some(_) => Fact::from_unknown(why.clone()),
            None => crawl::not_crawled(),
        }
    }

    fn tls_facts(
        &self,
        host: &str,
        modern: tls::ModernOutcome,
        legacy: &[legacy::ProbeOutcome],
    ) -> TlsFacts {
        // The chain from the modern handshake, else from a legacy one.
        let chain: Vec<CertificateDer<'static>> = if !modern.chain.is_empty() {
            modern.chain
        } else {
            legacy
                .iter()
                .find(|o| !o.chain.is_empty())
                .map(|o| {
                    o.chain
                        .iter()
                        .map(|c| CertificateDer::from(c.clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (chain_fact, verification) = if chain.is_empty() {
            let why = modern
                .handshake
                .unknown_reason()
                .cloned()
                .unwrap_or_else(|| Unknown::new(ReasonCode::Error, "no certificate sent"));
            (Fact::from_unknown(why.clone()), Fact::from_unknown(why))
        } else {
            let infos: Option<Vec<_>> = chain.iter().map(|c| tls::parse_certificate(c)).collect();
            let verdict = tls::verify_chain(
                &chain,
                host,
                self.roots.clone(),
                self.provider.clone(),
                UnixTime::now(),
            );
            (
                infos.map(Fact::known).unwrap_or_else(|| {
                    Fact::unknown(ReasonCode::Unparsable, "a certificate does not parse")
                }),
                Fact::known(verdict),
            )
        };
        TlsFacts {
            handshake: modern.handshake,
            chain: chain_fact,
            verification,
        }
    }
}

/// The HTTPS and HTTP endpoints of a target. A target given as `http://` keeps its
/// port for the redirect check and uses 443 for HTTPS; one given as `https://`
/// keeps its port and uses 80 for HTTP.
pub fn endpoints(start: &Url) -> (Url, Url) {
    let mut https = start.clone();
    let mut http = start.clone();
    if start.scheme() == "https" {
        let _ = http.set_scheme("http");
        let _ = http.set_port(None);
    } else {
        let _ = https.set_scheme("https");
        let _ = https.set_port(None);
    }
    (https, http)
}

/// The first `https://` URL of the same host that the chain points to.
fn first_https_same_host(chain: &crate::facts::web::RedirectChain, start: &Url) -> Option<Url> {
    chain.hops.iter().find_map(|hop| {
        let next = Url::parse(&hop.url).ok()?.join(&hop.location).ok()?;
        (next.scheme() == "https" && next.host_str() == start.host_str()).then(|| {
            let mut site = next.clone();
            site.set_path("/");
            site.set_query(None);
            site
        })
    })
}

/// Facts of a site that could not be reached at all: every one unknown, same reason.
fn unreachable_facts(
    host: &str,
    https_url: &Url,
    http_url: &Url,
    why: Unknown,
    personal_data: Fact<crate::facts::web::WebPersonalDataFacts>,
) -> WebFacts {
    fn u<T>(why: &Unknown) -> Fact<T> {
        Fact::from_unknown(why.clone())
    }
    WebFacts {
        site: SiteFacts {
            host: host.to_string(),
            https_url: https_url.to_string(),
            http_url: http_url.to_string(),
            address: u(&why),
            connections: 0,
            requests: 0,
        },
        tls: TlsFacts {
            handshake: u(&why),
            chain: u(&why),
            verification: u(&why),
        },
        legacy: LegacyTlsFacts {
            ssl3: u(&why),
            tls1_0: u(&why),
            tls1_1: u(&why),
            weak_ciphers: u(&why),
        },
        http: HttpFacts {
            redirect: u(&why),
            home: u(&why),
        },
        exposed: ExposedFacts {
            files: u(&why),
            listings: u(&why),
        },
        software: SoftwareFacts {
            products: u(&why),
            eol_table_date: software::eol_table_date(),
        },
        personal_data,
    }
}

/// Why a site could not be scanned at all, if it could not: neither TLS nor HTTP
/// answered.
pub fn unreachable_reason(facts: &WebFacts) -> Option<&Unknown> {
    let tls = facts.tls.handshake.unknown_reason()?;
    facts.http.home.unknown_reason()?;
    facts.http.redirect.unknown_reason().or(Some(tls))
}
