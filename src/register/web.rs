//! The register as the one source of truth for websites: the list of URLs a web scan
//! should visit (each with its unit and system), and the link back from what the scan
//! saw to the register: a site that answers but belongs to no registered system, and
//! a system in operation whose URL does not answer, are findings of the register
//! rules that read `register.site` and `register.system.web`.
//!
//! Everything here is a pure function of the register and the scan's results, so it
//! is tested without a network.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::Register;
use super::facts::{document, system_document, unit_ref};
use crate::eval::Evaluator;
use crate::facts::register::{RegisterFacts, SiteFacts, UrlCheckFacts};
use crate::facts::{FactDocument, UnitRef};
use crate::findings::TargetResult;
use crate::policy::{ParamValue, Policy, Rule};

/// One URL the web scan should visit, and where it belongs.
#[derive(Clone, Debug, PartialEq)]
pub struct WebTarget {
    /// The URL as the register writes it.
    pub url: String,
    pub unit: UnitRef,
    /// The registered system's id.
    pub system: String,
    /// The system's status (`operating`...): a scan may skip planned systems.
    pub status: String,
}

/// What the web scan saw at one URL.
#[derive(Clone, Debug, PartialEq)]
pub struct ScannedSite {
    pub url: String,
    /// The site answered with any HTTP response.
    pub answered: bool,
}

/// Every URL of every registered system, in register order, retired systems
/// included (one that still answers is worth knowing about).
pub fn web_targets(register: &Register) -> Vec<WebTarget> {
    register
        .systems
        .iter()
        .flat_map(|s| {
            let unit = register.unit(&s.unit).map(unit_ref).unwrap_or_default();
            s.urls.iter().map(move |url| WebTarget {
                url: url.clone(),
                unit: unit.clone(),
                system: s.id.clone(),
                status: s.status.clone(),
            })
        })
        .collect()
}

/// The target id of a website seen by a web scan.
pub fn site_target_id(url: &str) -> String {
    format!("site:{url}")
}

/// Fact documents linking a web scan's results to the register: every system with
/// what was seen at its URLs (`register.system.web`), and one `site:URL` document per
/// site that answered (`register.site`, with the system it belongs to, if any).
pub fn link_documents(
    register: &Register,
    sites: &[ScannedSite],
    at: Timestamp,
) -> Vec<FactDocument> {
    // What was seen, by normalised URL; a site seen twice answered if either time did.
    let mut seen: BTreeMap<String, bool> = BTreeMap::new();
    for site in sites {
        if let Some(key) = normalize_url(&site.url) {
            *seen.entry(key).or_default() |= site.answered;
        }
    }
    let mut docs: Vec<FactDocument> = register
        .systems
        .iter()
        .map(|s| {
            let checks = s
                .urls
                .iter()
                .map(|url| {
                    let answer = normalize_url(url).and_then(|k| seen.get(&k).copied());
                    UrlCheckFacts {
                        url: url.clone(),
                        scanned: answer.is_some(),
                        answered: answer.unwrap_or(false),
                    }
                })
                .collect();
            system_document(register, s, Some(checks), at)
        })
        .collect();

    // Registered hosts (host[:port]) → system, so that any page of a registered
    // site, or its http:// twin, belongs to the system.
    let mut by_host: BTreeMap<String, &super::System> = BTreeMap::new();
    for s in &register.systems {
        for url in &s.urls {
            if let Some(host) = normalize_url(url).and_then(|k| host_of(&k)) {
                by_host.entry(host).or_insert(s);
            }
        }
    }
    let mut reported = std::collections::BTreeSet::new();
    for site in sites.iter().filter(|s| s.answered) {
        let Some(key) = normalize_url(&site.url) else {
            continue;
        };
        if !reported.insert(key.clone()) {
            continue;
        }
        let system = host_of(&key).and_then(|h| by_host.get(&h).copied());
        let unit = system.and_then(|s| register.unit(&s.unit));
        let facts = RegisterFacts {
            scope: "site".into(),
            unit: None,
            system: None,
            site: Some(SiteFacts {
                url: site.url.clone(),
                answered: site.answered,
                system: system.map(|s| s.id.clone()),
            }),
        };
        docs.push(document(
            site_target_id(&site.url),
            unit.map(unit_ref),
            facts,
            at,
        ));
    }
    docs
}

/// Whether a rule is about the link between register and websites: it reads
/// `register.site` or `register.system.web`.
pub fn is_web_link_rule(rule: &Rule) -> bool {
    let reads = |p: &String| p.starts_with("register.site") || p.starts_with("register.system.web");
    rule.check.fact_paths.iter().any(reads)
        || rule
            .applies_when
            .as_ref()
            .is_some_and(|c| c.fact_paths.iter().any(reads))
}

/// The findings of the web-link rules for a web scan's results: the pure function
/// `khien scan web --register` calls once the scan is done.
pub fn link_findings(
    policy: &Policy,
    params: BTreeMap<String, ParamValue>,
    register: &Register,
    sites: &[ScannedSite],
    at: Timestamp,
) -> Vec<TargetResult> {
    let evaluator = Evaluator::new(policy, params, at);
    link_documents(register, sites, at)
        .iter()
        .map(|doc| {
            let mut result = evaluator.evaluate(&doc.target, doc.collected_at, &doc.facts);
            result
                .findings
                .retain(|f| policy.rule(&f.rule).is_some_and(is_web_link_rule));
            result
        })
        .filter(|r| !r.findings.is_empty())
        .collect()
}

/// A URL reduced to compare registers with scans: lowercase scheme and host, no
/// default port, no fragment, `/` for an empty path. `None` when it is not an
/// http(s) URL with a host.
pub fn normalize_url(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.contains('@') || authority.is_empty() || authority.contains(char::is_whitespace) {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (authority.as_str(), None),
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() => (h, Some(p)),
        Some(_) => return None,
        None => (authority.as_str(), None),
    };
    if host.is_empty() {
        return None;
    }
    let host = host.trim_end_matches('.');
    let authority = match port {
        Some(p) if p != default_port => format!("{host}:{p}"),
        _ => host.to_string(),
    };
    let path = if path.is_empty() || path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Some(format!("{scheme}://{authority}{path}"))
}

/// `host[:port]` of a normalised URL, scheme left out.
fn host_of(normalized: &str) -> Option<String> {
    let rest = normalized.split_once("://")?.1;
    Some(rest.split(['/', '?']).next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalise() {
        assert_eq!(
            normalize_url("HTTPS://Truong.LamDong.edu.vn:443").as_deref(),
            Some("https://truong.lamdong.edu.vn/")
        );
        assert_eq!(
            normalize_url("http://127.0.0.1:8080/a?b#c").as_deref(),
            Some("http://127.0.0.1:8080/a?b")
        );
        assert_eq!(
            normalize_url("https://[::1]:8443/").as_deref(),
            Some("https://[::1]:8443/")
        );
        assert_eq!(normalize_url("ftp://x/"), None);
        assert_eq!(normalize_url("https://user@x/"), None);
        assert_eq!(normalize_url("truong.edu.vn"), None);
        assert_eq!(normalize_url("https://x:abc/"), None);
        assert_eq!(host_of("https://a.vn:8443/x").as_deref(), Some("a.vn:8443"));
    }
}
