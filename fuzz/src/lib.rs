//! What the fuzz targets share.

use std::time::Duration;

use khien::pdata::extract::ExtractLimits;

/// Extraction limits small enough for a fuzzer's memory and time limits.
pub fn limits() -> ExtractLimits {
    ExtractLimits {
        max_file_bytes: 1 << 20,
        max_text_bytes: 1 << 20,
        max_duration: Duration::from_secs(5),
        ..ExtractLimits::default()
    }
}
