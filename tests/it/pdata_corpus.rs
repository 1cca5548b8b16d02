//! Precision and recall of the citizen-ID detector on the labelled synthetic corpus
//! in `fixtures/pdata/corpus` (made by `scripts/pdata_corpus.py corpus`). Prints the
//! figures recorded in BENCHMARKS.md; fails when they fall below the recorded floor.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use khien::pdata::detect::detect;
use khien::pdata::extract::{ExtractLimits, Extracted, extract_file};

/// The corpus's newest birth year is 2020; a fixed year keeps the figures stable.
const YEAR: u16 = 2026;

#[derive(Default)]
struct Tally {
    tp: usize,
    fp: usize,
    fn_: usize,
}

#[test]
fn precision_and_recall_on_the_synthetic_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pdata/corpus");
    let labels: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("labels.json")).unwrap()).unwrap();
    let mut by_format: BTreeMap<String, Tally> = BTreeMap::new();
    let mut negatives_with_hits = Vec::new();
    let mut protected_seen = 0;
    // Structurally valid numbers the context rule left out (random account and
    // invoice numbers pass the structure test about 1.4% of the time).
    let mut rejected_without_context = 0;
    for (name, truth) in &labels {
        let path = dir.join(name);
        let ext = path.extension().unwrap().to_string_lossy().into_owned();
        let outcome = extract_file(&path, ExtractLimits::default());
        if truth == "protected" {
            assert_eq!(outcome, Extracted::Protected, "{name}");
            protected_seen += 1;
            continue;
        }
        let truth: BTreeSet<u64> = truth
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect();
        let Extracted::Text(text) = outcome else {
            panic!("{name}: expected text, got {outcome:?}");
        };
        let detection = detect(&text, YEAR);
        rejected_without_context += detection.unconfirmed;
        let found = detection.ids;
        let t = by_format.entry(ext).or_default();
        t.tp += found.intersection(&truth).count();
        t.fp += found.difference(&truth).count();
        t.fn_ += truth.difference(&found).count();
        if truth.is_empty() && !found.is_empty() {
            negatives_with_hits.push(format!("{name}: {}", found.len()));
        }
    }
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    println!("format   TP    FP    FN   precision  recall");
    for (ext, t) in &by_format {
        println!(
            "{ext:6} {:4}  {:4}  {:4}   {:.4}     {:.4}",
            t.tp,
            t.fp,
            t.fn_,
            ratio(t.tp, t.tp + t.fp),
            ratio(t.tp, t.tp + t.fn_)
        );
        tp += t.tp;
        fp += t.fp;
        fn_ += t.fn_;
    }
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    println!("all    {tp:4}  {fp:4}  {fn_:4}   {precision:.4}     {recall:.4}");
    println!(
        "structurally valid numbers rejected for want of ID context: {rejected_without_context}"
    );
    println!("documents without IDs where some were reported: {negatives_with_hits:?}");
    assert_eq!(
        protected_seen, 1,
        "the password-protected sample is in the corpus"
    );
    assert!(tp > 500, "the corpus holds hundreds of IDs");
    assert!(precision >= 0.99, "precision {precision:.4}");
    assert!(recall >= 0.97, "recall {recall:.4}");
    assert!(
        negatives_with_hits.is_empty(),
        "ordinary numbers taken for IDs: {negatives_with_hits:?}"
    );
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}
