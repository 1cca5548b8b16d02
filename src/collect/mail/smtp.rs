//! STARTTLS on one mail server: the greeting, EHLO, STARTTLS, a TLS handshake
//! whose certificate is judged like a website's, and QUIT. Nothing else is said:
//! no MAIL FROM, no RCPT TO, so no mail is ever sent or relayed.
//!
//! A second connection offers only TLS 1.1 and older after STARTTLS (the hand-built
//! ClientHello of the website probes): the server's answer decides whether it still
//! accepts TLS 1.0 or 1.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::pki_types::{ServerName, UnixTime};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::collect::web::{legacy, tls};
use crate::facts::mail::MxTls;
use crate::facts::{ReasonCode, Unknown};

/// An SMTP reply: its code and the text of each line.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

async fn read_reply(stream: &mut BufReader<TcpStream>, what: &str) -> Result<Reply, Unknown> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        let n = stream
            .read_line(&mut line)
            .await
            .map_err(|e| Unknown::new(ReasonCode::Unreachable, format!("{what}: {e}")))?;
        if n == 0 {
            return Err(Unknown::new(
                ReasonCode::Unreachable,
                format!("{what}: the server closed the connection"),
            ));
        }
        let line = line.trim_end();
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| {
                Unknown::new(
                    ReasonCode::Unparsable,
                    format!(
                        "{what}: not an SMTP reply: {:?}",
                        &line[..line.len().min(60)]
                    ),
                )
            })?;
        lines.push(line.get(4..).unwrap_or("").to_string());
        // "250-..." continues, "250 ..." ends (RFC 5321 §4.2.1).
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(Reply { code, lines });
        }
        if lines.len() > 100 {
            return Err(Unknown::new(
                ReasonCode::LimitReached,
                format!("{what}: reply longer than 100 lines"),
            ));
        }
    }
}

async fn send(stream: &mut BufReader<TcpStream>, line: &str, what: &str) -> Result<(), Unknown> {
    stream
        .get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .map_err(|e| Unknown::new(ReasonCode::Unreachable, format!("{what}: {e}")))
}

/// Connects, reads the greeting, says EHLO and, when offered, STARTTLS. Returns the
/// stream ready for a TLS handshake, or `None` when STARTTLS is not offered (QUIT
/// already sent).
async fn starttls(host: &str, addr: SocketAddr) -> Result<Option<TcpStream>, Unknown> {
    let what = format!("SMTP {host} ({addr})");
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| Unknown::new(ReasonCode::Unreachable, format!("{what}: {e}")))?;
    let local = tcp.local_addr().map(|a| a.ip()).ok();
    let mut stream = BufReader::new(tcp);
    let greeting = read_reply(&mut stream, &what).await?;
    if greeting.code != 220 {
        return Err(Unknown::new(
            ReasonCode::Error,
            format!(
                "{what}: greeting {} {}",
                greeting.code,
                greeting.lines.join(" ")
            ),
        ));
    }
    // EHLO names this machine by its address literal (RFC 5321 §4.1.3).
    let literal = match local {
        Some(std::net::IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
        Some(ip) => format!("[{ip}]"),
        None => "[127.0.0.1]".into(),
    };
    send(&mut stream, &format!("EHLO {literal}"), &what).await?;
    let ehlo = read_reply(&mut stream, &what).await?;
    if ehlo.code != 250 {
        return Err(Unknown::new(
            ReasonCode::Error,
            format!(
                "{what}: EHLO answered {} {}",
                ehlo.code,
                ehlo.lines.join(" ")
            ),
        ));
    }
    let offered = ehlo
        .lines
        .iter()
        .skip(1)
        .any(|l| l.trim().eq_ignore_ascii_case("STARTTLS"));
    if !offered {
        let _ = send(&mut stream, "QUIT", &what).await;
        return Ok(None);
    }
    send(&mut stream, "STARTTLS", &what).await?;
    let go = read_reply(&mut stream, &what).await?;
    if go.code != 220 {
        // Offered but refused: no TLS for mail to this server.
        let _ = send(&mut stream, "QUIT", &what).await;
        return Ok(None);
    }
    Ok(Some(stream.into_inner()))
}

/// Reads STARTTLS, the certificate and the legacy versions of the mail server
/// `host` at `addr`.
pub async fn check(
    host: &str,
    addr: SocketAddr,
    roots: Arc<RootCertStore>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    budget: Duration,
) -> Result<MxTls, Unknown> {
    let what = format!("SMTP {host} ({addr})");
    let timed_out = || {
        Unknown::new(
            ReasonCode::Timeout,
            format!("{what}: no complete answer within {budget:?}"),
        )
    };
    let mut out = MxTls {
        host: host.to_string(),
        address: addr.ip().to_string(),
        starttls: false,
        tls_version: String::new(),
        certificate_valid: false,
        certificate_reason: String::new(),
        legacy_tls: false,
        legacy_detail: String::new(),
    };
    let Some(tcp) = tokio::time::timeout(budget, starttls(host, addr))
        .await
        .map_err(|_| timed_out())??
    else {
        return Ok(out);
    };
    out.starttls = true;
    let verifier = Arc::new(tls::RecordingVerifier::recording(provider.clone()));
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Unknown::new(ReasonCode::Error, e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| Unknown::new(ReasonCode::Error, format!("not a host name: {host}")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(budget, connector.connect(name, tcp)).await {
        Ok(Ok(mut stream)) => {
            let (_, conn) = stream.get_ref();
            out.tls_version = conn
                .protocol_version()
                .map(|v| format!("{v:?}").replace("TLSv1_", "TLSv1."))
                .unwrap_or_default();
            let _ = stream.write_all(b"QUIT\r\n").await;
            let _ = stream.shutdown().await;
        }
        Ok(Err(e)) => out.tls_version = format!("handshake failed: {e}"),
        Err(_) => return Err(timed_out()),
    }
    let chain = verifier.recorded();
    if chain.is_empty() {
        out.certificate_reason = "other".into();
    } else {
        let verdict = tls::verify_chain(&chain, host, roots, provider, UnixTime::now());
        out.certificate_valid = verdict.valid;
        out.certificate_reason = verdict.reason;
    }

    // Legacy versions: one hello offering TLS 1.1 and older after STARTTLS.
    let probe = async {
        let Some(tcp) = starttls(host, addr).await? else {
            return Err(Unknown::new(
                ReasonCode::Error,
                format!("{what}: STARTTLS not offered on the second connection"),
            ));
        };
        Ok(legacy::probe_stream(legacy::ProbeKind::Tls11, tcp, Some(host)).await)
    };
    let outcome = tokio::time::timeout(budget, probe)
        .await
        .map_err(|_| timed_out())??;
    match (outcome.chosen, outcome.probe.value()) {
        (0x0301 | 0x0302, _) => {
            out.legacy_tls = true;
            out.legacy_detail = if outcome.chosen == 0x0302 {
                "TLS 1.1 accepted".into()
            } else {
                "TLS 1.0 accepted".into()
            };
        }
        (_, Some(p)) => {
            out.legacy_detail = if p.accepted {
                "SSLv3 accepted".into()
            } else {
                format!("refused: {}", p.refusal)
            };
            out.legacy_tls = p.accepted;
        }
        (_, None) => {
            return Err(outcome
                .probe
                .unknown_reason()
                .cloned()
                .unwrap_or_else(|| Unknown::new(ReasonCode::Error, "legacy probe")));
        }
    }
    Ok(out)
}
