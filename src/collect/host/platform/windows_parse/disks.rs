//! Which physical disks hold a path on Windows (rule H16: a backup on the same
//! physical disk as its data is lost with it).
//!
//! The collector asks the volume that holds the path for its disk extents with
//! `IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS` (documented in winioctl.h and on
//! Microsoft Learn), which answers a `VOLUME_DISK_EXTENTS` structure: the disk
//! number of every extent (several for a volume spanning disks, such as a
//! striped or mirrored dynamic volume or a Storage Spaces volume). Disk numbers
//! name `\\.\PhysicalDriveN`. Network paths are not on a local disk: their
//! identity is the share. The byte layout is parsed here so it is tested on
//! every OS.

/// `VOLUME_DISK_EXTENTS` (winioctl.h), x64 layout:
/// `DWORD NumberOfDiskExtents` (then 4 bytes of padding), and from offset 8 an
/// array of `DISK_EXTENT { DWORD DiskNumber; /*pad*/ LARGE_INTEGER StartingOffset;
/// LARGE_INTEGER ExtentLength; }`, 24 bytes each.
pub const EXTENTS_HEADER: usize = 8;
pub const EXTENT_SIZE: usize = 24;

/// The physical disk numbers of a `VOLUME_DISK_EXTENTS` buffer (`returned` bytes
/// filled by the call), sorted and without repeats.
pub fn parse_volume_disk_extents(buf: &[u8]) -> Result<Vec<u32>, String> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(buf.get(at..at + 4)?.try_into().ok()?))
    };
    let count = u32_at(0).ok_or("VOLUME_DISK_EXTENTS shorter than its header")? as usize;
    if count == 0 {
        return Err("the volume reports no disk extent".into());
    }
    let needed = EXTENTS_HEADER + count * EXTENT_SIZE;
    if buf.len() < needed {
        return Err(format!(
            "VOLUME_DISK_EXTENTS of {} bytes is too short for {count} extents",
            buf.len()
        ));
    }
    let mut disks: Vec<u32> = (0..count)
        .filter_map(|i| u32_at(EXTENTS_HEADER + i * EXTENT_SIZE))
        .collect();
    disks.sort_unstable();
    disks.dedup();
    Ok(disks)
}

/// The identity khien gives a physical disk (compared between a backup and its data).
pub fn disk_identity(number: u32) -> String {
    format!(r"\\.\PhysicalDrive{number}")
}

/// For a network path (`\\server\share\...`, also `\\?\UNC\server\share\...`), the
/// share as its identity (lower case: Windows compares server and share names
/// without case). `None` for local paths, including `\\?\C:\...` and `\\.\` device paths.
pub fn network_share_identity(path: &str) -> Option<String> {
    let rest = if let Some(r) = path
        .strip_prefix(r"\\?\UNC\")
        .or_else(|| path.strip_prefix(r"\\?\unc\"))
    {
        r
    } else if path.starts_with(r"\\?\") || path.starts_with(r"\\.\") {
        return None;
    } else {
        path.strip_prefix(r"\\")
            .or_else(|| path.strip_prefix("//"))?
    };
    let mut parts = rest.split(['\\', '/']).filter(|p| !p.is_empty());
    let server = parts.next()?;
    let share = parts.next()?;
    Some(format!(r"share:\\{}\{}", server, share).to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer laid out as winioctl.h documents `VOLUME_DISK_EXTENTS` (constructed).
    fn extents(disks: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; EXTENTS_HEADER + disks.len() * EXTENT_SIZE];
        b[0..4].copy_from_slice(&(disks.len() as u32).to_le_bytes());
        for (i, d) in disks.iter().enumerate() {
            let at = EXTENTS_HEADER + i * EXTENT_SIZE;
            b[at..at + 4].copy_from_slice(&d.to_le_bytes());
            // StartingOffset 1 MiB, ExtentLength 100 GiB: not read, but present.
            b[at + 8..at + 16].copy_from_slice(&(1u64 << 20).to_le_bytes());
            b[at + 16..at + 24].copy_from_slice(&(100u64 << 30).to_le_bytes());
        }
        b
    }

    #[test]
    fn one_partition_is_one_disk() {
        assert_eq!(parse_volume_disk_extents(&extents(&[1])).unwrap(), vec![1]);
        assert_eq!(disk_identity(1), r"\\.\PhysicalDrive1");
    }

    #[test]
    fn a_volume_spanning_disks_names_each_disk_once() {
        assert_eq!(
            parse_volume_disk_extents(&extents(&[2, 0, 2])).unwrap(),
            vec![0, 2]
        );
    }

    #[test]
    fn short_or_empty_buffers_are_errors() {
        assert!(parse_volume_disk_extents(&[1, 0]).is_err());
        assert!(parse_volume_disk_extents(&extents(&[])).is_err());
        let mut cut = extents(&[0, 1]);
        cut.truncate(EXTENTS_HEADER + EXTENT_SIZE);
        let e = parse_volume_disk_extents(&cut).unwrap_err();
        assert!(e.contains("too short for 2 extents"), "{e}");
    }

    #[test]
    fn network_paths_are_identified_by_their_share() {
        assert_eq!(
            network_share_identity(r"\\NAS01\Backup\ketoan"),
            Some(r"share:\\nas01\backup".into())
        );
        assert_eq!(
            network_share_identity(r"\\?\UNC\nas01\backup\x"),
            Some(r"share:\\nas01\backup".into())
        );
        assert_eq!(network_share_identity(r"C:\Data"), None);
        assert_eq!(network_share_identity(r"\\?\C:\Data"), None);
        assert_eq!(network_share_identity(r"\\.\PhysicalDrive0"), None);
        assert_eq!(network_share_identity(r"\\server"), None);
    }
}
