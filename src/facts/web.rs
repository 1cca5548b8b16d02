//! Facts about one website, as `khien scan web` reads them from the network.
//!
//! Absent headers are empty strings and absent numbers zero (with a `present` flag
//! where it matters), so that rule expressions stay simple; anything that could not
//! be *read* (refused, timed out, TLS alert) is a [`Fact`] unknown with its reason.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Fact;
pub use crate::pdata::crawl::{WebExposure, WebPersonalDataFacts};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WebFacts {
    /// The site scanned.
    pub site: SiteFacts,
    /// The site's certificate and TLS connection.
    pub tls: TlsFacts,
    /// Old protocols and cipher suites the server still accepts.
    pub legacy: LegacyTlsFacts,
    /// What the site answers over HTTP and HTTPS.
    pub http: HttpFacts,
    /// Sensitive files and folder listings the site exposes.
    pub exposed: ExposedFacts,
    /// Software (CMS, runtimes) recognised on the site.
    pub software: SoftwareFacts,
    /// Citizen ID numbers published on the site's pages and linked documents (rule
    /// W11), from a same-site crawl. Unknown (`not_configured`) unless the scan ran
    /// with `--crawl-personal-data`: the crawl is opt-in, and W11 is then unknown,
    /// never passed.
    pub personal_data: Fact<WebPersonalDataFacts>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SiteFacts {
    /// Host name (or IP literal) of the site.
    pub host: String,
    /// The HTTPS endpoint scanned, e.g. `https://thpt-bl.edu.vn/`.
    pub https_url: String,
    /// The plain HTTP endpoint scanned for the redirect, e.g. `http://thpt-bl.edu.vn/`.
    pub http_url: String,
    /// The IP address connected to (after DNS or `--resolve`).
    pub address: Fact<String>,
    /// TCP connections opened for this site (TLS probes and HTTP; the
    /// personal-data crawl not counted).
    pub connections: u64,
    /// HTTP requests sent for this site (the crawl not counted).
    pub requests: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TlsFacts {
    /// The modern (rustls, TLS 1.2/1.3) handshake.
    pub handshake: Fact<Handshake>,
    /// The certificate chain as the server sent it, leaf first; read even when it
    /// does not verify, and from a legacy handshake when only that worked.
    pub chain: Fact<Vec<CertificateInfo>>,
    /// The verdict against the shipped Mozilla roots (plus `--ca-file`).
    pub verification: Fact<Verification>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Handshake {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: String,
    /// IANA name, e.g. `TLS13_AES_128_GCM_SHA256`.
    pub cipher_suite: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CertificateInfo {
    /// The certificate's subject.
    pub subject: String,
    /// The certificate's issuer.
    pub issuer: String,
    /// DNS names and IP addresses from the subjectAltName extension.
    pub sans: Vec<String>,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
    /// Whole lifetime in days (notAfter − notBefore).
    pub lifetime_days: f64,
    /// `rsa`, `ec`, `ed25519` or the algorithm OID.
    pub key_type: String,
    /// Key size, in bits.
    pub key_bits: u64,
    /// e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`.
    pub signature_algorithm: String,
    /// Subject equals issuer.
    pub self_signed: bool,
    /// The authorityInfoAccess extension names where the issuer can be fetched.
    pub has_issuer_url: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Verification {
    /// The chain is valid for the site's name.
    pub valid: bool,
    /// `ok`, `expired` (the leaf), `intermediate_expired`, `not_yet_valid`,
    /// `wrong_name`, `self_signed`, `unknown_issuer`, `incomplete_chain`,
    /// `weak_key` (RSA under 2048 bits, EC under 256), `weak_signature` (SHA-1,
    /// MD5), `bad_signature`, `revoked` or `other`.
    pub reason: String,
    /// What is wrong, naming the certificate at fault; empty when valid.
    pub detail: String,
    /// The certificate at fault, by its place in the chain sent (0 = leaf);
    /// -1 when valid or when no single certificate is to blame.
    pub failing_index: i64,
    /// Subject of the certificate at fault, empty when none.
    pub failing_subject: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LegacyTlsFacts {
    /// An SSL 3.0 handshake attempt.
    pub ssl3: Fact<ProtocolProbe>,
    /// A TLS 1.0 handshake attempt.
    pub tls1_0: Fact<ProtocolProbe>,
    /// A TLS 1.1 handshake attempt.
    pub tls1_1: Fact<ProtocolProbe>,
    /// A TLS 1.2 handshake offering only weak suites (NULL, EXPORT, anon, RC4, 3DES, DES).
    pub weak_ciphers: Fact<ProtocolProbe>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProtocolProbe {
    /// The server accepted the handshake.
    pub accepted: bool,
    /// The suite the server chose when it accepted, e.g. `TLS_RSA_WITH_AES_128_CBC_SHA`.
    pub cipher_suite: String,
    /// How the server refused: `alert:handshake_failure`, `closed`, `other_version:0x0303`...
    pub refusal: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HttpFacts {
    /// `GET http://host/` followed hop by hop.
    pub redirect: Fact<RedirectChain>,
    /// The home page over HTTPS (or over HTTP when HTTPS does not work).
    pub home: Fact<HomePage>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RedirectChain {
    /// Port 80 refused the connection: the site serves nothing over plain HTTP,
    /// so nothing is exposed there and no redirect is needed (the redirect
    /// rules are not applicable). A port that does not answer at all stays unknown.
    pub port_closed: bool,
    /// Each step of the redirect chain.
    pub hops: Vec<RedirectHop>,
    /// Status of the first response (301, 308, 200...).
    pub first_status: u64,
    /// The first response redirects to `https://` on the same host.
    pub first_hop_to_https_same_host: bool,
    /// The chain ends on an `https://` URL of the same host.
    pub ends_on_https_same_host: bool,
    /// The chain stopped at the redirect limit.
    pub too_many_redirects: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RedirectHop {
    /// The address asked for at this step.
    pub url: String,
    /// HTTP status of this step.
    pub status: u64,
    /// The Location header, empty when none.
    pub location: String,
    /// The next URL has the same host as the site.
    pub same_host: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HomePage {
    /// Where the page checks ran: the page `/` lands on after redirects on the
    /// same host (`/` → `/vi/`).
    pub url: String,
    /// The address asked for when `/` redirected, else empty.
    pub redirected_from: String,
    /// HTTP status of the home page.
    pub status: u64,
    /// The home page was fetched over HTTPS.
    pub https: bool,
    /// The HSTS header (`Strict-Transport-Security`) the home page sends.
    pub hsts: Hsts,
    /// The `Content-Security-Policy` header, empty when absent.
    pub content_security_policy: String,
    /// CSP has a `frame-ancestors` directive.
    pub csp_frame_ancestors: bool,
    /// The `X-Content-Type-Options` header, empty when absent.
    pub x_content_type_options: String,
    /// The `X-Frame-Options` header, empty when absent.
    pub x_frame_options: String,
    /// The `Referrer-Policy` header, empty when absent.
    pub referrer_policy: String,
    /// Cookies the home page sets (`Set-Cookie`).
    pub cookies: Vec<CookieFlags>,
    /// The `Server` header, empty when absent.
    pub server: String,
    /// The `X-Powered-By` header, empty when absent.
    pub x_powered_by: String,
    /// The `X-AspNet-Version` header, empty when absent.
    pub x_aspnet_version: String,
    /// The `X-AspNetMvc-Version` header, empty when absent.
    pub x_aspnetmvc_version: String,
    /// `X-Generator` header.
    pub x_generator: String,
    /// `<meta name="generator">` content.
    pub generator: String,
    /// Every product version the headers and generator disclose, read by the same
    /// parser that names the products of `software` (so "Drupal 7" is a version
    /// for both rules).
    pub disclosed_versions: Vec<DisclosedVersion>,
    /// Active content loaded or posted over plain HTTP from an HTTPS page.
    pub mixed_content: Vec<MixedContent>,
    /// The body was longer than the read cap; only its start was examined.
    pub body_truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DisclosedVersion {
    /// Where: `Server`, `X-Powered-By`, `meta generator`...
    pub source: String,
    /// Lower-case product name, e.g. `apache`, `php`, `drupal`.
    pub product: String,
    /// e.g. `2.4.41`, `7`.
    pub version: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Hsts {
    /// The home page sends an HSTS header.
    pub present: bool,
    /// HSTS `max-age`, in seconds.
    pub max_age: i64,
    /// HSTS has the `includeSubDomains` directive.
    pub include_subdomains: bool,
    /// HSTS has the `preload` directive.
    pub preload: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CookieFlags {
    /// Cookie name.
    pub name: String,
    /// The cookie has the `Secure` attribute (sent over HTTPS only).
    pub secure: bool,
    /// The cookie has the `HttpOnly` attribute (scripts cannot read it).
    pub http_only: bool,
    /// `Strict`, `Lax`, `None` or empty.
    pub same_site: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MixedContent {
    /// `script`, `iframe`, `form` or `stylesheet`.
    pub kind: String,
    /// The plain-HTTP address loaded or posted to.
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExposedFacts {
    /// Sensitive files confirmed by their content. Unknown when nothing was found
    /// but some paths could not be checked.
    pub files: Fact<Vec<ExposedFile>>,
    /// Folders that list their content. Same rule for unknown.
    pub listings: Fact<Vec<DirectoryListing>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExposedFile {
    /// Path of the file on the site, e.g. `/.git/HEAD`.
    pub path: String,
    /// HTTP status of the answer.
    pub status: u64,
    /// What confirmed it, e.g. `starts with "ref:"`.
    pub signature: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DirectoryListing {
    /// Path of the folder on the site.
    pub path: String,
    /// The listing names office, PDF, SQL or archive files.
    pub sensitive_files: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SoftwareFacts {
    /// CMS and runtimes detected, with the end of life of their branch.
    pub products: Fact<Vec<Product>>,
    /// Date of the end-of-life table shipped in khien.
    pub eol_table_date: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Product {
    /// `wordpress`, `joomla`, `drupal`, `nukeviet` or `php`.
    pub name: String,
    /// Empty when the product was seen without a version.
    pub version: String,
    /// Where it was seen: `meta generator`, `X-Powered-By`, `/readme.html`...
    pub source: String,
    /// The branch's end of security support (RFC 3339), empty when the table
    /// has no entry for it.
    pub eol: String,
}
