//! CMS and runtime detection (WordPress, Joomla, Drupal, NukeViet, PHP) and the
//! end of support of their branch, from the dated table in `data/web-eol.toml`.
//!
//! The collector only reports what it saw and the table's date for that branch;
//! the rule compares the date with the evaluation time.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;
use url::Url;

use super::fetch::{Fetched, SiteFetcher};
use crate::facts::web::{DisclosedVersion, Product};

const EOL_TABLE: &str = include_str!("../../../data/web-eol.toml");
const FILE_BODY_CAP: usize = 64 * 1024;

#[derive(Deserialize)]
struct EolTable {
    as_of: String,
    branch: Vec<EolBranch>,
}

#[derive(Deserialize)]
struct EolBranch {
    product: String,
    branch: String,
    eol: String,
}

static TABLE: LazyLock<EolTable> =
    LazyLock::new(|| toml::from_str(EOL_TABLE).expect("data/web-eol.toml is checked by a test"));

/// The date of the shipped table.
pub fn eol_table_date() -> String {
    TABLE.as_of.clone()
}

/// End of support of `product` `version`'s branch, as RFC 3339, or empty.
pub fn eol_for(product: &str, version: &str) -> String {
    TABLE
        .branch
        .iter()
        .filter(|b| b.product == product)
        .filter(|b| version == b.branch || version.starts_with(&format!("{}.", b.branch)))
        .max_by_key(|b| b.branch.len())
        .map(|b| format!("{}T00:00:00Z", b.eol))
        .unwrap_or_default()
}

static VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d+(?:\.\d+){0,3})").expect("valid regex"));

fn first_version(s: &str) -> String {
    VERSION
        .captures(s)
        .map(|c| c[1].to_string())
        .unwrap_or_default()
}

/// `Product/1.2`, `Product 1.2`, `Product v1.2`, `Product 7` (a bare major is a
/// version too: "Drupal 7 (http://drupal.org)").
static NAME_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)([a-z][a-z0-9_.+-]*!?)(?:/|\s+v?|\s*-\s*v?)(\d+(?:\.\d+){0,3})")
        .expect("valid regex")
});

/// The one parser of product and version, shared by the version-disclosure rule
/// (WEB-VER-001, every pair) and the end-of-life rule (WEB-SW-001, the CMS and PHP
/// among them). A value that is only a version (`X-AspNet-Version: 4.0.30319`)
/// is named after its source.
pub fn versions_named(value: &str, source: &str) -> Vec<DisclosedVersion> {
    let value = value.trim();
    if value.is_empty() {
        return Vec::new();
    }
    if value.starts_with(|c: char| c.is_ascii_digit()) {
        return vec![DisclosedVersion {
            source: source.to_string(),
            product: source.to_ascii_lowercase(),
            version: first_version(value),
        }];
    }
    NAME_VERSION
        .captures_iter(value)
        .map(|c| DisclosedVersion {
            source: source.to_string(),
            product: c[1].trim_end_matches('!').to_ascii_lowercase(),
            version: c[2].to_string(),
        })
        .collect()
}

fn product(name: &str, version: String, source: &str) -> Product {
    Product {
        eol: if version.is_empty() {
            String::new()
        } else {
            eol_for(name, &version)
        },
        name: name.to_string(),
        version,
        source: source.to_string(),
    }
}

/// Products named by a generator string (meta tag or X-Generator header).
fn from_generator(generator: &str, source: &str) -> Option<Product> {
    let lower = generator.to_ascii_lowercase();
    let name = ["wordpress", "joomla", "drupal", "nukeviet"]
        .into_iter()
        .find(|n| lower.contains(n))?;
    // Joomla's generator carries no version ("Joomla! - Open Source Content Management").
    let version = versions_named(generator, source)
        .into_iter()
        .find(|v| v.product.contains(name))
        .map(|v| v.version)
        .unwrap_or_default();
    Some(product(name, version, source))
}

static WP_README: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<br\s*/?>\s*Version\s+(\d+(?:\.\d+)+)").expect("valid regex")
});
static JOOMLA_MANIFEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<version>\s*(\d+(?:\.\d+)+)\s*</version>").expect("valid regex"));
static DRUPAL_CHANGELOG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^Drupal (\d+\.\d+(?:\.\d+)?)").expect("valid regex"));

/// Everything seen on the home page, then each suspected CMS's well-known file
/// when the home page gave no version.
pub async fn detect(fetcher: &SiteFetcher, home: &Fetched) -> Vec<Product> {
    let mut found: Vec<Product> = Vec::new();
    let html = home.text();
    for (value, source) in [
        (super::http::generator(&html), "meta generator"),
        (home.header("x-generator"), "X-Generator"),
    ] {
        if let Some(p) = from_generator(&value, source)
            && !found
                .iter()
                .any(|f| f.name == p.name && !f.version.is_empty())
        {
            found.retain(|f| f.name != p.name);
            found.push(p);
        }
    }
    for (value, source) in [
        (home.header("x-powered-by"), "X-Powered-By"),
        (home.header("server"), "Server"),
    ] {
        if let Some(php) = versions_named(&value, source)
            .into_iter()
            .find(|v| v.product == "php")
            && !found.iter().any(|f| f.name == "php")
        {
            found.push(product("php", php.version, source));
        }
    }
    let lower = html.to_ascii_lowercase();
    let suspect = |name: &str, marker: &str| {
        lower.contains(marker)
            && !found
                .iter()
                .any(|f| f.name == name && !f.version.is_empty())
    };
    let probes: Vec<(&str, &str, &LazyLock<Regex>)> = [
        ("wordpress", "/wp-content/", "/readme.html", &WP_README),
        (
            "joomla",
            "/media/system/js/",
            "/administrator/manifests/files/joomla.xml",
            &JOOMLA_MANIFEST,
        ),
        ("drupal", "drupal", "/CHANGELOG.txt", &DRUPAL_CHANGELOG),
    ]
    .into_iter()
    .filter(|(name, marker, _, _)| suspect(name, marker))
    .map(|(name, _, path, re)| (name, path, re))
    .collect();
    for (name, path, re) in probes {
        let Ok(url) = home.url.join(path) else {
            continue;
        };
        if let Some(version) = well_known_version(fetcher, &url, re).await {
            found.retain(|f| f.name != name);
            found.push(product(name, version, path));
        } else if !found.iter().any(|f| f.name == name) {
            found.push(product(name, String::new(), "page content"));
        }
    }
    found
}

async fn well_known_version(fetcher: &SiteFetcher, url: &Url, re: &Regex) -> Option<String> {
    let r = fetcher.get_capped(url, FILE_BODY_CAP).await.ok()?;
    if r.status != 200 {
        return None;
    }
    re.captures(&r.text()).map(|c| c[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_is_dated() {
        assert!(!eol_table_date().is_empty());
        assert_eq!(eol_for("php", "8.1.27"), "2025-12-31T00:00:00Z");
        assert_eq!(eol_for("php", "8.10.1"), "", "8.1 must not match 8.10");
        assert_eq!(eol_for("drupal", "7.98"), "2025-01-05T00:00:00Z");
        assert_eq!(eol_for("nukeviet", "4.5"), "");
    }

    #[test]
    fn generators_name_products() {
        let p = from_generator("NukeViet v4.5", "meta generator").unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("nukeviet", "4.5"));
        let p = from_generator("Drupal 7 (http://drupal.org)", "X-Generator").unwrap();
        assert_eq!(p.version, "7");
        assert_eq!(p.eol, "2025-01-05T00:00:00Z");
        let p = from_generator("Joomla! - Open Source Content Management", "meta").unwrap();
        assert_eq!(p.version, "");
        assert!(from_generator("Hugo 0.120", "meta").is_none());
    }

    #[test]
    fn one_parser_for_disclosure_and_end_of_life() {
        let pairs = |v: &str| {
            versions_named(v, "Server")
                .into_iter()
                .map(|d| format!("{}={}", d.product, d.version))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs("Drupal 7 (http://drupal.org)"), ["drupal=7"]);
        assert_eq!(
            pairs("Apache/2.4.41 (Ubuntu) OpenSSL/1.1.1f"),
            ["apache=2.4.41", "openssl=1.1.1"]
        );
        assert_eq!(pairs("Microsoft-IIS/10.0"), ["microsoft-iis=10.0"]);
        assert_eq!(pairs("PHP/8.1.2-1ubuntu2.14"), ["php=8.1.2"]);
        assert_eq!(pairs("NukeViet v4.5"), ["nukeviet=4.5"]);
        assert!(pairs("nginx").is_empty());
        assert!(pairs("Joomla! - Open Source Content Management").is_empty());
        assert_eq!(pairs("4.0.30319"), ["server=4.0.30319"]);
    }
}
