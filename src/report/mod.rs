//! Rendering results for people (`text`) and machines (`json`), and writing them
//! safely to disk.

pub mod collate;
pub mod compliance;
pub mod delimited;
pub mod html;
pub mod indicators;
pub mod input;
pub mod inventory;
pub mod machine;
pub mod numfmt;
pub mod period;
pub mod safe;
pub mod svg;
pub mod tables;
pub mod text;
pub mod xlsx;

use crate::findings::ResultDocument;

/// Output formats of the scan and eval commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn to_json(doc: &ResultDocument) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("result documents always serialize");
    s.push('\n');
    s
}

pub use safe::{AtomicFile, write_atomically};
