//! Platforms without a dedicated collector yet (macOS, BSD): only what sysinfo gives;
//! the rest is reported unknown, never guessed.

use std::path::Path;

use crate::collect::host::posture::Posture;
use crate::facts::host::{AntivirusProduct, ListeningPort};
use crate::facts::{Fact, ReasonCode, Unknown};

/// Nothing to read ahead here: facts are read from files as they are needed.
pub fn prepare(_query_timeout: std::time::Duration) {}

pub fn elevated() -> Fact<bool> {
    Fact::unknown(ReasonCode::Unsupported, "")
}

/// Raw readings are kept only on Windows.
pub fn raw_readings() -> Option<serde_json::Value> {
    None
}

pub fn container() -> Fact<bool> {
    Fact::unknown(ReasonCode::Unsupported, "container detection")
}

pub fn antivirus_products(processes: &Fact<Vec<String>>) -> Fact<Vec<AntivirusProduct>> {
    processes.clone().map(|_| Vec::new())
}

pub fn clamav_binaries_found() -> bool {
    ["/usr/local/bin/clamscan", "/opt/homebrew/bin/clamscan"]
        .iter()
        .any(|p| Path::new(p).exists())
}

pub fn listening_ports() -> Fact<Vec<ListeningPort>> {
    Fact::unknown(ReasonCode::Unsupported, "")
}

pub fn physical_disks_of(_path: &Path) -> Result<Vec<String>, Unknown> {
    Err(Unknown::new(ReasonCode::Unsupported, "disk identity"))
}

pub fn posture(_processes: &Fact<Vec<String>>, _listening: &Fact<Vec<ListeningPort>>) -> Posture {
    Posture::unknown(
        ReasonCode::Unsupported,
        "no collector for this platform yet",
    )
}
