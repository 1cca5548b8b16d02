//! Sorting names the way Vietnamese readers expect: by the Vietnamese alphabet
//! (a ă â b c d đ e ê … o ô ơ … u ư …), tones compared only when the letters are
//! equal (ngang, huyền, hỏi, ngã, sắc, nặng), case ignored, and runs of digits compared
//! as numbers ("Xã Ví Dụ 2" before "Xã Ví Dụ 10").
//!
//! A full ICU collator would bring megabytes of data for one alphabet; canonical
//! decomposition (from `icu_normalizer`, already in the tree) and the fixed order of
//! the six tone marks are all Vietnamese needs.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    /// Digits before letters; a number compares by its length without leading zeros,
    /// then digit by digit.
    Number(usize, String),
    Letter(u32),
}

/// The sort key of `s`: letters and numbers, then the tones.
fn key(s: &str) -> (Vec<Token>, Vec<u8>) {
    let nfd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd().normalize(s);
    let mut tokens = Vec::new();
    let mut tones = Vec::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, tokens: &mut Vec<Token>| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0').to_string();
            tokens.push(Token::Number(trimmed.len(), trimmed));
            digits.clear();
        }
    };
    for c in nfd.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        flush(&mut digits, &mut tokens);
        let modifier = match c {
            '\u{0306}' => Some(1), // breve: ă
            '\u{0302}' => Some(2), // circumflex: â ê ô
            '\u{031B}' => Some(3), // horn: ơ ư
            _ => None,
        };
        let tone = match c {
            '\u{0300}' => Some(1), // huyền
            '\u{0309}' => Some(2), // hỏi
            '\u{0303}' => Some(3), // ngã
            '\u{0301}' => Some(4), // sắc
            '\u{0323}' => Some(5), // nặng
            _ => None,
        };
        if let Some(m) = modifier {
            if let Some(Token::Letter(w)) = tokens.last_mut() {
                *w += m;
            }
            continue;
        }
        if let Some(t) = tone {
            if let Some(last) = tones.last_mut() {
                *last = t;
            }
            continue;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        let weight = match lower {
            'đ' => 'd' as u32 * 4 + 1,
            other => other as u32 * 4,
        };
        tokens.push(Token::Letter(weight));
        if lower.is_alphabetic() {
            tones.push(0);
        }
    }
    flush(&mut digits, &mut tokens);
    (tokens, tones)
}

/// Compares two names in Vietnamese order (see the module documentation).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| natural_cmp(a, b));
        v
    }

    #[test]
    fn numbers_sort_as_numbers() {
        assert_eq!(
            sorted(&["Xã Ví Dụ 10", "Xã Ví Dụ 2", "Xã Ví Dụ 1"]),
            vec!["Xã Ví Dụ 1", "Xã Ví Dụ 2", "Xã Ví Dụ 10"]
        );
    }

    #[test]
    fn the_vietnamese_alphabet_and_tones() {
        // đ after every d; ă before â; ô before ơ; tones only when letters are equal.
        assert_eq!(
            sorted(&[
                "Đà Lạt",
                "Dương",
                "Ân",
                "Ăn",
                "An",
                "Ơn",
                "Ôn",
                "Bá",
                "Bà",
                "Ba"
            ]),
            vec![
                "An",
                "Ăn",
                "Ân",
                "Ba",
                "Bà",
                "Bá",
                "Dương",
                "Đà Lạt",
                "Ôn",
                "Ơn"
            ]
        );
        assert_eq!(natural_cmp("phường", "Phường"), Ordering::Greater);
        assert_eq!(
            sorted(&["Xã Tà Hine", "Phường Bảo Lộc", "Xã Đạ Huoai", "Phường 1"]),
            vec!["Phường 1", "Phường Bảo Lộc", "Xã Đạ Huoai", "Xã Tà Hine"]
        );
    }
}
