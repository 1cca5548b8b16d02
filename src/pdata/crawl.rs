//! Rule W11: a polite same-host crawl of a school website, looking for citizen ID
//! numbers in HTML pages and in the documents they link (`.pdf .xls(x) .ods .doc(x)
//! .csv .txt`), with the same detector and masking as the host scan.
//!
//! The crawler does not speak HTTP itself: it goes through a [`PageFetcher`], so the
//! website collector's fetcher (TLS, per-IP rate limits, name pinning) can be plugged
//! in (`crate::collect::web::crawl`). Limits (depth, URLs, bytes per response, delay
//! between requests, time for the whole crawl) are the caller's, normally policy
//! parameters.
//!
//! A crawl that stops at its URL or time limit with links left unvisited is not
//! complete: `complete` is then unknown, so rule W11 can fail on what was found but
//! never passes on a partial crawl.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

use super::detect::{detect, redact_numbers};
use super::extract::{self, ExtractLimits, Extracted};
use crate::facts::{Fact, ReasonCode};

/// One HTTP response, as the fetcher hands it over.
#[derive(Clone, Debug)]
pub struct FetchedPage {
    /// The URL after redirects.
    pub final_url: Url,
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, already cut by the fetcher at its size limit.
    pub body: Vec<u8>,
    /// The body was longer than the fetcher's size limit and was cut.
    pub truncated: bool,
}

/// Fetches one URL with a GET. Implementations bound time and size themselves and
/// must only connect where the scan is allowed to.
pub trait PageFetcher {
    fn fetch(&self, url: &Url) -> Result<FetchedPage, String>;
}

/// Bounds of one crawl.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrawlLimits {
    /// Links followed from the start page (the start page is depth 0).
    pub max_depth: u32,
    /// URLs fetched in all, pages and documents together.
    pub max_urls: usize,
    /// Pause between two requests to the site.
    pub delay: Duration,
    /// Time for the whole crawl, robots.txt included. Links not visited by then
    /// make the crawl incomplete.
    pub time_budget: Duration,
    /// Bytes read at most from one response (page or document); a longer document
    /// is not read, a longer page is examined up to this size.
    pub max_response_bytes: usize,
    /// Distinct IDs from which a page or document is listed.
    pub min_ids_listed: u64,
    pub extract: ExtractLimits,
}

impl Default for CrawlLimits {
    fn default() -> Self {
        CrawlLimits {
            max_depth: 3,
            max_urls: 500,
            delay: Duration::from_millis(250),
            time_budget: Duration::from_secs(600),
            max_response_bytes: 50 * 1024 * 1024,
            min_ids_listed: 1,
            extract: ExtractLimits::default(),
        }
    }
}

/// What the crawl found on one site: the facts for rule W11.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebPersonalDataFacts {
    /// Pages whose text was examined.
    pub pages_examined: u64,
    /// Linked documents whose text was examined.
    pub documents_examined: u64,
    /// Pages and documents with citizen ID numbers, the most first.
    pub exposures: Vec<WebExposure>,
    /// Linked documents protected by a password.
    pub protected_documents: Vec<String>,
    /// URLs that could not be fetched or read, with the reason.
    pub unreadable: Vec<String>,
    /// URLs whose answer was longer than the size limit: a page was examined up to
    /// the limit, a document was not read.
    pub truncated: Vec<String>,
    /// The crawl stopped at its URL limit before visiting every link in depth.
    pub url_limit_reached: bool,
    /// The crawl stopped when its time budget was spent.
    pub time_limit_reached: bool,
    /// Same-site links not visited because `robots.txt` disallows them to every robot.
    pub skipped_by_robots: u64,
    /// True when the crawl visited every same-site link within the depth limit.
    /// Unknown when the start page did not answer (nothing is known about what the
    /// site publishes), or when the crawl stopped at its URL or time limit with
    /// links left (`limit_reached`).
    pub complete: Fact<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebExposure {
    /// Address of the page or document.
    pub url: String,
    /// `page` or `document`.
    pub kind: String,
    /// Distinct valid citizen ID numbers (CCCD) found.
    pub distinct_ids: u64,
    /// Of those, how many sat under or beside an ID label ("CCCD", "Số định danh").
    pub labelled_ids: u64,
    /// Masked: `068******123`.
    pub masked_samples: Vec<String>,
    /// Phone numbers seen beside the IDs (a secondary signal).
    pub phones: u64,
}

/// Document extensions followed from pages.
const DOCUMENT_EXTENSIONS: &[&str] = &[
    "pdf", "xls", "xlsx", "xlsm", "ods", "doc", "docx", "csv", "txt",
];

/// Crawls from `start`, staying on its scheme, host and port.
pub fn crawl(
    start: &Url,
    fetcher: &dyn PageFetcher,
    limits: CrawlLimits,
    current_year: u16,
) -> WebPersonalDataFacts {
    let started = Instant::now();
    let deadline = started + limits.time_budget;
    let mut facts = WebPersonalDataFacts {
        pages_examined: 0,
        documents_examined: 0,
        exposures: Vec::new(),
        protected_documents: Vec::new(),
        unreadable: Vec::new(),
        truncated: Vec::new(),
        url_limit_reached: false,
        time_limit_reached: false,
        skipped_by_robots: 0,
        complete: Fact::known(true),
    };
    let disallowed = robots_disallowed(start, fetcher);
    let mut queue = VecDeque::from([(start.clone(), 0u32)]);
    let mut seen: HashSet<String> = HashSet::from([key(start)]);
    let mut fetched = 0usize;
    // Whether the start page answered: without it the crawl says nothing.
    let mut start_failed: Option<String> = None;

    while let Some((url, depth)) = queue.front().cloned() {
        if disallowed
            .iter()
            .any(|p| url.path().starts_with(p.as_str()))
        {
            queue.pop_front();
            facts.skipped_by_robots += 1;
            continue;
        }
        if fetched >= limits.max_urls {
            facts.url_limit_reached = true;
            break;
        }
        if fetched > 0 && !limits.delay.is_zero() {
            std::thread::sleep(
                limits
                    .delay
                    .min(deadline.saturating_duration_since(Instant::now())),
            );
        }
        if Instant::now() >= deadline {
            facts.time_limit_reached = true;
            break;
        }
        queue.pop_front();
        fetched += 1;
        // URLs are written redacted: a path or query may hold an ID number.
        let shown = redact_numbers(url.as_str());
        let page = match fetcher.fetch(&url) {
            Ok(p) if (200..300).contains(&p.status) => p,
            Ok(p) => {
                facts
                    .unreadable
                    .push(format!("{shown} (HTTP {})", p.status));
                if fetched == 1 {
                    start_failed = Some(format!("the start page answered HTTP {}", p.status));
                }
                continue;
            }
            Err(e) => {
                let e = redact_numbers(&e);
                facts.unreadable.push(format!("{shown} ({e})"));
                if fetched == 1 {
                    start_failed = Some(e);
                }
                continue;
            }
        };
        if !same_site(start, &page.final_url) {
            continue;
        }
        if page.truncated {
            facts
                .truncated
                .push(redact_numbers(page.final_url.as_str()));
        }
        let (text, kind) = match document_extension(&page) {
            None => {
                let html = String::from_utf8_lossy(&page.body);
                facts.pages_examined += 1;
                if depth < limits.max_depth {
                    for link in links(&html, &page.final_url) {
                        if same_site(start, &link) && seen.insert(key(&link)) {
                            queue.push_back((link, depth + 1));
                        }
                    }
                }
                (html_text(&html), "page")
            }
            // Cut at the size limit: a partial office file or PDF does not parse.
            Some(_) if page.truncated => continue,
            Some(ext) => {
                facts.documents_examined += 1;
                // One document's reading may not outlast the crawl's budget.
                let left = deadline.saturating_duration_since(Instant::now());
                let extract_limits = ExtractLimits {
                    max_duration: limits
                        .extract
                        .max_duration
                        .min(left)
                        .max(Duration::from_secs(1)),
                    ..limits.extract
                };
                match extract::extract_bytes(&ext, page.body, extract_limits) {
                    Extracted::Text(t) => (t, "document"),
                    Extracted::Protected => {
                        facts.protected_documents.push(shown);
                        continue;
                    }
                    other => {
                        facts
                            .unreadable
                            .push(format!("{shown} ({})", outcome_name(&other)));
                        continue;
                    }
                }
            }
        };
        let d = detect(&text, current_year);
        if d.ids.len() as u64 >= limits.min_ids_listed.max(1) {
            facts.exposures.push(WebExposure {
                url: redact_numbers(page.final_url.as_str()),
                kind: kind.into(),
                distinct_ids: d.ids.len() as u64,
                labelled_ids: d.labelled as u64,
                masked_samples: d.masked_samples(3),
                phones: d.phones as u64,
            });
        }
    }
    let left = queue
        .iter()
        .filter(|(u, _)| !disallowed.iter().any(|p| u.path().starts_with(p.as_str())))
        .count();
    if left > 0 && !facts.time_limit_reached {
        facts.url_limit_reached = true;
    }
    facts.complete = if let Some(why) = start_failed {
        Fact::unknown(ReasonCode::Unreachable, why)
    } else if fetched == 0 && !facts.time_limit_reached && !facts.url_limit_reached {
        Fact::unknown(
            ReasonCode::Error,
            "robots.txt disallows the start page to every robot: nothing was crawled",
        )
    } else if facts.time_limit_reached {
        Fact::unknown(
            ReasonCode::LimitReached,
            format!(
                "crawl time budget of {} s spent after {fetched} URLs; {left} links not visited",
                limits.time_budget.as_secs()
            ),
        )
    } else if facts.url_limit_reached {
        Fact::unknown(
            ReasonCode::LimitReached,
            format!(
                "stopped at the limit of {} URLs; {left} links not visited",
                limits.max_urls
            ),
        )
    } else {
        Fact::known(true)
    };
    facts
        .exposures
        .sort_by(|a, b| b.distinct_ids.cmp(&a.distinct_ids).then(a.url.cmp(&b.url)));
    facts
}

fn outcome_name(e: &Extracted) -> String {
    match e {
        Extracted::TooLarge => "too large".into(),
        Extracted::Timeout => "timed out".into(),
        Extracted::Unsupported => "format not supported".into(),
        Extracted::Failed(d) => redact_numbers(d),
        Extracted::Text(_) | Extracted::Protected => String::new(),
    }
}

/// The URL without its fragment: `#top` links are the same page.
fn key(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

fn same_site(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A document's format, from the URL's extension, else from the content type;
/// `None` for an HTML (or unknown) page.
fn document_extension(page: &FetchedPage) -> Option<String> {
    let from_path = page
        .final_url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|ext| DOCUMENT_EXTENSIONS.contains(&ext.as_str()));
    if from_path.is_some() {
        return from_path;
    }
    let ct = page.content_type.as_deref()?.to_ascii_lowercase();
    let ext = if ct.starts_with("application/pdf") {
        "pdf"
    } else if ct.contains("spreadsheetml") {
        "xlsx"
    } else if ct.contains("wordprocessingml") {
        "docx"
    } else if ct.starts_with("application/vnd.ms-excel") {
        "xls"
    } else if ct.contains("opendocument.spreadsheet") {
        "ods"
    } else if ct.starts_with("text/csv") {
        "csv"
    } else {
        return None;
    };
    Some(ext.to_string())
}

/// `Disallow` prefixes that apply to every robot (`User-agent: *`).
fn robots_disallowed(start: &Url, fetcher: &dyn PageFetcher) -> Vec<String> {
    let Ok(robots) = start.join("/robots.txt") else {
        return Vec::new();
    };
    let Ok(page) = fetcher.fetch(&robots) else {
        return Vec::new();
    };
    if page.status != 200 {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&page.body);
    let mut out = Vec::new();
    let mut applies = false;
    let mut in_agents = false;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match field.trim().to_ascii_lowercase().as_str() {
            "user-agent" => {
                if !in_agents {
                    applies = false;
                }
                in_agents = true;
                applies |= value == "*";
            }
            "disallow" => {
                in_agents = false;
                if applies && !value.is_empty() {
                    out.push(value.to_string());
                }
            }
            _ => in_agents = false,
        }
    }
    out
}

/// Links of a page (`href` and `src` attributes), resolved against its URL.
fn links(html: &str, base: &Url) -> Vec<Url> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    for attr in ["href", "src"] {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(attr) {
            let at = from + pos + attr.len();
            from = at;
            let rest = html[at..].trim_start();
            let Some(rest) = rest.strip_prefix('=') else {
                continue;
            };
            let rest = rest.trim_start();
            let value = match rest.chars().next() {
                Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
                Some(_) => rest
                    .split(|c: char| c.is_whitespace() || c == '>')
                    .next()
                    .unwrap_or(""),
                None => "",
            };
            let value = value.replace("&amp;", "&");
            if value.is_empty()
                || value.starts_with('#')
                || value.starts_with("javascript:")
                || value.starts_with("mailto:")
            {
                continue;
            }
            if let Ok(u) = base.join(&value)
                && matches!(u.scheme(), "http" | "https")
            {
                out.push(u);
            }
        }
    }
    out
}

/// The visible text of an HTML page, with table cells as tab-separated lines so the
/// detector can tell columns apart. Scripts and styles are dropped.
fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_entities(&mut out, &rest[..lt]);
        let after = &rest[lt + 1..];
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = after[..gt].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        rest = &after[gt + 1..];
        if !tag.starts_with('/') && (name == "script" || name == "style") {
            let close = format!("</{name}");
            match rest.to_ascii_lowercase().find(&close) {
                Some(end) => rest = &rest[end..],
                None => rest = "",
            }
            continue;
        }
        match (tag.starts_with('/'), name.as_str()) {
            (true, "td" | "th") => out.push('\t'),
            (false, "td" | "th" | "tr" | "thead" | "tbody") => {}
            (true, "tr") => {
                if out.ends_with('\t') {
                    out.pop();
                }
                out.push('\n');
            }
            (_, "br" | "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "table") => out.push('\n'),
            _ => out.push(' '),
        }
    }
    push_entities(&mut out, rest);
    out
}

fn push_entities(out: &mut String, text: &str) {
    if !text.contains('&') {
        out.push_str(text);
        return;
    }
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e <= 8);
        let decoded = end.and_then(|e| match &after[..e] {
            "nbsp" => Some(' '),
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_tables_become_tab_rows() {
        let t = html_text(
            "<table><tr><th>Họ tên</th><th>Số CCCD</th></tr>\
             <tr><td>An</td><td>068207001234</td></tr></table><script>var x='068207009999'</script>",
        );
        assert!(t.contains("Họ tên\tSố CCCD\n"), "{t:?}");
        assert!(t.contains("An\t068207001234\n"), "{t:?}");
        assert!(!t.contains("068207009999"));
    }

    #[test]
    fn links_resolve_and_skip_other_schemes() {
        let base = Url::parse("http://127.0.0.1:8080/tin-tuc/").unwrap();
        let l = links(
            r#"<a href="ds.pdf">x</a><a href='/a?x=1&amp;y=2'>y</a><a href=mailto:a@b>m</a><img src=/i.png>"#,
            &base,
        );
        let l: Vec<String> = l.iter().map(Url::to_string).collect();
        assert_eq!(
            l,
            vec![
                "http://127.0.0.1:8080/tin-tuc/ds.pdf",
                "http://127.0.0.1:8080/a?x=1&y=2",
                "http://127.0.0.1:8080/i.png"
            ]
        );
    }

    #[test]
    fn limits_come_from_the_crawl_section_of_khien_toml() {
        let policy =
            crate::policy::load_sources(crate::policy::embedded_sources(), "embedded").unwrap();
        let file = crate::policy::SourceFile::new(
            "khien.toml",
            "[crawl]\nmax_depth = 2\nmax_urls = 40\ndelay_ms = 0\n",
        );
        let config = crate::config::LocalConfig::parse(file, &policy).unwrap();
        let limits = config.crawl.limits();
        assert_eq!(limits.max_depth, 2);
        assert_eq!(limits.max_urls, 40);
        assert_eq!(limits.delay, Duration::ZERO);
        // Not given: the defaults.
        assert_eq!(limits.time_budget, Duration::from_secs(600));
        assert_eq!(limits.max_response_bytes, 50 * 1024 * 1024);
    }

    #[test]
    fn entities_decode() {
        let mut s = String::new();
        push_entities(&mut s, "a&nbsp;b &amp; &#273; &bogus c");
        assert_eq!(s, "a b & đ &bogus c");
    }
}
