//! Serves N local HTTPS sites for the website benchmark (`bench/web.sh`): one
//! rustls server per loopback address 127.2.x.y on the given port, each with a
//! small home page and security headers. Prints one `https://IP:PORT/` a line,
//! then serves until killed.
//!
//! Usage: cargo run --release --example web_bench_sites -- N PORT

#[path = "../tests/it/support/web.rs"]
mod web_support;

use std::io::Write;

use web_support::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(8443);
    let leaf = self_signed(&["truong.test"]);
    let page = routes(vec![(
        "/",
        Resp::html(
            200,
            "<html><head><title>Trường</title></head><body>ok</body></html>",
        )
        .header("Strict-Transport-Security", "max-age=31536000")
        .header("X-Content-Type-Options", "nosniff"),
    )]);
    let mut out = std::io::stdout().lock();
    for i in 0..n {
        let ip = format!("127.2.{}.{}", i / 250, i % 250 + 1);
        let addr = serve_tls(
            &format!("{ip}:{port}"),
            vec![leaf.der.clone()],
            &leaf.key_der,
            page.clone(),
        );
        writeln!(out, "https://{addr}/").unwrap();
    }
    out.flush().unwrap();
    drop(out);
    loop {
        std::thread::park();
    }
}
