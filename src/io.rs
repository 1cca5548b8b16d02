//! Reading the files khien is given (policies, configuration, facts, registers,
//! waivers, results) with a size cap, refusing what is not a regular file.
//!
//! A configuration of `/dev/zero` would be read until memory runs out, and a FIFO
//! would block the run forever: every loader reads through [`read_bounded_text`] or
//! [`read_bounded_bytes`] instead of `std::fs::read*`.

use std::io::Read as _;
use std::path::Path;

/// Largest policy file: the default policy's largest is under 200 KB.
pub const MAX_POLICY_BYTES: u64 = 16 * 1024 * 1024;
/// Largest local configuration (khien.toml): a few kilobytes in practice.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;
/// Largest PEM file of extra CA certificates (`--ca-file`, `[send] ca_file`): the
/// whole Mozilla bundle is about 220 KB.
pub const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;
/// Largest units inventory CSV (`khien report --inventory`): a province's few
/// thousand units take well under a megabyte.
pub const MAX_INVENTORY_BYTES: u64 = 64 * 1024 * 1024;
/// Largest list of targets (`scan web --targets FILE`): a province's websites take
/// a few hundred kilobytes.
pub const MAX_LIST_BYTES: u64 = 16 * 1024 * 1024;
/// Largest fact document (`--facts-out` of a host with many shares and files).
pub const MAX_FACTS_BYTES: u64 = 256 * 1024 * 1024;

/// Reads at most `max` bytes of a regular file; a longer file, or a path that is
/// not a regular file (folder, device, FIFO, socket), is an error saying so.
pub fn read_bounded_bytes(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let file = open_nonblocking(path)?;
    // Checked again on what was opened: the path may have been swapped meanwhile.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    if meta.len() > max {
        return Err(too_large(max));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(bytes)
}

/// [`read_bounded_bytes`] for UTF-8 text.
pub fn read_bounded_text(path: &Path, max: u64) -> std::io::Result<String> {
    String::from_utf8(read_bounded_bytes(path, max)?).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: a FIFO swapped in after the check does not block the open; on a
    // regular file it changes nothing.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc_nonblock())
        .open(path)
}

#[cfg(all(unix, target_os = "linux"))]
fn libc_nonblock() -> i32 {
    libc::O_NONBLOCK
}

#[cfg(all(unix, not(target_os = "linux")))]
fn libc_nonblock() -> i32 {
    // O_NONBLOCK on macOS and the BSDs.
    0x0004
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn not_regular(meta: &std::fs::Metadata) -> std::io::Error {
    let what = if meta.is_dir() {
        "a folder"
    } else {
        "a device, pipe or socket"
    };
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("not a regular file ({what}); give the path of a file"),
    )
}

fn too_large(max: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        format!(
            "larger than {} MB, the limit for this file",
            max.div_ceil(1024 * 1024)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        std::fs::write(&p, "x = 1\n").unwrap();
        assert_eq!(read_bounded_text(&p, 100).unwrap(), "x = 1\n");
        let e = read_bounded_text(&p, 3).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
        let e = read_bounded_text(dir.path(), 100).unwrap_err();
        assert!(e.to_string().contains("a folder"), "{e}");
        #[cfg(unix)]
        {
            let e = read_bounded_text(Path::new("/dev/zero"), 100).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(
            read_bounded_text(&p, 100)
                .unwrap_err()
                .to_string()
                .contains("UTF-8")
        );
    }
}
