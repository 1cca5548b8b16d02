//! The waiver loader on arbitrary TOML text, with and without the policy.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static POLICY: OnceLock<khien::policy::Policy> = OnceLock::new();

fuzz_target!(|text: &str| {
    let policy = POLICY.get_or_init(|| {
        khien::policy::load_sources(khien::policy::embedded_sources(), "embedded")
            .expect("the embedded policy loads")
    });
    for p in [None, Some(policy)] {
        let _ = khien::waiver::parse(
            khien::policy::SourceFile::new("fuzz-waivers.toml", text),
            p,
        );
    }
});
