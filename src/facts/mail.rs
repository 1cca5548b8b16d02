//! Facts about one mail domain, as `khien scan mail` reads them from DNS and from
//! each mail server (EHLO, STARTTLS, QUIT: no mail is ever sent or relayed).
//!
//! A record that is absent is known (`present: false`, an empty list); a lookup
//! that fails (timeout, SERVFAIL, refused connection) is a [`Fact`] unknown with
//! its reason, so the rule that needs it is unknown, never passed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Fact;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MailFacts {
    /// The domain, lower case, e.g. `thpt-bl.edu.vn`.
    pub domain: String,
    /// MX records, by preference; empty when the domain has none.
    pub mx: Fact<Vec<MxHost>>,
    /// The domain's SPF record.
    pub spf: Fact<Spf>,
    /// The domain's DMARC record.
    pub dmarc: Fact<Dmarc>,
    /// One entry per DKIM selector named in the register (or on the command line);
    /// empty when none is named.
    pub dkim: Fact<Vec<DkimKey>>,
    /// STARTTLS on every MX host. Unknown when any MX could not be read.
    pub starttls: Fact<Vec<MxTls>>,
    /// `_mta-sts.DOMAIN` TXT (RFC 8461).
    pub mta_sts: Fact<TxtRecord>,
    /// `_smtp._tls.DOMAIN` TXT (RFC 8460).
    pub tls_rpt: Fact<TxtRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MxHost {
    /// The MX record's preference (lower is tried first).
    pub preference: u64,
    /// Host name without the final dot.
    pub host: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Spf {
    /// A `v=spf1` TXT record exists.
    pub present: bool,
    /// The record as published (the first one when there are several).
    pub record: String,
    /// The syntax is valid (RFC 7208 §4.6, §12), there is only one record, and every
    /// `include:` and `redirect=` target has a record.
    pub valid: bool,
    /// What is wrong, empty when valid.
    pub error: String,
    /// Mechanisms and modifiers that cost a DNS lookup, counted through
    /// `include:` and `redirect=` (RFC 7208 §4.6.4 allows 10).
    pub lookups: u64,
    /// The final `all` with its qualifier (`-all`, `~all`, `?all`, `+all`), from a
    /// `redirect=` target when the record has none; empty when none.
    pub all: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dmarc {
    /// A `v=DMARC1` TXT record exists at `_dmarc.DOMAIN`.
    pub present: bool,
    /// The DMARC record as published.
    pub record: String,
    /// `none`, `quarantine`, `reject`, or empty when missing or invalid.
    pub policy: String,
    /// Aggregate report addresses (`rua=`).
    pub rua: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DkimKey {
    /// The DKIM selector.
    pub selector: String,
    /// A `SELECTOR._domainkey.DOMAIN` TXT record with a key exists.
    pub present: bool,
    /// `rsa` or `ed25519`; empty when absent.
    pub key_type: String,
    /// RSA modulus bits; 256 for Ed25519; 0 when absent, revoked or unreadable.
    pub key_bits: u64,
    /// What is wrong with the record (revoked key, unreadable key), empty otherwise.
    pub error: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MxTls {
    /// The MX host name.
    pub host: String,
    /// The address connected to.
    pub address: String,
    /// The server lists STARTTLS in its EHLO answer.
    pub starttls: bool,
    /// The TLS version after STARTTLS (`TLSv1.3`, `TLSv1.2`), empty without TLS.
    pub tls_version: String,
    /// The certificate verifies for the MX host name (Mozilla roots plus `--ca-file`).
    pub certificate_valid: bool,
    /// The verdict's reason (`ok`, `expired`, `self_signed`... as for websites).
    pub certificate_reason: String,
    /// After STARTTLS the server accepts TLS 1.0 or TLS 1.1.
    pub legacy_tls: bool,
    /// How the legacy probe ended: the version accepted, or the refusal.
    pub legacy_detail: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TxtRecord {
    /// The record exists.
    pub present: bool,
    /// The record as published.
    pub record: String,
}
