//! The Vietnamese glossary of fact descriptions (`descriptions.vi.toml`), keyed by
//! fact path as `khien rules facts` prints it (`host.accounts.users[].name`).
//!
//! The English descriptions are the doc comments of the fact types (through their
//! JSON Schema); the Vietnamese ones live here, in one data file a translator can
//! edit without touching the code. A registry test checks that the glossary and the
//! fact model name exactly the same paths, so neither can drift from the other.

use std::collections::BTreeMap;
use std::sync::LazyLock;

static GLOSSARY: LazyLock<BTreeMap<String, String>> = LazyLock::new(|| {
    // Embedded and checked by the unit test below: a parse error is a build defect.
    toml::from_str(include_str!("descriptions.vi.toml"))
        .unwrap_or_else(|e| panic!("src/facts/descriptions.vi.toml: {e}"))
});

/// The Vietnamese description of the fact at `path`, if the glossary has one.
pub fn vi(path: &str) -> Option<&'static str> {
    GLOSSARY
        .get(path)
        .map(String::as_str)
        .filter(|d| !d.is_empty())
}

/// Every path the glossary describes, for the registry invariant.
pub fn paths() -> impl Iterator<Item = &'static str> {
    GLOSSARY.keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    #[test]
    fn glossary_parses_and_is_not_empty() {
        assert!(super::paths().count() > 100);
        assert!(super::vi("host.accounts.guest_enabled").is_some());
    }
}
