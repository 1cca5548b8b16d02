//! HTTP facts: the `http://` → `https://` redirect chain hop by hop, and the home
//! page's security headers, cookies, version disclosures and mixed content.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

use super::fetch::{Fetched, SiteFetcher};
use crate::facts::Unknown;
use crate::facts::web::{CookieFlags, HomePage, Hsts, MixedContent, RedirectChain, RedirectHop};

/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 10;
/// Redirect responses are read only for their headers.
const REDIRECT_BODY_CAP: usize = 16 * 1024;
/// Mixed-content items kept as evidence at most.
const MAX_MIXED_ITEMS: usize = 20;

fn same_host(a: &Url, b: &Url) -> bool {
    a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
}

/// Follows the chain from `start` (same host only).
pub async fn redirect_chain(fetcher: &SiteFetcher, start: &Url) -> Result<RedirectChain, Unknown> {
    let mut hops = Vec::new();
    let mut url = start.clone();
    let mut too_many = false;
    loop {
        let r = match fetcher.get_capped(&url, REDIRECT_BODY_CAP).await {
            Ok(r) => r,
            // The first hop decides whether the chain is known at all.
            Err(e) if hops.is_empty() => return Err(e),
            Err(_) => break,
        };
        let location = r.header("location");
        let next = if (300..400).contains(&r.status) && !location.is_empty() {
            url.join(&location).ok()
        } else {
            None
        };
        let hop_same_host = next.as_ref().is_none_or(|n| same_host(start, n));
        hops.push(RedirectHop {
            url: url.to_string(),
            status: r.status as u64,
            location,
            same_host: hop_same_host,
        });
        match next {
            Some(n) if hop_same_host => {
                if hops.len() >= MAX_REDIRECTS {
                    too_many = true;
                    break;
                }
                url = n;
            }
            _ => break,
        }
    }
    let next_of = |hop: &RedirectHop| Url::parse(&hop.url).ok()?.join(&hop.location).ok();
    let first = &hops[0];
    let first_hop_to_https_same_host = (300..400).contains(&first.status)
        && next_of(first).is_some_and(|n| n.scheme() == "https" && same_host(start, &n));
    let last = hops.last().expect("at least one hop");
    let ends_on_https_same_host = !too_many
        && match next_of(last) {
            // The chain left the site: judge where it pointed.
            Some(n) if (300..400).contains(&last.status) => {
                n.scheme() == "https" && same_host(start, &n)
            }
            _ => last.url.starts_with("https://"),
        };
    Ok(RedirectChain {
        first_status: first.status,
        first_hop_to_https_same_host,
        ends_on_https_same_host,
        too_many_redirects: too_many,
        hops,
    })
}

static GENERATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<meta\s[^>]*?(?:name\s*=\s*["']?generator["']?[^>]*?content\s*=\s*["']([^"'>]*)|content\s*=\s*["']([^"'>]*)["'][^>]*?name\s*=\s*["']?generator)"#)
        .expect("valid regex")
});

static ACTIVE_HTTP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<(script|iframe|form|link)\s[^>]*?(?:src|action|href)\s*=\s*["']?(http://[^"'\s>]+)"#)
        .expect("valid regex")
});

/// The `<meta name="generator">` content, if any.
pub fn generator(html: &str) -> String {
    GENERATOR
        .captures(html)
        .and_then(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| m.as_str().trim().to_string())
        .unwrap_or_default()
}

/// `http://` scripts, iframes, form actions and stylesheets.
pub fn mixed_content(html: &str) -> Vec<MixedContent> {
    let mut out = Vec::new();
    for c in ACTIVE_HTTP.captures_iter(html) {
        let tag = c[1].to_ascii_lowercase();
        let whole = c[0].to_ascii_lowercase();
        // Only stylesheets among <link>s load active content.
        if tag == "link" && !whole.contains("stylesheet") {
            continue;
        }
        let kind = if tag == "link" { "stylesheet" } else { &tag };
        out.push(MixedContent {
            kind: kind.to_string(),
            url: c[2].to_string(),
        });
        if out.len() >= MAX_MIXED_ITEMS {
            break;
        }
    }
    out
}

pub fn parse_hsts(value: &str) -> Hsts {
    let mut hsts = Hsts {
        present: !value.trim().is_empty(),
        ..Hsts::default()
    };
    // Only the first header counts (RFC 6797 §8.1).
    let first = value.split(", ").next().unwrap_or("");
    for directive in first.split(';') {
        let d = directive.trim().to_ascii_lowercase();
        if let Some(v) = d.strip_prefix("max-age=") {
            hsts.max_age = v.trim_matches('"').parse().unwrap_or(0);
        } else if d == "includesubdomains" {
            hsts.include_subdomains = true;
        } else if d == "preload" {
            hsts.preload = true;
        }
    }
    hsts
}

pub fn parse_cookie(set_cookie: &str) -> CookieFlags {
    let mut parts = set_cookie.split(';');
    let name = parts
        .next()
        .and_then(|nv| nv.split('=').next())
        .unwrap_or("")
        .trim()
        .to_string();
    let mut cookie = CookieFlags {
        name,
        secure: false,
        http_only: false,
        same_site: String::new(),
    };
    for attr in parts {
        let a = attr.trim();
        let lower = a.to_ascii_lowercase();
        if lower == "secure" {
            cookie.secure = true;
        } else if lower == "httponly" {
            cookie.http_only = true;
        } else if let Some(v) = lower.strip_prefix("samesite=") {
            let mut v = v.trim().to_string();
            if let Some(first) = v.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            cookie.same_site = v;
        }
    }
    cookie
}

/// The home-page facts from a fetched response.
pub fn home_page(r: &Fetched) -> HomePage {
    let https = r.url.scheme() == "https";
    let csp = r.header("content-security-policy");
    let html = r.text();
    HomePage {
        url: r.url.to_string(),
        status: r.status as u64,
        https,
        hsts: if https {
            parse_hsts(&r.header("strict-transport-security"))
        } else {
            // Browsers ignore HSTS over plain HTTP.
            Hsts::default()
        },
        csp_frame_ancestors: csp.to_ascii_lowercase().contains("frame-ancestors"),
        content_security_policy: csp,
        x_content_type_options: r.header("x-content-type-options"),
        x_frame_options: r.header("x-frame-options"),
        referrer_policy: r.header("referrer-policy"),
        cookies: r
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| parse_cookie(&String::from_utf8_lossy(v.as_bytes())))
            .collect(),
        server: r.header("server"),
        x_powered_by: r.header("x-powered-by"),
        x_aspnet_version: r.header("x-aspnet-version"),
        x_aspnetmvc_version: r.header("x-aspnetmvc-version"),
        x_generator: r.header("x-generator"),
        generator: generator(&html),
        mixed_content: if https {
            mixed_content(&html)
        } else {
            Vec::new()
        },
        body_truncated: r.truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_either_attribute_order() {
        assert_eq!(
            generator(r#"<head><meta name="generator" content="NukeViet v4.5"></head>"#),
            "NukeViet v4.5"
        );
        assert_eq!(
            generator(r#"<meta content='WordPress 6.4.2' name='generator' />"#),
            "WordPress 6.4.2"
        );
        assert_eq!(generator("<p>no meta</p>"), "");
    }

    #[test]
    fn mixed_content_finds_active_http_only() {
        let html = r#"<script src="http://cdn.example/a.js"></script>
            <img src="http://x/y.png">
            <form method=post action="http://truong.edu.vn/login">
            <link rel="stylesheet" href="http://x/s.css"><link rel="icon" href="http://x/i.ico">
            <script src="https://ok/b.js"></script>"#;
        let kinds: Vec<_> = mixed_content(html).into_iter().map(|m| m.kind).collect();
        assert_eq!(kinds, ["script", "form", "stylesheet"]);
    }

    #[test]
    fn hsts_and_cookies_parse() {
        let h = parse_hsts("max-age=31536000; includeSubDomains; preload");
        assert!(h.present && h.include_subdomains && h.preload);
        assert_eq!(h.max_age, 31536000);
        assert!(!parse_hsts("").present);
        let c = parse_cookie("PHPSESSID=abc; path=/; HttpOnly; SameSite=lax");
        assert_eq!(c.name, "PHPSESSID");
        assert!(c.http_only && !c.secure);
        assert_eq!(c.same_site, "Lax");
    }
}
