//! Logon auditing (H17): the system audit policy of the Logon and Logoff
//! subcategories, as `AuditQuerySystemPolicy` gives it (what `auditpol /get
//! /subcategory:Logon` shows, without its localised names). The subcategory GUIDs
//! and the flags are those of Microsoft Learn ("Audit Logon", `ntsecapi.h`:
//! `POLICY_AUDIT_EVENT_SUCCESS` 1, `POLICY_AUDIT_EVENT_FAILURE` 2).

use serde::{Deserialize, Serialize};

use crate::facts::host::LogonAuditing;
use crate::facts::{Fact, ReasonCode, Unknown};

/// The Logon subcategory (events 4624, 4625).
pub const LOGON: &str = "0CCE9215-69AE-11D9-BED3-505054503030";
/// The Logoff subcategory (events 4634, 4647).
pub const LOGOFF: &str = "0CCE9216-69AE-11D9-BED3-505054503030";

const SUCCESS: u32 = 1;
const FAILURE: u32 = 2;

/// One subcategory's setting: its GUID (upper case, no braces) and
/// `AuditingInformation`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPolicyEntry {
    pub subcategory: String,
    pub flags: u32,
}

/// Whether successful and failed logons, and logoffs, are audited. Reading the
/// policy needs administrator rights: without them the reason says so.
pub fn logon_auditing(
    policy: Option<&Result<Vec<AuditPolicyEntry>, Unknown>>,
) -> Fact<LogonAuditing> {
    let entries = match policy {
        None => {
            return Fact::unknown(ReasonCode::NotRecorded, "the audit policy was not read");
        }
        Some(Err(e)) if e.reason == ReasonCode::NeedsAdmin => {
            return Fact::unknown(
                ReasonCode::NeedsAdmin,
                format!(
                    "run as administrator to read the audit policy ({})",
                    e.detail
                ),
            );
        }
        Some(Err(e)) => return Fact::from_unknown(e.clone()),
        Some(Ok(entries)) => entries,
    };
    let flags = |guid: &str| {
        entries
            .iter()
            .find(|e| {
                e.subcategory
                    .trim_matches(['{', '}'])
                    .eq_ignore_ascii_case(guid)
            })
            .map(|e| e.flags)
    };
    match (flags(LOGON), flags(LOGOFF)) {
        (Some(logon), Some(logoff)) => Fact::known(LogonAuditing {
            logon_success: logon & SUCCESS != 0,
            logon_failure: logon & FAILURE != 0,
            logoff_success: logoff & SUCCESS != 0,
        }),
        _ => Fact::unknown(
            ReasonCode::Unparsable,
            "the audit policy has no Logon or Logoff subcategory",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(guid: &str, flags: u32) -> AuditPolicyEntry {
        AuditPolicyEntry {
            subcategory: guid.into(),
            flags,
        }
    }

    #[test]
    fn logon_success_and_failure_from_the_flags() {
        let policy = Ok(vec![entry(LOGON, 3), entry(LOGOFF, 1)]);
        let a = logon_auditing(Some(&policy));
        let a = a.value().unwrap();
        assert!(a.logon_success && a.logon_failure && a.logoff_success);
        // Windows 7's default: Logon success only; "No auditing" is 0 (or 4).
        let policy = Ok(vec![entry(LOGON, 1), entry(&format!("{{{LOGOFF}}}"), 0)]);
        let a = logon_auditing(Some(&policy));
        let a = a.value().unwrap();
        assert!(a.logon_success && !a.logon_failure && !a.logoff_success);
        let a = logon_auditing(Some(&Ok(vec![entry(LOGON, 4)])));
        assert_eq!(a.unknown_reason().unwrap().reason, ReasonCode::Unparsable);
    }

    #[test]
    fn without_administrator_rights_the_reason_says_so() {
        let denied = Err(Unknown::new(
            ReasonCode::NeedsAdmin,
            "AuditQuerySystemPolicy: A required privilege is not held by the client. (1314)",
        ));
        let a = logon_auditing(Some(&denied));
        let why = a.unknown_reason().unwrap();
        assert_eq!(why.reason, ReasonCode::NeedsAdmin);
        assert!(why.detail.starts_with("run as administrator"), "{why:?}");
        assert!(logon_auditing(None).value().is_none());
    }
}
