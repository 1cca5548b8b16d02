//! Linux accounts (H10, H12) and the password policy (H11), read from /etc/passwd,
//! /etc/group, /etc/shadow (root only), /var/log/lastlog, login.defs and PAM.

use std::collections::BTreeSet;
use std::io::ErrorKind;

use jiff::Timestamp;

use crate::facts::host::{AccountFacts, LocalAccount, PasswordPolicyFacts};
use crate::facts::{Fact, ReasonCode};

/// One line of /etc/passwd.
#[derive(Clone, Debug, PartialEq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub shell: String,
}

pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 7 || l.starts_with('#') {
                return None;
            }
            Some(PasswdEntry {
                name: f[0].to_string(),
                uid: f[2].parse().ok()?,
                gid: f[3].parse().ok()?,
                shell: f[6].trim().to_string(),
            })
        })
        .collect()
}

/// Group name, gid and members of /etc/group.
pub fn parse_group(text: &str) -> Vec<(String, u32, Vec<String>)> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() < 4 {
                return None;
            }
            let members = f[3]
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(String::from)
                .collect();
            Some((f[0].to_string(), f[2].parse().ok()?, members))
        })
        .collect()
}

/// The password field of /etc/shadow, per account.
pub fn parse_shadow(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect()
}

/// `KEY value` settings of /etc/login.defs.
pub fn login_defs(text: &str, key: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let mut it = l.split_whitespace();
            (it.next()? == key).then(|| it.next().map(String::from))?
        })
}

fn login_shell(shell: &str) -> bool {
    !(shell.is_empty()
        || shell.ends_with("/nologin")
        || shell.ends_with("/false")
        || shell.ends_with("/sync")
        || shell.ends_with("/halt")
        || shell.ends_with("/shutdown"))
}

/// The lastlog record of `uid`: 292-byte records (i32 time, 32-byte line, 256-byte
/// host) on 64-bit Linux. Time 0 means never.
pub fn lastlog_time(lastlog: &[u8], uid: u32) -> Option<i64> {
    const RECORD: usize = 4 + 32 + 256;
    let start = (uid as usize).checked_mul(RECORD)?;
    let bytes = lastlog.get(start..start + 4)?;
    Some(i64::from(u32::from_le_bytes(bytes.try_into().ok()?)))
}

/// Admin groups on Debian (sudo, admin) and the RHEL family (wheel).
const ADMIN_GROUPS: &[&str] = &["sudo", "wheel", "admin"];

/// Everything read from the files, for [`accounts_from`].
pub struct AccountSources<'a> {
    pub passwd: &'a str,
    pub group: &'a str,
    /// /etc/shadow, or why it could not be read.
    pub shadow: Result<&'a str, (ReasonCode, String)>,
    /// /var/log/lastlog, or why not.
    pub lastlog: Result<&'a [u8], (ReasonCode, String)>,
    /// UID_MIN of login.defs (1000 by default).
    pub uid_min: u32,
}

pub fn accounts_from(src: &AccountSources) -> AccountFacts {
    let passwd = parse_passwd(src.passwd);
    let groups = parse_group(src.group);
    let shadow = src.shadow.as_ref().map(|t| parse_shadow(t));
    let mut admins = BTreeSet::new();
    for (name, gid, members) in &groups {
        if ADMIN_GROUPS.contains(&name.as_str()) {
            admins.extend(members.iter().cloned());
            admins.extend(
                passwd
                    .iter()
                    .filter(|p| p.gid == *gid)
                    .map(|p| p.name.clone()),
            );
        }
    }
    admins.extend(passwd.iter().filter(|p| p.uid == 0).map(|p| p.name.clone()));

    let users = passwd
        .iter()
        .map(|p| {
            let hash: Fact<String> = match &shadow {
                Ok(entries) => entries.iter().find(|(n, _)| *n == p.name).map_or_else(
                    || Fact::unknown(ReasonCode::Unparsable, "not in /etc/shadow"),
                    |(_, h)| Fact::known(h.clone()),
                ),
                Err((r, d)) => Fact::unknown(*r, d.clone()),
            };
            let shell_ok = login_shell(&p.shell);
            let enabled = hash
                .clone()
                .map(|h| shell_ok && !h.starts_with('!') && !h.starts_with('*'));
            let (never_used, last_used_at) = match &src.lastlog {
                Ok(bytes) => match lastlog_time(bytes, p.uid) {
                    None | Some(0) => (Fact::known(true), Fact::known(None)),
                    Some(t) => (
                        Fact::known(false),
                        Timestamp::from_second(t).map_or_else(
                            |e| Fact::unknown(ReasonCode::Unparsable, e.to_string()),
                            |t| Fact::known(Some(t)),
                        ),
                    ),
                },
                Err((r, d)) => (Fact::unknown(*r, d.clone()), Fact::unknown(*r, d.clone())),
            };
            LocalAccount {
                name: p.name.clone(),
                id: p.uid.to_string(),
                enabled,
                interactive: shell_ok && (p.uid == 0 || (p.uid >= src.uid_min && p.uid < 60000)),
                administrator: Fact::known(admins.contains(&p.name)),
                password_set: hash.map(|h| !h.is_empty()),
                never_used,
                last_used_at,
            }
        })
        .collect();
    AccountFacts {
        users: Fact::known(users),
        administrators: Fact::known(admins.into_iter().collect()),
        // Linux has no built-in guest account; a `guest` account that can log on counts.
        guest_enabled: match &shadow {
            Ok(entries) => Fact::known(passwd.iter().any(|p| {
                p.name == "guest"
                    && login_shell(&p.shell)
                    && entries
                        .iter()
                        .any(|(n, h)| n == "guest" && !h.starts_with('!') && !h.starts_with('*'))
            })),
            Err(_) if !passwd.iter().any(|p| p.name == "guest") => Fact::known(false),
            Err((r, d)) => Fact::unknown(*r, d.clone()),
        },
    }
}

fn read_reason(path: &str, e: &std::io::Error) -> (ReasonCode, String) {
    let reason = if e.kind() == ErrorKind::PermissionDenied {
        ReasonCode::NeedsAdmin
    } else if e.kind() == ErrorKind::NotFound {
        ReasonCode::Unsupported
    } else {
        ReasonCode::Error
    };
    (reason, format!("{path}: {e}"))
}

pub fn collect() -> AccountFacts {
    let passwd = match std::fs::read_to_string("/etc/passwd") {
        Ok(t) => t,
        Err(e) => {
            let (r, d) = read_reason("/etc/passwd", &e);
            return AccountFacts {
                users: Fact::unknown(r, d.clone()),
                administrators: Fact::unknown(r, d.clone()),
                guest_enabled: Fact::unknown(r, d),
            };
        }
    };
    let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
    let shadow = std::fs::read_to_string("/etc/shadow");
    let lastlog = std::fs::read("/var/log/lastlog");
    let uid_min = std::fs::read_to_string("/etc/login.defs")
        .ok()
        .and_then(|t| login_defs(&t, "UID_MIN"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    accounts_from(&AccountSources {
        passwd: &passwd,
        group: &group,
        shadow: shadow.as_deref().map_err(|e| read_reason("/etc/shadow", e)),
        lastlog: lastlog
            .as_deref()
            .map_err(|e| read_reason("/var/log/lastlog", e)),
        uid_min,
    })
}

/// The module arguments of the first PAM line using `module` in `text`.
fn pam_args<'a>(text: &'a str, module: &str) -> Option<Vec<&'a str>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let pos = words.iter().position(|w| w.ends_with(module))?;
            Some(words[pos + 1..].to_vec())
        })
}

fn arg_value(args: &[&str], key: &str) -> Option<u64> {
    args.iter()
        .find_map(|a| a.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

/// `key = value` settings of pwquality.conf / faillock.conf.
fn conf_value(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().parse().ok())?
        })
}

/// Files that decide the password policy; absent ones are empty strings.
#[derive(Default)]
pub struct PamSources<'a> {
    /// /etc/pam.d/common-password (Debian) or system-auth + password-auth (RHEL).
    pub password_stack: &'a str,
    /// /etc/pam.d/common-auth (Debian) or system-auth (RHEL).
    pub auth_stack: &'a str,
    pub pwquality_conf: &'a str,
    pub faillock_conf: &'a str,
    pub login_defs: &'a str,
}

/// The effective policy from PAM: `pam_pwquality`/`pam_cracklib` minlen (module
/// argument, then pwquality.conf, then the documented default 8), else
/// `pam_unix` minlen (documented default 6); `pam_faillock`/`pam_tally2` deny
/// (faillock.conf default 3), else no lockout; login.defs `PASS_MAX_DAYS`.
pub fn password_policy_from(src: &PamSources) -> PasswordPolicyFacts {
    let min_length = if let Some(args) = pam_args(src.password_stack, "pam_pwquality.so")
        .or_else(|| pam_args(src.password_stack, "pam_cracklib.so"))
    {
        arg_value(&args, "minlen")
            .or_else(|| conf_value(src.pwquality_conf, "minlen"))
            .unwrap_or(8)
    } else if let Some(args) = pam_args(src.password_stack, "pam_unix.so") {
        arg_value(&args, "minlen").unwrap_or(6)
    } else {
        return PasswordPolicyFacts {
            min_length: Fact::unknown(
                ReasonCode::Unparsable,
                "no pam_unix, pam_pwquality or pam_cracklib in the PAM password stack",
            ),
            lockout_threshold: Fact::unknown(ReasonCode::Unparsable, "PAM stack not understood"),
            max_age_days: max_age(src.login_defs),
            source: "pam".into(),
        };
    };
    let lockout = if let Some(args) = pam_args(src.auth_stack, "pam_faillock.so") {
        arg_value(&args, "deny")
            .or_else(|| conf_value(src.faillock_conf, "deny"))
            .unwrap_or(3)
    } else if let Some(args) = pam_args(src.auth_stack, "pam_tally2.so") {
        arg_value(&args, "deny").unwrap_or(0)
    } else {
        0
    };
    PasswordPolicyFacts {
        min_length: Fact::known(min_length),
        lockout_threshold: Fact::known(lockout),
        max_age_days: max_age(src.login_defs),
        source: "pam, login.defs".into(),
    }
}

fn max_age(login_defs_text: &str) -> Fact<u64> {
    match login_defs(login_defs_text, "PASS_MAX_DAYS").map(|v| v.parse::<i64>()) {
        // 99999 and -1 are the conventional "never expires".
        Some(Ok(d)) if !(0..99999).contains(&d) => Fact::known(0),
        Some(Ok(d)) => Fact::known(d as u64),
        Some(Err(_)) => Fact::unknown(ReasonCode::Unparsable, "PASS_MAX_DAYS in /etc/login.defs"),
        // shadow's default without the setting is 99999: never.
        None => Fact::known(0),
    }
}

pub fn collect_password_policy() -> PasswordPolicyFacts {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let debian = std::path::Path::new("/etc/pam.d/common-password").exists();
    let (password_stack, auth_stack) = if debian {
        (
            read("/etc/pam.d/common-password"),
            read("/etc/pam.d/common-auth"),
        )
    } else {
        let s = read("/etc/pam.d/system-auth");
        (s.clone(), s)
    };
    let mut pwquality = read("/etc/security/pwquality.conf");
    if let Ok(dir) = std::fs::read_dir("/etc/security/pwquality.conf.d") {
        for e in dir.flatten() {
            pwquality.push('\n');
            pwquality.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    password_policy_from(&PamSources {
        password_stack: &password_stack,
        auth_stack: &auth_stack,
        pwquality_conf: &pwquality,
        faillock_conf: &read("/etc/security/faillock.conf"),
        login_defs: &read("/etc/login.defs"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nco:x:1000:1000:Co Lan:/home/co:/bin/bash\nthay:x:1001:1001::/home/thay:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nbackup:x:34:34:backup:/var/backups:/usr/sbin/nologin\n";
    const GROUP: &str = "root:x:0:\nsudo:x:27:co\nthay:x:1001:\n";
    const SHADOW: &str = "root:!:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nco:$y$j9T$abc:19000:0:99999:7:::\nthay::19000:0:99999:7:::\ntoor:$6$x:19000::::::\nbackup:*:19000:0:99999:7:::\n";

    fn lastlog_with(uid: u32, time: u32) -> Vec<u8> {
        let mut v = vec![0u8; 292 * (uid as usize + 1)];
        v[292 * uid as usize..292 * uid as usize + 4].copy_from_slice(&time.to_le_bytes());
        v
    }

    #[test]
    fn accounts_as_root() {
        let ll = lastlog_with(1000, 1_700_000_000);
        let f = accounts_from(&AccountSources {
            passwd: PASSWD,
            group: GROUP,
            shadow: Ok(SHADOW),
            lastlog: Ok(&ll),
            uid_min: 1000,
        });
        let admins = f.administrators.value().unwrap();
        assert_eq!(admins, &["co", "root", "toor"]);
        let users = f.users.value().unwrap();
        let by = |n: &str| users.iter().find(|u| u.name == n).unwrap();
        assert_eq!(by("root").enabled.value(), Some(&false));
        assert_eq!(by("toor").enabled.value(), Some(&true));
        assert!(by("toor").administrator == Fact::known(true) && by("toor").interactive);
        assert_eq!(by("thay").password_set.value(), Some(&false));
        assert!(!by("daemon").interactive);
        assert_eq!(by("co").never_used.value(), Some(&false));
        assert_eq!(
            by("co").last_used_at.value().unwrap().unwrap().as_second(),
            1_700_000_000
        );
        assert_eq!(by("thay").never_used.value(), Some(&true));
        assert_eq!(f.guest_enabled.value(), Some(&false));
    }

    #[test]
    fn without_root_the_shadow_facts_need_admin() {
        let f = accounts_from(&AccountSources {
            passwd: PASSWD,
            group: GROUP,
            shadow: Err((ReasonCode::NeedsAdmin, "/etc/shadow: denied".into())),
            lastlog: Err((ReasonCode::Unsupported, "no lastlog".into())),
            uid_min: 1000,
        });
        let users = f.users.value().unwrap();
        assert!(users.iter().all(|u| {
            u.enabled.unknown_reason().unwrap().reason == ReasonCode::NeedsAdmin
                && u.password_set.value().is_none()
        }));
        // Group membership needs no rights.
        assert_eq!(f.administrators.value().unwrap().len(), 3);
    }

    #[test]
    fn lastlog_out_of_range_is_never() {
        assert_eq!(lastlog_time(&[0u8; 10], 5), None);
        assert_eq!(lastlog_time(&lastlog_with(2, 77), 2), Some(77));
    }

    #[test]
    fn debian_default_pam_policy() {
        // Debian 12's common-password and common-auth, comments removed.
        let p = password_policy_from(&PamSources {
            password_stack: "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\npassword\trequisite\t\t\tpam_deny.so\n",
            auth_stack: "auth\t[success=1 default=ignore]\tpam_unix.so nullok\nauth\trequisite\t\t\tpam_deny.so\n",
            login_defs: "PASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\n",
            ..Default::default()
        });
        assert_eq!(p.min_length.value(), Some(&6));
        assert_eq!(p.lockout_threshold.value(), Some(&0));
        assert_eq!(p.max_age_days.value(), Some(&0));
    }

    #[test]
    fn hardened_pam_policy() {
        let p = password_policy_from(&PamSources {
            password_stack: "password requisite pam_pwquality.so retry=3\npassword sufficient pam_unix.so sha512\n",
            auth_stack: "auth required pam_faillock.so preauth\nauth sufficient pam_unix.so\n",
            pwquality_conf: "# minlen = 8\nminlen = 12\n",
            faillock_conf: "deny = 5\n",
            login_defs: "PASS_MAX_DAYS 60\n",
        });
        assert_eq!(p.min_length.value(), Some(&12));
        assert_eq!(p.lockout_threshold.value(), Some(&5));
        assert_eq!(p.max_age_days.value(), Some(&60));
    }
}
