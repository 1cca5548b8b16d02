//! SPF (RFC 7208): the record's syntax, the DNS lookups it costs through
//! `include:` and `redirect=` (at most 10, §4.6.4), and the final `all`.

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::dns::Dns;
use crate::facts::Unknown;
use crate::facts::mail::Spf;

/// Records followed at most (loops and very deep chains stop here).
const MAX_RECORDS: usize = 30;

/// The SPF records among a name's TXT strings.
async fn records(dns: &Dns, name: &str) -> Result<Vec<String>, Unknown> {
    Ok(dns
        .txt(name)
        .await?
        .into_iter()
        .filter(|t| {
            let l = t.trim_start().to_ascii_lowercase();
            l == "v=spf1" || l.starts_with("v=spf1 ")
        })
        .collect())
}

/// One term of a record.
#[derive(Debug, PartialEq)]
pub enum Term {
    Mechanism {
        qualifier: char,
        name: String,
        arg: String,
    },
    Modifier {
        name: String,
        value: String,
    },
}

fn valid_cidr(s: &str, max: u8) -> bool {
    s.parse::<u8>().is_ok_and(|n| n <= max)
}

/// `a`/`mx` arguments: `[:domain][/v4cidr][//v6cidr]`.
fn valid_dual_cidr(arg: &str) -> bool {
    let (v4, v6) = match arg.split_once("//") {
        Some((a, b)) => (a, Some(b)),
        None => (arg, None),
    };
    v6.is_none_or(|c| valid_cidr(c, 128))
        && v4.rsplit_once('/').is_none_or(|(_, c)| valid_cidr(c, 32))
}

/// Splits a record into terms, or says what is wrong (RFC 7208 §4.6.1, §12).
pub fn parse(record: &str) -> Result<Vec<Term>, String> {
    let mut parts = record.split_ascii_whitespace();
    match parts.next() {
        Some(v) if v.eq_ignore_ascii_case("v=spf1") => {}
        _ => return Err("the record does not start with v=spf1".into()),
    }
    let mut terms = Vec::new();
    let mut seen_modifiers = HashSet::new();
    for part in parts {
        // A modifier is name=value with a name that is not a mechanism.
        if let Some((name, value)) = part.split_once('=')
            && !name.contains(':')
            && !name.contains('/')
        {
            let lname = name.to_ascii_lowercase();
            let name_ok = lname.starts_with(|c: char| c.is_ascii_alphabetic())
                && lname
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !name_ok {
                return Err(format!("\"{part}\" is not a valid term"));
            }
            if (lname == "redirect" || lname == "exp") && !seen_modifiers.insert(lname.clone()) {
                return Err(format!("\"{lname}=\" appears twice"));
            }
            if (lname == "redirect" || lname == "exp") && value.is_empty() {
                return Err(format!("\"{lname}=\" has no domain"));
            }
            terms.push(Term::Modifier {
                name: lname,
                value: value.to_string(),
            });
            continue;
        }
        let (qualifier, rest) = match part.chars().next() {
            Some(q @ ('+' | '-' | '~' | '?')) => (q, &part[1..]),
            _ => ('+', part),
        };
        let (name, arg) = match rest.find([':', '/']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let name = name.to_ascii_lowercase();
        let domain_arg = arg.strip_prefix(':');
        let ok = match name.as_str() {
            "all" => arg.is_empty(),
            "include" | "exists" => domain_arg.is_some_and(|d| !d.is_empty() && !d.contains('/')),
            "ptr" => arg.is_empty() || domain_arg.is_some_and(|d| !d.is_empty()),
            "a" | "mx" => match domain_arg {
                Some(d) => {
                    let (domain, cidr) = match d.find('/') {
                        Some(i) => (&d[..i], &d[i..]),
                        None => (d, ""),
                    };
                    !domain.is_empty() && (cidr.is_empty() || valid_dual_cidr(cidr))
                }
                None => arg.is_empty() || valid_dual_cidr(arg),
            },
            "ip4" => domain_arg.is_some_and(|a| {
                let (ip, cidr) = a.split_once('/').unwrap_or((a, "32"));
                ip.parse::<Ipv4Addr>().is_ok() && valid_cidr(cidr, 32)
            }),
            "ip6" => domain_arg.is_some_and(|a| {
                let (ip, cidr) = a.split_once('/').unwrap_or((a, "128"));
                ip.parse::<Ipv6Addr>().is_ok() && valid_cidr(cidr, 128)
            }),
            _ => return Err(format!("unknown mechanism \"{part}\"")),
        };
        if !ok {
            return Err(format!("\"{part}\" is malformed"));
        }
        terms.push(Term::Mechanism {
            qualifier,
            name,
            arg: domain_arg.unwrap_or("").to_string(),
        });
    }
    Ok(terms)
}

/// Reads and judges the SPF of `domain`. Unknown only when DNS does not answer.
pub async fn evaluate(dns: &Dns, domain: &str) -> Result<Spf, Unknown> {
    let top = records(dns, domain).await?;
    let Some(first) = top.first() else {
        return Ok(Spf::default());
    };
    let mut spf = Spf {
        present: true,
        record: first.clone(),
        valid: true,
        ..Spf::default()
    };
    if top.len() > 1 {
        spf.valid = false;
        spf.error = format!(
            "{} SPF records: there must be one (RFC 7208 §4.5)",
            top.len()
        );
        return Ok(spf);
    }
    // (domain, record, on the main chain: its `all` is the domain's)
    let mut queue = vec![(domain.to_string(), first.clone(), true)];
    let mut visited = HashSet::new();
    while let Some((name, record, main)) = queue.pop() {
        if !visited.insert(name.to_ascii_lowercase()) || visited.len() > MAX_RECORDS {
            continue;
        }
        let terms = match parse(&record) {
            Ok(t) => t,
            Err(e) => {
                spf.valid = false;
                spf.error = if name == domain {
                    e
                } else {
                    format!("{name}: {e}")
                };
                return Ok(spf);
            }
        };
        let has_all = terms
            .iter()
            .any(|t| matches!(t, Term::Mechanism { name, .. } if name == "all"));
        for term in &terms {
            match term {
                Term::Mechanism {
                    qualifier,
                    name: mech,
                    arg,
                } => match mech.as_str() {
                    "include" => {
                        spf.lookups += 1;
                        let target = records(dns, arg).await?;
                        match target.first() {
                            Some(r) if target.len() == 1 => {
                                queue.push((arg.clone(), r.clone(), false))
                            }
                            _ => {
                                spf.valid = false;
                                spf.error = format!(
                                    "include:{arg} has {} SPF records (RFC 7208 §5.2: permerror)",
                                    target.len()
                                );
                                return Ok(spf);
                            }
                        }
                    }
                    "a" | "mx" | "ptr" | "exists" => spf.lookups += 1,
                    "all" if main => {
                        let q = if *qualifier == '+' {
                            "+".to_string()
                        } else {
                            qualifier.to_string()
                        };
                        spf.all = format!("{q}all");
                    }
                    _ => {}
                },
                Term::Modifier { name: m, value } if m == "redirect" => {
                    spf.lookups += 1;
                    // `redirect=` is ignored when the record has an `all` (§6.1).
                    if !has_all {
                        let target = records(dns, value).await?;
                        match target.first() {
                            Some(r) if target.len() == 1 => {
                                queue.push((value.clone(), r.clone(), main))
                            }
                            _ => {
                                spf.valid = false;
                                spf.error = format!(
                                    "redirect={value} has {} SPF records (RFC 7208 §6.1: permerror)",
                                    target.len()
                                );
                                return Ok(spf);
                            }
                        }
                    }
                }
                Term::Modifier { .. } => {}
            }
        }
    }
    Ok(spf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_is_checked_term_by_term() {
        assert!(parse("v=spf1 ip4:203.0.113.5 ip6:2001:db8::/32 mx a:mail.truong.edu.vn/24 include:_spf.google.com ~all").is_ok());
        assert!(parse("v=spf1 redirect=_spf.truong.edu.vn").is_ok());
        assert!(parse("v=spf1 a/24//64 -all").is_ok());
        for bad in [
            "v=spf2 -all",
            "v=spf1 ip4:203.0.113.300 -all",
            "v=spf1 ip4:203.0.113.0/33 -all",
            "v=spf1 include -all",
            "v=spf1 mx:/24 -all",
            "v=spf1 allow -all",
            "v=spf1 redirect=a redirect=b",
            "v=spf1 all:x",
        ] {
            assert!(parse(bad).is_err(), "{bad} must be rejected");
        }
        let terms = parse("v=spf1 -all").unwrap();
        assert_eq!(
            terms,
            [Term::Mechanism {
                qualifier: '-',
                name: "all".into(),
                arg: String::new()
            }]
        );
    }
}
