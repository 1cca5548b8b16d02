//! The register loader on arbitrary TOML text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = khien::register::parse(khien::policy::SourceFile::new("fuzz-register.toml", text));
});
