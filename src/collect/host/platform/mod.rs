//! The seam between khien and the operating system. Each platform module provides the
//! same functions; everything above this module is platform-neutral.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::*;

// Queries with a deadline (WMI on Windows); platform-neutral, tested everywhere.
pub mod bounded;

/// The nearest folder of `path` that exists (itself if it does): the disk of a
/// backup folder not yet created is the disk of its nearest existing parent.
#[cfg_attr(not(any(target_os = "linux", windows)), allow(dead_code))]
fn existing_ancestor(path: &std::path::Path) -> Option<std::path::PathBuf> {
    let mut p = path.to_path_buf();
    loop {
        if p.exists() {
            return Some(p);
        }
        if !p.pop() {
            return None;
        }
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_nearest_existing_folder_stands_for_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("sao-luu/2026/thang-11");
        assert_eq!(
            super::existing_ancestor(&missing).as_deref(),
            Some(dir.path())
        );
        assert_eq!(
            super::existing_ancestor(dir.path()).as_deref(),
            Some(dir.path())
        );
    }
}
