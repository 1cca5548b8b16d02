//! Hostile documents (issue 16, items 1 and 2): a PDF form that draws itself (stack
//! overflow in the parser), a PDF whose stream inflates to 2 GB, and damaged files
//! that must be "unreadable", never "0 IDs". Every file is built here by the test.
//! The scan must end normally, list each hostile file as unreadable with a reason,
//! still report the good file beside them, leave no temporary file, and stay within
//! bounded time and memory.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, FlushCompress};
use serde_json::Value;

use crate::support::khien;

/// A PDF from its objects (numbered from 1), with a correct cross-reference table.
pub fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    o.extend(data);
    o.extend(b"\nendstream");
    o
}

/// A one-page PDF whose page draws form `Fx`, a form whose resources name itself:
/// a parser that follows `Do` without a depth limit recurses until the stack ends.
pub fn self_drawing_form_pdf() -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] \
           /Resources << /XObject << /Fx 5 0 R >> >> /Contents 4 0 R >>"
            .to_vec(),
        stream("", b"/Fx Do"),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 10 10] \
             /Resources << /XObject << /Fx 5 0 R >> >>",
            b"/Fx Do",
        ),
    ])
}

/// A zlib stream of `mib` MiB of zeros, built from repeated compressed blocks so
/// that the test need not compress gigabytes: after a sync flush a block of zeros
/// following zeros encodes the same bytes every time.
pub fn zeros_zlib(mib: usize) -> Vec<u8> {
    let chunk = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let block = |c: &mut Compress, input: &[u8], flush| {
        let mut out = Vec::with_capacity(64 * 1024);
        let before = c.total_in();
        c.compress_vec(input, &mut out, flush).unwrap();
        assert_eq!(c.total_in() - before, input.len() as u64, "output room");
        out
    };
    let first = block(&mut c, &chunk, FlushCompress::Sync);
    let steady = block(&mut c, &chunk, FlushCompress::Sync);
    let again = block(&mut c, &chunk, FlushCompress::Sync);
    assert_eq!(steady, again, "compressed blocks of zeros repeat");
    let end = block(&mut c, &[], FlushCompress::Finish);
    let mut out = vec![0x78, 0xDA];
    out.extend(&first);
    for _ in 1..mib {
        out.extend(&steady);
    }
    out.extend(&end);
    // Adler-32 of n zero bytes: a = 1, b = n mod 65521.
    let n = (mib as u64) << 20;
    let adler = ((n % 65521) << 16 | 1) as u32;
    out.extend(adler.to_be_bytes());
    out
}

/// A one-page PDF whose content stream inflates to `mib` MiB.
pub fn inflating_pdf(mib: usize) -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &zeros_zlib(mib)),
    ])
}

/// 30 labelled IDs in a CSV: the good file that must still be found.
fn good_csv(dir: &Path) {
    let mut text = String::from("STT,Họ tên,Số CCCD\n");
    for i in 0..30 {
        text.push_str(&format!("{i},Học sinh,068208{i:06}\n"));
    }
    std::fs::write(dir.join("danhsach.csv"), text).unwrap();
}

/// The largest resident set of the children this test process has waited for
/// (khien and, through it, its parser children), in MiB.
fn children_max_rss_mib() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss as u64 / 1024
}

fn unreadable(folder: &Value) -> Vec<(String, String, String)> {
    folder["unreadable_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                Path::new(u["path"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                u["reason"].as_str().unwrap().to_string(),
                u["detail"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn scan_json(dir: &Path) -> (Option<i32>, Value, String, Duration) {
    let started = Instant::now();
    let out = khien()
        .args(["pdata", "scan", "--format", "json", "--min-ids", "10"])
        .arg(dir)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {stderr} {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), json, stderr, elapsed)
}

#[test]
fn a_self_drawing_form_and_an_inflating_stream_are_unreadable_and_the_scan_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    good_csv(dir);
    let fx = self_drawing_form_pdf();
    assert!(
        fx.len() < 1200,
        "the crafted form PDF is small: {}",
        fx.len()
    );
    std::fs::write(dir.join("bieu_mau.pdf"), &fx).unwrap();
    let bomb = inflating_pdf(2048);
    assert!(bomb.len() < 8 << 20, "a few MB: {}", bomb.len());
    std::fs::File::create(dir.join("bao_cao.pdf"))
        .unwrap()
        .write_all(&bomb)
        .unwrap();

    let (code, json, stderr, elapsed) = scan_json(dir);
    // Exit 1: the good file holds 30 IDs (at or above --min-ids); not a crash.
    assert_eq!(code, Some(1), "{stderr}");
    let folder = &json[0];
    assert_eq!(folder["files"][0]["distinct_ids"], 30, "{folder}");
    let bad = unreadable(folder);
    let names: Vec<&str> = bad.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["bao_cao.pdf", "bieu_mau.pdf"], "{bad:?}");
    let (_, _, form_detail) = &bad[1];
    assert!(
        form_detail.contains("stack"),
        "the form PDF is named for what ended it: {bad:?}"
    );
    let (_, bomb_reason, bomb_detail) = &bad[0];
    assert!(
        bomb_detail.contains("memory") || bomb_reason == "timeout",
        "the inflating PDF ends at the memory or time limit: {bad:?}"
    );
    // Nothing left behind in the scanned folder.
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["bao_cao.pdf", "bieu_mau.pdf", "danhsach.csv"]);
    // Bounded: the parse limit is 20 s per file and 1 GiB per parser process.
    assert!(elapsed < Duration::from_secs(120), "{elapsed:?}");
    let rss = children_max_rss_mib();
    assert!(rss < 1536, "largest child resident set {rss} MiB");
}

/// An `.xlsx` with 50 labelled IDs, every entry stored uncompressed so a test can
/// cut the sheet or shrink its declared size.
fn xlsx_with_ids() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "STT").unwrap();
    sheet.write_string(0, 1, "Số CCCD").unwrap();
    for i in 0..50u32 {
        sheet.write_number(i + 1, 0, f64::from(i)).unwrap();
        sheet
            .write_string(i + 1, 1, format!("068208{i:06}"))
            .unwrap();
    }
    let built = book.save_to_buffer().unwrap();
    restored(&built, |_, data| data.to_vec())
}

/// The zip `bytes` rewritten with every entry stored, `edit` changing an entry's data.
fn restored(bytes: &[u8], edit: impl Fn(&str, &[u8]) -> Vec<u8>) -> Vec<u8> {
    use std::io::Read as _;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        out.start_file(name.as_str(), stored).unwrap();
        out.write_all(&edit(&name, &data)).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Shrinks the declared sizes of stored entry `name` (local header and central
/// directory) to `size`: a reader that trusts them sees half a sheet.
fn short_declared(zip: &[u8], name: &str, size: u32) -> Vec<u8> {
    let mut out = zip.to_vec();
    let find = |sig: &[u8], len_at: usize, name_at: usize, sizes: [usize; 2], out: &mut Vec<u8>| {
        let mut i = 0;
        let mut patched = 0;
        while let Some(p) = out[i..].windows(4).position(|w| w == sig) {
            let at = i + p;
            let name_len = u16::from_le_bytes([out[at + len_at], out[at + len_at + 1]]);
            let n = &out[at + name_at..at + name_at + name_len as usize];
            if n == name.as_bytes() {
                for off in sizes {
                    out[at + off..at + off + 4].copy_from_slice(&size.to_le_bytes());
                }
                patched += 1;
            }
            i = at + 4;
        }
        assert_eq!(patched, 1, "entry {name} found once");
    };
    // Local file header: sizes at 18 and 22, name at 30 (length at 26).
    find(b"PK\x03\x04", 26, 30, [18, 22], &mut out);
    // Central directory header: sizes at 20 and 24, name at 46 (length at 28).
    find(b"PK\x01\x02", 28, 46, [20, 24], &mut out);
    out
}

#[test]
fn damaged_documents_are_unreadable_never_zero_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let good = xlsx_with_ids();
    std::fs::write(dir.join("lop_1a.xlsx"), &good).unwrap();
    let cut = restored(&good, |name, data| {
        if name == "xl/worksheets/sheet1.xml" {
            data[..data.len() / 2].to_vec()
        } else {
            data.to_vec()
        }
    });
    std::fs::write(dir.join("lop_1b.xlsx"), cut).unwrap();
    let sheet_len = {
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(&good[..])).unwrap();
        a.by_name("xl/worksheets/sheet1.xml").unwrap().size() as u32
    };
    std::fs::write(
        dir.join("lop_1c.xlsx"),
        short_declared(&good, "xl/worksheets/sheet1.xml", sheet_len / 2),
    )
    .unwrap();

    let text = "BT /F1 12 Tf 10 10 Td (CCCD 068208000001) Tj ET";
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec();
    let page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] \
                 /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        .to_vec();
    // The page tree's root lists itself as its only kid.
    let cycle = pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>".to_vec(),
        page.clone(),
        stream("", text.as_bytes()),
        font.clone(),
    ]);
    std::fs::write(dir.join("vong.pdf"), cycle).unwrap();
    // The content stream's /Length is the stream itself.
    let mut self_length = b"<< /Length 4 0 R >>\nstream\n".to_vec();
    self_length.extend(text.as_bytes());
    self_length.extend(b"\nendstream");
    let length = pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        page,
        self_length,
        font,
    ]);
    std::fs::write(dir.join("do_dai.pdf"), length).unwrap();

    let (code, json, stderr, _) = scan_json(dir);
    assert_eq!(code, Some(1), "{stderr}");
    let folder = &json[0];
    // The intact workbook: all 50 IDs; it is the only file read.
    assert_eq!(folder["files"][0]["distinct_ids"], 50, "{folder}");
    assert_eq!(folder["files"].as_array().unwrap().len(), 1, "{folder}");
    assert_eq!(folder["files_examined"], 1, "{folder}");
    let bad = unreadable(folder);
    let names: Vec<&str> = bad.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["do_dai.pdf", "lop_1b.xlsx", "lop_1c.xlsx", "vong.pdf"],
        "{bad:?}"
    );
    assert!(bad[0].2.contains("/Length"), "{bad:?}");
    assert!(bad[3].2.contains("loops"), "{bad:?}");
    for (_, reason, _) in &bad {
        assert_eq!(reason, "failed", "{bad:?}");
    }
}

/// The W11 crawl meets the self-drawing form on a school website: the document is
/// unreadable, the crawl and the scan go on, the result file is written, and no
/// temporary file is left beside it.
#[test]
fn a_crawled_self_drawing_form_is_unreadable_and_the_web_scan_goes_on() {
    use crate::support::web::{Body, Resp, routes, serve_plain};
    let mut csv = String::from("STT,Họ tên,Số CCCD\n");
    for i in 0..30 {
        csv.push_str(&format!("{i},Học sinh,068208{i:06}\n"));
    }
    let file = |body: Vec<u8>, ct: &str| Resp {
        status: 200,
        headers: vec![("Content-Type".into(), ct.into())],
        body: Body::Bytes(body),
    };
    let site = serve_plain(
        "127.0.0.1:0",
        routes(vec![
            (
                "/",
                Resp::html(
                    200,
                    r#"<html><a href="/bieu-mau.pdf">Biểu mẫu</a>
                    <a href="/ds.csv">Danh sách</a></html>"#,
                ),
            ),
            (
                "/bieu-mau.pdf",
                file(self_drawing_form_pdf(), "application/pdf"),
            ),
            ("/ds.csv", file(csv.into_bytes(), "text/csv")),
        ]),
    );
    let url = format!("http://127.0.0.1:{}/", site.port());
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("khien.toml");
    std::fs::write(&cfg, "[crawl]\ndelay_ms = 0\n").unwrap();
    let out_file = tmp.path().join("ketqua.json");
    let out = khien()
        .args(["--lang", "en", "scan", "web", "--format", "json", "-o"])
        .arg(&out_file)
        .args(["--crawl-personal-data", "--timeout", "5", "--config"])
        .arg(&cfg)
        .arg(&url)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 1: W11 fails on the CSV's 30 IDs; the form PDF did not end the run.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(
        text.contains("bieu-mau.pdf") && text.contains("stack"),
        "the form is listed as unreadable with its reason: {text}"
    );
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["ketqua.json", "khien.toml"]);
}
