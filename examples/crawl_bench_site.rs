//! Serves one generated school website on 127.0.0.1 for the W11 crawl benchmark
//! (`bench/crawl.sh`): a home page, 20 category pages, 25 articles in each (about
//! 6 KB of text), and one linked document in articles 0, 4, 8... of each category
//! (7 per category), taken in turn from the constructed corpus
//! (`fixtures/pdata/corpus`: CSV, XLSX, ODS, PDF, DOCX, TXT lists, some with citizen
//! ID numbers). 661 URLs in all. Prints the site's URL,
//! then serves until killed.
//!
//! Usage: cargo run --release --example crawl_bench_site -- PORT

#[path = "../tests/it/support/web.rs"]
mod web_support;

use std::io::Write;
use std::path::Path;

use web_support::*;

const CATEGORIES: usize = 20;
const ARTICLES: usize = 25;
const DOCUMENTS: &[&str] = &[
    "ds_hocsinh_0.csv",
    "ds_lop_1.xlsx",
    "trungtuyen_0.pdf",
    "giaovien_0.docx",
    "hoadon_1.xlsx",
    "thongbao_0.txt",
    "ds_ods_0.ods",
    "taikhoan_1.csv",
];

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(8480);
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pdata/corpus");
    let filler = "Trường tổ chức hoạt động ngoại khóa cho học sinh các khối lớp. ".repeat(100);
    let mut pages: Vec<(String, Resp)> = Vec::new();
    let mut home = String::from("<html><body><h1>Trường THPT Mẫu</h1><ul>");
    let mut doc_no = 0;
    for c in 0..CATEGORIES {
        home.push_str(&format!(
            "<li><a href=\"/muc/{c}/\">Chuyên mục {c}</a></li>"
        ));
        let mut category = format!("<html><body><h1>Chuyên mục {c}</h1><ul>");
        for a in 0..ARTICLES {
            category.push_str(&format!("<li><a href=\"bai-{a}.html\">Bài {a}</a></li>"));
            let mut article =
                format!("<html><body><a href=\"/\">Trang chủ</a><h1>Bài {a}</h1><p>{filler}</p>");
            if a % 4 == 0 {
                let name = DOCUMENTS[doc_no % DOCUMENTS.len()];
                let ext = name.rsplit('.').next().unwrap();
                let path = format!("/tep/{doc_no}.{ext}");
                article.push_str(&format!("<a href=\"{path}\">Tệp đính kèm</a>"));
                let bytes = std::fs::read(corpus.join(name)).expect("corpus file");
                pages.push((path, Resp::bytes(200, &bytes)));
                doc_no += 1;
            }
            article.push_str("</body></html>");
            pages.push((format!("/muc/{c}/bai-{a}.html"), Resp::html(200, &article)));
        }
        category.push_str("</ul></body></html>");
        pages.push((format!("/muc/{c}/"), Resp::html(200, &category)));
    }
    home.push_str("</ul></body></html>");
    pages.push(("/".into(), Resp::html(200, &home)));
    let total = pages.len();
    let addr = serve_plain(
        &format!("127.0.0.1:{port}"),
        routes(pages.iter().map(|(p, r)| (p.as_str(), r.clone())).collect()),
    );
    let mut out = std::io::stdout().lock();
    writeln!(out, "http://{addr}/ {total}").unwrap();
    out.flush().unwrap();
    loop {
        std::thread::park();
    }
}
