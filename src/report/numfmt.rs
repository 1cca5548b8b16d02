//! Numbers as readers of each language write them: Vietnamese uses a comma for
//! decimals and a dot between thousands ("65,0%", "1.234"); English the other way.

use crate::i18n::Lang;

/// A share with one decimal: `65,0%` (vi), `65.0%` (en); `—` when there is none.
pub fn pct(p: Option<f64>, lang: Lang) -> String {
    match p {
        Some(p) => format!("{}%", decimal(p, 1, lang)),
        None => "—".into(),
    }
}

/// `x` with `places` decimals and the language's decimal separator.
pub fn decimal(x: f64, places: usize, lang: Lang) -> String {
    let s = format!("{x:.places$}");
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

/// An integer with thousands separated: `12.345` (vi), `12,345` (en).
pub fn int(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let sep = match lang {
        Lang::Vi => '.',
        Lang::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_and_english_separators() {
        assert_eq!(pct(Some(65.0), Lang::Vi), "65,0%");
        assert_eq!(pct(Some(65.0), Lang::En), "65.0%");
        assert_eq!(pct(None, Lang::Vi), "—");
        assert_eq!(int(1234567, Lang::Vi), "1.234.567");
        assert_eq!(int(1234, Lang::En), "1,234");
        assert_eq!(int(999, Lang::Vi), "999");
        assert_eq!(decimal(12.25, 1, Lang::Vi), "12,2");
    }
}
