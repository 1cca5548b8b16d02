//! Anti-malware on Windows (H01–H04): Security Center's `AntiVirusProduct`
//! (`root\SecurityCenter2`), Defender's `MSFT_MpComputerStatus`
//! (`root\Microsoft\Windows\Defender`) and, where Security Center does not exist
//! (Windows Server), the services of known products.

use serde_json::Value;

use super::{as_bool, as_u64, field, parse_datetime, rows};
use crate::facts::host::AntivirusProduct;
use crate::facts::{Fact, ReasonCode, Unknown};

/// The product state in Security Center's `productState` (undocumented; the
/// community decoding of bits 0xF000, see shared/host-facts.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WscState {
    Off,
    On,
    Snoozed,
    Expired,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WscProduct {
    pub name: String,
    pub state: WscState,
    /// Owned by Windows (Microsoft Defender), bit 0x100.
    pub microsoft: bool,
    /// Signatures up to date: bit 0x10 clear.
    pub up_to_date: bool,
}

pub fn decode_product_state(state: u32) -> (WscState, bool, bool) {
    let s = match state & 0xF000 {
        0x1000 => WscState::On,
        0x2000 => WscState::Snoozed,
        0x3000 => WscState::Expired,
        _ => WscState::Off,
    };
    (s, state & 0x0F00 == 0x0100, state & 0x00F0 == 0)
}

/// Rows of `SELECT displayName, productState FROM AntiVirusProduct`.
pub fn parse_security_center(v: &Value) -> Vec<WscProduct> {
    rows(v)
        .into_iter()
        .filter_map(|r| {
            let name = field(r, "displayName")?.as_str()?.to_string();
            let state = u32::try_from(as_u64(field(r, "productState")?)?).ok()?;
            let (state, microsoft, up_to_date) = decode_product_state(state);
            Some(WscProduct {
                name,
                state,
                microsoft,
                up_to_date,
            })
        })
        .collect()
}

/// Defender's own status, from `MSFT_MpComputerStatus`.
#[derive(Clone, Debug, PartialEq)]
pub struct DefenderStatus {
    /// `Normal`, `Passive Mode`, `SxS Passive Mode`, `EDR Block Mode`, `Not running`.
    pub running_mode: Option<String>,
    pub service_enabled: Option<bool>,
    pub antivirus_enabled: Option<bool>,
    pub realtime_enabled: Option<bool>,
    pub signatures_updated_at: Option<jiff::Timestamp>,
    pub signatures_out_of_date: Option<bool>,
}

pub fn parse_defender(v: &Value) -> Option<DefenderStatus> {
    let r = rows(v).into_iter().next()?;
    let flag = |n: &str| field(r, n).and_then(as_bool);
    Some(DefenderStatus {
        running_mode: field(r, "AMRunningMode")
            .and_then(Value::as_str)
            .map(String::from),
        service_enabled: flag("AMServiceEnabled"),
        antivirus_enabled: flag("AntivirusEnabled"),
        realtime_enabled: flag("RealTimeProtectionEnabled"),
        signatures_updated_at: field(r, "AntivirusSignatureLastUpdated").and_then(parse_datetime),
        signatures_out_of_date: flag("DefenderSignaturesOutOfDate"),
    })
}

fn known_or<T>(v: Option<T>, what: &str) -> Fact<T> {
    v.map_or_else(
        || Fact::unknown(ReasonCode::Unparsable, format!("{what} missing")),
        Fact::known,
    )
}

impl DefenderStatus {
    /// Defender protects only in normal mode: passive mode (beside another product)
    /// and "not running" are not protection on their own.
    pub fn as_product(&self) -> AntivirusProduct {
        let mode_normal = self
            .running_mode
            .as_deref()
            .map(|m| m.eq_ignore_ascii_case("Normal"));
        let active = match (self.service_enabled, self.antivirus_enabled, mode_normal) {
            (Some(s), Some(a), Some(n)) => Fact::known(s && a && n),
            // Before Windows 10 1703 there is no AMRunningMode.
            (Some(s), Some(a), None) => Fact::known(s && a),
            _ => Fact::unknown(
                ReasonCode::Unparsable,
                "AMServiceEnabled/AntivirusEnabled missing",
            ),
        };
        AntivirusProduct {
            name: "Microsoft Defender Antivirus".into(),
            source: "defender".into(),
            active,
            realtime: known_or(self.realtime_enabled, "RealTimeProtectionEnabled"),
            signatures_updated_at: known_or(
                self.signatures_updated_at,
                "AntivirusSignatureLastUpdated",
            ),
            signatures_up_to_date: known_or(
                self.signatures_out_of_date.map(|o| !o),
                "DefenderSignaturesOutOfDate",
            ),
            expired: Fact::known(false),
        }
    }
}

impl WscProduct {
    pub fn as_product(&self) -> AntivirusProduct {
        AntivirusProduct {
            name: self.name.clone(),
            source: "security_center".into(),
            active: Fact::known(self.state == WscState::On),
            // Security Center's "on" is the real-time protection state.
            realtime: Fact::known(self.state == WscState::On),
            signatures_updated_at: Fact::unknown(
                ReasonCode::Unsupported,
                "Security Center reports only whether signatures are up to date",
            ),
            signatures_up_to_date: Fact::known(self.up_to_date),
            expired: Fact::known(self.state == WscState::Expired),
        }
    }
}

/// Services of anti-malware products, for machines without Security Center
/// (Windows Server): service name (case-insensitive) → product.
pub const KNOWN_AV_SERVICES: &[(&str, &str)] = &[
    ("AVP", "Kaspersky"),
    ("ekrn", "ESET"),
    ("SepMasterService", "Symantec Endpoint Protection"),
    ("ntrtscan", "Trend Micro OfficeScan/Apex One"),
    ("Sophos MCS Agent", "Sophos"),
    ("EPSecurityService", "Bitdefender Endpoint Security"),
];

/// Products running as services, from rows of `SELECT Name, State FROM Win32_Service`.
pub fn products_from_services(v: &Value) -> Vec<AntivirusProduct> {
    rows(v)
        .into_iter()
        .filter_map(|r| {
            let name = field(r, "Name")?.as_str()?;
            let running = field(r, "State")?.as_str()? == "Running";
            let (_, product) = KNOWN_AV_SERVICES.iter().find(|(svc, _)| {
                // Kaspersky versions its service name: AVP21.3.
                name.eq_ignore_ascii_case(svc)
                    || (svc == &"AVP" && name.to_ascii_uppercase().starts_with("AVP"))
            })?;
            Some(AntivirusProduct {
                name: (*product).to_string(),
                source: "service".into(),
                active: Fact::known(running),
                realtime: Fact::unknown(
                    ReasonCode::Unsupported,
                    "read from the service list: on-access state not reported",
                ),
                signatures_updated_at: Fact::unknown(
                    ReasonCode::Unsupported,
                    "read from the service list: signature age not reported",
                ),
                signatures_up_to_date: Fact::unknown(
                    ReasonCode::Unsupported,
                    "read from the service list: signature state not reported",
                ),
                expired: Fact::unknown(ReasonCode::Unsupported, "read from the service list"),
            })
        })
        .collect()
}

/// Combines the three sources: Defender's own status replaces its Security Center
/// entry; services are used only when Security Center is missing.
pub fn products(
    security_center: Result<Vec<WscProduct>, Unknown>,
    defender: Result<DefenderStatus, Unknown>,
    services: Result<Vec<AntivirusProduct>, Unknown>,
) -> Fact<Vec<AntivirusProduct>> {
    let mut out = Vec::new();
    let have_defender = defender.is_ok();
    if let Ok(d) = &defender {
        out.push(d.as_product());
    }
    match security_center {
        Ok(list) => out.extend(
            list.iter()
                .filter(|p| !(have_defender && p.microsoft))
                .map(WscProduct::as_product),
        ),
        Err(wsc_err) => match services {
            Ok(found) => out.extend(found),
            Err(_) if have_defender => {}
            Err(svc_err) => {
                return Fact::unknown(
                    wsc_err.reason,
                    format!(
                        "Security Center: {}; Defender: {}; services: {}",
                        wsc_err.detail,
                        defender.err().map(|e| e.detail).unwrap_or_default(),
                        svc_err.detail
                    ),
                );
            }
        },
    }
    Fact::known(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_product_states() {
        // Examples from shared/host-facts.md (neophob; Idera PowerTip).
        assert_eq!(decode_product_state(266240), (WscState::On, false, true));
        assert_eq!(decode_product_state(266256), (WscState::On, false, false));
        assert_eq!(decode_product_state(397568), (WscState::On, true, true));
        assert_eq!(decode_product_state(393472), (WscState::Off, true, true));
        assert_eq!(decode_product_state(0x043000).0, WscState::Expired);
        assert_eq!(decode_product_state(0x042000).0, WscState::Snoozed);
    }
}
