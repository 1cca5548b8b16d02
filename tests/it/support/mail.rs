//! Real servers on loopback for the mail tests: a DNS server answering from a
//! zone (built on hickory-proto's message types, over UDP), with names that
//! answer SERVFAIL or nothing at all; and SMTP servers that greet, answer EHLO,
//! offer STARTTLS or not, and run TLS (rustls, or raw bytes passed to another
//! TLS server such as `openssl s_server`). Nothing here talks to any address
//! outside 127.0.0.0/8.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, LazyLock};

use hickory_resolver::proto::op::{Message, MessageType, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, MX, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UdpSocket};

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test runtime")
});

/// A zone: records by (lower-case name without the final dot, type), and names
/// that fail.
#[derive(Clone, Default)]
pub struct Zone {
    records: HashMap<(String, RecordType), Vec<RData>>,
    servfail: HashSet<String>,
    silent: HashSet<String>,
}

impl Zone {
    pub fn txt(mut self, name: &str, text: &str) -> Zone {
        self.records
            .entry((name.to_string(), RecordType::TXT))
            .or_default()
            .push(RData::TXT(TXT::new(
                // TXT strings are at most 255 bytes each: split long ones.
                text.as_bytes()
                    .chunks(255)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect(),
            )));
        self
    }
    pub fn mx(mut self, name: &str, preference: u16, host: &str) -> Zone {
        self.records
            .entry((name.to_string(), RecordType::MX))
            .or_default()
            .push(RData::MX(MX::new(
                preference,
                Name::from_ascii(format!("{host}.")).unwrap(),
            )));
        self
    }
    pub fn a(mut self, name: &str, ip: Ipv4Addr) -> Zone {
        self.records
            .entry((name.to_string(), RecordType::A))
            .or_default()
            .push(RData::A(A(ip)));
        self
    }
    /// Every query for a name ending in `suffix` answers SERVFAIL.
    pub fn servfail(mut self, suffix: &str) -> Zone {
        self.servfail.insert(suffix.to_string());
        self
    }
    /// Every query for a name ending in `suffix` gets no answer.
    pub fn silent(mut self, suffix: &str) -> Zone {
        self.silent.insert(suffix.to_string());
        self
    }

    fn answer(&self, query: &[u8]) -> Option<Vec<u8>> {
        let request = Message::from_vec(query).ok()?;
        let q = request.queries().first()?.clone();
        let name = q
            .name()
            .to_ascii()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let ends = |set: &HashSet<String>| {
            set.iter()
                .any(|s| name == *s || name.ends_with(&format!(".{s}")))
        };
        if ends(&self.silent) {
            return None;
        }
        let mut response = Message::new();
        response
            .set_id(request.id())
            .set_message_type(MessageType::Response)
            .set_op_code(request.op_code())
            .set_recursion_desired(request.recursion_desired())
            .set_recursion_available(true)
            .add_query(q.clone());
        if ends(&self.servfail) {
            response.set_response_code(ResponseCode::ServFail);
        } else if let Some(found) = self.records.get(&(name.clone(), q.query_type())) {
            for rdata in found {
                response.add_answer(Record::from_rdata(q.name().clone(), 60, rdata.clone()));
            }
        } else if self.records.keys().any(|(n, _)| *n == name) {
            // The name exists without this type: an empty answer.
        } else {
            response.set_response_code(ResponseCode::NXDomain);
        }
        response.to_vec().ok()
    }
}

/// Serves `zone` over UDP on 127.0.0.1; returns its address.
pub fn serve_dns(zone: Zone) -> SocketAddr {
    RUNTIME.block_on(async move {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind on loopback");
        let addr = socket.local_addr().unwrap();
        RUNTIME.spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                if let Some(reply) = zone.answer(&buf[..n]) {
                    let _ = socket.send_to(&reply, peer).await;
                }
            }
        });
        addr
    })
}

/// How an SMTP server behaves.
#[derive(Clone)]
pub enum Smtp {
    /// Offers STARTTLS and runs TLS with this configuration.
    Starttls(Arc<rustls::ServerConfig>),
    /// Does not offer STARTTLS.
    Plain,
    /// Offers STARTTLS, then passes the raw bytes to the TLS server at this address.
    StarttlsVia(SocketAddr),
}

/// What an SMTP server was told: every command line (MAIL FROM, RCPT TO or DATA
/// would mean khien tried to send mail).
#[derive(Default, Debug)]
pub struct Transcript {
    pub commands: std::sync::Mutex<Vec<String>>,
}

/// Starts an SMTP server on `bind` (address and port); returns what it hears.
pub fn serve_smtp(bind: SocketAddr, behavior: Smtp) -> Arc<Transcript> {
    let transcript = Arc::new(Transcript::default());
    let heard = transcript.clone();
    RUNTIME.block_on(async move {
        let listener = TcpListener::bind(bind).await.expect("bind on loopback");
        RUNTIME.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let behavior = behavior.clone();
                let heard = heard.clone();
                tokio::spawn(async move {
                    let mut stream = BufReader::new(tcp);
                    if stream
                        .get_mut()
                        .write_all(b"220 mx.test ESMTP khien-test\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    loop {
                        let mut line = String::new();
                        match stream.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let command = line.trim_end().to_string();
                        heard.commands.lock().unwrap().push(command.clone());
                        let verb = command
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_ascii_uppercase();
                        let reply: &[u8] = match (verb.as_str(), &behavior) {
                            ("EHLO", Smtp::Plain) => {
                                b"250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
                            }
                            ("EHLO", _) => b"250-mx.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
                            ("STARTTLS", Smtp::Plain) => b"502 5.5.1 not offered\r\n",
                            ("STARTTLS", _) => b"220 2.0.0 ready\r\n",
                            ("QUIT", _) => b"221 2.0.0 bye\r\n",
                            _ => b"502 5.5.2 not here\r\n",
                        };
                        if stream.get_mut().write_all(reply).await.is_err() {
                            return;
                        }
                        match (verb.as_str(), &behavior) {
                            ("QUIT", _) => return,
                            ("STARTTLS", Smtp::Starttls(config)) => {
                                let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
                                if let Ok(tls) = acceptor.accept(stream.into_inner()).await {
                                    let mut tls = BufReader::new(tls);
                                    let mut l = String::new();
                                    while let Ok(n) = tls.read_line(&mut l).await {
                                        if n == 0 {
                                            break;
                                        }
                                        heard
                                            .commands
                                            .lock()
                                            .unwrap()
                                            .push(l.trim_end().to_string());
                                        if l.trim_end().eq_ignore_ascii_case("QUIT") {
                                            let _ =
                                                tls.get_mut().write_all(b"221 2.0.0 bye\r\n").await;
                                            break;
                                        }
                                        l.clear();
                                    }
                                }
                                return;
                            }
                            ("STARTTLS", Smtp::StarttlsVia(backend)) => {
                                if let Ok(mut upstream) =
                                    tokio::net::TcpStream::connect(backend).await
                                {
                                    let mut tcp = stream.into_inner();
                                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream)
                                        .await;
                                }
                                return;
                            }
                            _ => {}
                        }
                    }
                });
            }
        });
    });
    transcript
}

/// A rustls server configuration for `chain` and its key.
pub fn tls_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key_der: &[u8],
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                chain,
                rustls::pki_types::PrivateKeyDer::Pkcs8(
                    rustls::pki_types::PrivatePkcs8KeyDer::from(key_der.to_vec()),
                ),
            )
            .unwrap(),
    )
}
