//! Exposed sensitive files and directory listings (W08, W09).
//!
//! Each path is fetched with GET (first bytes only) and confirmed by a content
//! signature, so a "not found" page served with status 200 is never a finding.

use std::sync::LazyLock;

use futures_util::future::join_all;
use regex::Regex;
use url::Url;

use super::fetch::SiteFetcher;
use crate::facts::web::{DirectoryListing, ExposedFile};
use crate::facts::{Fact, ReasonCode, Unknown};

/// Bytes read of each candidate file: enough for every signature below.
const FILE_BODY_CAP: usize = 64 * 1024;
/// Listings are read further, to see which files they show.
const LISTING_BODY_CAP: usize = 256 * 1024;

/// How a file's content is recognised.
#[derive(Clone, Copy, Debug)]
enum Signature {
    GitHead,
    GitConfig,
    DotEnv,
    SvnEntries,
    Sqlite,
    DsStore,
    Zip,
    Gzip,
    SqlDump,
    PhpSource,
    WebConfig,
    PhpInfo,
    ApacheStatus,
}

impl Signature {
    fn describe(self) -> &'static str {
        match self {
            Signature::GitHead => "starts with \"ref:\" or a commit id",
            Signature::GitConfig => "contains \"[core]\"",
            Signature::DotEnv => "KEY=value lines",
            Signature::SvnEntries => "Subversion entries format number",
            Signature::Sqlite => "SQLite header",
            Signature::DsStore => "Mac .DS_Store header",
            Signature::Zip => "ZIP header",
            Signature::Gzip => "gzip header",
            Signature::SqlDump => "SQL statements",
            Signature::PhpSource => "PHP source code",
            Signature::WebConfig => "ASP.NET configuration",
            Signature::PhpInfo => "phpinfo() page",
            Signature::ApacheStatus => "Apache Server Status page",
        }
    }

    fn matches(self, body: &[u8]) -> bool {
        let text = String::from_utf8_lossy(&body[..body.len().min(FILE_BODY_CAP)]);
        let looks_html = text.trim_start().starts_with('<')
            && text
                .get(..300)
                .unwrap_or(&text)
                .to_ascii_lowercase()
                .contains("<html");
        match self {
            Signature::GitHead => {
                let t = text.trim();
                t.starts_with("ref: refs/")
                    || (t.len() == 40 && t.chars().all(|c| c.is_ascii_hexdigit()))
            }
            Signature::GitConfig => !looks_html && text.contains("[core]"),
            Signature::DotEnv => !looks_html && DOTENV_LINE.find_iter(&text).count() >= 2,
            Signature::SvnEntries => {
                let first = text.lines().next().unwrap_or("").trim();
                !first.is_empty() && first.len() <= 3 && first.chars().all(|c| c.is_ascii_digit())
            }
            Signature::Sqlite => body.starts_with(b"SQLite format 3\0"),
            Signature::DsStore => body.starts_with(b"\0\0\0\x01Bud1"),
            Signature::Zip => body.starts_with(b"PK\x03\x04"),
            Signature::Gzip => body.starts_with(&[0x1f, 0x8b]),
            Signature::SqlDump => !looks_html && SQL_STATEMENT.is_match(&text),
            Signature::PhpSource => text.contains("<?php"),
            Signature::WebConfig => text.contains("<configuration") && !looks_html,
            Signature::PhpInfo => PHPINFO.is_match(&text),
            Signature::ApacheStatus => text.contains("Apache Server Status for"),
        }
    }
}

static DOTENV_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^[A-Z][A-Z0-9_]*=").expect("valid regex"));
static SQL_STATEMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(^|\n)\s*(CREATE TABLE|INSERT INTO|-- MySQL dump|-- PostgreSQL database dump|DROP TABLE)")
        .expect("valid regex")
});
/// phpinfo() of every PHP version, from its first bytes: PHP 5 titles the page
/// `phpinfo()`, PHP 7 and 8 `PHP 7.4.3 - phpinfo()`; all open the body with
/// `<h1 class="p">PHP Version …</h1>`. ("PHP License" is at the very end, past
/// the bytes read on a real server.)
static PHPINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<title>\s*(?:PHP [0-9][0-9.]*[^<]*?-\s*)?phpinfo\(\)\s*</title>|<h1 class="p">PHP Version [0-9]"#)
        .expect("valid regex")
});
static LISTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)<title>\s*Index of /|<h1>\s*Index of /|Directory Listing For|\[To Parent Directory\]",
    )
    .expect("valid regex")
});
static SENSITIVE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)href="[^"]+\.(docx?|xlsx?|pdf|sql|zip|rar|7z|tar|gz|bak|csv)""#)
        .expect("valid regex")
});

/// The curated candidates; `{host}` becomes the site's host name.
const CANDIDATES: &[(&str, Signature)] = &[
    ("/.git/HEAD", Signature::GitHead),
    ("/.git/config", Signature::GitConfig),
    ("/.env", Signature::DotEnv),
    ("/.svn/entries", Signature::SvnEntries),
    ("/.svn/wc.db", Signature::Sqlite),
    ("/.DS_Store", Signature::DsStore),
    ("/backup.zip", Signature::Zip),
    ("/backup.tar.gz", Signature::Gzip),
    ("/{host}.zip", Signature::Zip),
    ("/db.sql", Signature::SqlDump),
    ("/database.sql", Signature::SqlDump),
    ("/backup.sql", Signature::SqlDump),
    ("/wp-config.php.bak", Signature::PhpSource),
    ("/config.php~", Signature::PhpSource),
    ("/configuration.php.bak", Signature::PhpSource),
    ("/web.config.bak", Signature::WebConfig),
    ("/phpinfo.php", Signature::PhpInfo),
    ("/info.php", Signature::PhpInfo),
    ("/server-status", Signature::ApacheStatus),
];

/// Folders checked for directory listing.
pub const LISTING_PATHS: &[&str] = &[
    "/",
    "/uploads/",
    "/files/",
    "/data/",
    "/backup/",
    "/tmp/",
    "/wp-content/uploads/",
];

/// Every candidate path for `host`, as requested.
pub fn candidate_paths(host: &str) -> Vec<String> {
    CANDIDATES
        .iter()
        .map(|(p, _)| p.replace("{host}", host))
        .collect()
}

/// Known when something was found or every path was checked; otherwise unknown
/// with the first failure.
fn settle<T>(found: Vec<T>, failures: Vec<Unknown>, total: usize) -> Fact<Vec<T>> {
    if !found.is_empty() || failures.is_empty() {
        return Fact::known(found);
    }
    let first = &failures[0];
    Fact::unknown(
        first.reason,
        format!(
            "{} of {total} paths not checked; first: {}",
            failures.len(),
            first.detail
        ),
    )
}

pub async fn exposed_files(fetcher: &SiteFetcher, base: &Url) -> Fact<Vec<ExposedFile>> {
    let host = fetcher.host().to_string();
    let checks = CANDIDATES.iter().map(|(path, sig)| {
        let path = path.replace("{host}", &host);
        async move {
            let url = base
                .join(&path)
                .map_err(|e| Unknown::new(ReasonCode::Error, format!("{path}: {e}")))?;
            let r = fetcher.get_capped(&url, FILE_BODY_CAP).await?;
            let hit = (r.status == 200 || r.status == 206) && sig.matches(&r.body);
            Ok::<_, Unknown>(hit.then(|| ExposedFile {
                path,
                status: r.status as u64,
                signature: sig.describe().to_string(),
            }))
        }
    });
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for r in join_all(checks).await {
        match r {
            Ok(Some(f)) => found.push(f),
            Ok(None) => {}
            Err(u) => failures.push(u),
        }
    }
    settle(found, failures, CANDIDATES.len())
}

pub async fn listings(fetcher: &SiteFetcher, base: &Url) -> Fact<Vec<DirectoryListing>> {
    let checks = LISTING_PATHS.iter().map(|path| async move {
        let url = base
            .join(path)
            .map_err(|e| Unknown::new(ReasonCode::Error, format!("{path}: {e}")))?;
        let r = fetcher.get_capped(&url, LISTING_BODY_CAP).await?;
        let text = r.text();
        let hit = r.status == 200 && LISTING.is_match(&text);
        Ok::<_, Unknown>(hit.then(|| DirectoryListing {
            path: path.to_string(),
            sensitive_files: SENSITIVE_NAME.is_match(&text),
        }))
    });
    let mut found = Vec::new();
    let mut failures = Vec::new();
    for r in join_all(checks).await {
        match r {
            Ok(Some(l)) => found.push(l),
            Ok(None) => {}
            Err(u) => failures.push(u),
        }
    }
    settle(found, failures, LISTING_PATHS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_404_pages_match_no_signature() {
        let page = b"<!DOCTYPE html><html><head><title>Khong tim thay</title></head>\
            <body>ref: refs/heads/main [core] APP_KEY=1\nDB_PASSWORD=2\nCREATE TABLE x</body></html>";
        for (path, sig) in CANDIDATES {
            if matches!(sig, Signature::PhpSource) {
                continue; // a page never contains raw "<?php"
            }
            assert!(!sig.matches(page), "{path} matched a soft 404");
        }
    }

    #[test]
    fn real_contents_match() {
        assert!(Signature::GitHead.matches(b"ref: refs/heads/master\n"));
        assert!(Signature::DotEnv.matches(b"APP_KEY=base64:x\nDB_PASSWORD=secret\n"));
        assert!(Signature::SqlDump.matches(b"-- MySQL dump 10.13\nCREATE TABLE `hs` (\n"));
        assert!(Signature::SvnEntries.matches(b"12\n"));
        assert!(Signature::Zip.matches(b"PK\x03\x04rest"));
        let php8 = b"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head>\n<style type=\"text/css\">body {}</style>\n<title>PHP 8.2.7 - phpinfo()</title><meta name=\"ROBOTS\" content=\"NOINDEX,NOFOLLOW,NOARCHIVE\" /></head>\n<body><div class=\"center\">";
        assert!(Signature::PhpInfo.matches(php8));
        assert!(Signature::PhpInfo.matches(b"<html><head><title>phpinfo()</title></head>"));
        assert!(!Signature::PhpInfo.matches(b"<html><title>PHP tutorial</title>"));
    }

    #[test]
    fn listings_and_sensitive_names() {
        let nginx = r#"<html><head><title>Index of /uploads/</title></head><body><h1>Index of /uploads/</h1><a href="diem-thi.xlsx">diem-thi.xlsx</a>"#;
        assert!(LISTING.is_match(nginx));
        assert!(SENSITIVE_NAME.is_match(nginx));
        assert!(LISTING.is_match("<pre>[To Parent Directory]</pre>"));
    }
}
