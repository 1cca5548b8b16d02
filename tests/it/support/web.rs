//! Real servers on loopback for the website tests: an in-process TLS/HTTP server
//! (tokio-rustls, certificates made with rcgen at test time) with configurable
//! routes and hostile behaviours. Nothing here talks to any address outside
//! 127.0.0.0/8.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// One runtime for every server of a test binary, on its own threads, so that
/// tests can block on the khien process.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test runtime")
});

/// (year, month, day)
pub type Ymd = (i32, u8, u8);

pub const LONG_AGO: Ymd = (2020, 1, 1);
pub const FAR_AHEAD: Ymd = (2040, 1, 1);

/// A certificate authority made for a test.
pub struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub der: CertificateDer<'static>,
    pub pem: String,
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "khien test");
    dn
}

impl Ca {
    pub fn root(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = date_time_ymd(LONG_AGO.0, LONG_AGO.1, LONG_AGO.2);
        params.not_after = date_time_ymd(FAR_AHEAD.0, FAR_AHEAD.1, FAR_AHEAD.2);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            der: cert.der().clone(),
            pem: cert.pem(),
            params,
            key,
        }
    }

    /// An intermediate CA signed by this one.
    pub fn intermediate(&self, name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = dn(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = date_time_ymd(LONG_AGO.0, LONG_AGO.1, LONG_AGO.2);
        params.not_after = date_time_ymd(FAR_AHEAD.0, FAR_AHEAD.1, FAR_AHEAD.2);
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Ca {
            der: cert.der().clone(),
            pem: cert.pem(),
            params,
            key,
        }
    }

    /// A server certificate for `names`, valid from `from` to `until`.
    pub fn leaf(&self, names: &[&str], from: Ymd, until: Ymd) -> Leaf {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name = dn(names.first().copied().unwrap_or("leaf"));
        params.not_before = date_time_ymd(from.0, from.1, from.2);
        params.not_after = date_time_ymd(until.0, until.1, until.2);
        let key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Leaf {
            der: cert.der().clone(),
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        }
    }
}

pub struct Leaf {
    pub der: CertificateDer<'static>,
    pub pem: String,
    pub key_pem: String,
    pub key_der: Vec<u8>,
}

/// A self-signed server certificate.
pub fn self_signed(names: &[&str]) -> Leaf {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name = dn(names[0]);
    params.not_before = date_time_ymd(LONG_AGO.0, LONG_AGO.1, LONG_AGO.2);
    params.not_after = date_time_ymd(FAR_AHEAD.0, FAR_AHEAD.1, FAR_AHEAD.2);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Leaf {
        der: cert.der().clone(),
        pem: cert.pem(),
        key_pem: key.serialize_pem(),
        key_der: key.serialize_der(),
    }
}

/// One response.
#[derive(Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

#[derive(Clone)]
pub enum Body {
    Bytes(Vec<u8>),
    /// `n` bytes of filler, written in chunks (the 100 MB body).
    Filler(u64),
}

impl Resp {
    pub fn html(status: u16, body: &str) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: Body::Bytes(body.as_bytes().to_vec()),
        }
    }
    pub fn bytes(status: u16, body: &[u8]) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), "application/octet-stream".into())],
            body: Body::Bytes(body.to_vec()),
        }
    }
    pub fn redirect(status: u16, location: &str) -> Resp {
        Resp {
            status,
            headers: vec![("Location".into(), location.into())],
            body: Body::Bytes(Vec::new()),
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Resp {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// What a server does with each connection.
#[derive(Clone)]
pub enum Behavior {
    /// Serves `routes`, else `fallback` (a "not found" page with status 200 by default).
    Routes {
        routes: HashMap<String, Resp>,
        fallback: Resp,
    },
    /// Accepts and never says anything.
    Silent,
    /// After the request, sends the start of an answer one byte a second, forever.
    Drip,
    /// Answers every connection with text that is not TLS.
    Garbage,
}

/// The "not found" page that many school sites serve with status 200.
pub fn soft_404() -> Resp {
    Resp::html(
        200,
        "<!DOCTYPE html><html><head><title>Không tìm thấy trang</title></head><body>Trang bạn tìm không tồn tại.</body></html>",
    )
}

pub fn routes(pairs: Vec<(&str, Resp)>) -> Behavior {
    Behavior::Routes {
        routes: pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        fallback: soft_404(),
    }
}

fn server_config(chain: Vec<CertificateDer<'static>>, key_der: &[u8]) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            chain,
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der.to_vec())),
        )
        .unwrap()
}

/// What a server saw: TCP connections accepted and the path of every request.
#[derive(Default, Debug)]
pub struct Stats {
    pub connections: std::sync::atomic::AtomicU64,
    pub requests: std::sync::Mutex<Vec<String>>,
}

impl Stats {
    pub fn connections(&self) -> u64 {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
    /// Requests for `path`.
    pub fn requests_for(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// Starts an HTTPS server on `bind` (e.g. `127.0.0.1:0`) sending `chain`.
pub fn serve_tls(
    bind: &str,
    chain: Vec<CertificateDer<'static>>,
    key_der: &[u8],
    behavior: Behavior,
) -> SocketAddr {
    serve_tls_counted(bind, chain, key_der, behavior).0
}

/// [`serve_tls`], with what the server saw.
pub fn serve_tls_counted(
    bind: &str,
    chain: Vec<CertificateDer<'static>>,
    key_der: &[u8],
    behavior: Behavior,
) -> (SocketAddr, Arc<Stats>) {
    let stats = Arc::new(Stats::default());
    let counted = stats.clone();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(chain, key_der)));
    let bind = bind.to_string();
    let addr = RUNTIME.block_on(async move {
        let listener = TcpListener::bind(&bind).await.expect("bind on loopback");
        let addr = listener.local_addr().unwrap();
        RUNTIME.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                counted
                    .connections
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // As web servers do: a response head and body written apart must not
                // wait for the client's delayed ACK (Nagle), which would add ~40 ms.
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let behavior = behavior.clone();
                let counted = counted.clone();
                tokio::spawn(async move {
                    match behavior {
                        Behavior::Silent | Behavior::Drip | Behavior::Garbage => {
                            hostile(tcp, &behavior).await
                        }
                        Behavior::Routes { .. } => {
                            if let Ok(Ok(tls)) =
                                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp))
                                    .await
                            {
                                serve_http(tls, &behavior, &counted).await;
                            }
                        }
                    }
                });
            }
        });
        addr
    });
    (addr, stats)
}

/// Starts a plain HTTP server on `bind`.
pub fn serve_plain(bind: &str, behavior: Behavior) -> SocketAddr {
    serve_plain_counted(bind, behavior).0
}

/// [`serve_plain`], with what the server saw.
pub fn serve_plain_counted(bind: &str, behavior: Behavior) -> (SocketAddr, Arc<Stats>) {
    let stats = Arc::new(Stats::default());
    let counted = stats.clone();
    let bind = bind.to_string();
    let addr = RUNTIME.block_on(async move {
        let listener = TcpListener::bind(&bind).await.expect("bind on loopback");
        let addr = listener.local_addr().unwrap();
        RUNTIME.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                counted
                    .connections
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // As web servers do: a response head and body written apart must not
                // wait for the client's delayed ACK (Nagle), which would add ~40 ms.
                let _ = tcp.set_nodelay(true);
                let behavior = behavior.clone();
                let counted = counted.clone();
                tokio::spawn(async move {
                    match behavior {
                        Behavior::Routes { .. } => serve_http(tcp, &behavior, &counted).await,
                        _ => hostile(tcp, &behavior).await,
                    }
                });
            }
        });
        addr
    });
    (addr, stats)
}

async fn hostile(mut tcp: tokio::net::TcpStream, behavior: &Behavior) {
    match behavior {
        Behavior::Silent => {
            let mut sink = [0u8; 1024];
            while let Ok(n) = tcp.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        }
        Behavior::Drip => {
            // Wait for the request, then start an answer that never ends.
            let mut req = [0u8; 4096];
            let _ = tcp.read(&mut req).await;
            for b in b"HTTP/1.1 200 OK\r\nX-Drip: "
                .iter()
                .chain(std::iter::repeat(&b'a'))
            {
                if tcp.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Behavior::Garbage => {
            let _ = tcp
                .write_all(b"SSH-2.0-OpenSSH_9.2 not TLS at all\r\n\x00\xff garbage")
                .await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Behavior::Routes { .. } => {}
    }
}

/// Serves HTTP/1.1 requests on one connection (keep-alive) until the peer closes.
async fn serve_http<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    behavior: &Behavior,
    stats: &Stats,
) {
    let Behavior::Routes { routes, fallback } = behavior else {
        return;
    };
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // Read one request head (requests carry no body: khien only sends GET).
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > 16 * 1024 {
                return;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end);
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        stats.requests.lock().unwrap().push(path.clone());
        let resp = routes.get(&path).unwrap_or(fallback);
        let len = match &resp.body {
            Body::Bytes(b) => b.len() as u64,
            Body::Filler(n) => *n,
        };
        let mut out = format!("HTTP/1.1 {} X\r\nContent-Length: {len}\r\n", resp.status);
        for (k, v) in &resp.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        if stream.write_all(out.as_bytes()).await.is_err() {
            return;
        }
        match &resp.body {
            Body::Bytes(b) => {
                if stream.write_all(b).await.is_err() {
                    return;
                }
            }
            Body::Filler(n) => {
                let block = vec![b'x'; 64 * 1024];
                let mut left = *n;
                while left > 0 {
                    let k = left.min(block.len() as u64) as usize;
                    if stream.write_all(&block[..k]).await.is_err() {
                        return;
                    }
                    left -= k as u64;
                }
            }
        }
        let _ = stream.flush().await;
    }
}

/// Path of the built khien binary.
pub fn khien() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("khien").unwrap();
    cmd.env_remove("KHIEN_LANG");
    cmd
}

/// Runs `khien scan web ARGS --format json` and returns the parsed result document.
pub fn scan_json(args: &[&str]) -> (serde_json::Value, i32, String) {
    let out = khien()
        .args(["--lang", "en", "scan", "web", "--format", "json"])
        .args(args)
        .timeout(Duration::from_secs(300))
        .output()
        .expect("khien runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (doc, out.status.code().unwrap_or(-1), stderr)
}

/// The target result for site `id`.
pub fn target<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["target"]["id"] == id)
        .unwrap_or_else(|| panic!("no target {id}"))
}

/// The status of rule `code` for site `id`.
pub fn status(doc: &serde_json::Value, id: &str, code: &str) -> String {
    target(doc, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == code)
        .unwrap_or_else(|| panic!("no finding {code} for {id}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The evidence value of `fact` in rule `code` for site `id`.
pub fn evidence(doc: &serde_json::Value, id: &str, code: &str, fact: &str) -> serde_json::Value {
    target(doc, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == code)
        .unwrap()["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["fact"] == fact)
        .unwrap_or_else(|| panic!("no evidence {fact} in {code}"))["value"]
        .clone()
}
