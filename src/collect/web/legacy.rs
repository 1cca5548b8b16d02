//! Legacy protocol probes: does the server accept SSLv3, TLS 1.0, TLS 1.1, or a
//! TLS 1.2 handshake offering only weak suites?
//!
//! rustls cannot speak these, so a ClientHello is built by hand for each probe and
//! the server's first flight is read and parsed with `tls-parser`: a ServerHello
//! with the offered version means *accepted*, an alert or another version means
//! *refused*. In TLS ≤ 1.2 the Certificate message travels in clear, so a server
//! that only speaks legacy TLS still shows its chain here.

use std::net::SocketAddr;
use std::time::Duration;

use tls_parser::{
    CIPHERS, TlsCipherAu, TlsCipherEnc, TlsCipherKx, TlsCipherSuite, TlsMessage,
    TlsMessageHandshake, TlsRecordType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::facts::web::ProtocolProbe;
use crate::facts::{Fact, ReasonCode};

/// The most a probe reads from the server: a ServerHello plus a long chain.
const MAX_FLIGHT_BYTES: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Ssl3,
    Tls10,
    Tls11,
    /// TLS 1.2 offering only NULL, EXPORT, anonymous, RC4, DES and 3DES suites.
    WeakTls12,
}

impl ProbeKind {
    fn version(self) -> u16 {
        match self {
            ProbeKind::Ssl3 => 0x0300,
            ProbeKind::Tls10 => 0x0301,
            ProbeKind::Tls11 => 0x0302,
            ProbeKind::WeakTls12 => 0x0303,
        }
    }
}

/// What one probe saw.
pub struct ProbeOutcome {
    pub probe: Fact<ProtocolProbe>,
    /// DER certificates from the server's Certificate message, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The version of the server's hello when it chose one at or below the
    /// offered version (0 otherwise).
    pub chosen: u16,
}

/// A suite is weak when it has no or broken encryption, no authentication, or
/// export-grade keys.
fn is_weak(suite: &TlsCipherSuite) -> bool {
    matches!(
        suite.enc,
        TlsCipherEnc::Null
            | TlsCipherEnc::Rc4
            | TlsCipherEnc::Rc2
            | TlsCipherEnc::Des
            | TlsCipherEnc::TripleDes
    ) || suite.au == TlsCipherAu::Null && suite.kx != TlsCipherKx::Psk
        || suite.name.contains("EXPORT")
}

/// The suites a probe offers: every pre-TLS 1.3 suite that the version can use.
fn offered_suites(kind: ProbeKind) -> Vec<u16> {
    let mut ids: Vec<u16> = CIPHERS
        .values()
        // Not TLS 1.3 suites, and not the signalling values: TLS_FALLBACK_SCSV (0x5600)
        // would make a server refuse with inappropriate_fallback.
        .filter(|s| {
            s.kx != TlsCipherKx::Tls13 && s.id.0 < 0xff00 && s.id.0 != 0x5600 && s.id.0 != 0x00ff
        })
        .filter(|s| match kind {
            ProbeKind::WeakTls12 => is_weak(s),
            // GCM, CCM and ChaCha need TLS 1.2; offering them is harmless but useless.
            ProbeKind::Ssl3 | ProbeKind::Tls10 | ProbeKind::Tls11 => {
                s.enc_mode == tls_parser::TlsCipherEncMode::Cbc
                    || matches!(s.enc, TlsCipherEnc::Rc4 | TlsCipherEnc::Null)
            }
        })
        .map(|s| s.id.0)
        .collect();
    ids.sort_unstable();
    ids
}

fn push_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn push_u24(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
}

fn extension(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    push_u16(out, kind);
    push_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

/// Builds the ClientHello record for a probe. `sni` is omitted for IP literals.
pub fn client_hello(kind: ProbeKind, sni: Option<&str>) -> Vec<u8> {
    let version = kind.version();
    let mut suites = offered_suites(kind);
    // TLS_EMPTY_RENEGOTIATION_INFO_SCSV: some servers refuse hellos without it.
    suites.push(0x00ff);

    let mut body = Vec::with_capacity(1024);
    push_u16(&mut body, version);
    // The random need not be secret for a probe that never completes.
    body.extend((0u8..32).map(|i| i.wrapping_mul(37).wrapping_add(11)));
    body.push(0); // no session id
    push_u16(&mut body, (suites.len() * 2) as u16);
    for s in &suites {
        push_u16(&mut body, *s);
    }
    body.extend_from_slice(&[1, 0]); // compression: null only

    if kind != ProbeKind::Ssl3 {
        let mut exts = Vec::new();
        if let Some(name) = sni {
            let mut sni_body = Vec::new();
            push_u16(&mut sni_body, (name.len() + 3) as u16);
            sni_body.push(0); // host_name
            push_u16(&mut sni_body, name.len() as u16);
            sni_body.extend_from_slice(name.as_bytes());
            extension(&mut exts, 0x0000, &sni_body);
        }
        // supported_groups: x25519, secp256r1, secp384r1, secp521r1
        extension(
            &mut exts,
            0x000a,
            &[0, 8, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, 0x00, 0x19],
        );
        // ec_point_formats: uncompressed
        extension(&mut exts, 0x000b, &[1, 0]);
        if kind == ProbeKind::WeakTls12 {
            // signature_algorithms: rsa/ecdsa with sha256, sha384, sha1
            extension(
                &mut exts,
                0x000d,
                &[
                    0, 12, 0x04, 0x01, 0x04, 0x03, 0x05, 0x01, 0x05, 0x03, 0x02, 0x01, 0x02, 0x03,
                ],
            );
        }
        push_u16(&mut body, exts.len() as u16);
        body.extend_from_slice(&exts);
    }

    let mut handshake = Vec::with_capacity(body.len() + 4);
    handshake.push(1); // client_hello
    push_u24(&mut handshake, body.len());
    handshake.extend_from_slice(&body);

    let mut record = Vec::with_capacity(handshake.len() + 5);
    record.push(22);
    // Record layer version: SSLv3 for the SSLv3 probe, TLS 1.0 otherwise (as browsers do).
    push_u16(
        &mut record,
        if kind == ProbeKind::Ssl3 {
            0x0300
        } else {
            0x0301
        },
    );
    push_u16(&mut record, handshake.len() as u16);
    record.extend_from_slice(&handshake);
    record
}

/// Runs one probe against `addr` within `budget`: accepted only when the server
/// speaks exactly the offered version.
pub async fn probe(
    kind: ProbeKind,
    addr: SocketAddr,
    sni: Option<&str>,
    budget: Duration,
) -> ProbeOutcome {
    let mut outcome = probe_up_to(kind, addr, sni, budget).await;
    if outcome.chosen != 0 && outcome.chosen != kind.version() {
        outcome.probe = Fact::known(ProtocolProbe {
            accepted: false,
            cipher_suite: String::new(),
            refusal: format!("other_version:0x{:04x}", outcome.chosen),
        });
    }
    outcome
}

/// One hello offering versions up to `kind`'s: the server answers with the
/// highest it supports at or below it (`chosen`), or refuses.
async fn probe_up_to(
    kind: ProbeKind,
    addr: SocketAddr,
    sni: Option<&str>,
    budget: Duration,
) -> ProbeOutcome {
    match tokio::time::timeout(budget, run_probe(kind, addr, sni)).await {
        Ok(outcome) => outcome,
        Err(_) => ProbeOutcome {
            probe: Fact::unknown(ReasonCode::Timeout, format!("no answer within {budget:?}")),
            chain: Vec::new(),
            chosen: 0,
        },
    }
}

const LEGACY: [ProbeKind; 3] = [ProbeKind::Ssl3, ProbeKind::Tls10, ProbeKind::Tls11];

fn version_name(v: u16) -> &'static str {
    match v {
        0x0300 => "SSLv3",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        _ => "TLS 1.2",
    }
}

/// SSLv3, TLS 1.0 and TLS 1.1 (in that order), with as few connections as decide
/// them. A hello offering versions up to TLS 1.1 is answered with the highest
/// version the server has at or below it (RFC 5246 E.1), so one refusal decides
/// all three: a server with TLS 1.2+ only costs one probe. When the server picks
/// a version, it is accepted, those above it refused, and the next lower one is
/// offered in turn. A probe that gives no answer decides nothing: the next lower
/// version is then probed on its own. `connect` waits for the per-IP politeness
/// before each connection.
pub async fn protocol_versions<F, Fut>(
    addr: SocketAddr,
    sni: Option<&str>,
    budget: impl Fn() -> Duration,
    connect: F,
) -> Vec<ProbeOutcome>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = tokio::sync::OwnedSemaphorePermit>,
{
    let mut results: Vec<Option<ProbeOutcome>> = vec![None, None, None];
    let mut offer = LEGACY.len() - 1;
    loop {
        let kind = LEGACY[offer];
        let outcome = {
            let _permit = connect().await;
            probe_up_to(kind, addr, sni, budget()).await
        };
        let chosen = LEGACY.iter().position(|k| k.version() == outcome.chosen);
        match chosen {
            Some(at) if at <= offer => {
                for slot in results.iter_mut().take(offer + 1).skip(at + 1) {
                    *slot = Some(refused_outcome(
                        &format!(
                            "other_version:0x{:04x} (offered up to {})",
                            outcome.chosen,
                            version_name(kind.version())
                        ),
                        Vec::new(),
                    ));
                }
                results[at] = Some(outcome);
                if at == 0 {
                    break;
                }
                offer = at - 1;
            }
            _ => {
                let refusal = outcome
                    .probe
                    .value()
                    .filter(|p| !p.accepted)
                    .map(|p| p.refusal.clone());
                match refusal {
                    Some(how) => {
                        for slot in results.iter_mut().take(offer) {
                            *slot = Some(refused_outcome(
                                &format!(
                                    "{how} (to a hello offering up to {})",
                                    version_name(kind.version())
                                ),
                                Vec::new(),
                            ));
                        }
                        results[offer] = Some(outcome);
                        break;
                    }
                    None => {
                        results[offer] = Some(outcome);
                        if offer == 0 {
                            break;
                        }
                        offer -= 1;
                    }
                }
            }
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| refused_outcome("not probed", Vec::new())))
        .collect()
}

async fn run_probe(kind: ProbeKind, addr: SocketAddr, sni: Option<&str>) -> ProbeOutcome {
    match TcpStream::connect(addr).await {
        Ok(stream) => probe_stream(kind, stream, sni).await,
        Err(e) => ProbeOutcome {
            probe: Fact::unknown(ReasonCode::Unreachable, format!("{addr}: {e}")),
            chain: Vec::new(),
            chosen: 0,
        },
    }
}

/// A probe on a connection already open (after SMTP STARTTLS, for mail servers):
/// the hello offers versions up to `kind`'s, and `chosen` says which one the
/// server picked. The caller bounds the time.
pub async fn probe_stream(
    kind: ProbeKind,
    mut stream: TcpStream,
    sni: Option<&str>,
) -> ProbeOutcome {
    let addr = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let unknown = |reason, detail: String| ProbeOutcome {
        probe: Fact::unknown(reason, detail),
        chain: Vec::new(),
        chosen: 0,
    };
    if let Err(e) = stream.write_all(&client_hello(kind, sni)).await {
        return unknown(ReasonCode::Unreachable, format!("{addr}: {e}"));
    }
    let mut buf = Vec::with_capacity(8 * 1024);
    let mut chunk = [0u8; 8192];
    loop {
        match parse_flight(&buf, kind.version()) {
            Flight::Incomplete if buf.len() < MAX_FLIGHT_BYTES => {}
            Flight::Incomplete => {
                return unknown(
                    ReasonCode::LimitReached,
                    format!("server's first flight exceeds {MAX_FLIGHT_BYTES} bytes"),
                );
            }
            Flight::Done(outcome) => return outcome,
            Flight::Garbage(detail) => return unknown(ReasonCode::Unparsable, detail),
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                // The server closed: a refusal unless what came before was a hello.
                return match parse_flight(&buf, kind.version()) {
                    Flight::Done(outcome) => outcome,
                    Flight::Garbage(detail) if !buf.is_empty() => {
                        unknown(ReasonCode::Unparsable, detail)
                    }
                    _ => refused_outcome("closed", Vec::new()),
                };
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

enum Flight {
    Incomplete,
    Done(ProbeOutcome),
    Garbage(String),
}

fn refused_outcome(how: &str, chain: Vec<Vec<u8>>) -> ProbeOutcome {
    ProbeOutcome {
        probe: Fact::known(ProtocolProbe {
            accepted: false,
            cipher_suite: String::new(),
            refusal: how.to_string(),
        }),
        chain,
        chosen: 0,
    }
}

/// [`parse_flight`] for the fuzzer (fuzz/fuzz_targets/tls_records.rs): a server's
/// answer to a probe offering `offered`, read as the probe reads it. Not for scans.
#[doc(hidden)]
pub fn fuzz_parse_flight(answer: &[u8], offered: u16) -> bool {
    matches!(parse_flight(answer, offered), Flight::Done(_))
}

/// Reads the records received so far. Done at an alert, at a ServerHello with
/// another version, or at ServerHelloDone (with the chain read on the way).
fn parse_flight(buf: &[u8], offered: u16) -> Flight {
    let mut rest = buf;
    let mut handshake = Vec::new();
    let mut done = false;
    while !rest.is_empty() {
        // The first byte of a TLS record is its content type (20..=24).
        if !(20..=24).contains(&rest[0]) {
            let shown = String::from_utf8_lossy(&rest[..rest.len().min(24)]).into_owned();
            return Flight::Garbage(format!("not a TLS answer: {:?}", shown));
        }
        match tls_parser::parse_tls_raw_record(rest) {
            Ok((next, record)) => {
                if record.hdr.record_type == TlsRecordType::Alert && record.data.len() >= 2 {
                    let code = tls_parser::TlsAlertDescription(record.data[1]);
                    return Flight::Done(refused_outcome(
                        &format!("alert:{}", alert_name(code)),
                        Vec::new(),
                    ));
                }
                if record.hdr.record_type == TlsRecordType::Handshake {
                    handshake.extend_from_slice(record.data);
                }
                rest = next;
            }
            Err(tls_parser::Err::Incomplete(_)) => break,
            Err(e) => return Flight::Garbage(format!("bad TLS record: {e:?}")),
        }
    }
    let mut hello: Option<(u16, u16)> = None;
    let mut chain = Vec::new();
    let mut hs = handshake.as_slice();
    while hs.len() >= 4 {
        let len = u32::from_be_bytes([0, hs[1], hs[2], hs[3]]) as usize;
        if hs.len() < 4 + len {
            break; // fragmented over records not yet received
        }
        match tls_parser::parse_tls_message_handshake(&hs[..4 + len]) {
            Ok((_, TlsMessage::Handshake(msg))) => match msg {
                TlsMessageHandshake::ServerHello(h) => {
                    hello = Some((h.version.0, h.cipher.0));
                    // A lower version (down to SSLv3) is the server's choice: read on
                    // for its chain; a higher one is a broken server.
                    if h.version.0 > offered || h.version.0 < 0x0300 {
                        return Flight::Done(refused_outcome(
                            &format!("other_version:0x{:04x}", h.version.0),
                            Vec::new(),
                        ));
                    }
                }
                TlsMessageHandshake::Certificate(c) => {
                    chain = c.cert_chain.iter().map(|c| c.data.to_vec()).collect();
                }
                TlsMessageHandshake::ServerDone(_) => done = true,
                _ => {}
            },
            Ok(_) => {}
            Err(e) => return Flight::Garbage(format!("bad handshake message: {e:?}")),
        }
        hs = &hs[4 + len..];
    }
    match hello {
        Some((version, cipher)) if done => Flight::Done(ProbeOutcome {
            probe: Fact::known(ProtocolProbe {
                accepted: true,
                cipher_suite: suite_name(cipher),
                refusal: String::new(),
            }),
            chain,
            chosen: version,
        }),
        _ => Flight::Incomplete,
    }
}

fn suite_name(id: u16) -> String {
    TlsCipherSuite::from_id(id)
        .map(|s| s.name.to_string())
        .unwrap_or_else(|| format!("0x{id:04x}"))
}

fn alert_name(code: tls_parser::TlsAlertDescription) -> String {
    // tls-parser's Display prints the IANA name, e.g. `HandshakeFailure`.
    let name = format!("{code}");
    let mut out = String::with_capacity(name.len() + 4);
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_is_a_well_formed_record() {
        let hello = client_hello(ProbeKind::Tls10, Some("truong.edu.vn"));
        let (rest, record) = tls_parser::parse_tls_plaintext(&hello).expect("parses");
        assert!(rest.is_empty());
        match &record.msg[0] {
            TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) => {
                assert_eq!(ch.version.0, 0x0301);
                assert!(ch.ciphers.len() > 20, "a broad list of legacy suites");
            }
            other => panic!("not a ClientHello: {other:?}"),
        }
    }

    #[test]
    fn weak_probe_offers_only_weak_suites() {
        let ids = offered_suites(ProbeKind::WeakTls12);
        assert!(ids.contains(&0x000a), "3DES");
        assert!(ids.contains(&0x0005), "RC4");
        assert!(!ids.contains(&0x002f), "AES128-SHA is not weak");
        assert!(!ids.contains(&0xc02f), "ECDHE-RSA-AES128-GCM is not weak");
    }

    #[test]
    fn alert_ends_the_flight_as_refusal() {
        // An alert record: fatal (2), handshake_failure (40).
        let outcome = match parse_flight(&[21, 3, 1, 0, 2, 2, 40], 0x0301) {
            Flight::Done(o) => o,
            _ => panic!("an alert is final"),
        };
        let probe = outcome.probe.value().expect("known");
        assert!(!probe.accepted);
        assert_eq!(probe.refusal, "alert:handshake_failure");
    }

    #[test]
    fn http_answer_is_garbage() {
        assert!(matches!(
            parse_flight(b"HTTP/1.1 400 Bad Request\r\n", 0x0301),
            Flight::Garbage(_)
        ));
    }
}
