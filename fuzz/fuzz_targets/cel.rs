//! The CEL compiler and fact-path checker on arbitrary condition text, for every
//! target kind: a load error at worst (the size and nesting limits come first).
#![no_main]
use std::collections::BTreeMap;

use khien::facts::TargetKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|source: &str| {
    let env = khien::policy::ExprEnv::default();
    for kind in [TargetKind::Host, TargetKind::Web, TargetKind::Register] {
        let _ = env.compile(source, kind, &BTreeMap::new());
    }
});
