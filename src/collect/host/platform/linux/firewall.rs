//! Linux host firewall (H07): ufw and firewalld from their configuration, and, as
//! root, the kernel's nftables ruleset (`nft list ruleset`) for the input hook's policy.

use std::process::Command;

use crate::facts::host::{FirewallFacts, FirewallProfile};
use crate::facts::{Fact, ReasonCode};

/// ufw from /etc/ufw/ufw.conf (`ENABLED=yes`) and /etc/default/ufw
/// (`DEFAULT_INPUT_POLICY="DROP"`).
pub fn ufw_profile(ufw_conf: &str, defaults: &str) -> Option<FirewallProfile> {
    let value = |text: &str, key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.trim().split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_ascii_uppercase())
        })
    };
    let enabled = value(ufw_conf, "ENABLED")? == "YES";
    Some(FirewallProfile {
        name: "ufw".into(),
        enabled,
        blocks_inbound: value(defaults, "DEFAULT_INPUT_POLICY").map_or_else(
            || {
                Fact::unknown(
                    ReasonCode::Unparsable,
                    "DEFAULT_INPUT_POLICY in /etc/default/ufw",
                )
            },
            |p| Fact::known(p == "DROP" || p == "REJECT"),
        ),
    })
}

/// Whether an nftables ruleset (`nft list ruleset`) blocks unsolicited input: a
/// base chain on the input hook with `policy drop`, or ending in a reject/drop rule.
pub fn nft_blocks_input(ruleset: &str) -> Option<bool> {
    let mut in_input_chain = false;
    let mut saw_input = false;
    let mut last_rule = String::new();
    let mut blocks = false;
    for line in ruleset.lines().map(str::trim) {
        if line.starts_with("chain ") {
            in_input_chain = false;
            last_rule.clear();
        } else if line.contains("hook input") {
            in_input_chain = true;
            saw_input = true;
            if line.contains("policy drop") {
                blocks = true;
            }
        } else if in_input_chain && line == "}" {
            if last_rule == "drop" || last_rule.starts_with("reject") {
                blocks = true;
            }
            in_input_chain = false;
        } else if in_input_chain && !line.is_empty() {
            last_rule = line.to_string();
        }
    }
    saw_input.then_some(blocks)
}

pub fn collect(processes: &Fact<Vec<String>>, root: bool) -> FirewallFacts {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let mut profiles = Vec::new();
    if let Some(p) = ufw_profile(&read("/etc/ufw/ufw.conf"), &read("/etc/default/ufw"))
        && p.enabled
    {
        profiles.push(p);
    }
    let firewalld_running = processes
        .value()
        .is_some_and(|ps| ps.iter().any(|p| p == "firewalld"));
    if firewalld_running {
        // Every predefined zone but `trusted` rejects unsolicited input.
        let zone = read("/etc/firewalld/firewalld.conf")
            .lines()
            .find_map(|l| l.trim().strip_prefix("DefaultZone=").map(str::to_string))
            .unwrap_or_else(|| "public".into());
        profiles.push(FirewallProfile {
            name: format!("firewalld ({zone})"),
            enabled: true,
            blocks_inbound: Fact::known(zone != "trusted"),
        });
    }
    if root {
        let out = Command::new("nft").args(["list", "ruleset"]).output();
        if let Ok(out) = out
            && out.status.success()
        {
            let text = String::from_utf8_lossy(&out.stdout);
            match nft_blocks_input(&text) {
                Some(blocks) => profiles.push(FirewallProfile {
                    name: "nftables".into(),
                    enabled: true,
                    blocks_inbound: Fact::known(blocks),
                }),
                None if profiles.is_empty() => profiles.push(FirewallProfile {
                    name: "nftables".into(),
                    enabled: false,
                    blocks_inbound: Fact::known(false),
                }),
                None => {}
            }
        }
    }
    if profiles.is_empty() {
        return FirewallFacts {
            profiles: if root {
                Fact::known(Vec::new())
            } else {
                Fact::unknown(
                    ReasonCode::NeedsAdmin,
                    "no ufw or firewalld found; reading the kernel's nftables/iptables rules needs root",
                )
            },
        };
    }
    FirewallFacts {
        profiles: Fact::known(profiles),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ufw_config() {
        let p = ufw_profile(
            "# comment\nENABLED=yes\nLOGLEVEL=low\n",
            "IPV6=yes\nDEFAULT_INPUT_POLICY=\"DROP\"\n",
        )
        .unwrap();
        assert!(p.enabled);
        assert_eq!(p.blocks_inbound.value(), Some(&true));
        let p = ufw_profile("ENABLED=no\n", "DEFAULT_INPUT_POLICY=\"ACCEPT\"\n").unwrap();
        assert!(!p.enabled);
        assert_eq!(p.blocks_inbound.value(), Some(&false));
        assert!(ufw_profile("", "").is_none());
    }

    #[test]
    fn nft_rulesets() {
        let drop = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tct state established,related accept\n\t\ttcp dport 22 accept\n\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t}\n}\n";
        assert_eq!(nft_blocks_input(drop), Some(true));
        let reject_last = "table inet filter {\n chain input {\n  type filter hook input priority 0; policy accept;\n  iif lo accept\n  reject with icmpx type admin-prohibited\n }\n}\n";
        assert_eq!(nft_blocks_input(reject_last), Some(true));
        // Debian's default /etc/nftables.conf: an input chain that accepts everything.
        let open = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter;\n\t}\n}\n";
        assert_eq!(nft_blocks_input(open), Some(false));
        assert_eq!(nft_blocks_input(""), None);
    }
}
