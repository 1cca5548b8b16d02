//! Bad input for `khien scan web`: unreadable target lines are named with file and
//! line, the other sites are still scanned, and the exit code is 2; a bad
//! `--resolve` stops at once with a message saying what to write.

use crate::support::web as web_support;

use web_support::*;

#[test]
fn bad_target_lines_are_named_and_the_rest_is_scanned() {
    let leaf = self_signed(&["127.0.0.1"]);
    let addr = serve_tls(
        "127.0.0.1:0",
        vec![leaf.der.clone()],
        &leaf.key_der,
        routes(vec![("/", Resp::html(200, "<html>ok</html>"))]),
    );
    let good = format!("https://{addr}/");
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("truong.csv");
    std::fs::write(
        &list,
        format!("ma_don_vi,ten_don_vi,url\nT01,Trường A,{good}\nT02,Trường B,ftp://sai.test\nchỉ-một,hai\n"),
    )
    .unwrap();
    let out = khien()
        .args([
            "--lang",
            "en",
            "scan",
            "web",
            "--format",
            "json",
            "--timeout",
            "3",
        ])
        .arg(&list)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("truong.csv:3"), "{stderr}");
    assert!(stderr.contains("truong.csv:4"), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["targets"], 1);
    assert_eq!(target(&doc, &good)["target"]["unit"]["code"], "T01");
}

#[test]
fn bad_resolve_option_is_explained() {
    khien()
        .args([
            "scan",
            "web",
            "--resolve",
            "khong-co-dia-chi",
            "truong.test",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("TÊN_MÁY:ĐỊA_CHỈ_IP"));
}
