//! The docx extractor called directly (no guarded thread, so its panics and hangs
//! show) on arbitrary bytes; seeded from fixtures/pdata/corpus by bench/fuzz.sh.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = khien::pdata::extract::extract_unguarded("docx", bytes, khien_fuzz::limits());
});
