//! Anti-malware for Linux other than ClamAV (H01, issue 14): Microsoft Defender for
//! Endpoint, ESET, Kaspersky and Sophos, found by their documented install folders
//! and systemd service names; whether the service runs is read from its cgroup
//! (`/sys/fs/cgroup/system.slice/NAME.service/cgroup.procs`, systemd's unified
//! hierarchy), else from the process list.
//!
//! Real-time protection is known only where the product writes it in a documented
//! file: Defender's managed settings (`mdatp_managed.json`,
//! `antivirusEngine.enforcementLevel`). For the others it is unknown with the
//! command that shows it, so HOST-AV-001 is unknown, never a false pass.
//!
//! Pure over a root folder, so tests use a constructed one.

use std::path::Path;

use crate::facts::host::AntivirusProduct;
use crate::facts::{Fact, ReasonCode};

/// One product: how to find it and read it.
struct Known {
    name: &'static str,
    /// Install folders (any one present means installed).
    dirs: &'static [&'static str],
    /// systemd services.
    services: &'static [&'static str],
    /// Daemon processes (as the kernel names them, 15 characters at most).
    processes: &'static [&'static str],
    /// How a person sees real-time protection, when khien cannot read it.
    realtime_hint: &'static str,
}

const PRODUCTS: &[Known] = &[
    Known {
        name: "Microsoft Defender for Endpoint",
        dirs: &["opt/microsoft/mdatp"],
        services: &["mdatp"],
        processes: &["wdavdaemon"],
        realtime_hint: "set locally: `mdatp health --field real_time_protection_enabled` shows it",
    },
    Known {
        name: "ESET Server Security",
        dirs: &["opt/eset/efs"],
        services: &["efs"],
        processes: &[],
        realtime_hint: "not written in a documented file: ESET's web console or PROTECT shows it",
    },
    Known {
        name: "ESET Endpoint Antivirus",
        dirs: &["opt/eset/eea"],
        services: &["eea"],
        processes: &[],
        realtime_hint: "not written in a documented file: ESET's GUI or PROTECT shows it",
    },
    Known {
        name: "Kaspersky Endpoint Security",
        dirs: &["opt/kaspersky/kesl"],
        services: &["kesl"],
        processes: &["kesl"],
        realtime_hint: "`kesl-control --get-task-state File_Threat_Protection` shows it",
    },
    Known {
        name: "Sophos Protection for Linux",
        dirs: &["opt/sophos-spl"],
        services: &["sophos-spl"],
        processes: &["sophos_managementagent"],
        realtime_hint: "Sophos Central shows the on-access state",
    },
];

/// Whether a systemd service runs, from its cgroup; `None` without cgroup v2.
fn service_running(root: &Path, service: &str) -> Option<bool> {
    let slice = root.join("sys/fs/cgroup/system.slice");
    if !slice.is_dir() {
        return None;
    }
    let procs = slice.join(format!("{service}.service/cgroup.procs"));
    Some(
        std::fs::read_to_string(procs)
            .map(|p| !p.trim().is_empty())
            .unwrap_or(false),
    )
}

/// Defender's managed enforcement level: `real_time`, `on_demand` or `passive`
/// (the deprecated `enableRealTimeProtection` / `passiveMode` flags before it).
pub fn mdatp_realtime(managed_json: &str) -> Option<bool> {
    let v: serde_json::Value = serde_json::from_str(managed_json).ok()?;
    let engine = v.get("antivirusEngine")?;
    if let Some(level) = engine.get("enforcementLevel").and_then(|l| l.as_str()) {
        return Some(level == "real_time");
    }
    if engine.get("passiveMode").and_then(|p| p.as_bool()) == Some(true) {
        return Some(false);
    }
    engine
        .get("enableRealTimeProtection")
        .and_then(|e| e.as_bool())
}

fn unknown(detail: impl Into<String>) -> Fact<bool> {
    Fact::unknown(ReasonCode::Unsupported, detail)
}

/// The products installed under `root` (`/` on a machine).
pub fn products(root: &Path, processes: &Fact<Vec<String>>) -> Vec<AntivirusProduct> {
    let mut out = Vec::new();
    for p in PRODUCTS {
        if !p.dirs.iter().any(|d| root.join(d).is_dir()) {
            continue;
        }
        let by_service = p
            .services
            .iter()
            .filter_map(|s| service_running(root, s))
            .reduce(|a, b| a || b);
        let by_process = processes
            .value()
            .filter(|_| !p.processes.is_empty())
            .map(|list| p.processes.iter().any(|n| list.iter().any(|x| x == n)));
        let active = match by_service.or(by_process) {
            Some(running) => Fact::known(running),
            None => unknown(format!(
                "whether the {} service runs could not be read",
                p.services.join("/")
            )),
        };
        let realtime = if p.name.starts_with("Microsoft") {
            let managed = root.join("etc/opt/microsoft/mdatp/managed/mdatp_managed.json");
            match std::fs::read_to_string(&managed) {
                Ok(text) => match mdatp_realtime(&text) {
                    Some(on) => Fact::known(on),
                    // Real-time protection is on unless a setting turns it off.
                    None => Fact::known(true),
                },
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Fact::unknown(
                    ReasonCode::NeedsAdmin,
                    format!("{}: {e}", managed.display()),
                ),
                Err(_) => unknown(p.realtime_hint),
            }
        } else {
            unknown(p.realtime_hint)
        };
        out.push(AntivirusProduct {
            name: p.name.to_string(),
            source: "service".into(),
            active,
            realtime,
            signatures_updated_at: Fact::unknown(
                ReasonCode::Unsupported,
                "the signature date of this product is not read",
            ),
            signatures_up_to_date: Fact::unknown(
                ReasonCode::Unsupported,
                "the signature state of this product is not read",
            ),
            expired: Fact::unknown(ReasonCode::Unsupported, "the licence is not read"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defender_enforcement_levels() {
        assert_eq!(
            mdatp_realtime(r#"{"antivirusEngine":{"enforcementLevel":"real_time"}}"#),
            Some(true)
        );
        assert_eq!(
            mdatp_realtime(r#"{"antivirusEngine":{"enforcementLevel":"on_demand"}}"#),
            Some(false)
        );
        assert_eq!(
            mdatp_realtime(r#"{"antivirusEngine":{"passiveMode":true}}"#),
            Some(false)
        );
        assert_eq!(mdatp_realtime(r#"{"cloudService":{}}"#), None);
    }

    #[test]
    fn products_found_by_folder_and_service() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        assert!(products(r, &Fact::known(vec![])).is_empty());
        for d in [
            "opt/microsoft/mdatp",
            "opt/kaspersky/kesl",
            "etc/opt/microsoft/mdatp/managed",
            "sys/fs/cgroup/system.slice/mdatp.service",
            "sys/fs/cgroup/system.slice/kesl.service",
        ] {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        std::fs::write(
            r.join("sys/fs/cgroup/system.slice/mdatp.service/cgroup.procs"),
            "812\n",
        )
        .unwrap();
        std::fs::write(
            r.join("sys/fs/cgroup/system.slice/kesl.service/cgroup.procs"),
            "",
        )
        .unwrap();
        std::fs::write(
            r.join("etc/opt/microsoft/mdatp/managed/mdatp_managed.json"),
            r#"{"antivirusEngine":{"enforcementLevel":"on_demand"}}"#,
        )
        .unwrap();
        let found = products(r, &Fact::known(vec!["kesl".into()]));
        assert_eq!(found.len(), 2);
        let mde = &found[0];
        assert_eq!(mde.active.value(), Some(&true));
        assert_eq!(mde.realtime.value(), Some(&false));
        // The cgroup (empty: stopped) wins over a process of the same name.
        assert_eq!(found[1].active.value(), Some(&false));
        assert!(
            found[1]
                .realtime
                .unknown_reason()
                .unwrap()
                .detail
                .contains("kesl-control")
        );
    }
}
