//! The seam between khien and the operating system. Each platform module provides the
//! same functions; everything above this module is platform-neutral.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

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
