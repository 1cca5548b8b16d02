//! The fact glossary: every fact rules can read is described in Vietnamese
//! (`src/facts/descriptions.vi.toml`) and in English (the fact types' doc comments),
//! and `khien rules facts` shows the user's language.

use std::collections::BTreeSet;

use khien::facts::{FactShape, TargetKind, descriptions};

use crate::support::khien;

/// Every fact path of every target's fact model, with its descriptions.
fn all_facts() -> Vec<(String, khien::i18n::Localized)> {
    TargetKind::all()
        .iter()
        .flat_map(|kind| {
            let schema = kind.fact_schema();
            FactShape::new(&schema).describe(kind.root_variable())
        })
        .collect()
}

/// The glossary and the fact model name exactly the same paths, so that a fact added
/// on one side cannot ship without its Vietnamese text and a fact removed or renamed
/// leaves no stale entry. The failure lists the lines to add or remove.
#[test]
fn every_fact_has_a_vietnamese_description() {
    let facts = all_facts();
    let model: BTreeSet<&str> = facts.iter().map(|(p, _)| p.as_str()).collect();
    let glossary: BTreeSet<&str> = descriptions::paths().collect();
    let missing: Vec<String> = facts
        .iter()
        .filter(|(p, _)| descriptions::vi(p).is_none())
        .map(|(p, d)| format!("{p:?} = \"\"  # en: {}", d.en))
        .collect();
    let stale: Vec<&str> = glossary.difference(&model).copied().collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "src/facts/descriptions.vi.toml does not match the fact model.\n\
         Add a Vietnamese description for these {} paths:\n{}\n\
         Remove these {} paths, which no fact model has:\n{}",
        missing.len(),
        missing.join("\n"),
        stale.len(),
        stale.join("\n")
    );
}

/// Each Vietnamese text is a translation, not the English one copied (it has
/// Vietnamese letters), and follows the project's spelling ("khóa", "hóa", not "khoá",
/// "hoá"); each English text is there.
#[test]
fn fact_descriptions_are_written_in_both_languages() {
    let old_tone = [
        "oá", "oà", "oả", "oã", "oạ", "oé", "oè", "oẻ", "oẽ", "oẹ", "uý", "uỳ", "uỷ", "uỹ", "uỵ",
    ];
    let mut bad = Vec::new();
    for (path, d) in all_facts() {
        if d.en.trim().is_empty() {
            bad.push(format!(
                "{path}: no English description (add a doc comment)"
            ));
        }
        if d.vi == d.en || !d.vi.chars().any(|c| c.is_alphabetic() && !c.is_ascii()) {
            bad.push(format!(
                "{path}: the Vietnamese text is not Vietnamese: {}",
                d.vi
            ));
        }
        for word in d.vi.split(|c: char| !c.is_alphabetic()) {
            let lower = word.to_lowercase();
            if old_tone.iter().any(|t| lower.ends_with(t)) {
                bad.push(format!(
                    "{path}: write `{word}` with the tone on the first vowel"
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `khien rules facts` is Vietnamese by default and English with `--lang en`, for
/// every target kind, with a description on every line.
#[test]
fn rules_facts_speaks_the_users_language() {
    for kind in TargetKind::all() {
        let target = kind.root_variable();
        let run = |args: &[&str]| {
            let out = khien().args(args).output().unwrap();
            assert!(out.status.success(), "{args:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        let vi = run(&["rules", "facts", "--target", target]);
        let en = run(&["--lang", "en", "rules", "facts", "--target", target]);
        assert_eq!(vi.lines().count(), en.lines().count(), "{target}");
        for (v, e) in vi.lines().zip(en.lines()) {
            let (path, v_text) = v.split_once(' ').unwrap();
            let e_text = e.strip_prefix(path).unwrap_or_else(|| panic!("{e}"));
            let (v_text, e_text) = (v_text.trim(), e_text.trim());
            assert_eq!(Some(v_text), descriptions::vi(path), "{path}");
            assert!(!e_text.is_empty() && e_text != v_text, "{path}: {e_text}");
        }
    }
    let vi = khien().args(["rules", "facts"]).output().unwrap();
    let vi = String::from_utf8(vi.stdout).unwrap();
    let line = vi
        .lines()
        .find(|l| l.starts_with("host.accounts.guest_enabled "))
        .unwrap();
    assert!(line.contains("Tài khoản Guest"), "{line}");
    let en = khien()
        .args(["--lang", "en", "rules", "facts"])
        .output()
        .unwrap();
    let en = String::from_utf8(en.stdout).unwrap();
    let line = en
        .lines()
        .find(|l| l.starts_with("host.accounts.guest_enabled "))
        .unwrap();
    assert!(line.contains("The built-in Guest account"), "{line}");
}
