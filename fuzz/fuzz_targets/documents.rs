//! Each document extractor in-process (what the confined `khien __extract` child
//! runs) on arbitrary bytes; the first byte picks the format. A crash here is a
//! crash the child process contains, still worth a regression test.
#![no_main]
use std::time::Duration;

use khien::pdata::extract::{ExtractLimits, extract_bytes_in_process};
use libfuzzer_sys::fuzz_target;

const FORMATS: &[&str] = &["pdf", "xlsx", "xls", "ods", "docx", "csv", "txt"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let limits = ExtractLimits {
        max_file_bytes: 1 << 20,
        max_text_bytes: 1 << 20,
        max_duration: Duration::from_secs(5),
        ..ExtractLimits::default()
    };
    let ext = FORMATS[pick as usize % FORMATS.len()];
    let _ = extract_bytes_in_process(ext, bytes.to_vec(), limits);
});
