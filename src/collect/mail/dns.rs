//! DNS look-ups for mail domains (hickory-resolver): the system's resolver, or a
//! chosen server (`--dns-server`, for tests and private resolvers).
//!
//! "No such name" and "no record of this type" are answers (an empty list); a
//! server failure (SERVFAIL, REFUSED) or no answer at all is unknown, never empty:
//! a broken resolver must not make a domain look as if it had no SPF.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::op::ResponseCode;

use crate::facts::mail::MxHost;
use crate::facts::{ReasonCode, Unknown};

pub struct Dns {
    resolver: TokioResolver,
}

impl Dns {
    /// `server`: ask only this server; `None`: the system's configuration.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<Dns, String> {
        let mut builder = match server {
            Some(addr) => TokioResolver::builder_with_config(
                ResolverConfig::from_parts(
                    None,
                    vec![],
                    NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true),
                ),
                TokioConnectionProvider::default(),
            ),
            None => TokioResolver::builder_tokio().map_err(|e| e.to_string())?,
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 2;
        Ok(Dns {
            resolver: builder.build(),
        })
    }

    /// The TXT strings at `name` (each record's parts joined, RFC 7208 §3.3).
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, Unknown> {
        match self.resolver.txt_lookup(fqdn(name)).await {
            Ok(found) => Ok(found
                .iter()
                .map(|txt| {
                    txt.iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>()
                })
                .collect()),
            Err(e) => empty_or_unknown(name, "TXT", &e),
        }
    }

    /// MX records at `name`, by preference then name.
    pub async fn mx(&self, name: &str) -> Result<Vec<MxHost>, Unknown> {
        match self.resolver.mx_lookup(fqdn(name)).await {
            Ok(found) => {
                let mut hosts: Vec<MxHost> = found
                    .iter()
                    .map(|mx| MxHost {
                        preference: mx.preference() as u64,
                        host: mx.exchange().to_ascii().trim_end_matches('.').to_string(),
                    })
                    // A "null MX" (RFC 7505: `0 .`) says the domain takes no mail.
                    .filter(|m| !m.host.is_empty())
                    .collect();
                hosts.sort_by(|a, b| (a.preference, &a.host).cmp(&(b.preference, &b.host)));
                Ok(hosts)
            }
            Err(e) => empty_or_unknown(name, "MX", &e),
        }
    }

    /// The first address of `host` (A, then AAAA).
    pub async fn address(&self, host: &str) -> Result<std::net::IpAddr, Unknown> {
        match self.resolver.lookup_ip(fqdn(host)).await {
            Ok(found) => found.iter().next().ok_or_else(|| {
                Unknown::new(
                    ReasonCode::Unreachable,
                    format!("DNS: no address for {host}"),
                )
            }),
            Err(e) => match empty_or_unknown::<()>(host, "A/AAAA", &e) {
                Ok(_) => Err(Unknown::new(
                    ReasonCode::Unreachable,
                    format!("DNS: no address for {host}"),
                )),
                Err(u) => Err(u),
            },
        }
    }
}

fn fqdn(name: &str) -> String {
    let name = name.trim_end_matches('.');
    format!("{name}.")
}

fn empty_or_unknown<T>(
    name: &str,
    kind: &str,
    e: &hickory_resolver::ResolveError,
) -> Result<Vec<T>, Unknown> {
    if let Some(proto) = e.proto() {
        match proto.kind() {
            ProtoErrorKind::NoRecordsFound {
                response_code: ResponseCode::NXDomain | ResponseCode::NoError,
                ..
            } => {
                return Ok(Vec::new());
            }
            ProtoErrorKind::NoRecordsFound { response_code, .. } => {
                return Err(Unknown::new(
                    ReasonCode::Error,
                    format!("DNS {kind} {name}: the server answered {response_code}"),
                ));
            }
            ProtoErrorKind::Timeout => {
                return Err(Unknown::new(
                    ReasonCode::Timeout,
                    format!("DNS {kind} {name}: no answer"),
                ));
            }
            _ => {}
        }
    }
    Err(Unknown::new(
        ReasonCode::Error,
        format!("DNS {kind} {name}: {e}"),
    ))
}
