//! The modern TLS handshake (rustls, TLS 1.2 and 1.3), the certificate chain and
//! its verdict.
//!
//! The handshake uses a verifier that records the chain and lets the handshake
//! finish, so the chain is read even when it does not verify; the verdict is then
//! computed with webpki against the shipped Mozilla roots (plus `--ca-file`) and
//! mapped to a precise reason.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use x509_parser::prelude::*;

use crate::facts::web::{CertificateInfo, Handshake, Verification};
use crate::facts::{Fact, ReasonCode};

/// Trust anchors: webpki-roots (the same on every machine) plus `--ca-file`.
pub fn root_store(extra_pem: Option<&[u8]>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = extra_pem {
        use rustls::pki_types::pem::PemObject;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("not a PEM certificate: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("unusable CA certificate: {e}"))?;
            added += 1;
        }
        if added == 0 {
            return Err("no PEM certificate found".into());
        }
    }
    Ok(roots)
}

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts any certificate and lets the handshake go on, recording the chain when
/// asked; the handshake signature is still checked, so the peer did hold the key.
/// The TLS facts use the record; HTTP requests use it without one, so headers and
/// files are read even from sites whose certificate is invalid (the TLS facts judge
/// that).
#[derive(Debug)]
pub struct RecordingVerifier {
    provider: Arc<rustls::crypto::CryptoProvider>,
    chain: Option<Mutex<Vec<CertificateDer<'static>>>>,
}

impl RecordingVerifier {
    /// A verifier that accepts every certificate and records nothing.
    pub fn accept_any(provider: Arc<rustls::crypto::CryptoProvider>) -> Self {
        RecordingVerifier {
            provider,
            chain: None,
        }
    }

    /// A verifier that accepts every certificate and records the chain sent.
    pub fn recording(provider: Arc<rustls::crypto::CryptoProvider>) -> Self {
        RecordingVerifier {
            provider,
            chain: Some(Mutex::new(Vec::new())),
        }
    }

    /// The chain recorded, leaf first (empty when none was sent).
    pub fn recorded(&self) -> Vec<CertificateDer<'static>> {
        self.chain
            .as_ref()
            .map(|c| std::mem::take(&mut *c.lock().expect("not poisoned")))
            .unwrap_or_default()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(record) = &self.chain {
            let mut chain = vec![end_entity.clone().into_owned()];
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
            *record.lock().expect("not poisoned") = chain;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// What the modern handshake gave.
pub struct ModernOutcome {
    pub handshake: Fact<Handshake>,
    /// DER certificates, leaf first; empty when the server sent none.
    pub chain: Vec<CertificateDer<'static>>,
}

/// Connects to `addr` and runs a TLS 1.2/1.3 handshake for `host` within `budget`.
pub async fn modern_handshake(
    host: &str,
    addr: SocketAddr,
    provider: Arc<rustls::crypto::CryptoProvider>,
    budget: Duration,
) -> ModernOutcome {
    let verifier = Arc::new(RecordingVerifier::recording(provider.clone()));
    let config = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth(),
        Err(e) => {
            return ModernOutcome {
                handshake: Fact::unknown(ReasonCode::Error, e.to_string()),
                chain: Vec::new(),
            };
        }
    };
    let Ok(name) = ServerName::try_from(host.to_string()) else {
        return ModernOutcome {
            handshake: Fact::unknown(ReasonCode::Error, format!("not a server name: {host}")),
            chain: Vec::new(),
        };
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let attempt = async {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| Fact::unknown(ReasonCode::Unreachable, format!("{addr}: {e}")))?;
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| Fact::unknown(ReasonCode::Error, format!("TLS handshake: {e}")))?;
        let (_, conn) = tls.get_ref();
        Ok(Handshake {
            version: conn
                .protocol_version()
                .map(|v| format!("{v:?}").replace("TLSv1_", "TLSv1."))
                .unwrap_or_default(),
            cipher_suite: conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_default(),
        })
    };
    let handshake = match tokio::time::timeout(budget, attempt).await {
        Ok(Ok(h)) => Fact::known(h),
        Ok(Err(unknown)) => unknown,
        Err(_) => Fact::unknown(
            ReasonCode::Timeout,
            format!("TLS handshake not done within {budget:?}"),
        ),
    };
    let chain = verifier.recorded();
    ModernOutcome { handshake, chain }
}

/// The verdict on a chain for `host`, at `now`.
///
/// webpki decides trust, names and dates; khien adds what webpki does not judge
/// (a leaf or intermediate with a weak key: RSA under 2048 bits, EC under 256) and
/// names weak signatures (SHA-1, MD5) that webpki only calls unsupported. When one
/// certificate of the chain is at fault, the verdict names it: "renew the
/// certificate" is wrong advice when the intermediate is what expired.
pub fn verify_chain(
    chain: &[CertificateDer<'static>],
    host: &str,
    roots: Arc<RootCertStore>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    now: UnixTime,
) -> Verification {
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Verification::invalid("other", "no certificate");
    };
    let verifier = match WebPkiServerVerifier::builder_with_provider(roots, provider).build() {
        Ok(v) => v,
        Err(e) => return Verification::invalid("other", &e.to_string()),
    };
    let Ok(name) = ServerName::try_from(host.to_string()) else {
        return Verification::invalid("wrong_name", &format!("not a server name: {host}"));
    };
    let infos: Vec<Option<CertificateInfo>> = chain.iter().map(|c| parse_certificate(c)).collect();
    match verifier.verify_server_cert(leaf, intermediates, &name, &[], now) {
        Ok(_) => match weakness(&infos) {
            Some((reason, index, detail)) => {
                Verification::invalid(reason, &detail).naming(index, &infos)
            }
            None => Verification {
                valid: true,
                reason: "ok".into(),
                detail: String::new(),
                failing_index: -1,
                failing_subject: String::new(),
            },
        },
        Err(e) => {
            let reason = reason_for(&e, chain);
            let detail = e.to_string();
            let dated = |expired: bool| {
                chain.iter().position(|c| {
                    X509Certificate::from_der(c).is_ok_and(|(_, x)| {
                        let v = x.validity();
                        let now = now.as_secs() as i64;
                        if expired {
                            v.not_after.timestamp() < now
                        } else {
                            v.not_before.timestamp() > now
                        }
                    })
                })
            };
            match reason {
                "expired" => match dated(true) {
                    Some(0) | None => Verification::invalid("expired", &detail).naming(0, &infos),
                    Some(i) => {
                        Verification::invalid("intermediate_expired", &detail).naming(i, &infos)
                    }
                },
                "not_yet_valid" => {
                    Verification::invalid(reason, &detail).naming(dated(false).unwrap_or(0), &infos)
                }
                "other" | "bad_signature" => match weakness(&infos) {
                    Some((weak, index, why)) => {
                        Verification::invalid(weak, &format!("{why} ({detail})"))
                            .naming(index, &infos)
                    }
                    None => Verification::invalid(reason, &detail),
                },
                "wrong_name" | "self_signed" | "incomplete_chain" => {
                    Verification::invalid(reason, &detail).naming(0, &infos)
                }
                _ => Verification::invalid(reason, &detail),
            }
        }
    }
}

/// Smallest key sizes accepted: RSA 2048 (CA/Browser Forum baseline, NIST SP
/// 800-131A), EC 256.
const MIN_RSA_BITS: u64 = 2048;
const MIN_EC_BITS: u64 = 256;

/// The first weak key or weak signature in the chain sent, as (reason, index,
/// detail). A self-signed certificate's own signature is not judged: trust in a
/// root does not rest on it.
fn weakness(infos: &[Option<CertificateInfo>]) -> Option<(&'static str, usize, String)> {
    for (i, info) in infos.iter().enumerate() {
        let Some(c) = info else { continue };
        let weak_key = match c.key_type.as_str() {
            "rsa" => c.key_bits < MIN_RSA_BITS,
            "ec" => c.key_bits < MIN_EC_BITS,
            "dsa" => true,
            _ => false,
        };
        if weak_key {
            return Some((
                "weak_key",
                i,
                format!("{} key of {} bits", c.key_type.to_uppercase(), c.key_bits),
            ));
        }
        if !c.self_signed && is_weak_signature(&c.signature_algorithm) {
            return Some((
                "weak_signature",
                i,
                format!("signed with {}", c.signature_algorithm),
            ));
        }
    }
    None
}

/// SHA-1 and MD5 signatures: browsers have refused them on certificates since 2017.
pub fn is_weak_signature(algorithm: &str) -> bool {
    let a = algorithm.to_ascii_lowercase();
    a.contains("sha1") || a.contains("md5") || a.contains("md2")
}

impl Verification {
    fn invalid(reason: &str, detail: &str) -> Verification {
        Verification {
            valid: false,
            reason: reason.to_string(),
            detail: detail.to_string(),
            failing_index: -1,
            failing_subject: String::new(),
        }
    }

    /// Names the certificate at `index` (0 = leaf) as the one at fault.
    fn naming(mut self, index: usize, infos: &[Option<CertificateInfo>]) -> Verification {
        self.failing_index = index as i64;
        self.failing_subject = infos
            .get(index)
            .and_then(|c| c.as_ref())
            .map(|c| c.subject.clone())
            .unwrap_or_default();
        if !self.failing_subject.is_empty() {
            let which = if index == 0 {
                "leaf".to_string()
            } else {
                format!("intermediate {index}")
            };
            self.detail = format!("{which} \"{}\": {}", self.failing_subject, self.detail);
        }
        self
    }
}

fn reason_for(error: &rustls::Error, chain: &[CertificateDer<'static>]) -> &'static str {
    let rustls::Error::InvalidCertificate(cert_error) = error else {
        return "other";
    };
    match cert_error {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired",
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "not_yet_valid"
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "wrong_name"
        }
        CertificateError::BadSignature => "bad_signature",
        CertificateError::Revoked => "revoked",
        CertificateError::UnknownIssuer => {
            let leaf_self_signed = chain
                .first()
                .and_then(|c| parse_certificate(c))
                .is_some_and(|c| c.self_signed);
            if leaf_self_signed {
                "self_signed"
            } else if chain.len() == 1 {
                // A CA-issued leaf sent alone: public CAs issue from intermediates,
                // so the server most likely omits them.
                "incomplete_chain"
            } else {
                "unknown_issuer"
            }
        }
        _ => "other",
    }
}

fn rfc3339(t: ASN1Time) -> String {
    jiff::Timestamp::from_second(t.timestamp())
        .map(|ts| ts.to_string())
        .unwrap_or_default()
}

/// Reads the facts of one DER certificate; `None` when it does not parse.
pub fn parse_certificate(der: &[u8]) -> Option<CertificateInfo> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(d) => sans.push(d.to_string()),
                GeneralName::IPAddress(ip) => match ip.len() {
                    4 => sans
                        .push(std::net::Ipv4Addr::from([ip[0], ip[1], ip[2], ip[3]]).to_string()),
                    16 => {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(ip);
                        sans.push(std::net::Ipv6Addr::from(b).to_string());
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    let (key_type, key_bits) = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => ("rsa".to_string(), rsa.key_size()),
        Ok(x509_parser::public_key::PublicKey::EC(ec)) => ("ec".to_string(), ec.key_size()),
        _ => {
            let oid = &cert.public_key().algorithm.algorithm;
            let name = oid2sn(oid, oid_registry())
                .map(str::to_string)
                .unwrap_or_else(|_| oid.to_id_string());
            let bits = if name.to_ascii_lowercase().contains("ed25519") {
                256
            } else {
                0
            };
            (name.to_ascii_lowercase(), bits)
        }
    };
    let sig_oid = &cert.signature_algorithm.algorithm;
    let signature_algorithm = oid2sn(sig_oid, oid_registry())
        .map(str::to_string)
        .unwrap_or_else(|_| sig_oid.to_id_string());
    let validity = cert.validity();
    let lifetime_days =
        (validity.not_after.timestamp() - validity.not_before.timestamp()) as f64 / 86_400.0;
    let has_issuer_url = cert.extensions().iter().any(|e| {
        matches!(
            e.parsed_extension(),
            ParsedExtension::AuthorityInfoAccess(_)
        )
    });
    Some(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before: rfc3339(validity.not_before),
        not_after: rfc3339(validity.not_after),
        lifetime_days,
        key_type,
        key_bits: key_bits as u64,
        signature_algorithm,
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        has_issuer_url,
    })
}
