//! sshd's settings (H08): `sshd -T` as root (the effective configuration), else
//! sshd_config and its `Include`d files read with sshd's rules (the first value of a
//! keyword wins) and its documented defaults.

use std::path::Path;
use std::process::Command;

use crate::facts::host::SshFacts;
use crate::facts::{Fact, ReasonCode};

/// Keyword → first value, lower-cased, from `sshd -T` output or config text.
/// `Match` blocks are skipped: they apply only to some connections.
pub fn first_values(text: &str, include: &mut dyn FnMut(&str) -> String) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    collect_values(text, include, &mut out, 0);
    out
}

fn collect_values(
    text: &str,
    include: &mut dyn FnMut(&str) -> String,
    out: &mut Vec<(String, String)>,
    depth: usize,
) {
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once(|c: char| c.is_whitespace() || c == '=') {
            Some((k, v)) => (
                k.to_ascii_lowercase(),
                v.trim().trim_start_matches('=').trim(),
            ),
            None => continue,
        };
        if key == "match" {
            return;
        }
        if key == "include" && depth < 4 {
            for pattern in value.split_whitespace() {
                let included = include(pattern);
                collect_values(&included, include, out, depth + 1);
            }
            continue;
        }
        if !out.iter().any(|(k, _)| *k == key) {
            out.push((key, value.to_ascii_lowercase()));
        }
    }
}

/// Facts from the values; missing keywords take sshd's defaults
/// (`PermitRootLogin prohibit-password`, `PasswordAuthentication yes`).
pub fn ssh_facts(values: &[(String, String)], source: &str) -> SshFacts {
    let get = |k: &str| {
        values
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let root = get("permitrootlogin")
        .map(|v| {
            if v == "without-password" {
                "prohibit-password".into()
            } else {
                v
            }
        })
        .unwrap_or_else(|| "prohibit-password".into());
    SshFacts {
        installed: true,
        permit_root_login: Fact::known(root),
        password_authentication: Fact::known(
            get("passwordauthentication").is_none_or(|v| v == "yes"),
        ),
        source: source.into(),
    }
}

/// Reads the files an `Include` pattern names (a folder glob like
/// `/etc/ssh/sshd_config.d/*.conf`), in lexical order as sshd does.
fn read_include(pattern: &str) -> String {
    let path = if pattern.starts_with('/') {
        pattern.to_string()
    } else {
        format!("/etc/ssh/{pattern}")
    };
    let (dir, glob) = match path.rsplit_once('/') {
        Some((d, g)) => (d.to_string(), g.to_string()),
        None => return String::new(),
    };
    let Ok(matcher) = globset::Glob::new(&glob).map(|g| g.compile_matcher()) else {
        return String::new();
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| matcher.is_match(n)))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn collect(root: bool) -> SshFacts {
    let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(sshd) = sshd else {
        return SshFacts {
            installed: false,
            permit_root_login: Fact::unknown(ReasonCode::Unsupported, "no SSH server installed"),
            password_authentication: Fact::unknown(
                ReasonCode::Unsupported,
                "no SSH server installed",
            ),
            source: String::new(),
        };
    };
    if root
        && let Ok(out) = Command::new(sshd).arg("-T").output()
        && out.status.success()
    {
        let text = String::from_utf8_lossy(&out.stdout);
        return ssh_facts(&first_values(&text, &mut |_| String::new()), "sshd -T");
    }
    match std::fs::read_to_string("/etc/ssh/sshd_config") {
        Ok(text) => ssh_facts(
            &first_values(&text, &mut |p| read_include(p)),
            "/etc/ssh/sshd_config",
        ),
        Err(e) => SshFacts {
            installed: true,
            permit_root_login: Fact::unknown(
                ReasonCode::Error,
                format!("/etc/ssh/sshd_config: {e}"),
            ),
            password_authentication: Fact::unknown(
                ReasonCode::Error,
                format!("/etc/ssh/sshd_config: {e}"),
            ),
            source: String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_across_includes_and_match_is_skipped() {
        let main = "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\nPasswordAuthentication yes\nMatch User backup\n  PasswordAuthentication no\n";
        let mut inc = |p: &str| {
            assert_eq!(p, "/etc/ssh/sshd_config.d/*.conf");
            "PasswordAuthentication no\n".to_string()
        };
        let f = ssh_facts(&first_values(main, &mut inc), "test");
        assert_eq!(f.permit_root_login.value().unwrap(), "yes");
        assert_eq!(f.password_authentication.value(), Some(&false));
    }

    #[test]
    fn defaults_apply_when_unset() {
        let f = ssh_facts(
            &first_values("# nothing\nPort 22\n", &mut |_| String::new()),
            "t",
        );
        assert_eq!(f.permit_root_login.value().unwrap(), "prohibit-password");
        assert_eq!(f.password_authentication.value(), Some(&true));
    }

    #[test]
    fn sshd_t_output() {
        let t = "port 22\npermitrootlogin without-password\npasswordauthentication no\n";
        let f = ssh_facts(&first_values(t, &mut |_| String::new()), "sshd -T");
        assert_eq!(f.permit_root_login.value().unwrap(), "prohibit-password");
        assert_eq!(f.password_authentication.value(), Some(&false));
    }
}
