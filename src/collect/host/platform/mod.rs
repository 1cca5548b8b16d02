//! The seam between khien and the operating system. Each platform module provides the
//! same functions; everything above this module is platform-neutral.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

use std::sync::OnceLock;
use std::time::Duration;

// Queries with a deadline (WMI on Windows); platform-neutral, tested everywhere.
pub mod bounded;

static QUERY_TIMEOUT: OnceLock<Duration> = OnceLock::new();

/// Sets the deadline of each query to a local service that can hang (WMI, COM),
/// from the policy parameter `wmi_query_timeout_seconds`. The first call wins: the
/// platform's snapshot is taken once per process.
pub fn set_query_timeout(timeout: Duration) {
    let _ = QUERY_TIMEOUT.set(timeout);
}

/// The deadline of each WMI/COM query ([`bounded::DEFAULT_TIMEOUT`] unless set).
pub fn query_timeout() -> Duration {
    QUERY_TIMEOUT
        .get()
        .copied()
        .unwrap_or(bounded::DEFAULT_TIMEOUT)
}

// Parsers of Windows outputs: pure, so compiled and tested on every OS.
pub mod windows_parse;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

#[cfg(not(any(target_os = "linux", windows)))]
mod other;
#[cfg(not(any(target_os = "linux", windows)))]
pub use other::*;
