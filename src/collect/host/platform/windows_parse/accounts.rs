//! Windows local accounts (H10, H12) and the password policy (H11). The
//! administrators group is found by its SID S-1-5-32-544, never by its name, which
//! differs between display languages.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{as_bool, field, parse_datetime, rows};
use crate::facts::host::{AccountFacts, LocalAccount, PasswordPolicyFacts};
use crate::facts::{Fact, ReasonCode, Unknown};

pub const ADMINISTRATORS_SID: &str = "S-1-5-32-544";

/// The WMI query for the members of the administrators group, by SID: first the
/// group's (localized) name with `Win32_Group WHERE SID = 'S-1-5-32-544'`, then
/// this associators query with it.
pub fn admin_members_query(domain: &str, name: &str) -> String {
    let esc = |s: &str| s.replace('\\', "\\\\").replace('\'', "\\'");
    format!(
        "ASSOCIATORS OF {{Win32_Group.Domain='{}',Name='{}'}} WHERE AssocClass = Win32_GroupUser ResultRole = PartComponent",
        esc(domain),
        esc(name)
    )
}

/// Accounts from `Win32_UserAccount WHERE LocalAccount = TRUE` rows, the members of
/// the administrators group (`Win32_UserAccount`/`Win32_Group` rows, each with
/// `Domain`, `Name`, `SID`) and `Win32_NetworkLoginProfile` rows (`Name` =
/// `DOMAIN\user`, `LastLogon`).
pub fn accounts(
    users: &Value,
    admin_members: Result<&Value, Unknown>,
    login_profiles: &Value,
) -> AccountFacts {
    let admin_sids: Result<BTreeSet<String>, Unknown> = admin_members.clone().map(|v| {
        rows(v)
            .into_iter()
            .filter_map(|r| field(r, "SID")?.as_str().map(String::from))
            .collect()
    });
    let administrators = admin_members.map(|v| {
        rows(v)
            .into_iter()
            .filter_map(|r| {
                let name = field(r, "Name")?.as_str()?;
                Some(match field(r, "Domain").and_then(Value::as_str) {
                    Some(d) => format!(r"{d}\{name}"),
                    None => name.to_string(),
                })
            })
            .collect::<Vec<_>>()
    });
    let mut guest_enabled = Fact::known(false);
    let list: Vec<LocalAccount> = rows(users)
        .into_iter()
        .filter_map(|r| {
            let name = field(r, "Name")?.as_str()?.to_string();
            let sid = field(r, "SID")?.as_str()?.to_string();
            let disabled = field(r, "Disabled").and_then(as_bool);
            let lockout = field(r, "Lockout").and_then(as_bool).unwrap_or(false);
            let enabled = disabled.map_or_else(
                || Fact::unknown(ReasonCode::Unparsable, "Disabled missing"),
                |d| Fact::known(!d && !lockout),
            );
            if sid.ends_with("-501") && enabled.value() == Some(&true) {
                guest_enabled = Fact::known(true);
            }
            let domain = field(r, "Domain").and_then(Value::as_str).unwrap_or("");
            let full = format!(r"{domain}\{name}");
            let profile = rows(login_profiles).into_iter().find(|p| {
                field(p, "Name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(&full) || n.eq_ignore_ascii_case(&name))
            });
            let last = profile
                .and_then(|p| field(p, "LastLogon"))
                .and_then(parse_datetime);
            let (never_used, last_used_at) = match (profile, last) {
                (_, Some(t)) => (Fact::known(false), Fact::known(Some(t))),
                // No logon profile, or one without a date: never logged on.
                (_, None) => (Fact::known(true), Fact::known(None)),
            };
            Some(LocalAccount {
                administrator: match &admin_sids {
                    Ok(sids) => Fact::known(sids.contains(&sid)),
                    Err(why) => Fact::from_unknown(why.clone()),
                },
                password_set: field(r, "PasswordRequired").and_then(as_bool).map_or_else(
                    || Fact::unknown(ReasonCode::Unparsable, "PasswordRequired missing"),
                    Fact::known,
                ),
                // Built-in accounts (Administrator 500, Guest 501, DefaultAccount
                // 503, WDAGUtilityAccount 504) are not people's everyday accounts;
                // they are still counted as administrators and for passwords.
                interactive: !["-500", "-501", "-503", "-504"]
                    .iter()
                    .any(|r| sid.ends_with(r)),
                name,
                id: sid,
                enabled,
                never_used,
                last_used_at,
            })
        })
        .collect();
    // Every Windows has its built-in Administrator and Guest accounts: an empty list
    // means the provider did not list them (wine's WMI does that), not that the
    // machine has no accounts.
    let users = if list.is_empty() {
        guest_enabled = Fact::unknown(
            ReasonCode::Unsupported,
            "Win32_UserAccount listed no account",
        );
        Fact::unknown(
            ReasonCode::Unsupported,
            "Win32_UserAccount listed no local account (Windows always has the built-in Administrator and Guest)",
        )
    } else {
        Fact::known(list)
    };
    AccountFacts {
        users,
        administrators: administrators.map_or_else(Fact::from_unknown, Fact::known),
        guest_enabled,
    }
}

/// `NetUserModalsGet` levels 0 and 3 (or `net accounts`): minimum length, maximum
/// age in seconds (`TIMEQ_FOREVER` = 0xFFFFFFFF = never) and lockout threshold.
pub fn password_policy(
    min_len: u32,
    max_age_seconds: u32,
    lockout: Option<u32>,
) -> PasswordPolicyFacts {
    PasswordPolicyFacts {
        min_length: Fact::known(u64::from(min_len)),
        lockout_threshold: lockout.map_or_else(
            || Fact::unknown(ReasonCode::Error, "NetUserModalsGet level 3 failed"),
            |l| Fact::known(u64::from(l)),
        ),
        max_age_days: Fact::known(if max_age_seconds == u32::MAX {
            0
        } else {
            u64::from(max_age_seconds) / 86_400
        }),
        source: "NetUserModalsGet".into(),
    }
}
