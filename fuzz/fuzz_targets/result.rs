//! The result reader (what `khien report` ingests from every school) on arbitrary
//! bytes: a named, skipped input at worst.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = khien::report::input::parse_result(
        std::path::Path::new("fuzz.json"),
        bytes,
        khien::i18n::Lang::En,
    );
});
