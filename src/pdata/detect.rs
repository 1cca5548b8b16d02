//! The detector: finds Vietnamese citizen ID numbers (CCCD, 12 digits) in text, and
//! counts weaker signals (9-digit old ID numbers, mobile phone numbers).
//!
//! A 12-digit number counts as a CCCD only when its structure is valid (see
//! [`cccd_structure_valid`]) **and** something else says it is an ID: a label such as
//! "CCCD" or "Số định danh" just before it or at the head of its column, or a column
//! (or the running text of a document) where most 12-digit numbers are valid IDs. A
//! random 12-digit number passes the structure test about 1.4% of the time, so the
//! second condition is what keeps invoice and account numbers out.
//!
//! Input text is split in lines; cells of a table row are separated by tabs (the
//! extractors emit spreadsheets, CSV and Word tables that way). Only counts and
//! masked numbers ever leave this module.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Labels that say "this is a citizen ID number". Lower-case with and without
/// diacritics; matching is ASCII-case-insensitive, and upper-case Vietnamese forms
/// are listed because case folding of non-ASCII letters is not done.
const ID_LABELS: &[&str] = &[
    "cccd",
    "căn cước",
    "CĂN CƯỚC",
    "can cuoc",
    "định danh",
    "Định danh",
    "ĐỊNH DANH",
    "dinh danh",
    "cmnd",
    "cmtnd",
    "chứng minh",
    "CHỨNG MINH",
    "chung minh",
    "citizen id",
    "id number",
];

/// Labels of the old 9-digit ID card only.
const OLD_ID_LABELS: &[&str] = &["cmnd", "cmtnd", "chứng minh", "CHỨNG MINH", "chung minh"];

static ID_LABEL_MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(ID_LABELS)
        .expect("static patterns")
});

static OLD_ID_LABEL_MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(OLD_ID_LABELS)
        .expect("static patterns")
});

/// Province and city codes that open a CCCD number: the place of birth registration
/// (Thông tư 07/2016/TT-BCA, 63 codes; numbers issued before the 2025 merger of
/// provinces keep them).
const PROVINCE_CODES: &[u16] = &[
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Earliest birth year considered plausible for a living pupil, parent or teacher.
const EARLIEST_BIRTH_YEAR: u16 = 1920;

/// Characters of text before a number searched for a label ("Số CCCD: 068…").
const LABEL_WINDOW: usize = 48;

/// A column (or a document's running text) is an ID column when at least this
/// share of its 12-digit numbers are valid IDs...
const ID_COLUMN_RATIO: f64 = 0.5;
/// ...and it has at least this many of them.
const ID_COLUMN_MIN: usize = 3;

/// Whether a 12-digit string has the structure of a CCCD number: a province code,
/// a century-and-sex digit 0–3 (0/1: born 1900–1999, 2/3: born 2000–2099) and a
/// birth year between [`EARLIEST_BIRTH_YEAR`] and `current_year`.
pub fn cccd_structure_valid(digits: &[u8], current_year: u16) -> bool {
    if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let d = |i: usize| u16::from(digits[i] - b'0');
    let province = d(0) * 100 + d(1) * 10 + d(2);
    if PROVINCE_CODES.binary_search(&province).is_err() {
        return false;
    }
    let century = match d(3) {
        0 | 1 => 1900,
        2 | 3 => 2000,
        _ => return false,
    };
    let year = century + d(4) * 10 + d(5);
    (EARLIEST_BIRTH_YEAR..=current_year).contains(&year)
}

/// Masks an ID for reports: the province code and the last three digits stay,
/// e.g. `068******123`.
pub fn mask(id: &str) -> String {
    let n = id.len();
    if n <= 6 {
        return "*".repeat(n);
    }
    format!("{}{}{}", &id[..3], "*".repeat(n - 6), &id[n - 3..])
}

/// Masks every run of 9 or more digits in a message (a parser's error can quote
/// a cell): what reaches a report never holds an ID in clear.
pub fn redact_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 9 {
            out.push_str(&mask(digits));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in message.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// What the detector found in one text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Detection {
    /// Distinct CCCD numbers confirmed (valid structure and ID context), as
    /// numbers (format with `{:012}`). Kept in memory only; use
    /// [`Detection::masked_samples`] for anything written.
    pub ids: BTreeSet<u64>,
    /// Of those, how many had a label beside them or at the head of their column.
    pub labelled: usize,
    /// Structurally valid 12-digit numbers without ID context (not counted).
    pub unconfirmed: usize,
    /// Distinct 9-digit numbers next to an old-ID (CMND) label.
    pub old_ids: usize,
    /// Distinct Vietnamese mobile phone numbers.
    pub phones: usize,
}

impl Detection {
    /// Up to `n` masked IDs, in a stable order.
    pub fn masked_samples(&self, n: usize) -> Vec<String> {
        self.ids
            .iter()
            .take(n)
            .map(|id| mask(&format!("{id:012}")))
            .collect()
    }
}

/// Statistics of one column of table rows (or of the running text).
#[derive(Clone, Default)]
struct PlaceStats {
    twelve_digit: usize,
    valid: usize,
    /// A header cell of this column carried an ID label.
    labelled_header: bool,
}

impl PlaceStats {
    fn is_id_column(&self) -> bool {
        self.valid >= ID_COLUMN_MIN
            && self.valid as f64 >= ID_COLUMN_RATIO * self.twelve_digit as f64
    }
}

/// A structurally valid number waiting for the column statistics.
struct Candidate {
    id: u64,
    /// Column index, or `None` for running text.
    column: Option<usize>,
    labelled: bool,
}

/// Finds CCCD numbers and weaker signals in `text`. `current_year` bounds the
/// plausible birth years (pass the scan's year; never read the clock here).
pub fn detect(text: &str, current_year: u16) -> Detection {
    let mut columns: Vec<PlaceStats> = Vec::new();
    let mut prose = PlaceStats::default();
    let mut candidates = Vec::new();
    // Vectors sorted and deduplicated at the end: cheaper than sets per number.
    let mut old_ids = Vec::new();
    let mut phones = Vec::new();
    let mut previous_line_labelled = false;

    for line in text.lines() {
        let tabular = line.contains('\t');
        let mut line_labelled = false;
        let mut line_has_numbers = false;
        for (col, cell) in line.split('\t').enumerate() {
            let column = tabular.then_some(col);
            // Labels have letters; most cells of a list are bare numbers or names.
            let has_label = may_hold_label(cell) && ID_LABEL_MATCHER.is_match(cell);
            line_labelled |= has_label;
            let stats = match column {
                Some(c) => {
                    if columns.len() <= c {
                        columns.resize(c + 1, PlaceStats::default());
                    }
                    &mut columns[c]
                }
                None => &mut prose,
            };
            let mut cell_has_numbers = false;
            for_each_digit_run(cell, |start, run| {
                cell_has_numbers = true;
                let labelled_before = || {
                    let before = window_before(cell, start, LABEL_WINDOW);
                    may_hold_label(before) && ID_LABEL_MATCHER.is_match(before)
                };
                match run.len() {
                    12 => {
                        stats.twelve_digit += 1;
                        if cccd_structure_valid(run.as_bytes(), current_year) {
                            stats.valid += 1;
                            candidates.push(Candidate {
                                id: digits_value(run),
                                column,
                                labelled: (!tabular
                                    && previous_line_labelled
                                    && start < LABEL_WINDOW)
                                    || labelled_before(),
                            });
                        }
                    }
                    9 if stats.labelled_header || {
                        let before = window_before(cell, start, LABEL_WINDOW);
                        OLD_ID_LABEL_MATCHER.is_match(before)
                    } =>
                    {
                        old_ids.push(digits_value(run));
                    }
                    10 if is_mobile(run) => {
                        phones.push(digits_value(run));
                    }
                    _ => {}
                }
            });
            if tabular && has_label && !cell_has_numbers {
                stats.labelled_header = true;
            }
            line_has_numbers |= cell_has_numbers;
        }
        // "Số CCCD:" on one line and the number on the next (PDF text, forms).
        previous_line_labelled = line_labelled && !line_has_numbers;
    }

    let distinct = |v: &mut Vec<u64>| {
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let mut out = Detection {
        old_ids: distinct(&mut old_ids),
        phones: distinct(&mut phones),
        ..Detection::default()
    };
    let mut ids = Vec::new();
    let mut labelled = Vec::new();
    for c in candidates {
        let s = match c.column {
            Some(i) => &columns[i],
            None => &prose,
        };
        let by_label = c.labelled || s.labelled_header;
        if by_label || s.is_id_column() {
            if by_label {
                labelled.push(c.id);
            }
            ids.push(c.id);
        } else {
            out.unconfirmed += 1;
        }
    }
    out.labelled = distinct(&mut labelled);
    distinct(&mut ids);
    out.ids = ids.into_iter().collect();
    out
}

/// Whether `text` has a byte that can start a label (Latin letters c, d, i, m and
/// the lead byte of Đ/đ): a cheap test before the label matcher.
fn may_hold_label(text: &str) -> bool {
    text.bytes()
        .any(|b| matches!(b | 0x20, b'c' | b'd' | b'i' | b'm') || b == 0xC4)
}

/// The value of an ASCII digit string of at most 19 digits.
fn digits_value(run: &str) -> u64 {
    run.bytes().fold(0, |n, b| n * 10 + u64::from(b - b'0'))
}

/// Calls `f(start, run)` for each maximal run of 9–12 ASCII digits that stands
/// alone as a number: not glued to letters (`HD068207001234` is a code) and not
/// part of a decimal or grouped amount (`1.068207001234`, `068207001234,5`).
fn for_each_digit_run<'a>(cell: &'a str, mut f: impl FnMut(usize, &'a str)) {
    let bytes = cell.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let end = i;
        if end - start < 9 || end - start > 12 {
            continue;
        }
        let joins = |b: u8| b == b'.' || b == b',' || b == b'-' || b == b'/';
        let glued_before = start > 0 && {
            let b = bytes[start - 1];
            b.is_ascii_alphabetic()
                || b == b'_'
                || (joins(b) && start > 1 && bytes[start - 2].is_ascii_digit())
        };
        let glued_after = end < bytes.len() && {
            let b = bytes[end];
            b.is_ascii_alphabetic()
                || b == b'_'
                || (joins(b) && end + 1 < bytes.len() && bytes[end + 1].is_ascii_digit())
        };
        if !glued_before && !glued_after {
            f(start, &cell[start..end]);
        }
    }
}

/// Up to `max` bytes of `cell` before byte `at`, cut on a character boundary.
fn window_before(cell: &str, at: usize, max: usize) -> &str {
    let mut from = at.saturating_sub(max);
    while !cell.is_char_boundary(from) {
        from += 1;
    }
    &cell[from..at]
}

/// Vietnamese mobile numbers since 2018: 10 digits, `03`, `05`, `07`, `08` or `09`.
fn is_mobile(run: &str) -> bool {
    let b = run.as_bytes();
    b.len() == 10 && b[0] == b'0' && matches!(b[1], b'3' | b'5' | b'7' | b'8' | b'9')
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: u16 = 2026;

    #[test]
    fn structure_rules() {
        assert!(cccd_structure_valid(b"068207001234", YEAR)); // Lâm Đồng, male, 2007
        assert!(cccd_structure_valid(b"001185012345", YEAR)); // Hà Nội, female, 1985
        assert!(!cccd_structure_valid(b"003207001234", YEAR)); // 003 is no province
        assert!(!cccd_structure_valid(b"068407001234", YEAR)); // century digit 4
        assert!(!cccd_structure_valid(b"068299001234", YEAR)); // born 2099: future
        assert!(!cccd_structure_valid(b"068010001234", YEAR)); // born 1910: too early
        assert!(!cccd_structure_valid(b"06820700123", YEAR)); // 11 digits
        assert!(PROVINCE_CODES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(PROVINCE_CODES.len(), 63);
    }

    #[test]
    fn masking_keeps_province_and_last_three() {
        assert_eq!(mask("068207001123"), "068******123");
        assert_eq!(mask("12345"), "*****");
    }

    #[test]
    fn messages_are_redacted() {
        assert_eq!(
            redact_numbers("bad cell '068207001234' at row 12345678"),
            "bad cell '068******234' at row 12345678"
        );
    }

    #[test]
    fn labelled_single_number_counts() {
        let d = detect("Họ tên: Nguyễn Văn An, số CCCD: 068207001234.", YEAR);
        assert_eq!(d.ids.len(), 1);
        assert_eq!(d.labelled, 1);
        assert_eq!(d.masked_samples(5), vec!["068******234"]);
    }

    #[test]
    fn label_on_previous_line_counts() {
        let d = detect("Số định danh cá nhân:\n068207001234\n", YEAR);
        assert_eq!(d.ids.len(), 1);
    }

    #[test]
    fn unlabelled_lone_valid_number_is_not_counted() {
        let d = detect("Số tài khoản: 068207001234 tại ngân hàng.", YEAR);
        assert!(d.ids.is_empty());
        assert_eq!(d.unconfirmed, 1);
    }

    #[test]
    fn header_labels_its_column_only() {
        let text = "STT\tHọ tên\tSố CCCD\tSố tài khoản\n\
                    1\tA\t068207001234\t068207009999\n\
                    2\tB\t068308001235\t123456789012\n";
        let d = detect(text, YEAR);
        assert_eq!(d.ids.len(), 2, "{d:?}");
        assert!(!d.ids.contains(&68_207_009_999));
        assert_eq!(d.labelled, 2);
    }

    #[test]
    fn a_column_of_valid_ids_counts_without_header() {
        let text = "1\t068207001234\n2\t068308001235\n3\t001185012345\n4\t079199000001\n";
        assert_eq!(detect(text, YEAR).ids.len(), 4);
    }

    #[test]
    fn a_column_of_account_numbers_does_not_count() {
        // One structurally valid number among many that are not: not an ID column.
        let mut text = String::from("STT\tSố tài khoản\n");
        for i in 0..20u64 {
            text.push_str(&format!("{i}\t{}\n", 512_300_000_000 + i * 7919));
        }
        text.push_str("21\t068207001234\n");
        let d = detect(&text, YEAR);
        assert!(d.ids.is_empty(), "{d:?}");
    }

    #[test]
    fn glued_and_decimal_numbers_are_not_ids() {
        let d = detect(
            "Mã HD068207001234; số tiền 1.068207001234; CCCD068207001234",
            YEAR,
        );
        assert!(d.ids.is_empty(), "{d:?}");
    }

    #[test]
    fn phones_and_old_ids_are_weak_signals() {
        let d = detect("SĐT 0912345678, 0352345678; CMND: 250123456", YEAR);
        assert_eq!(d.phones, 2);
        assert_eq!(d.old_ids, 1);
        assert!(d.ids.is_empty());
    }

    #[test]
    fn distinct_ids_are_counted_once() {
        let d = detect("CCCD 068207001234\nCCCD 068207001234\n", YEAR);
        assert_eq!(d.ids.len(), 1);
    }
}
