//! Linux: facts from /proc and /sys, read directly (no external commands).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::collect::host::lifecycle;
use crate::collect::host::posture::Posture;
use crate::facts::host::{
    AntivirusProduct, AvManagementFacts, EncryptionFacts, LegacyFacts, ListeningPort, RdpFacts,
    RemoteAccessFacts,
};
use crate::facts::{Fact, ReasonCode, Unknown};

mod accounts;
mod firewall;
mod misc;
mod sshd;
mod timesync;
mod updates;

/// The configuration facts (issue 3), read from files under /etc, /var and /sys;
/// a few need root (/etc/shadow, the nftables ruleset, `sshd -T`).
pub fn posture(processes: &Fact<Vec<String>>, listening: &Fact<Vec<ListeningPort>>) -> Posture {
    let root = elevated().value() == Some(&true);
    let os_release = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .ok();
    let mdatp = Path::new("/opt/microsoft/mdatp").exists();
    Posture {
        lifecycle: lifecycle::linux(os_release.as_deref()),
        updates: updates::collect(),
        firewall: firewall::collect(processes, root),
        accounts: accounts::collect(),
        password_policy: accounts::collect_password_policy(),
        remote_access: RemoteAccessFacts {
            // xrdp is the RDP server found on Linux; NLA does not apply to it.
            rdp: RdpFacts {
                enabled: listening
                    .clone()
                    .map(|ports| ports.iter().any(|p| p.port == 3389)),
                nla_required: Fact::unknown(ReasonCode::Unsupported, "no NLA on Linux"),
                port: Fact::known(3389),
            },
            ssh: sshd::collect(root),
        },
        legacy: LegacyFacts {
            smb1_enabled: misc::smb1(),
            autorun_disabled: Fact::unknown(
                ReasonCode::Unsupported,
                "AutoRun is a Windows feature",
            ),
        },
        screen_lock: misc::screen_lock(processes),
        encryption: EncryptionFacts {
            volumes: misc::volumes(),
            hint: String::new(),
        },
        management: AvManagementFacts {
            defender_for_endpoint_onboarded: if mdatp {
                Fact::unknown(
                    ReasonCode::Unsupported,
                    "mdatp is installed; its onboarding state is not read yet",
                )
            } else {
                Fact::known(false)
            },
            defender_policy_managed: Fact::known(false),
        },
        time_sync: timesync::collect(processes),
        discovered_backups: crate::collect::host::backup_discovery::linux(
            Path::new("/"),
            processes,
        ),
    }
}

/// Nothing to read ahead here: facts are read from files as they are needed.
pub fn prepare(_query_timeout: std::time::Duration) {}

/// Whether khien runs as root (effective UID 0), from /proc/self/status.
pub fn elevated() -> Fact<bool> {
    let status = match std::fs::read_to_string("/proc/self/status") {
        Ok(s) => s,
        Err(e) => return Fact::unknown(ReasonCode::Error, format!("/proc/self/status: {e}")),
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|euid| euid.parse::<u32>().ok())
        .map_or_else(
            || Fact::unknown(ReasonCode::Unparsable, "no Uid line in /proc/self/status"),
            |euid| Fact::known(euid == 0),
        )
}

/// Raw readings are kept only on Windows (Linux facts come from files a test can
/// copy as they are).
pub fn raw_readings() -> Option<serde_json::Value> {
    None
}

/// Whether we run inside a container: the marker files Docker and Podman create, or a
/// container runtime named in PID 1's environment or cgroup.
pub fn container() -> Fact<bool> {
    if Path::new("/.dockerenv").exists() || Path::new("/run/.containerenv").exists() {
        return Fact::known(true);
    }
    match std::fs::read_to_string("/proc/1/cgroup") {
        Ok(cgroup) => Fact::known(is_container_cgroup(&cgroup)),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Fact::unknown(ReasonCode::NeedsAdmin, format!("/proc/1/cgroup: {e}"))
        }
        Err(_) => Fact::known(false),
    }
}

fn is_container_cgroup(cgroup: &str) -> bool {
    ["docker", "kubepods", "lxc", "libpod", "containerd"]
        .iter()
        .any(|k| cgroup.contains(k))
}

/// Products other than ClamAV (added by the caller): Defender for Endpoint, ESET,
/// Kaspersky, Sophos, found by their install folders and services.
pub fn antivirus_products(processes: &Fact<Vec<String>>) -> Fact<Vec<AntivirusProduct>> {
    let found = crate::collect::host::linux_av::products(Path::new("/"), processes);
    if found.is_empty() {
        // Without the process list an unseen product might still run.
        processes.clone().map(|_| Vec::new())
    } else {
        Fact::known(found)
    }
}

pub fn clamav_binaries_found() -> bool {
    [
        "/usr/bin/clamscan",
        "/usr/sbin/clamd",
        "/usr/bin/freshclam",
        "/usr/local/bin/clamscan",
    ]
    .iter()
    .any(|p| Path::new(p).exists())
}

/// TCP sockets in LISTEN state, from /proc/net/tcp and /proc/net/tcp6.
pub fn listening_ports() -> Fact<Vec<ListeningPort>> {
    let mut out = Vec::new();
    let mut read_any = false;
    for (file, proto) in [("/proc/net/tcp", "tcp"), ("/proc/net/tcp6", "tcp6")] {
        if let Ok(text) = std::fs::read_to_string(file) {
            read_any = true;
            out.extend(parse_proc_net_tcp(&text, proto));
        }
    }
    if !read_any {
        return Fact::unknown(ReasonCode::Unsupported, "/proc/net/tcp is not readable");
    }
    out.sort_by(|a, b| (a.port, &a.address).cmp(&(b.port, &b.address)));
    out.dedup();
    Fact::known(out)
}

/// Parses the kernel's socket table; state `0A` is LISTEN.
pub fn parse_proc_net_tcp(text: &str, proto: &str) -> Vec<ListeningPort> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 4 || cols[3] != "0A" {
                return None;
            }
            let (addr, port) = cols[1].split_once(':')?;
            Some(ListeningPort {
                protocol: proto.to_string(),
                address: decode_addr(addr)?,
                port: u16::from_str_radix(port, 16).ok()?,
            })
        })
        .collect()
}

/// Addresses are hex, 32-bit words in host (little-endian) order.
fn decode_addr(hex: &str) -> Option<String> {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let mut fixed = Vec::with_capacity(bytes.len());
    for word in bytes.chunks(4) {
        fixed.extend(word.iter().rev());
    }
    match fixed.len() {
        4 => Some(std::net::Ipv4Addr::new(fixed[0], fixed[1], fixed[2], fixed[3]).to_string()),
        16 => {
            let arr: [u8; 16] = fixed.try_into().ok()?;
            Some(std::net::Ipv6Addr::from(arr).to_string())
        }
        _ => None,
    }
}

/// The physical disks holding `path` (several for RAID or LVM over many disks),
/// resolved through /sys/dev/block: a partition belongs to its parent disk.
pub fn physical_disks_of(path: &Path) -> Result<Vec<String>, Unknown> {
    let existing = super::existing_ancestor(path).ok_or_else(|| {
        Unknown::new(
            ReasonCode::Error,
            format!("{}: no such path", path.display()),
        )
    })?;
    let meta = std::fs::metadata(&existing).map_err(|e| {
        let reason = if e.kind() == std::io::ErrorKind::PermissionDenied {
            ReasonCode::NeedsAdmin
        } else {
            ReasonCode::Error
        };
        Unknown::new(reason, format!("{}: {e}", existing.display()))
    })?;
    let dev = meta.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let sys = PathBuf::from(format!("/sys/dev/block/{major}:{minor}"));
    match std::fs::canonicalize(&sys) {
        Ok(real) => {
            let mut disks = Vec::new();
            underlying_disks(&real, &mut disks, 0);
            disks.sort();
            disks.dedup();
            Ok(disks)
        }
        // Not a block device (tmpfs, overlay, network file systems): the device number
        // itself is the identity.
        Err(_) => Ok(vec![format!("dev:{major}:{minor}")]),
    }
}

fn underlying_disks(dev: &Path, out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    let slaves = dev.join("slaves");
    if let Ok(entries) = std::fs::read_dir(&slaves) {
        let list: Vec<_> = entries.filter_map(Result::ok).collect();
        if !list.is_empty() {
            for e in list {
                if let Ok(real) = std::fs::canonicalize(e.path()) {
                    underlying_disks(&real, out, depth + 1);
                }
            }
            return;
        }
    }
    let disk = if dev.join("partition").exists() {
        dev.parent().unwrap_or(dev)
    } else {
        dev
    };
    if let Some(name) = disk.file_name() {
        out.push(name.to_string_lossy().into_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listening_sockets() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:9C40 0100007F:0277 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1\n";
        let ports = parse_proc_net_tcp(text, "tcp");
        assert_eq!(ports.len(), 1);
        assert_eq!(ports[0].address, "127.0.0.1");
        assert_eq!(ports[0].port, 631);
        let text6 = "header\n   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0\n";
        let ports = parse_proc_net_tcp(text6, "tcp6");
        assert_eq!(ports[0].address, "::1");
        assert_eq!(ports[0].port, 22);
    }

    #[test]
    fn container_cgroups() {
        assert!(is_container_cgroup("0::/system.slice/docker-3f2a.scope\n"));
        assert!(is_container_cgroup("12:pids:/kubepods/besteffort/pod1\n"));
        assert!(!is_container_cgroup("0::/init.scope\n"));
    }

    #[test]
    fn garbage_lines_are_skipped() {
        assert!(parse_proc_net_tcp("x\n0: zz:zz zz 0A\n\n", "tcp").is_empty());
    }

    #[test]
    fn a_folder_and_its_subfolder_share_a_disk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        let a = physical_disks_of(dir.path()).unwrap();
        let b = physical_disks_of(&dir.path().join("a/not-yet-created")).unwrap();
        assert!(!a.is_empty());
        assert_eq!(a, b);
    }
}
