//! The JSON Schemas shipped in `schemas/` are generated from the Rust types; this
//! test fails when they drift. Regenerate with `KHIEN_BLESS=1 cargo test --test it schemas`.

use std::path::Path;

use khien::facts::{FactDocument, TargetKind};
use khien::findings::ResultDocument;

fn check(file: &str, schema: serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(file);
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    if std::env::var_os("KHIEN_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run KHIEN_BLESS=1 cargo test --test it schemas",
            path.display()
        )
    });
    assert!(
        shipped == text,
        "{} is out of date: run KHIEN_BLESS=1 cargo test --test it schemas",
        path.display()
    );
}

#[test]
fn result_schema_is_current() {
    check("result.schema.json", ResultDocument::json_schema());
}

#[test]
fn fact_document_schema_is_current() {
    check(
        "facts.schema.json",
        schemars::schema_for!(FactDocument).to_value(),
    );
}

#[test]
fn fact_model_schemas_are_current() {
    for kind in TargetKind::all() {
        check(&format!("facts-{kind}.schema.json"), kind.fact_schema());
    }
}
