//! Network shares of this host, and who can read them: Samba (`smb.conf`) and NFS
//! (`/etc/exports`) on Linux; on Windows the folder shares read in-process
//! (`NetShareEnum` level 502, so Windows 7 too) with their share permissions and the
//! NTFS permissions of the shared folder, judged together (the more restrictive
//! wins) by [`judge_windows_shares`].

use serde::{Deserialize, Serialize};

use crate::facts::pdata::Share;
use crate::facts::{Fact, ReasonCode, Unknown};

/// Where Samba and NFS keep their configuration on Debian, Ubuntu and most others.
pub const SMB_CONF: &str = "/etc/samba/smb.conf";
pub const NFS_EXPORTS: &str = "/etc/exports";

/// The shares of this host.
pub fn local_shares() -> Fact<Vec<Share>> {
    if cfg!(windows) {
        return windows_shares();
    }
    let mut shares = Vec::new();
    match std::fs::read_to_string(SMB_CONF) {
        Ok(text) => shares.extend(parse_smb_conf(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Fact::unknown(ReasonCode::Error, format!("{SMB_CONF}: {e}")),
    }
    match std::fs::read_to_string(NFS_EXPORTS) {
        Ok(text) => shares.extend(parse_exports(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Fact::unknown(ReasonCode::Error, format!("{NFS_EXPORTS}: {e}")),
    }
    Fact::known(shares)
}

/// `share` as facts and reports show it: every run of 9 or more digits in its name,
/// path and access list masked (a folder named after a citizen ID is shared as it
/// is named), the same way as file paths and contents.
pub fn masked(share: Share) -> Share {
    use super::detect::redact_numbers;
    Share {
        name: redact_numbers(&share.name),
        path: redact_numbers(&share.path),
        access: share.access.iter().map(|a| redact_numbers(a)).collect(),
        ..share
    }
}

fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1" | "on")
}

/// Samba shares with a path (printers and `[homes]` left out: home folders are
/// private to each user). `include =` lines are not followed.
pub fn parse_smb_conf(text: &str) -> Vec<Share> {
    struct Section {
        name: String,
        params: Vec<(String, String)>,
    }
    let mut sections: Vec<Section> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push(Section {
                name: name.trim().to_string(),
                params: Vec::new(),
            });
        } else if let (Some(section), Some((k, v))) = (sections.last_mut(), line.split_once('=')) {
            // Samba ignores spaces and case in parameter names.
            let key: String = k
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            section.params.push((key, v.trim().to_string()));
        }
    }
    let global = |key: &str| {
        sections
            .iter()
            .filter(|s| s.name.eq_ignore_ascii_case("global"))
            .flat_map(|s| &s.params)
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let global_guest = global("guestok").or_else(|| global("public"));
    let global_valid_users = global("validusers");
    sections
        .iter()
        .filter(|s| {
            !["global", "homes", "printers", "print$"]
                .iter()
                .any(|n| s.name.eq_ignore_ascii_case(n))
        })
        .filter_map(|s| {
            let get = |key: &str| {
                s.params
                    .iter()
                    .rev()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            };
            if get("printable")
                .or_else(|| get("printok"))
                .is_some_and(|v| truthy(&v))
            {
                return None;
            }
            if get("available").is_some_and(|v| !truthy(&v)) {
                return None;
            }
            let path = get("path")?;
            let guest = get("guestok")
                .or_else(|| get("public"))
                .or_else(|| global_guest.clone())
                .is_some_and(|v| truthy(&v));
            let guest_only = get("guestonly")
                .or_else(|| get("onlyguest"))
                .is_some_and(|v| truthy(&v));
            let valid_users = get("validusers").or_else(|| global_valid_users.clone());
            let mut access = Vec::new();
            if guest || guest_only {
                access.push("guest ok = yes".to_string());
            }
            if let Some(v) = &valid_users {
                access.push(format!("valid users = {v}"));
            }
            if access.is_empty() {
                access.push("every Samba account".to_string());
            }
            Some(Share {
                name: s.name.clone(),
                protocol: "smb".into(),
                path,
                open_to_everyone: Fact::known(guest || guest_only),
                readable_by_all_users: Fact::known(guest || guest_only || valid_users.is_none()),
                access,
            })
        })
        .collect()
}

/// NFS exports: `path client(options) ...`; a path with no client, or a client of
/// `*` or `0.0.0.0/0`, is exported to every host.
pub fn parse_exports(text: &str) -> Vec<Share> {
    let mut out = Vec::new();
    let mut logical = String::new();
    for raw in text.lines() {
        let line = raw.split('#').next().unwrap_or("");
        if let Some(cont) = line.trim_end().strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let entry = std::mem::take(&mut logical);
        let mut words = entry.split_whitespace();
        let Some(path) = words.next() else { continue };
        let path = path.trim_matches('"').to_string();
        let clients: Vec<String> = words.map(str::to_string).collect();
        let to_everyone = clients.is_empty()
            || clients.iter().any(|c| {
                let host = c.split('(').next().unwrap_or("");
                host.is_empty() || host == "*" || host == "0.0.0.0/0" || host == "::/0"
            });
        out.push(Share {
            name: path.clone(),
            protocol: "nfs".into(),
            path,
            open_to_everyone: Fact::known(to_everyone),
            readable_by_all_users: Fact::known(true),
            access: if clients.is_empty() {
                vec!["*".into()]
            } else {
                clients
            },
        });
    }
    out
}

/// One Windows share as the Win32 calls read it (`NetShareEnum` level 502 and the
/// shared folder's DACL through `GetNamedSecurityInfoW`): a plain record, the same
/// on every platform, so that [`judge_windows_shares`] is tested on Linux from
/// fixtures. `khien.exe scan host --raw-out` does not include it yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowsShareRecord {
    pub name: String,
    pub path: String,
    /// `shi502_type`: 0 a folder (`STYPE_DISKTREE`), 1 a printer, 3 IPC; the bit
    /// `0x80000000` (`STYPE_SPECIAL`) marks the admin shares (`C$`, `ADMIN$`).
    pub share_type: u32,
    /// The share permissions: the DACL of the share's security descriptor; `null`
    /// for no DACL (or no descriptor), which Windows treats as full access for
    /// everyone; or why it could not be read.
    pub share_acl: Result<Option<Vec<Ace>>, Unknown>,
    /// The NTFS permissions of the shared folder itself, in the same form.
    pub folder_acl: Result<Option<Vec<Ace>>, Unknown>,
}

/// One access control entry, as the `ACE_HEADER` and the mask give it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ace {
    /// `AceType`: 0 allowed, 1 denied, 9 allowed-callback, 10 denied-callback.
    pub ace_type: u8,
    /// `AceFlags`: `0x08` (`INHERIT_ONLY_ACE`) means it does not apply to the
    /// folder itself, only to what is created under it.
    pub flags: u8,
    pub mask: u32,
    /// The trustee's SID in string form (`S-1-1-0`): names are localised, SIDs not.
    pub sid: String,
}

const STYPE_SPECIAL: u32 = 0x8000_0000;
const INHERIT_ONLY_ACE: u8 = 0x08;
/// `FILE_READ_DATA` / `FILE_LIST_DIRECTORY`, `GENERIC_ALL`, `GENERIC_READ`: the
/// rights that let a trustee read files (share masks use the same bits).
const READ_BITS: u32 = 0x0000_0001 | 0x1000_0000 | 0x8000_0000;

/// Everyone, Anonymous Logon, BUILTIN\Guests, or a Guest account (RID 501).
fn is_open_sid(sid: &str) -> bool {
    matches!(sid, "S-1-1-0" | "S-1-5-7" | "S-1-5-32-546")
        || (sid.starts_with("S-1-5-21-") && sid.ends_with("-501"))
}

/// Authenticated Users, BUILTIN\Users, or Domain Users (RID 513).
fn is_all_users_sid(sid: &str) -> bool {
    matches!(sid, "S-1-5-11" | "S-1-5-32-545")
        || (sid.starts_with("S-1-5-21-") && sid.ends_with("-513"))
}

/// NETWORK: every user who comes in through a share carries it.
const NETWORK_SID: &str = "S-1-5-2";

/// Whether a guest or anonymous user coming over the network carries `sid`.
fn in_guest_token(sid: &str) -> bool {
    is_open_sid(sid) || sid == NETWORK_SID
}

/// Whether an ordinary account coming over the network carries `sid` (it is a
/// member of Everyone, Authenticated Users, Users, Domain Users and NETWORK, not of
/// any particular group).
fn in_user_token(sid: &str) -> bool {
    sid == "S-1-1-0" || is_all_users_sid(sid) || sid == NETWORK_SID
}

/// Names of the well-known SIDs, for the evidence (the SID decides, not the name).
fn sid_name(sid: &str) -> &str {
    match sid {
        "S-1-1-0" => "Everyone",
        "S-1-5-7" => "ANONYMOUS LOGON",
        "S-1-5-2" => "NETWORK",
        "S-1-5-11" => "Authenticated Users",
        "S-1-5-18" => "SYSTEM",
        "S-1-3-0" => "CREATOR OWNER",
        "S-1-5-32-544" => "Administrators",
        "S-1-5-32-545" => "Users",
        "S-1-5-32-546" => "Guests",
        s if s.starts_with("S-1-5-21-") && s.ends_with("-501") => "Guest",
        s if s.starts_with("S-1-5-21-") && s.ends_with("-513") => "Domain Users",
        s => s,
    }
}

/// Whether the DACL lets a user carrying the SIDs `member` says read the folder,
/// as Windows decides it: the entries in order, inherit-only ones skipped, the first
/// one naming such a SID with a read right decides (denied or allowed); none means
/// denied. No DACL means full access for everyone. A denied-callback entry
/// (conditional) is not taken to deny, an allowed-callback one is taken to allow:
/// an entry that may or may not apply never makes a share look closed.
fn dacl_grants_read(dacl: Option<&[Ace]>, member: fn(&str) -> bool) -> bool {
    let Some(aces) = dacl else { return true };
    for ace in aces {
        if ace.flags & INHERIT_ONLY_ACE != 0 || ace.mask & READ_BITS == 0 || !member(&ace.sid) {
            continue;
        }
        match ace.ace_type {
            0 | 9 => return true,
            1 => return false,
            _ => {}
        }
    }
    false
}

/// The two access checks a network user passes, share permission then NTFS
/// permission: the effective access is the more restrictive of both. A side that
/// could not be read leaves the answer unknown unless the other side already
/// refuses.
fn both_grant(
    share: &Result<Option<Vec<Ace>>, Unknown>,
    folder: &Result<Option<Vec<Ace>>, Unknown>,
    member: fn(&str) -> bool,
) -> Fact<bool> {
    fn side(
        acl: &Result<Option<Vec<Ace>>, Unknown>,
        member: fn(&str) -> bool,
    ) -> Result<bool, &Unknown> {
        acl.as_ref().map(|d| dacl_grants_read(d.as_deref(), member))
    }
    match (side(share, member), side(folder, member)) {
        (Ok(s), Ok(f)) => Fact::known(s && f),
        (Ok(false), Err(_)) | (Err(_), Ok(false)) => Fact::known(false),
        (Err(e), _) | (_, Err(e)) => Fact::from_unknown(e.clone()),
    }
}

/// Share permission names (the masks the Advanced Sharing dialog writes) and NTFS
/// permission names (the masks of the Security tab's basic permissions).
fn rights(mask: u32, ntfs: bool) -> String {
    match (mask, ntfs) {
        (0x001F_01FF | 0x1000_0000, _) => "Full".into(),
        (0x0013_01BF, false) => "Change".into(),
        (0x0013_01BF, true) => "Modify".into(),
        (0x0012_00A9, false) => "Read".into(),
        (0x0012_00A9, true) => "Read & execute".into(),
        (0x0012_0089, _) => "Read".into(),
        (0x0010_0116, true) => "Write".into(),
        (m, _) => format!("0x{m:08X}"),
    }
}

fn describe(what: &str, acl: &Result<Option<Vec<Ace>>, Unknown>, ntfs: bool) -> Vec<String> {
    match acl {
        Err(e) => vec![format!("{what}: not readable ({})", e.detail)],
        Ok(None) => vec![format!("{what}: no DACL (everyone: Full)")],
        Ok(Some(aces)) => aces
            .iter()
            .filter(|a| a.flags & INHERIT_ONLY_ACE == 0 && matches!(a.ace_type, 0 | 1 | 9 | 10))
            .map(|a| {
                format!(
                    "{what}: {} {} {}",
                    sid_name(&a.sid),
                    if matches!(a.ace_type, 0 | 9) {
                        "Allow"
                    } else {
                        "Deny"
                    },
                    rights(a.mask, ntfs)
                )
            })
            .collect(),
    }
}

/// The folder shares of a Windows machine with who can read them through the
/// network: open to everyone when a guest or anonymous user passes both the share
/// and the NTFS check, readable by all users when an ordinary account does. Admin
/// shares (`STYPE_SPECIAL`, a name ending in `$`), printers and IPC are left out.
/// Only the shared folder's own DACL is read: a subfolder or file with its own,
/// more open permissions is judged by the folder's.
pub fn judge_windows_shares(records: &[WindowsShareRecord]) -> Vec<Share> {
    records
        .iter()
        .filter(|r| {
            r.share_type & STYPE_SPECIAL == 0
                && r.share_type & 0xFF == 0
                && !r.name.ends_with('$')
                && !r.path.is_empty()
        })
        .map(|r| {
            let open = both_grant(&r.share_acl, &r.folder_acl, in_guest_token);
            let users = both_grant(&r.share_acl, &r.folder_acl, in_user_token);
            let readable_by_all_users = match (&open, &users) {
                (Fact::Known(true), _) => Fact::known(true),
                (Fact::Known(false), u) => u.clone(),
                (Fact::Unknown(_), Fact::Known(true)) => Fact::known(true),
                (o, _) => o.clone(),
            };
            let mut access = describe("share", &r.share_acl, false);
            access.extend(describe("NTFS", &r.folder_acl, true));
            Share {
                name: r.name.clone(),
                protocol: "smb".into(),
                path: r.path.clone(),
                open_to_everyone: open,
                readable_by_all_users,
                access,
            }
        })
        .collect()
}

/// The shares of this Windows machine, read in-process (Windows 7 and later).
#[cfg(windows)]
fn windows_shares() -> Fact<Vec<Share>> {
    match crate::collect::host::platform::share_records() {
        Ok(records) => Fact::known(judge_windows_shares(&records)),
        Err(e) => Fact::from_unknown(e),
    }
}

#[cfg(not(windows))]
fn windows_shares() -> Fact<Vec<Share>> {
    Fact::unknown(ReasonCode::Unsupported, "Windows shares")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samba_guest_and_restricted_shares() {
        let conf = "\
[global]
   workgroup = TRUONG
   map to guest = Bad User
[homes]
   browseable = no
[HocSinh]
   path = /srv/hocsinh
   guest ok = yes
   read only = yes
[GiaoVien]
   path = /srv/giaovien
   Valid Users = @giaovien
[chung]
   path = /srv/chung
[printers]
   path = /var/spool/samba
   printable = yes
";
        let shares = parse_smb_conf(conf);
        assert_eq!(shares.len(), 3, "{shares:?}");
        let flags = |s: &Share| {
            (
                s.open_to_everyone.value().copied(),
                s.readable_by_all_users.value().copied(),
            )
        };
        assert_eq!(flags(&shares[0]), (Some(true), Some(true)));
        assert_eq!(shares[0].path, "/srv/hocsinh");
        assert_eq!(flags(&shares[1]), (Some(false), Some(false)));
        assert_eq!(shares[1].access, vec!["valid users = @giaovien"]);
        assert_eq!(flags(&shares[2]), (Some(false), Some(true)));
    }

    fn win7_records() -> Vec<WindowsShareRecord> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/pdata/windows/win7-shares.json");
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        serde_json::from_value(doc["shares"].clone()).unwrap()
    }

    /// The constructed Windows 7 records: share and NTFS permissions together.
    #[test]
    fn windows_7_shares_are_judged_by_share_and_ntfs_permissions() {
        let shares = judge_windows_shares(&win7_records());
        let names: Vec<&str> = shares.iter().map(|s| s.name.as_str()).collect();
        // Admin shares, IPC and the printer are left out.
        assert_eq!(
            names,
            vec![
                "DuLieuChung",
                "HoSoHocSinh",
                "GiaoVien",
                "KeToan",
                "Anh",
                "Rieng"
            ]
        );
        let get = |n: &str| shares.iter().find(|s| s.name == n).unwrap();
        let open = |n: &str| get(n).open_to_everyone.value().copied();
        let users = |n: &str| get(n).readable_by_all_users.value().copied();
        // Everyone at both levels.
        assert_eq!(
            (open("DuLieuChung"), users("DuLieuChung")),
            (Some(true), Some(true))
        );
        // Everyone: Full at the share, but NTFS lets one account in: closed.
        assert_eq!(
            (open("HoSoHocSinh"), users("HoSoHocSinh")),
            (Some(false), Some(false))
        );
        // Authenticated Users at the share, Users in NTFS: every account, no guest.
        assert_eq!(
            (open("GiaoVien"), users("GiaoVien")),
            (Some(false), Some(true))
        );
        // Everyone denied at the share.
        assert_eq!(
            (open("KeToan"), users("KeToan")),
            (Some(false), Some(false))
        );
        // NTFS unreadable: unknown with the reason, never a pass...
        let why = get("Anh").open_to_everyone.unknown_reason().unwrap();
        assert_eq!(why.reason, ReasonCode::NeedsAdmin);
        assert!(users("Anh").is_none());
        // ...unless the share level already refuses.
        assert_eq!((open("Rieng"), users("Rieng")), (Some(false), Some(false)));
        assert!(
            get("HoSoHocSinh")
                .access
                .contains(&"share: Everyone Allow Full".to_string()),
            "{:?}",
            get("HoSoHocSinh").access
        );
        // The inherit-only CREATOR OWNER entry does not apply to the folder.
        assert!(
            !get("HoSoHocSinh")
                .access
                .iter()
                .any(|a| a.contains("CREATOR"))
        );
    }

    #[test]
    fn dacl_order_and_inheritance_decide() {
        let ace = |ace_type, flags, mask, sid: &str| Ace {
            ace_type,
            flags,
            mask,
            sid: sid.into(),
        };
        // No DACL: everyone.
        assert!(dacl_grants_read(None, in_guest_token));
        // An empty DACL: nobody.
        assert!(!dacl_grants_read(Some(&[]), in_user_token));
        // An allow before a deny wins (Windows reads in order).
        let aces = [
            ace(0, 0, 0x1200A9, "S-1-1-0"),
            ace(1, 0, 0x1F01FF, "S-1-1-0"),
        ];
        assert!(dacl_grants_read(Some(&aces), in_guest_token));
        // A deny of writing only does not stop reading.
        let aces = [
            ace(1, 0, 0x0000_0002, "S-1-1-0"),
            ace(0, 0, 0x1200A9, "S-1-1-0"),
        ];
        assert!(dacl_grants_read(Some(&aces), in_guest_token));
        // Inherit-only entries do not apply; GENERIC_READ reads.
        let aces = [ace(0, 0x08, 0x1F01FF, "S-1-1-0")];
        assert!(!dacl_grants_read(Some(&aces), in_guest_token));
        let aces = [ace(0, 0, 0x8000_0000, "S-1-5-2")];
        assert!(dacl_grants_read(Some(&aces), in_user_token));
        // Users is no guest; a local account named like a group counts by its SID.
        let aces = [ace(0, 0, 0x1200A9, "S-1-5-32-545")];
        assert!(!dacl_grants_read(Some(&aces), in_guest_token));
        assert!(dacl_grants_read(Some(&aces), in_user_token));
        let aces = [ace(0, 0, 0x1F01FF, "S-1-5-21-1-2-3-1003")];
        assert!(!dacl_grants_read(Some(&aces), in_user_token));
        // A conditional deny is not trusted to close a folder.
        let aces = [
            ace(10, 0, 0x1F01FF, "S-1-1-0"),
            ace(0, 0, 0x1200A9, "S-1-1-0"),
        ];
        assert!(dacl_grants_read(Some(&aces), in_guest_token));
    }

    #[test]
    fn nfs_exports_to_everyone_and_to_a_subnet() {
        let exports = "\
# comment
/srv/nfs/public  *(ro,sync)
/srv/nfs/staff   192.168.1.0/24(rw) \\
                 10.0.0.5(ro)
/srv/nfs/bare
";
        let shares = parse_exports(exports);
        assert_eq!(shares.len(), 3, "{shares:?}");
        assert_eq!(shares[0].open_to_everyone.value(), Some(&true));
        assert_eq!(shares[1].open_to_everyone.value(), Some(&false));
        assert_eq!(shares[1].access.len(), 2);
        assert_eq!(shares[2].open_to_everyone.value(), Some(&true));
    }

    #[test]
    fn share_names_paths_and_access_are_masked() {
        let conf =
            "[hoso_068090001234]\npath = /srv/hoso/068090001234\nvalid users = 079123456789\n";
        let shares: Vec<Share> = parse_smb_conf(conf).into_iter().map(masked).collect();
        let text = serde_json::to_string(&shares).unwrap();
        assert!(
            !text.contains("068090001234") && !text.contains("079123456789"),
            "{text}"
        );
        assert_eq!(shares[0].name, "hoso_068******234");
        assert_eq!(shares[0].path, "/srv/hoso/068******234");
        assert_eq!(shares[0].access, ["valid users = 079******789"]);
        // Short names and paths without an ID-like run stay as they are.
        let plain: Vec<Share> = parse_smb_conf("[DuLieuChung]\npath = /srv/chung\n")
            .into_iter()
            .map(masked)
            .collect();
        assert_eq!(plain[0].name, "DuLieuChung");
        assert_eq!(plain[0].path, "/srv/chung");
    }
}
