//! Making text that came from scanned machines, websites or result files harmless in
//! reports: HTML escaping, and neutralising spreadsheet formulas (a cell starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, as OWASP
//! recommends against CSV injection).

/// Escapes text for HTML element content and quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than whitespace have no place in a report.
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Neutralises a spreadsheet cell value that a spreadsheet would read as a formula.
pub fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(html("Trường Tiểu học Đạ Huoai"), "Trường Tiểu học Đạ Huoai");
    }

    #[test]
    fn formulas_are_neutralised() {
        for f in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\r=1",
        ] {
            assert!(cell(f).starts_with('\''), "{f}");
        }
        assert_eq!(cell("Trường A"), "Trường A");
        assert_eq!(cell(""), "");
    }
}
