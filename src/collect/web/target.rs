//! The list of sites to scan: from a file (one URL or host name a line, or CSV
//! `unit code,unit name,URL`), or from the command line. A target carries its unit
//! and, when it comes from the register, the register's system id.

use std::path::Path;

use url::Url;

use crate::facts::UnitRef;
use crate::i18n::{Lang, tr};

/// One site to scan.
#[derive(Clone, Debug, PartialEq)]
pub struct WebTarget {
    /// Where the scan starts: `https://host[:port]/` or `http://host[:port]/`.
    pub url: Url,
    pub unit: Option<UnitRef>,
    /// The information system's id in the Department's register, when known.
    pub system_id: Option<String>,
    /// Where the target was read, e.g. `sites.csv:12`, for messages.
    pub origin: String,
}

impl WebTarget {
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }
}

/// Reads a host name or URL. A bare name means `https://name/`.
pub fn parse_site(text: &str) -> Result<Url, String> {
    let text = text.trim();
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("https://{text}/")
    };
    let url = Url::parse(&with_scheme).map_err(|e| format!("`{text}`: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{text}`: only http:// and https:// sites can be scanned"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{text}`: no host name"));
    }
    // Only the site is scanned: the path, query and credentials are dropped.
    let mut site = url.clone();
    site.set_path("/");
    site.set_query(None);
    site.set_fragment(None);
    let _ = site.set_username("");
    let _ = site.set_password(None);
    Ok(site)
}

/// A line that could not be read; the other lines are still scanned.
#[derive(Debug, PartialEq)]
pub struct BadLine {
    pub origin: String,
    pub message: String,
}

/// Reads a target list. Blank lines and `#` comments are skipped; a CSV header line
/// whose last field is not a site (e.g. `ma_don_vi,ten_don_vi,url`) is skipped too.
pub fn parse_target_list(name: &str, text: &str, lang: Lang) -> (Vec<WebTarget>, Vec<BadLine>) {
    let mut targets = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let origin = format!("{name}:{}", i + 1);
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        let (unit, site) = match fields.as_slice() {
            [site] => (None, *site),
            [code, unit_name, site, ..] => (
                Some(UnitRef {
                    code: code.to_string(),
                    name: unit_name.to_string(),
                }),
                *site,
            ),
            _ => {
                bad.push(BadLine {
                    origin,
                    message: tr(
                        lang,
                        "cần một URL mỗi dòng, hoặc CSV `mã đơn vị,tên đơn vị,URL`",
                        "expected one URL a line, or CSV `unit code,unit name,URL`",
                    )
                    .to_string(),
                });
                continue;
            }
        };
        let is_header = i == 0 && unit.is_some() && !site.contains('.') && !site.contains("://");
        if is_header {
            continue;
        }
        match parse_site(site) {
            Ok(url) => targets.push(WebTarget {
                url,
                unit,
                system_id: None,
                origin,
            }),
            Err(e) => bad.push(BadLine {
                origin,
                message: format!(
                    "{}: {e}",
                    tr(lang, "trường URL không hợp lệ", "invalid URL field")
                ),
            }),
        }
    }
    (targets, bad)
}

/// Reads a target file; an unreadable file is one bad line naming it.
pub fn read_target_file(path: &Path, lang: Lang) -> (Vec<WebTarget>, Vec<BadLine>) {
    match crate::io::read_bounded_text(path, crate::io::MAX_LIST_BYTES) {
        Ok(text) => parse_target_list(&path.display().to_string(), &text, lang),
        Err(e) => (
            Vec::new(),
            vec![BadLine {
                origin: path.display().to_string(),
                message: e.to_string(),
            }],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_csv_lines() {
        let text = "ma_don_vi,ten_don_vi,url\n\
            THPT-BL-01,THPT Bảo Lộc,https://thpt-bl.edu.vn/tin-tuc?x=1\n\
            # comment\n\n\
            c3dalat.edu.vn\n\
            a,b\n\
            X,Y,ftp://nope\n";
        let (targets, bad) = parse_target_list("sites.csv", text, Lang::En);
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].url.as_str(), "https://thpt-bl.edu.vn/");
        assert_eq!(targets[0].unit.as_ref().unwrap().name, "THPT Bảo Lộc");
        assert_eq!(targets[1].url.as_str(), "https://c3dalat.edu.vn/");
        assert_eq!(targets[1].origin, "sites.csv:5");
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].origin, "sites.csv:6");
        assert!(bad[1].message.contains("ftp://nope"));
    }
}
