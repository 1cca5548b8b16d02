//! Embeds every policy file under `rules/` into the binary, so that `khien.exe`
//! alone is enough on a school PC. Adding a rule file needs no code change.
//!
//! Paths are written relative to the package (`CARGO_MANIFEST_DIR` is expanded when
//! the crate compiles, not here), so a copied `target/` never embeds another
//! checkout's rules.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("rules/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        println!("cargo:rerun-if-changed=rules/{name}");
        writeln!(
            out,
            "    (\"rules/{name}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/rules/{name}\"))),"
        )
        .unwrap();
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded_rules.rs");
    std::fs::write(dest, out).unwrap();
}
