//! Personal data never in a path (issue 16, item 5): a folder and files named after
//! a pupil's citizen ID (`hoso_068090001234`) appear masked in `pdata scan` text and
//! JSON, and in the `scan host` result and facts sent to the Department.

use std::path::Path;

use crate::support::khien;

const ID: &str = "068090001234";
const MASKED: &str = "068******234";

/// `hoso_<ID>/hoso_<ID>.csv` with 12 IDs, and a damaged `<ID>.pdf` beside it.
fn named_after_an_id(dir: &Path) -> std::path::PathBuf {
    let folder = dir.join(format!("hoso_{ID}"));
    std::fs::create_dir_all(&folder).unwrap();
    let mut text = String::from("STT,Số CCCD\n");
    for i in 0..12 {
        text.push_str(&format!("{i},068208{i:06}\n"));
    }
    std::fs::write(folder.join(format!("hoso_{ID}.csv")), text).unwrap();
    std::fs::write(folder.join(format!("{ID}.pdf")), b"%PDF-1.4 broken").unwrap();
    folder
}

fn assert_masked(what: &str, text: &str) {
    assert!(!text.contains(ID), "{what}: the ID in clear: {text}");
    assert!(text.contains(MASKED), "{what}: no masked path: {text}");
}

#[test]
fn pdata_scan_masks_ids_in_folder_and_file_names() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = named_after_an_id(tmp.path());
    for format in ["text", "json"] {
        let out = khien()
            .args(["pdata", "scan", "--min-ids", "1", "--format", format])
            .arg(&folder)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_masked(format, &stdout);
        // The folder, the CSV and the unreadable PDF: three masked names.
        assert!(stdout.matches(MASKED).count() >= 3, "{format}: {stdout}");
    }
}

#[test]
fn host_scan_result_and_facts_mask_ids_in_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = named_after_an_id(tmp.path());
    let config = tmp.path().join("khien.toml");
    std::fs::write(
        &config,
        format!(
            "[personal_data]\nfolders = ['{}']\nscan_shares = false\n",
            folder.display()
        ),
    )
    .unwrap();
    let facts = tmp.path().join("facts.json");
    let out = khien()
        .args(["scan", "host", "--format", "json", "--config"])
        .arg(&config)
        .arg("--facts-out")
        .arg(&facts)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let result: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(result["targets"].is_array(), "{result}");
    assert_masked("result", &stdout);
    assert_masked("facts", &std::fs::read_to_string(&facts).unwrap());
}
