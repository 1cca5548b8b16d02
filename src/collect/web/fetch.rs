//! A bounded, polite HTTP fetch for one site: GET only, no redirects followed,
//! same host only, capped body, per-request and per-site deadlines, per-IP limits,
//! one retry for transient connection errors.
//!
//! This is the one way khien reads a web page; a crawler (W11, personal data on
//! websites) reuses [`SiteFetcher::get`] with its own [`FetchLimits`].
//!
//! Connections are kept alive and reused for every request of a site (at most
//! [`SITE_CONNECTIONS`] at once), and the per-IP rate limit counts new
//! connections, not requests: many school sites share one hosting server, and
//! politeness there is about connections.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::limits::IpLimiter;
use crate::facts::{Fact, ReasonCode, Unknown};

/// The User-Agent khien identifies itself with.
pub const USER_AGENT: &str = concat!(
    "khien/",
    env!("CARGO_PKG_VERSION"),
    " (ATTT compliance scan; So GDDT Lam Dong)"
);

#[derive(Clone, Copy, Debug)]
pub struct FetchLimits {
    /// Bytes of body read at most; the rest is not downloaded.
    pub max_body_bytes: usize,
    /// Time for one request, from connecting to the end of the (capped) body.
    pub request_timeout: Duration,
    /// Time to open the TCP connection.
    pub connect_timeout: Duration,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// Requests of one site in flight at once, hence its HTTPS connections.
pub const SITE_CONNECTIONS: usize = 2;
/// Bytes read past the cap and thrown away so that the connection can carry the
/// next request (a body cut short closes its connection). Longer bodies are cut.
const DRAIN_BYTES: usize = 512 * 1024;
/// ... and for at most this long (the part already read is kept either way).
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// One response, with at most `max_body_bytes` of its body.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub url: Url,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    /// The body was longer than the cap.
    pub truncated: bool,
}

impl Fetched {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// Connections opened and requests sent for one site.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub connections: Arc<AtomicU64>,
    pub requests: Arc<AtomicU64>,
}

impl Counters {
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// A connector layer that waits for the per-IP rate of new connections and counts
/// them; requests on a kept-alive connection never reach it.
#[derive(Clone)]
struct Politeness {
    limiter: Arc<IpLimiter>,
    ip: IpAddr,
    counters: Counters,
}

impl<S> tower_layer::Layer<S> for Politeness {
    type Service = Polite<S>;
    fn layer(&self, inner: S) -> Polite<S> {
        Polite {
            inner,
            politeness: self.clone(),
        }
    }
}

#[derive(Clone)]
struct Polite<S> {
    inner: S,
    politeness: Politeness,
}

impl<S, R> tower_service::Service<R> for Polite<S>
where
    S: tower_service::Service<R> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        // The service made ready is the one called (tower's clone-and-swap idiom).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let p = self.politeness.clone();
        Box::pin(async move {
            p.limiter.new_connection(p.ip).await;
            p.counters.connections.fetch_add(1, Ordering::Relaxed);
            inner.call(request).await
        })
    }
}

/// Fetches from one site (one host name pinned to one address).
pub struct SiteFetcher {
    client: reqwest::Client,
    host: String,
    ip: IpAddr,
    limiter: Arc<IpLimiter>,
    limits: FetchLimits,
    deadline: Instant,
    /// Requests of this site in flight.
    site_slots: tokio::sync::Semaphore,
    counters: Counters,
    /// Responses kept for reuse (the home page and its redirects), by URL.
    shared: Mutex<HashMap<String, Fetched>>,
}

impl SiteFetcher {
    /// `tls` must accept any certificate: the TLS facts judge certificates, the
    /// HTTP facts are read regardless.
    pub fn new(
        host: &str,
        ip: IpAddr,
        tls: rustls::ClientConfig,
        limiter: Arc<IpLimiter>,
        limits: FetchLimits,
        deadline: Instant,
        counters: Counters,
    ) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .http1_only()
            .connect_timeout(limits.connect_timeout)
            .timeout(limits.request_timeout)
            .pool_max_idle_per_host(SITE_CONNECTIONS)
            .connector_layer(Politeness {
                limiter: limiter.clone(),
                ip,
                counters: counters.clone(),
            });
        if host.parse::<IpAddr>().is_err() {
            // Pin the name to the address already resolved (or given by --resolve):
            // per-IP limits then hold, and no second lookup happens.
            builder = builder.resolve(host, SocketAddr::new(ip, 0));
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(SiteFetcher {
            client,
            host: host.to_ascii_lowercase(),
            ip,
            limiter,
            limits,
            deadline,
            site_slots: tokio::sync::Semaphore::new(SITE_CONNECTIONS),
            counters,
            shared: Mutex::new(HashMap::new()),
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// GET `url` with the full body cap, kept for the next caller of the same URL:
    /// the home page is read once for the redirect chain, the page checks and the
    /// listing check of `/`.
    pub async fn get_shared(&self, url: &Url) -> Result<Fetched, Unknown> {
        if let Some(hit) = self.cached(url, self.limits.max_body_bytes) {
            return Ok(hit);
        }
        let r = self.get(url).await?;
        self.shared
            .lock()
            .expect("not poisoned")
            .insert(url.to_string(), r.clone());
        Ok(r)
    }

    /// A kept response that holds at least `max_body` bytes (or all of its body).
    fn cached(&self, url: &Url, max_body: usize) -> Option<Fetched> {
        let shared = self.shared.lock().expect("not poisoned");
        let hit = shared.get(url.as_str())?;
        if hit.truncated && hit.body.len() < max_body {
            return None;
        }
        let mut hit = hit.clone();
        if hit.body.len() > max_body {
            hit.body.truncate(max_body);
            hit.truncated = true;
        }
        Some(hit)
    }

    /// GET `url` (same host only), with one retry when connecting fails.
    pub async fn get(&self, url: &Url) -> Result<Fetched, Unknown> {
        self.get_capped(url, self.limits.max_body_bytes).await
    }

    /// GET with a smaller body cap (files are recognised by their first bytes).
    pub async fn get_capped(&self, url: &Url, max_body: usize) -> Result<Fetched, Unknown> {
        if url.host_str().map(str::to_ascii_lowercase).as_deref() != Some(self.host.as_str()) {
            return Err(Unknown::new(
                ReasonCode::Error,
                format!("{url}: not on {}", self.host),
            ));
        }
        if let Some(hit) = self.cached(url, max_body) {
            return Ok(hit);
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.get_once(url, max_body).await {
                Err((err, transient)) if transient && attempt < 2 => {
                    let _ = err;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err((err, _)) => return Err(err),
                Ok(f) => return Ok(f),
            }
        }
    }

    async fn get_once(&self, url: &Url, max_body: usize) -> Result<Fetched, (Unknown, bool)> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err((
                Unknown::new(
                    ReasonCode::Timeout,
                    format!("{url}: site time budget spent"),
                ),
                false,
            ));
        }
        let _site = self
            .site_slots
            .acquire()
            .await
            .expect("the site semaphore is never closed");
        let _permit = self.limiter.slot(self.ip).await;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let budget = left.min(self.limits.request_timeout);
        let request = async {
            let mut response = self
                .client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| classify(url, &e))?;
            let status = response.status().as_u16();
            let headers = std::mem::take(response.headers_mut());
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = response.chunk().await.map_err(|e| classify(url, &e))? {
                let room = max_body - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            if truncated {
                // Read a short rest to the end so the connection serves the next
                // request; a long one is cut (the connection closes).
                let drain = async {
                    let mut drained = 0;
                    while drained < DRAIN_BYTES {
                        match response.chunk().await {
                            Ok(Some(c)) => drained += c.len(),
                            _ => break,
                        }
                    }
                };
                let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
            }
            Ok(Fetched {
                url: url.clone(),
                status,
                headers,
                body,
                truncated,
            })
        };
        let result = tokio::time::timeout(budget, request).await;
        // Let the connection's task see the end of the body and put the connection
        // back in the pool before the next request of the site looks for one
        // (otherwise it opens a new connection).
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        match result {
            Ok(r) => r,
            Err(_) => Err((
                Unknown::new(
                    ReasonCode::Timeout,
                    format!("{url}: no complete answer within {budget:?}"),
                ),
                false,
            )),
        }
    }
}

/// Maps a reqwest error to an unknown reason, and says whether a retry may help.
fn classify(url: &Url, e: &reqwest::Error) -> (Unknown, bool) {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    let detail = format!("{url}: {detail}");
    if e.is_timeout() {
        (Unknown::new(ReasonCode::Timeout, detail), false)
    } else if e.is_connect() {
        let refused = detail.contains("refused");
        (Unknown::new(ReasonCode::Unreachable, detail), !refused)
    } else {
        (Unknown::new(ReasonCode::Error, detail), false)
    }
}

/// A fetch result as a fact.
pub fn to_fact<T>(r: Result<T, Unknown>) -> Fact<T> {
    match r {
        Ok(v) => Fact::known(v),
        Err(u) => Fact::from_unknown(u),
    }
}
