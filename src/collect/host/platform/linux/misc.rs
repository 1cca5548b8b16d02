//! Smaller Linux readings: Samba's SMBv1 (H09), the desktop screen lock from the
//! system dconf database (H13) and LUKS under mounted volumes (H14).

use std::path::{Path, PathBuf};

use crate::facts::host::{ScreenLockFacts, VolumeEncryption};
use crate::facts::{Fact, ReasonCode};

/// Whether Samba accepts SMBv1: `server min protocol` (alias `min protocol`) at
/// `NT1` or below. Samba 4.11 and later default to SMB2_02.
pub fn samba_smb1(smb_conf: &str) -> bool {
    smb_conf
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with(';'))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| {
            let k = k.trim().to_ascii_lowercase();
            k == "server min protocol" || k == "min protocol"
        })
        .any(|(_, v)| {
            matches!(
                v.trim().to_ascii_uppercase().as_str(),
                "NT1" | "LANMAN1" | "LANMAN2" | "CORE" | "COREPLUS"
            )
        })
}

pub fn smb1() -> Fact<bool> {
    match std::fs::read_to_string("/etc/samba/smb.conf") {
        Ok(t) => Fact::known(samba_smb1(&t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Fact::known(false),
        Err(e) => Fact::unknown(ReasonCode::Error, format!("/etc/samba/smb.conf: {e}")),
    }
}

/// Processes that show a graphical session runs.
const DESKTOP_PROCESSES: &[&str] = &[
    "gnome-shell",
    "Xorg",
    "Xwayland",
    "plasmashell",
    "xfce4-session",
    "cinnamon",
    "mate-session",
    "lxsession",
];

/// The GNOME lock settings from dconf keyfiles (/etc/dconf/db/*.d/*): `idle-delay`
/// under `[org/gnome/desktop/session]` and `lock-enabled` under
/// `[org/gnome/desktop/screensaver]`. Returns (idle seconds, lock enabled).
pub fn dconf_lock(keyfiles: &str) -> (Option<u64>, Option<bool>) {
    let mut section = String::new();
    let (mut idle, mut lock) = (None, None);
    for line in keyfiles.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.to_string();
        } else if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            match (section.as_str(), k.trim()) {
                ("org/gnome/desktop/session", "idle-delay") => {
                    idle = v.trim_start_matches("uint32").trim().parse().ok();
                }
                ("org/gnome/desktop/screensaver", "lock-enabled") => {
                    lock = v.parse().ok();
                }
                _ => {}
            }
        }
    }
    (idle, lock)
}

pub fn screen_lock(processes: &Fact<Vec<String>>) -> ScreenLockFacts {
    let desktop = processes
        .clone()
        .map(|ps| ps.iter().any(|p| DESKTOP_PROCESSES.contains(&p.as_str())));
    let mut text = String::new();
    if let Ok(dbs) = std::fs::read_dir("/etc/dconf/db") {
        let mut dirs: Vec<PathBuf> = dbs
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            if let Ok(files) = std::fs::read_dir(&d) {
                for f in files.flatten() {
                    text.push_str(&std::fs::read_to_string(f.path()).unwrap_or_default());
                    text.push('\n');
                }
            }
        }
    }
    let (idle, lock) = dconf_lock(&text);
    let why =
        "not set in the system dconf database (/etc/dconf/db); per-user settings are not read";
    ScreenLockFacts {
        desktop,
        timeout_seconds: idle.map_or_else(
            || Fact::unknown(ReasonCode::NotConfigured, why),
            Fact::known,
        ),
        password_required: lock.map_or_else(
            || Fact::unknown(ReasonCode::NotConfigured, why),
            Fact::known,
        ),
        source: "dconf".into(),
    }
}

/// Real block-device mounts from /proc/mounts: (device, mount point).
pub fn block_mounts(mounts: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for l in mounts.lines() {
        let mut f = l.split_whitespace();
        let (Some(dev), Some(mnt)) = (f.next(), f.next()) else {
            continue;
        };
        if !dev.starts_with("/dev/") || dev.starts_with("/dev/loop") || mnt.starts_with("/snap/") {
            continue;
        }
        let mnt = mnt.replace("\\040", " ");
        if !out.iter().any(|(d, _)| d == dev) {
            out.push((dev.to_string(), mnt));
        }
    }
    out
}

/// Whether the device at `sys` (a /sys/class/block entry) or anything under it is
/// a dm-crypt mapping (`dm/uuid` starting with `CRYPT-`).
fn crypt_below(sys: &Path, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    if std::fs::read_to_string(sys.join("dm/uuid")).is_ok_and(|u| u.starts_with("CRYPT-")) {
        return true;
    }
    std::fs::read_dir(sys.join("slaves")).is_ok_and(|d| {
        d.flatten()
            .any(|e| std::fs::canonicalize(e.path()).is_ok_and(|p| crypt_below(&p, depth + 1)))
    })
}

pub fn volumes() -> Fact<Vec<VolumeEncryption>> {
    let mounts = match std::fs::read_to_string("/proc/mounts") {
        Ok(m) => m,
        Err(e) => return Fact::unknown(ReasonCode::Error, format!("/proc/mounts: {e}")),
    };
    let list = block_mounts(&mounts)
        .into_iter()
        .filter(|(_, mnt)| !mnt.starts_with("/boot"))
        .map(|(dev, mnt)| {
            let encrypted = match std::fs::canonicalize(&dev) {
                Ok(real) => {
                    let name = real
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let sys = PathBuf::from("/sys/class/block").join(&name);
                    match std::fs::canonicalize(&sys) {
                        Ok(s) => Fact::known(crypt_below(&s, 0)),
                        Err(e) => {
                            Fact::unknown(ReasonCode::Error, format!("{}: {e}", sys.display()))
                        }
                    }
                }
                Err(e) => Fact::unknown(ReasonCode::Error, format!("{dev}: {e}")),
            };
            let method = if encrypted.value() == Some(&true) {
                "luks"
            } else {
                ""
            };
            VolumeEncryption {
                mount_point: mnt,
                encrypted,
                method: method.into(),
            }
        })
        .collect();
    Fact::known(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samba_protocols() {
        assert!(!samba_smb1("[global]\n   workgroup = TRUONG\n"));
        assert!(samba_smb1("[global]\n server min protocol = NT1\n"));
        assert!(samba_smb1("[global]\nmin protocol=LANMAN1\n"));
        assert!(!samba_smb1(
            "[global]\n; server min protocol = NT1\nserver min protocol = SMB2_10\n"
        ));
    }

    #[test]
    fn dconf_keyfile() {
        let k = "[org/gnome/desktop/session]\nidle-delay=uint32 600\n\n[org/gnome/desktop/screensaver]\nlock-enabled=true\nlock-delay=uint32 0\n";
        assert_eq!(dconf_lock(k), (Some(600), Some(true)));
        assert_eq!(dconf_lock(""), (None, None));
    }

    #[test]
    fn mounts_keep_block_devices_once() {
        let m = "proc /proc proc rw 0 0\n/dev/mapper/vg-root / ext4 rw 0 0\n/dev/sda1 /boot ext2 rw 0 0\n/dev/mapper/vg-root /var/lib/docker ext4 rw 0 0\n/dev/sdb1 /mnt/Sao\\040Luu ext4 rw 0 0\n/dev/loop3 /snap/core/1 squashfs ro 0 0\n";
        let v = block_mounts(m);
        assert_eq!(
            v,
            vec![
                ("/dev/mapper/vg-root".to_string(), "/".to_string()),
                ("/dev/sda1".into(), "/boot".into()),
                ("/dev/sdb1".into(), "/mnt/Sao Luu".into()),
            ]
        );
    }
}
