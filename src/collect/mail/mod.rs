//! Mail-domain collector (`khien scan mail`): MX, SPF, DMARC, DKIM, MTA-STS and
//! TLS-RPT from DNS, and STARTTLS on every MX host.
//!
//! [`MailScanner`] holds what every domain of a run shares (resolver, trust roots,
//! time limits); [`MailScanner::scan`] reads one [`MailTarget`] into [`MailFacts`].
//! Mail servers are only greeted (EHLO, STARTTLS, QUIT): nothing is ever sent.

pub mod dns;
pub mod smtp;
pub mod spf;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rustls::RootCertStore;

use crate::facts::mail::{DkimKey, Dmarc, MailFacts, MxTls, TxtRecord};
use crate::facts::{Fact, ReasonCode, TargetIdentity, TargetKind, UnitRef, Unknown};

/// One mail domain to check, and where it belongs.
#[derive(Clone, Debug, PartialEq)]
pub struct MailTarget {
    pub domain: String,
    pub unit: Option<UnitRef>,
    /// DKIM selectors to look up (`SELECTOR._domainkey.DOMAIN`).
    pub dkim_selectors: Vec<String>,
}

impl MailTarget {
    pub fn identity(&self) -> TargetIdentity {
        TargetIdentity {
            kind: TargetKind::Mail,
            id: self.domain.clone(),
            unit: self.unit.clone(),
        }
    }
}

/// Settings of a mail scan.
#[derive(Clone, Debug)]
pub struct MailScanOptions {
    /// Ask only this DNS server (else the system's resolver).
    pub dns_server: Option<SocketAddr>,
    /// SMTP port of the MX hosts (25; tests use another).
    pub smtp_port: u16,
    /// Time for one DNS query, one SMTP exchange or one handshake.
    pub timeout: Duration,
    /// PEM CA certificates trusted besides the Mozilla roots.
    pub extra_ca_pem: Option<Vec<u8>>,
}

impl Default for MailScanOptions {
    fn default() -> Self {
        MailScanOptions {
            dns_server: None,
            smtp_port: 25,
            timeout: Duration::from_secs(10),
            extra_ca_pem: None,
        }
    }
}

pub struct MailScanner {
    options: MailScanOptions,
    dns: dns::Dns,
    roots: Arc<RootCertStore>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl MailScanner {
    /// Fails when the resolver cannot be set up or `--ca-file` is unusable.
    pub fn new(options: MailScanOptions) -> Result<Self, String> {
        let dns = dns::Dns::new(options.dns_server, options.timeout)?;
        let roots = Arc::new(crate::collect::web::tls::root_store(
            options.extra_ca_pem.as_deref(),
        )?);
        Ok(MailScanner {
            options,
            dns,
            roots,
            provider: crate::collect::web::tls::provider(),
        })
    }

    /// Reads every fact of one mail domain.
    pub async fn scan(&self, target: &MailTarget) -> MailFacts {
        let domain = target.domain.trim_end_matches('.').to_ascii_lowercase();
        let dns = &self.dns;
        let (sts_name, rpt_name) = (format!("_mta-sts.{domain}"), format!("_smtp._tls.{domain}"));
        let (mx, spf, dmarc, dkim, mta_sts, tls_rpt) = tokio::join!(
            dns.mx(&domain),
            spf::evaluate(dns, &domain),
            self.dmarc(&domain),
            self.dkim(&domain, &target.dkim_selectors),
            self.txt_record(&sts_name, "v=STSv1"),
            self.txt_record(&rpt_name, "v=TLSRPTv1"),
        );
        let starttls = match &mx {
            Ok(hosts) => {
                let checks = hosts.iter().map(|h| self.mx_tls(&h.host));
                let results = futures_util::future::join_all(checks).await;
                let mut known = Vec::new();
                let mut first_unknown = None;
                for r in results {
                    match r {
                        Ok(m) => known.push(m),
                        Err(u) => {
                            first_unknown.get_or_insert(u);
                        }
                    }
                }
                match first_unknown {
                    // One MX that cannot be read leaves "every MX" undecided.
                    Some(u) => Fact::from_unknown(u),
                    None => Fact::known(known),
                }
            }
            Err(u) => Fact::from_unknown(u.clone()),
        };
        MailFacts {
            domain,
            mx: to_fact(mx),
            spf: to_fact(spf),
            dmarc: to_fact(dmarc),
            dkim: to_fact(dkim),
            starttls,
            mta_sts: to_fact(mta_sts),
            tls_rpt: to_fact(tls_rpt),
        }
    }

    async fn mx_tls(&self, host: &str) -> Result<MxTls, Unknown> {
        let ip = self.dns.address(host).await?;
        smtp::check(
            host,
            SocketAddr::new(ip, self.options.smtp_port),
            self.roots.clone(),
            self.provider.clone(),
            self.options.timeout,
        )
        .await
    }

    async fn txt_record(&self, name: &str, version: &str) -> Result<TxtRecord, Unknown> {
        let found = self.dns.txt(name).await?;
        Ok(found
            .into_iter()
            .find(|t| starts_with_tag(t, version))
            .map(|record| TxtRecord {
                present: true,
                record,
            })
            .unwrap_or_default())
    }

    /// `_dmarc.DOMAIN` (RFC 7489 §6.3): `p=` and `rua=`.
    async fn dmarc(&self, domain: &str) -> Result<Dmarc, Unknown> {
        let records: Vec<String> = self
            .dns
            .txt(&format!("_dmarc.{domain}"))
            .await?
            .into_iter()
            .filter(|t| starts_with_tag(t, "v=DMARC1"))
            .collect();
        let Some(record) = records.first() else {
            return Ok(Dmarc::default());
        };
        let tags = tags(record);
        // Several records: receivers apply none of them (RFC 7489 §6.6.3).
        let policy = if records.len() == 1 {
            tags.iter()
                .find(|(k, _)| k == "p")
                .map(|(_, v)| v.to_ascii_lowercase())
                .filter(|p| ["none", "quarantine", "reject"].contains(&p.as_str()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        let rua = tags
            .iter()
            .find(|(k, _)| k == "rua")
            .map(|(_, v)| {
                v.split(',')
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Dmarc {
            present: true,
            record: record.clone(),
            policy,
            rua,
        })
    }

    async fn dkim(&self, domain: &str, selectors: &[String]) -> Result<Vec<DkimKey>, Unknown> {
        let mut keys = Vec::new();
        for selector in selectors {
            let found = self
                .dns
                .txt(&format!("{selector}._domainkey.{domain}"))
                .await?;
            let record = found.iter().find(|t| tags(t).iter().any(|(k, _)| k == "p"));
            keys.push(match record {
                Some(r) => dkim_key(selector, r),
                None => DkimKey {
                    selector: selector.clone(),
                    present: false,
                    key_type: String::new(),
                    key_bits: 0,
                    error: "no DKIM record".into(),
                },
            });
        }
        Ok(keys)
    }
}

fn to_fact<T>(r: Result<T, Unknown>) -> Fact<T> {
    match r {
        Ok(v) => Fact::known(v),
        Err(u) => Fact::from_unknown(u),
    }
}

fn starts_with_tag(record: &str, tag: &str) -> bool {
    record
        .split(';')
        .next()
        .is_some_and(|first| first.replace(' ', "").eq_ignore_ascii_case(tag))
}

/// `k=v; k=v` tag lists (DKIM, DMARC), keys lower case.
fn tags(record: &str) -> Vec<(String, String)> {
    record
        .split(';')
        .filter_map(|t| {
            let (k, v) = t.split_once('=')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect()
}

/// The key type and size of a DKIM record (RFC 6376 §3.6.1; Ed25519: RFC 8463).
pub fn dkim_key(selector: &str, record: &str) -> DkimKey {
    let tags = tags(record);
    let get = |name: &str| tags.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let key_type = get("k")
        .unwrap_or_else(|| "rsa".into())
        .to_ascii_lowercase();
    let p: String = get("p")
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut key = DkimKey {
        selector: selector.to_string(),
        present: true,
        key_type: key_type.clone(),
        key_bits: 0,
        error: String::new(),
    };
    if p.is_empty() {
        key.present = false;
        key.error = "the key is revoked (empty p=)".into();
        return key;
    }
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(&p) else {
        key.error = "p= is not base64".into();
        return key;
    };
    match key_type.as_str() {
        "ed25519" if der.len() == 32 => key.key_bits = 256,
        "rsa" => {
            use x509_parser::prelude::FromDer;
            let bits = x509_parser::x509::SubjectPublicKeyInfo::from_der(&der)
                .ok()
                .and_then(|(_, spki)| match spki.parsed() {
                    Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size()),
                    _ => None,
                });
            match bits {
                Some(b) => key.key_bits = b as u64,
                None => key.error = "p= is not an RSA public key".into(),
            }
        }
        _ => key.error = format!("unreadable {key_type} key"),
    }
    key
}

/// A domain name as mail uses it: two or more labels of letters, digits and
/// hyphens (IDNs in their `xn--` form), no label starting or ending with a hyphen.
pub fn valid_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Facts of a domain whose name is not usable at all.
pub fn unusable(domain: &str, why: &str) -> MailFacts {
    let u = Unknown::new(ReasonCode::Error, why);
    MailFacts {
        domain: domain.to_string(),
        mx: Fact::from_unknown(u.clone()),
        spf: Fact::from_unknown(u.clone()),
        dmarc: Fact::from_unknown(u.clone()),
        dkim: Fact::from_unknown(u.clone()),
        starttls: Fact::from_unknown(u.clone()),
        mta_sts: Fact::from_unknown(u.clone()),
        tls_rpt: Fact::from_unknown(u),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DER length bytes.
    fn len(n: usize) -> Vec<u8> {
        match n {
            0..=127 => vec![n as u8],
            128..=255 => vec![0x81, n as u8],
            _ => vec![0x82, (n >> 8) as u8, n as u8],
        }
    }

    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        out.extend(len(body.len()));
        out.extend_from_slice(body);
        out
    }

    /// A SubjectPublicKeyInfo of an RSA key with a `bits`-bit modulus.
    fn rsa_spki(bits: usize) -> String {
        let mut modulus = vec![0u8];
        modulus.push(0xc5);
        modulus.extend(std::iter::repeat_n(0x5a, bits / 8 - 1));
        let rsa = tlv(0x30, &[tlv(0x02, &modulus), tlv(0x02, &[1, 0, 1])].concat());
        let mut bit_string = vec![0u8];
        bit_string.extend(rsa);
        let alg = tlv(
            0x30,
            &[
                tlv(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
                ),
                vec![0x05, 0x00],
            ]
            .concat(),
        );
        let spki = tlv(0x30, &[alg, tlv(0x03, &bit_string)].concat());
        base64::engine::general_purpose::STANDARD.encode(spki)
    }

    #[test]
    fn dkim_keys_are_measured() {
        for bits in [1024, 2048] {
            let k = dkim_key("s1", &format!("v=DKIM1; k=rsa; p={}", rsa_spki(bits)));
            assert_eq!(
                (k.present, k.key_type.as_str(), k.key_bits),
                (true, "rsa", bits as u64),
                "{k:?}"
            );
        }
        // No k=: RSA by default.
        let k = dkim_key("s1", &format!("v=DKIM1; p={}", rsa_spki(2048)));
        assert_eq!(k.key_bits, 2048);
        let k = dkim_key("s1", "v=DKIM1; p=");
        assert!(!k.present && k.error.contains("revoked"));
        // RFC 8463's example key.
        let k = dkim_key(
            "s1",
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        );
        assert_eq!((k.key_type.as_str(), k.key_bits), ("ed25519", 256));
        let k = dkim_key("s1", "v=DKIM1; p=!!!");
        assert!(k.error.contains("base64"), "{k:?}");
    }
}
