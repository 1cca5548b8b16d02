//! Text extraction from the documents schools keep lists in: spreadsheets (`.xlsx`,
//! `.xlsm`, `.xls`, `.ods` via calamine), `.csv`, `.docx` (zip + quick-xml), `.txt`
//! and the text layer of `.pdf` (pdf-extract).
//!
//! Table rows come out as lines with tab-separated cells, which the detector uses
//! to tell an ID column from an account-number column. Every failure is an outcome,
//! never an error of the scan: a broken, hostile or password-protected file gives
//! [`Extracted::Failed`] or [`Extracted::Protected`]. Size, expansion and time are
//! capped (see [`ExtractLimits`]).

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use calamine::{Data, Reader};
use quick_xml::events::Event;

/// Extensions whose text khien can read.
pub const SUPPORTED_EXTENSIONS: &[&str] =
    &["xlsx", "xlsm", "xls", "ods", "csv", "docx", "txt", "pdf"];

/// Bounds on the work spent on one file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExtractLimits {
    /// Files larger than this are skipped (requirement H15: 50 MB).
    pub max_file_bytes: u64,
    /// Text kept from one file; the rest is ignored.
    pub max_text_bytes: usize,
    /// Wall-clock time for one file's extraction.
    pub max_duration: Duration,
    /// Memory (address space) of the child process parsing one document (see
    /// [`super::isolate`]).
    pub max_memory_bytes: u64,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        ExtractLimits {
            max_file_bytes: 50 * 1024 * 1024,
            max_text_bytes: 64 * 1024 * 1024,
            max_duration: Duration::from_secs(20),
            // Two documents are parsed at once on a school PC of 4 GB; a 50 MB
            // spreadsheet needs a few hundred MB in calamine.
            max_memory_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// The outcome of reading one document.
#[derive(Clone, Debug, PartialEq)]
pub enum Extracted {
    Text(String),
    /// Encrypted with a password (OOXML `EncryptedPackage`, encrypted `.xls` or PDF).
    Protected,
    /// Not one of [`SUPPORTED_EXTENSIONS`].
    Unsupported,
    /// Larger than the limit (bytes on disk, or what a compressed file expands to).
    TooLarge,
    /// Extraction did not finish in time.
    Timeout,
    /// Broken or unreadable; the detail says why (never file contents).
    Failed(String),
}

/// Lower-cased extension of `path`, if any.
pub fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
}

pub fn is_supported(path: &Path) -> bool {
    extension(path).is_some_and(|e| SUPPORTED_EXTENSIONS.contains(&e.as_str()))
}

/// Reads a file from disk and extracts its text.
pub fn extract_file(path: &Path, limits: ExtractLimits) -> Extracted {
    let Some(ext) = extension(path) else {
        return Extracted::Unsupported;
    };
    if !SUPPORTED_EXTENSIONS.contains(&ext.as_str()) {
        return Extracted::Unsupported;
    }
    match std::fs::metadata(path) {
        Ok(m) if m.len() > limits.max_file_bytes => return Extracted::TooLarge,
        Ok(_) => {}
        Err(e) => return Extracted::Failed(e.to_string()),
    }
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(limits.max_file_bytes + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return Extracted::Failed(e.to_string());
    }
    extract_bytes(&ext, bytes, limits)
}

/// Extracts the text of a document given as bytes, `ext` naming its format (as
/// the file extension would). Used for files and for downloaded documents.
///
/// Office documents and PDF are parsed in a child process with memory and time
/// limits when the executable enables it (see [`super::isolate`]); plain text and
/// CSV, read by khien's own bounded code, are not.
pub fn extract_bytes(ext: &str, bytes: Vec<u8>, limits: ExtractLimits) -> Extracted {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Extracted::TooLarge;
    }
    if matches!(ext, "xlsx" | "xlsm" | "xls" | "ods" | "docx" | "pdf")
        && let Some(outcome) = super::isolate::extract_in_child(ext, &bytes, limits)
    {
        return outcome;
    }
    extract_bytes_in_process(ext, bytes, limits)
}

/// [`extract_bytes`] in this process: the parsers run on a guarded thread, which
/// contains panics and slow parsers but not a stack overflow or a memory blow-up.
pub fn extract_bytes_in_process(ext: &str, bytes: Vec<u8>, limits: ExtractLimits) -> Extracted {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Extracted::TooLarge;
    }
    match ext {
        // Valid UTF-8 is taken as it is, without a copy.
        "txt" => Extracted::Text(match String::from_utf8(bytes) {
            Ok(text) if text.len() <= limits.max_text_bytes => text,
            Ok(text) => decode_text(text.as_bytes(), limits.max_text_bytes),
            Err(e) => decode_text(e.as_bytes(), limits.max_text_bytes),
        }),
        "csv" => csv_text(&bytes, limits.max_text_bytes),
        // The parsers below are large and may meet hostile input: run them on a
        // helper thread, bounded in time and isolated from panics.
        "xlsx" | "xlsm" | "xls" | "ods" | "docx" | "pdf" => {
            let ext = ext.to_string();
            with_deadline(limits.max_duration, move || match ext.as_str() {
                "docx" => docx_text(&bytes, limits),
                "pdf" => pdf_text(&bytes, limits),
                _ => spreadsheet_text(&bytes, limits),
            })
        }
        _ => Extracted::Unsupported,
    }
}

/// The document parsers called directly, without the guarded thread, so a fuzzer
/// sees their panics and hangs (fuzz/fuzz_targets/documents_*.rs). Not for scans.
#[doc(hidden)]
pub fn extract_unguarded(ext: &str, bytes: &[u8], limits: ExtractLimits) -> Extracted {
    match ext {
        "docx" => docx_text(bytes, limits),
        "pdf" => pdf_text(bytes, limits),
        "xlsx" | "xlsm" | "xls" | "ods" => spreadsheet_text(bytes, limits),
        _ => extract_bytes_in_process(ext, bytes.to_vec(), limits),
    }
}

/// Runs `work` on its own thread and waits at most `limit`. A parser that runs
/// away is left to finish on its own (Rust threads cannot be killed); its result
/// is dropped. A panic in a parser becomes [`Extracted::Failed`].
fn with_deadline(limit: Duration, work: impl FnOnce() -> Extracted + Send + 'static) -> Extracted {
    let (tx, rx) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("khien-extract".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                .unwrap_or_else(|_| Extracted::Failed("the parser crashed on this file".into()));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Extracted::Failed(format!("cannot start a worker thread: {e}"));
    }
    match rx.recv_timeout(limit) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => Extracted::Timeout,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Extracted::Failed("the parser stopped without a result".into())
        }
    }
}

/// Plain text: UTF-8 (lossy), or UTF-16 when it starts with a byte-order mark
/// (Windows Notepad's "Unicode").
fn decode_text(bytes: &[u8], max: usize) -> String {
    let bytes = &bytes[..bytes.len().min(max)];
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xFF, 0xFE, ..] => utf16(true),
        [0xFE, 0xFF, ..] => utf16(false),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// CSV with `,` or `;` (Excel in Vietnamese locale writes `;`): rows as tab lines.
fn csv_text(bytes: &[u8], max: usize) -> Extracted {
    let head = &bytes[..bytes.len().min(4096)];
    let commas = head.iter().filter(|&&b| b == b',').count();
    let semicolons = head.iter().filter(|&&b| b == b';').count();
    let delimiter = if semicolons > commas { b';' } else { b',' };
    let text = decode_text(bytes, max);
    if !text.contains('"') {
        // Without quotes a CSV line is its cells joined by the delimiter: swap it
        // for tabs in place (far faster than a CSV parser on large exports).
        // Only ASCII bytes change, so the text stays valid UTF-8.
        let mut bytes = text.into_bytes();
        bytes.retain(|&b| b != b'\r');
        for b in &mut bytes {
            if *b == b'\t' {
                *b = b' ';
            } else if *b == delimiter {
                *b = b'\t';
            }
        }
        return Extracted::Text(String::from_utf8(bytes).expect("ASCII swaps keep UTF-8"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = String::with_capacity(text.len());
    for record in reader.records() {
        match record {
            Ok(r) => push_row(&mut out, r.iter()),
            // A malformed line: keep what the rest of the file says.
            Err(_) => continue,
        }
    }
    Extracted::Text(out)
}

fn push_row<S: AsRef<str>>(out: &mut String, cells: impl Iterator<Item = S>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push('\t');
        }
        // Cells never contain the separators the detector relies on.
        let cell = cell.as_ref();
        if cell.contains(['\t', '\n', '\r']) {
            out.extend(
                cell.chars()
                    .map(|c| if c.is_whitespace() { ' ' } else { c }),
            );
        } else {
            out.push_str(cell);
        }
    }
    out.push('\n');
}

/// The compound-file (OLE2) signature: legacy Office files, and encrypted OOXML,
/// which is an OLE2 container holding an `EncryptedPackage` stream.
const OLE2_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn has_encrypted_package(bytes: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.starts_with(OLE2_MAGIC) && bytes.windows(name.len()).any(|w| w == name.as_slice())
}

/// Zip-based formats: refuses archives whose entries expand beyond the text limit
/// times a margin (zip bombs), judged from the central directory.
fn zip_expands_too_much(bytes: &[u8], limits: ExtractLimits) -> Result<bool, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| e.to_string())?;
        total = total.saturating_add(entry.size());
    }
    Ok(total > (limits.max_text_bytes as u64).saturating_mul(4))
}

fn spreadsheet_text(bytes: &[u8], limits: ExtractLimits) -> Extracted {
    if has_encrypted_package(bytes) {
        return Extracted::Protected;
    }
    if bytes.starts_with(b"PK") {
        match zip_expands_too_much(bytes, limits) {
            Ok(true) => return Extracted::TooLarge,
            Ok(false) => {}
            Err(e) => return Extracted::Failed(format!("not a valid zip file: {e}")),
        }
    }
    let mut book = match calamine::open_workbook_auto_from_rs(Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => {
            let msg = e.to_string();
            return if msg.to_ascii_lowercase().contains("password") {
                Extracted::Protected
            } else {
                Extracted::Failed(msg)
            };
        }
    };
    let mut out = String::new();
    for i in 0..book.sheet_names().len() {
        let range = match book.worksheet_range_at(i) {
            Some(Ok(r)) => r,
            Some(Err(e)) if e.to_string().to_ascii_lowercase().contains("password") => {
                return Extracted::Protected;
            }
            // A damaged sheet (truncated, or shorter than its entry declares) may
            // hold IDs that cannot be read: the file is unreadable, not clean.
            Some(Err(e)) => return Extracted::Failed(format!("sheet {}: {e}", i + 1)),
            None => continue,
        };
        for row in range.rows() {
            push_row(&mut out, row.iter().map(cell_text));
            if out.len() > limits.max_text_bytes {
                return Extracted::Text(out);
            }
        }
        out.push('\n');
    }
    Extracted::Text(out)
}

/// A cell as text. A CCCD typed into a number cell loses its leading zeros (every
/// province code starts with 0, Hà Nội's with 00), so a whole number of 10 or 11
/// digits is shown with them back; the detector still checks the structure and
/// the column.
fn cell_text(cell: &Data) -> String {
    let whole = match cell {
        Data::Int(i) => Some(*i),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(*f as i64),
        _ => None,
    };
    match (whole, cell) {
        (Some(n), _) if (1_000_000_000..100_000_000_000).contains(&n) => format!("{n:012}"),
        (Some(n), _) => n.to_string(),
        (None, Data::Empty) => String::new(),
        (None, other) => other.to_string(),
    }
}

/// A Word document's body, headers and footers: paragraphs as lines, table cells
/// separated by tabs.
fn docx_text(bytes: &[u8], limits: ExtractLimits) -> Extracted {
    if has_encrypted_package(bytes) {
        return Extracted::Protected;
    }
    match zip_expands_too_much(bytes, limits) {
        Ok(true) => return Extracted::TooLarge,
        Ok(false) => {}
        Err(e) => return Extracted::Failed(format!("not a valid zip file: {e}")),
    }
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return Extracted::Failed(format!("not a valid zip file: {e}")),
    };
    let parts: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| {
            n == "word/document.xml"
                || (n.starts_with("word/header") || n.starts_with("word/footer"))
                    && n.ends_with(".xml")
        })
        .map(|n| n.into_owned())
        .collect();
    if !parts.iter().any(|p| p == "word/document.xml") {
        return Extracted::Failed("no word/document.xml: not a Word document".into());
    }
    let mut out = String::new();
    for part in parts {
        let mut xml = Vec::new();
        let read = archive.by_name(&part).and_then(|f| {
            f.take(limits.max_text_bytes as u64 * 4)
                .read_to_end(&mut xml)
                .map_err(zip::result::ZipError::from)
        });
        if let Err(e) = read {
            return Extracted::Failed(format!("{part}: {e}"));
        }
        if let Err(e) = wordml_text(&xml, &mut out, limits.max_text_bytes) {
            return Extracted::Failed(format!("{part}: {e}"));
        }
    }
    Extracted::Text(out)
}

/// WordprocessingML to text: `w:t` runs, a tab after each table cell (`w:tc`), a
/// line after each paragraph outside tables and each table row (`w:tr`).
fn wordml_text(xml: &[u8], out: &mut String, max: usize) -> Result<(), quick_xml::Error> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut in_text = false;
    let mut table_depth = 0usize;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) => match e.name().as_ref() {
                "w:t" => in_text = true,
                "w:tbl" => table_depth += 1,
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                "w:tab" => out.push(' '),
                "w:br" | "w:cr" => out.push(' '),
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t),
            Event::GeneralRef(r) if in_text => {
                // &amp; and friends inside a run.
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    out.push(c);
                } else {
                    match &*r {
                        "amp" => out.push('&'),
                        "lt" => out.push('<'),
                        "gt" => out.push('>'),
                        "quot" => out.push('"'),
                        "apos" => out.push('\''),
                        _ => {}
                    }
                }
            }
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_text = false,
                "w:tbl" => table_depth = table_depth.saturating_sub(1),
                "w:tc" => out.push('\t'),
                "w:tr" => {
                    if out.ends_with('\t') {
                        out.pop();
                    }
                    out.push('\n');
                }
                "w:p" if table_depth == 0 => out.push('\n'),
                "w:p" => out.push(' '),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        if out.len() > max {
            break;
        }
        buf.clear();
    }
    Ok(())
}

fn pdf_text(bytes: &[u8], limits: ExtractLimits) -> Extracted {
    let encrypted = || bytes.windows(8).any(|w| w == b"/Encrypt");
    // Damage that pdf-extract passes over in silence (a page tree that loops, a
    // page whose content stream did not parse) would read as "no IDs": refuse it.
    match pdf_extract::Document::load_mem(bytes) {
        Ok(doc) if !doc.is_encrypted() => {
            if let Err(why) = pdf_damage(&doc) {
                return Extracted::Failed(format!("PDF: {why}"));
            }
        }
        Ok(_) => {}
        Err(_) if encrypted() => return Extracted::Protected,
        Err(e) => return Extracted::Failed(format!("PDF: {e}")),
    }
    match pdf_extract::extract_text_from_mem(bytes) {
        Ok(mut text) => {
            if text.len() > limits.max_text_bytes {
                let mut cut = limits.max_text_bytes;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            Extracted::Text(text)
        }
        Err(e) => {
            if encrypted() {
                Extracted::Protected
            } else {
                Extracted::Failed(format!("PDF: {e}"))
            }
        }
    }
}

/// Walks the page tree from the catalog: a node met twice (a cycle), a tree with
/// no page, or a page whose content is not a parsed stream is damage.
fn pdf_damage(doc: &pdf_extract::Document) -> Result<(), String> {
    use pdf_extract::Object;
    use std::collections::HashSet;

    let root = doc
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|e| format!("no page tree ({e})"))?;
    let mut seen = HashSet::new();
    let mut todo = vec![root];
    let mut pages = 0usize;
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            return Err(format!("the page tree loops (object {} {})", id.0, id.1));
        }
        let node = doc
            .get_dictionary(id)
            .map_err(|_| format!("page tree object {} {} is missing or damaged", id.0, id.1))?;
        match node.get(b"Type").and_then(Object::as_name) {
            Ok(b"Pages") => {
                let kids = node
                    .get(b"Kids")
                    .and_then(Object::as_array)
                    .map_err(|_| format!("page tree node {} {} has no /Kids", id.0, id.1))?;
                for kid in kids {
                    todo.push(kid.as_reference().map_err(|_| {
                        format!(
                            "page tree node {} {} has a kid that is not a reference",
                            id.0, id.1
                        )
                    })?);
                }
            }
            _ => {
                pages += 1;
                for content in doc.get_page_contents(id) {
                    let damaged = |why: &str| {
                        Err(format!(
                            "page {pages}: content stream {} {} {why}",
                            content.0, content.1
                        ))
                    };
                    let Some(Object::Stream(stream)) = doc.objects.get(&content) else {
                        return damaged("is missing or damaged");
                    };
                    // A /Length that names no number (itself, say) leaves the
                    // stream empty after parsing: its text would silently vanish.
                    let length = match stream.dict.get(b"Length") {
                        Ok(Object::Reference(r)) => {
                            doc.get_object(*r).ok().and_then(|o| o.as_i64().ok())
                        }
                        Ok(o) => o.as_i64().ok(),
                        Err(_) => None,
                    };
                    match length {
                        None => return damaged("has no valid /Length"),
                        Some(n) if n > 0 && stream.content.is_empty() => {
                            return damaged("declares data it does not hold");
                        }
                        Some(_) => {}
                    }
                }
            }
        }
    }
    if pages == 0 {
        return Err("the page tree holds no page".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: Extracted) -> String {
        match e {
            Extracted::Text(t) => t,
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn csv_without_quotes_takes_the_fast_path() {
        let t = text(extract_bytes(
            "csv",
            "STT,Họ tên,CCCD\r\n1,An\tB,068207001234\r\n".into(),
            ExtractLimits::default(),
        ));
        assert_eq!(t, "STT\tHọ tên\tCCCD\n1\tAn B\t068207001234\n");
    }

    #[test]
    fn csv_with_semicolons_becomes_tab_rows() {
        let t = text(extract_bytes(
            "csv",
            "STT;Họ tên;CCCD\n1;\"Nguyễn; Văn A\";068207001234\n".into(),
            ExtractLimits::default(),
        ));
        assert_eq!(t, "STT\tHọ tên\tCCCD\n1\tNguyễn; Văn A\t068207001234\n");
    }

    #[test]
    fn utf16_text_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(
            "CCCD 068207001234"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        assert_eq!(
            text(extract_bytes("txt", bytes, ExtractLimits::default())),
            "CCCD 068207001234"
        );
    }

    #[test]
    fn number_cells_get_their_leading_zero_back() {
        assert_eq!(cell_text(&Data::Float(68_207_001_234.0)), "068207001234");
        assert_eq!(cell_text(&Data::Int(1_185_012_345)), "001185012345");
        assert_eq!(cell_text(&Data::Int(12)), "12");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
    }

    #[test]
    fn encrypted_ooxml_is_protected() {
        let mut bytes = OLE2_MAGIC.to_vec();
        bytes.extend([0u8; 100]);
        bytes.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        for ext in ["xlsx", "docx"] {
            assert_eq!(
                extract_bytes(ext, bytes.clone(), ExtractLimits::default()),
                Extracted::Protected
            );
        }
    }

    #[test]
    fn garbage_fails_without_panicking() {
        for ext in ["xlsx", "xls", "ods", "docx", "pdf"] {
            let r = extract_bytes(
                ext,
                b"PK\x03\x04 not really".to_vec(),
                ExtractLimits::default(),
            );
            assert!(matches!(r, Extracted::Failed(_)), "{ext}: {r:?}");
        }
    }

    #[test]
    fn slow_or_crashing_parsers_are_contained() {
        let slow = with_deadline(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(2));
            Extracted::Text(String::new())
        });
        assert_eq!(slow, Extracted::Timeout);
        let crash = with_deadline(Duration::from_secs(5), || panic!("hostile file"));
        assert!(matches!(crash, Extracted::Failed(_)), "{crash:?}");
    }

    #[test]
    fn zip_bombs_are_refused_from_the_directory() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("word/document.xml", opts).unwrap();
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..8 {
            std::io::Write::write_all(&mut zip, &zeros).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let limits = ExtractLimits {
            max_text_bytes: 1024 * 1024,
            ..ExtractLimits::default()
        };
        assert_eq!(extract_bytes("docx", bytes, limits), Extracted::TooLarge);
    }

    #[test]
    fn oversized_input_is_refused() {
        let limits = ExtractLimits {
            max_file_bytes: 10,
            ..ExtractLimits::default()
        };
        assert_eq!(
            extract_bytes("txt", vec![b'1'; 11], limits),
            Extracted::TooLarge
        );
    }
}
