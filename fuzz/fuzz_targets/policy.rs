//! The policy loader on arbitrary TOML text: errors, never a panic or overflow.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = khien::policy::load_sources(
        vec![khien::policy::SourceFile::new("fuzz.toml", text)],
        "fuzz",
    );
});
