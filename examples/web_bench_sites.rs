//! Serves N local HTTPS sites for the website benchmark (`bench/web.sh`), each
//! with a small home page and security headers, then serves until killed.
//!
//! - `distinct` (default): one rustls server per loopback address 127.2.x.y on
//!   the given port; prints one `https://IP:PORT/` a line.
//! - `shared`: one server on 127.3.0.1:PORT for N name-based sites, as on a
//!   shared hosting server; prints one `https://sN.truong.test:PORT/` a line (the
//!   names must resolve to 127.3.0.1, e.g. through /etc/hosts).
//!
//! Every second it writes "CONNECTIONS REQUESTS" (totals seen by all its servers)
//! to the file named by `BENCH_STATS`, if set.
//!
//! Usage: cargo run --release --example web_bench_sites -- N PORT [distinct|shared]

#[path = "../tests/it/support/web.rs"]
mod web_support;

use std::io::Write;
use std::sync::Arc;

use web_support::*;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(8443);
    let shared = args.next().is_some_and(|m| m == "shared");
    let leaf = self_signed(&["truong.test", "*.truong.test"]);
    let page = routes(vec![(
        "/",
        Resp::html(
            200,
            "<html><head><title>Trường</title></head><body>ok</body></html>",
        )
        .header("Strict-Transport-Security", "max-age=31536000")
        .header("X-Content-Type-Options", "nosniff"),
    )]);
    let mut stats: Vec<Arc<Stats>> = Vec::new();
    let mut out = std::io::stdout().lock();
    if shared {
        let (addr, s) = serve_tls_counted(
            &format!("127.3.0.1:{port}"),
            vec![leaf.der.clone()],
            &leaf.key_der,
            page,
        );
        stats.push(s);
        for i in 0..n {
            writeln!(out, "https://s{i}.truong.test:{}/", addr.port()).unwrap();
        }
    } else {
        for i in 0..n {
            let ip = format!("127.2.{}.{}", i / 250, i % 250 + 1);
            let (addr, s) = serve_tls_counted(
                &format!("{ip}:{port}"),
                vec![leaf.der.clone()],
                &leaf.key_der,
                page.clone(),
            );
            stats.push(s);
            writeln!(out, "https://{addr}/").unwrap();
        }
    }
    out.flush().unwrap();
    drop(out);
    let file = std::env::var_os("BENCH_STATS");
    loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        if let Some(path) = &file {
            let c: u64 = stats.iter().map(|s| s.connections()).sum();
            let r: usize = stats.iter().map(|s| s.request_count()).sum();
            let _ = std::fs::write(path, format!("{c} {r}\n"));
        }
    }
}
