//! The register as the one source of truth for websites: the list of URLs a web scan
//! should visit (each with its unit and system), and the link back from what the scan
//! saw to the register: a site that answers but belongs to no registered system, and
//! a system in operation whose URL does not answer, are findings of the register
//! rules that read `register.site` and `register.system.web`.
//!
//! Everything here is a pure function of the register and the scan's results, so it
//! is tested without a network.
//!
//! `khien scan web --register FILE` (`src/cli/web.rs`) scans [`web_targets`], records a
//! [`ScannedSite`] per URL as it completes, and appends [`link_findings`] to the result.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::Register;
use super::facts::{document, system_document, unit_ref};
use crate::eval::Evaluator;
use crate::facts::register::{RegisterFacts, SiteFacts, UrlCheckFacts};
use crate::facts::{FactDocument, TargetIdentity, TargetKind, UnitRef};
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

impl WebTarget {
    /// The identity a web scan gives this site: kind `web`, the URL, and its unit.
    pub fn identity(&self) -> TargetIdentity {
        TargetIdentity {
            kind: TargetKind::Web,
            id: self.url.clone(),
            unit: Some(self.unit.clone()),
        }
    }
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

#[cfg(test)]
mod link_tests {
    use super::*;
    use crate::findings::Status;
    use crate::policy::{self, SourceFile};

    const REGISTER: &str = r#"
[[unit]]
code = "THPT-A"
name = "Trường THPT A"
type = "thpt"

[[system]]
id = "WEB-A"
name = "Website trường A"
unit = "THPT-A"
owner = "Trường THPT A"
operator = "Trường THPT A"
urls = ["https://127.0.0.1:8443/", "http://127.0.0.1:8080/"]
hosting = { kind = "on_premises" }
status = "operating"
personal_data = { categories = [] }

[[system]]
id = "LMS-A"
name = "Học trực tuyến A"
unit = "THPT-A"
owner = "Trường THPT A"
operator = "Trường THPT A"
urls = ["https://[::1]:9443/lms"]
hosting = { kind = "cloud" }
status = "operating"
personal_data = { categories = [] }

[[system]]
id = "OLD-A"
name = "Website cũ"
unit = "THPT-A"
owner = "Trường THPT A"
operator = "Trường THPT A"
urls = ["http://127.0.0.2/"]
hosting = { kind = "on_premises" }
status = "retired"
personal_data = { categories = [] }
"#;

    fn register() -> Register {
        crate::register::parse(SourceFile::new("r.toml", REGISTER)).unwrap()
    }

    #[test]
    fn every_url_becomes_a_target_with_its_unit_and_system() {
        let targets = web_targets(&register());
        let urls: Vec<(&str, &str, &str)> = targets
            .iter()
            .map(|t| (t.url.as_str(), t.system.as_str(), t.unit.code.as_str()))
            .collect();
        assert_eq!(
            urls,
            [
                ("https://127.0.0.1:8443/", "WEB-A", "THPT-A"),
                ("http://127.0.0.1:8080/", "WEB-A", "THPT-A"),
                ("https://[::1]:9443/lms", "LMS-A", "THPT-A"),
                ("http://127.0.0.2/", "OLD-A", "THPT-A"),
            ]
        );
        assert_eq!(targets[0].unit.name, "Trường THPT A");
        let id = targets[2].identity();
        assert_eq!(id.kind, TargetKind::Web);
        assert_eq!(id.id, "https://[::1]:9443/lms");
        assert_eq!(id.unit.unwrap().code, "THPT-A");
    }

    fn status_of(results: &[TargetResult], target: &str, rule: &str) -> Option<Status> {
        results
            .iter()
            .find(|r| r.target.id == target)?
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .map(|f| f.status)
    }

    #[test]
    fn unanswered_systems_and_unregistered_sites_are_findings() {
        let policy = policy::load_sources(policy::embedded_sources(), "embedded").unwrap();
        let params = policy.param_values(&Default::default());
        let at: Timestamp = "2026-11-23T01:00:00Z".parse().unwrap();
        let sites = [
            // Both URLs of WEB-A answer (one written differently from the register).
            ScannedSite {
                url: "HTTPS://127.0.0.1:8443".into(),
                answered: true,
            },
            ScannedSite {
                url: "http://127.0.0.1:8080/".into(),
                answered: true,
            },
            // LMS-A was scanned and did not answer.
            ScannedSite {
                url: "https://[::1]:9443/lms".into(),
                answered: false,
            },
            // A page of a registered host belongs to its system.
            ScannedSite {
                url: "https://127.0.0.1:8443/tin-tuc".into(),
                answered: true,
            },
            // A site nobody registered.
            ScannedSite {
                url: "http://127.0.0.3:8081/".into(),
                answered: true,
            },
            // One that does not answer and is not registered: nothing to say.
            ScannedSite {
                url: "http://127.0.0.4/".into(),
                answered: false,
            },
        ];
        let results = link_findings(&policy, params, &register(), &sites, at);
        assert_eq!(
            status_of(&results, "system:WEB-A", "REG-WEB-001"),
            Some(Status::Pass)
        );
        assert_eq!(
            status_of(&results, "system:LMS-A", "REG-WEB-001"),
            Some(Status::Fail)
        );
        // A retired system is not expected to answer.
        assert_eq!(
            status_of(&results, "system:OLD-A", "REG-WEB-001"),
            Some(Status::NotApplicable)
        );
        assert_eq!(
            status_of(&results, "site:http://127.0.0.3:8081/", "REG-WEB-002"),
            Some(Status::Fail)
        );
        assert_eq!(
            status_of(
                &results,
                "site:https://127.0.0.1:8443/tin-tuc",
                "REG-WEB-002"
            ),
            Some(Status::Pass)
        );
        let tin_tuc = results
            .iter()
            .find(|r| r.target.id == "site:https://127.0.0.1:8443/tin-tuc")
            .unwrap();
        assert_eq!(tin_tuc.target.unit.as_ref().unwrap().code, "THPT-A");
        assert!(
            results
                .iter()
                .all(|r| r.target.id != "site:http://127.0.0.4/")
        );
        // Only the link rules: the register's other rules belong to `scan register`.
        assert!(
            results
                .iter()
                .flat_map(|r| &r.findings)
                .all(|f| f.rule.starts_with("REG-WEB-"))
        );
    }

    #[test]
    fn without_a_web_scan_the_link_rules_do_not_apply() {
        let policy = policy::load_sources(policy::embedded_sources(), "embedded").unwrap();
        let params = policy.param_values(&Default::default());
        let at: Timestamp = "2026-11-23T01:00:00Z".parse().unwrap();
        let docs = crate::register::facts::fact_documents(&register(), at);
        let evaluator = Evaluator::new(&policy, params, at);
        for doc in &docs {
            let r = evaluator.evaluate(&doc.target, at, &doc.facts);
            for f in r.findings.iter().filter(|f| f.rule.starts_with("REG-WEB-")) {
                assert_eq!(
                    f.status,
                    crate::findings::Status::NotApplicable,
                    "{}",
                    f.rule
                );
            }
        }
    }
}
