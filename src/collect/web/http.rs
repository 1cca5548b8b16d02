//! HTTP facts: the `http://` → `https://` redirect chain hop by hop, and the home
//! page's security headers, cookies, version disclosures and mixed content.

use url::Url;

use super::fetch::{Fetched, SiteFetcher};
use crate::facts::Unknown;
use crate::facts::web::{
    CookieFlags, DisclosedVersion, HomePage, Hsts, MixedContent, RedirectChain, RedirectHop,
};

/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 10;
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
        // Read in full and kept: the hop that lands on the home page is the home
        // page, not read a second time.
        let r = match fetcher.get_shared(&url).await {
            Ok(r) => r,
            // A refused connection to port 80 is a decided fact: plain HTTP is off.
            Err(e)
                if hops.is_empty()
                    && e.reason == crate::facts::ReasonCode::Unreachable
                    && e.detail.contains("refused") =>
            {
                return Ok(RedirectChain {
                    port_closed: true,
                    hops,
                    first_status: 0,
                    first_hop_to_https_same_host: false,
                    ends_on_https_same_host: false,
                    too_many_redirects: false,
                });
            }
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
        port_closed: false,
        first_status: first.status,
        first_hop_to_https_same_host,
        ends_on_https_same_host,
        too_many_redirects: too_many,
        hops,
    })
}

/// The page `start` lands on, following redirects on the same host (`/` →
/// `/vi/` on many portals) but never from HTTPS down to HTTP; with the address
/// asked for. Each response is kept by the fetcher, so the redirect chain, the
/// page checks and the listing check of `/` share one request per URL.
pub async fn landing(fetcher: &SiteFetcher, start: &Url) -> Result<(Url, Fetched), Unknown> {
    let mut url = start.clone();
    for _ in 0..MAX_REDIRECTS {
        let r = fetcher.get_shared(&url).await?;
        let next = ((300..400).contains(&r.status))
            .then(|| url.join(&r.header("location")).ok())
            .flatten()
            .filter(|n| same_host(start, n) && (n.scheme() == "https" || url.scheme() == "http"));
        match next {
            Some(n) if n != url => url = n,
            _ => return Ok((start.clone(), r)),
        }
    }
    Ok((start.clone(), fetcher.get_shared(&url).await?))
}

/// What the home page's tags say: the `<meta name="generator">` content and the
/// active content it loads over plain HTTP. Read with an HTML tokenizer, so
/// attributes count in any order and case, quoted or not (`<link href=… rel=…>`,
/// the old embed code of font services, was missed by attribute-order patterns).
#[derive(Debug, Default)]
pub struct PageTags {
    pub generator: String,
    pub mixed_content: Vec<MixedContent>,
}

pub fn page_tags(html: &str) -> PageTags {
    let mut emitter = html5gum::DefaultEmitter::default();
    // Script and style bodies are text, not tags (`"<script src=http://…>"` inside
    // a script string is not a tag the browser loads).
    emitter.naively_switch_states(true);
    let mut out = PageTags::default();
    for token in html5gum::Tokenizer::new_with_emitter(html, emitter).flatten() {
        let html5gum::Token::StartTag(tag) = token else {
            continue;
        };
        let attr = |name: &str| {
            tag.attributes
                .get(name.as_bytes())
                .map(|v| String::from_utf8_lossy(&v.value).trim().to_string())
        };
        let kind = match tag.name.as_slice() {
            b"meta" => {
                if out.generator.is_empty()
                    && attr("name").is_some_and(|n| n.eq_ignore_ascii_case("generator"))
                {
                    out.generator = attr("content").unwrap_or_default();
                }
                continue;
            }
            b"script" => ("script", attr("src")),
            b"iframe" => ("iframe", attr("src")),
            b"form" => ("form", attr("action")),
            // Only stylesheets among <link>s load active content.
            b"link" => {
                let rel = attr("rel").unwrap_or_default().to_ascii_lowercase();
                if !rel.split_ascii_whitespace().any(|r| r == "stylesheet") {
                    continue;
                }
                ("stylesheet", attr("href"))
            }
            _ => continue,
        };
        if let (name, Some(url)) = kind
            && url.len() > 7
            && url[..7].eq_ignore_ascii_case("http://")
            && out.mixed_content.len() < MAX_MIXED_ITEMS
        {
            out.mixed_content.push(MixedContent {
                kind: name.to_string(),
                url,
            });
        }
    }
    out
}

/// The `<meta name="generator">` content, if any.
pub fn generator(html: &str) -> String {
    page_tags(html).generator
}

/// `http://` scripts, iframes, form actions and stylesheets.
pub fn mixed_content(html: &str) -> Vec<MixedContent> {
    page_tags(html).mixed_content
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
    let tags = page_tags(&html);
    let header_sources = [
        ("Server", "server"),
        ("X-Powered-By", "x-powered-by"),
        ("X-AspNet-Version", "x-aspnet-version"),
        ("X-AspNetMvc-Version", "x-aspnetmvc-version"),
        ("X-Generator", "x-generator"),
    ];
    let mut disclosed: Vec<DisclosedVersion> = header_sources
        .iter()
        .flat_map(|(source, header)| super::software::versions_named(&r.header(header), source))
        .collect();
    disclosed.extend(super::software::versions_named(
        &tags.generator,
        "meta generator",
    ));
    HomePage {
        url: r.url.to_string(),
        redirected_from: String::new(),
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
        generator: tags.generator,
        disclosed_versions: disclosed,
        mixed_content: if https {
            tags.mixed_content
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
    fn mixed_content_attributes_in_any_order_and_case() {
        let html = r#"<link href="http://fonts.example/css?family=Roboto" rel="stylesheet">
            <LINK HREF=http://x/a.css REL="preload stylesheet">
            <link href="http://x/icon.png" rel="icon">
            <script>var s = "<script src='http://not/a/tag.js'></script>";</script>
            <iframe width=1 src='http://video.example/embed'></iframe>"#;
        let found: Vec<_> = mixed_content(html)
            .into_iter()
            .map(|m| (m.kind, m.url))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "stylesheet".into(),
                    "http://fonts.example/css?family=Roboto".into()
                ),
                ("stylesheet".into(), "http://x/a.css".into()),
                ("iframe".into(), "http://video.example/embed".into()),
            ] as [(String, String); 3]
        );
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
