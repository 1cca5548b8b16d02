//! Rule W11 on `khien scan web --crawl-personal-data`: the personal-data crawler
//! (`crate::pdata::crawl`) reading through the site's [`SiteFetcher`], so the crawl
//! has the same TLS handling, name pinning, per-IP limits and response caps as
//! every other web check.
//!
//! The crawler is blocking (it sleeps between requests and parses documents, which
//! is CPU work), so it runs on tokio's blocking pool; each request goes back to the
//! runtime with [`Handle::block_on`]. The crawl has its own time budget and its own
//! fetcher deadline, so it never eats into the site's other checks.

use std::time::Duration;

use tokio::runtime::Handle;
use url::Url;

use super::fetch::SiteFetcher;
use super::http::MAX_REDIRECTS;
use crate::facts::{Fact, ReasonCode};
use crate::pdata::crawl::{self, CrawlLimits, FetchedPage, PageFetcher, WebPersonalDataFacts};

/// What `--crawl-personal-data` sets.
#[derive(Clone, Copy, Debug)]
pub struct CrawlOptions {
    pub limits: CrawlLimits,
    /// Crawls running at once (each holds up to one response of
    /// `limits.max_response_bytes` in memory).
    pub concurrent: usize,
    /// Bounds plausible birth years in ID numbers.
    pub current_year: u16,
}

/// Time for one crawl request: enough for a document at the size cap on a slow
/// school link, never beyond the crawl's own budget.
pub const CRAWL_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The fact when the crawl was not asked for.
pub fn not_crawled() -> Fact<WebPersonalDataFacts> {
    Fact::unknown(
        ReasonCode::NotConfigured,
        "not crawled: run with --crawl-personal-data",
    )
}

/// A [`PageFetcher`] over a [`SiteFetcher`], following same-host redirects.
pub struct SitePageFetcher {
    fetcher: SiteFetcher,
    handle: Handle,
    max_body: usize,
}

impl SitePageFetcher {
    pub fn new(fetcher: SiteFetcher, handle: Handle, max_body: usize) -> Self {
        SitePageFetcher {
            fetcher,
            handle,
            max_body,
        }
    }
}

impl PageFetcher for SitePageFetcher {
    fn fetch(&self, url: &Url) -> Result<FetchedPage, String> {
        let mut url = url.clone();
        let mut hops = 0;
        loop {
            let r = self
                .handle
                .block_on(self.fetcher.get_capped(&url, self.max_body))
                .map_err(|e| e.to_string())?;
            let location = r.header("location");
            let next = if (300..400).contains(&r.status) && !location.is_empty() {
                url.join(&location).ok()
            } else {
                None
            };
            // Another host is never fetched: the crawler sees the redirect's status.
            let same_host = next.as_ref().is_some_and(|n| {
                n.host_str().map(str::to_ascii_lowercase).as_deref() == Some(self.fetcher.host())
            });
            match next {
                Some(n) if same_host && hops < MAX_REDIRECTS => {
                    hops += 1;
                    url = n;
                }
                _ => {
                    return Ok(FetchedPage {
                        content_type: r
                            .headers
                            .get("content-type")
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
                        final_url: r.url,
                        status: r.status,
                        body: r.body,
                        truncated: r.truncated,
                    });
                }
            }
        }
    }
}

/// Crawls from `start` on the blocking pool. Call from within the runtime.
pub async fn crawl_site(
    start: Url,
    fetcher: SiteFetcher,
    options: CrawlOptions,
) -> Fact<WebPersonalDataFacts> {
    let handle = Handle::current();
    let max_body = options.limits.max_response_bytes;
    let task = tokio::task::spawn_blocking(move || {
        let pages = SitePageFetcher::new(fetcher, handle, max_body);
        crawl::crawl(&start, &pages, options.limits, options.current_year)
    });
    match task.await {
        Ok(facts) => Fact::known(facts),
        Err(e) => Fact::unknown(ReasonCode::Error, format!("the crawl failed: {e}")),
    }
}
