//! Network shares of this host, and who can read them: Samba (`smb.conf`) and NFS
//! (`/etc/exports`) on Linux; on Windows the SMB shares and their share-level
//! permissions from PowerShell (`Get-SmbShare`, `Get-SmbShareAccess`). NTFS
//! permissions under a share are not read: the share level alone decides.

use crate::facts::pdata::Share;
use crate::facts::{Fact, ReasonCode};

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
                open_to_everyone: guest || guest_only,
                readable_by_all_users: guest || guest_only || valid_users.is_none(),
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
            open_to_everyone: to_everyone,
            readable_by_all_users: true,
            access: if clients.is_empty() {
                vec!["*".into()]
            } else {
                clients
            },
        });
    }
    out
}

/// PowerShell that prints the shares, a line `--`, then their access entries.
/// Each access entry also gets its account's SID: account names are localised (on a
/// Vietnamese Windows, Everyone is "Mọi người"), SIDs are not.
const WINDOWS_SHARES_SCRIPT: &str = "Get-SmbShare | Select-Object Name,Path,Description,Special,ShareType | ConvertTo-Json; '--'; Get-SmbShareAccess -Name * | Select-Object Name,ScopeName,AccountName,@{n='Sid';e={try{(New-Object System.Security.Principal.NTAccount($_.AccountName)).Translate([System.Security.Principal.SecurityIdentifier]).Value}catch{$null}}},AccessControlType,AccessRight | ConvertTo-Json";

fn windows_shares() -> Fact<Vec<Share>> {
    let output = std::process::Command::new("powershell.exe")
        .args([
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            WINDOWS_SHARES_SCRIPT,
        ])
        .output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let reason = if err.contains("Access") {
                ReasonCode::NeedsAdmin
            } else {
                ReasonCode::Error
            };
            return Fact::unknown(reason, format!("Get-SmbShare: {}", err.trim()));
        }
        Err(e) => return Fact::unknown(ReasonCode::Unsupported, format!("powershell.exe: {e}")),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let (shares, access) = text.split_once("\n--").unwrap_or((&text, ""));
    match parse_windows_shares(shares, access.trim_start_matches(['\r', '\n'])) {
        Ok(list) => Fact::known(list),
        Err(e) => Fact::unknown(ReasonCode::Unparsable, e),
    }
}

/// Accounts that mean "anyone, even without an account" (English names, for entries
/// whose SID could not be resolved).
const WINDOWS_OPEN_ACCOUNTS: &[&str] = &["everyone", "anonymous logon", "guest", "guests"];
/// Accounts that mean "any account of the machine or domain".
const WINDOWS_ALL_USER_ACCOUNTS: &[&str] = &["authenticated users", "domain users", "users"];

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

/// Shares from `Get-SmbShare | ConvertTo-Json` and their entries from
/// `Get-SmbShareAccess | ConvertTo-Json` (an object when there is one, an array
/// otherwise; enums as numbers). Admin shares (`Special`, or a name ending in `$`)
/// are left out.
pub fn parse_windows_shares(shares_json: &str, access_json: &str) -> Result<Vec<Share>, String> {
    fn items(json: &str, what: &str) -> Result<Vec<serde_json::Value>, String> {
        if json.trim().is_empty() {
            return Ok(Vec::new());
        }
        match serde_json::from_str(json.trim()) {
            Ok(serde_json::Value::Array(a)) => Ok(a),
            Ok(v @ serde_json::Value::Object(_)) => Ok(vec![v]),
            Ok(_) => Err(format!("{what}: expected JSON objects")),
            Err(e) => Err(format!("{what}: {e}")),
        }
    }
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let access = items(access_json, "Get-SmbShareAccess")?;
    let mut out = Vec::new();
    for share in items(shares_json, "Get-SmbShare")? {
        let name = text(&share, "Name");
        let path = text(&share, "Path");
        if name.ends_with('$') || share["Special"].as_bool() == Some(true) || path.is_empty() {
            continue;
        }
        let mut open = false;
        let mut all_users = false;
        let mut who = Vec::new();
        for entry in access.iter().filter(|a| text(a, "Name") == name) {
            let account = text(entry, "AccountName");
            // 0 or "Allow"; deny entries take nobody in.
            let allow = matches!(entry["AccessControlType"].as_u64(), Some(0))
                || entry["AccessControlType"].as_str() == Some("Allow");
            let right = match entry["AccessRight"].as_u64() {
                Some(0) => "Full",
                Some(1) => "Change",
                Some(2) => "Read",
                Some(_) => "Custom",
                None => entry["AccessRight"].as_str().unwrap_or("?"),
            };
            who.push(format!(
                "{account}: {} {right}",
                if allow { "Allow" } else { "Deny" }
            ));
            if !allow {
                continue;
            }
            let sid = text(entry, "Sid");
            if sid.is_empty() {
                let bare = account
                    .rsplit('\\')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                open |= WINDOWS_OPEN_ACCOUNTS.contains(&bare.as_str());
                all_users |= WINDOWS_ALL_USER_ACCOUNTS.contains(&bare.as_str());
            } else {
                open |= is_open_sid(&sid);
                all_users |= is_all_users_sid(&sid);
            }
        }
        out.push(Share {
            name,
            protocol: "smb".into(),
            path,
            open_to_everyone: open,
            readable_by_all_users: open || all_users,
            access: who,
        });
    }
    Ok(out)
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
        assert!(shares[0].open_to_everyone && shares[0].readable_by_all_users);
        assert_eq!(shares[0].path, "/srv/hocsinh");
        assert!(!shares[1].open_to_everyone && !shares[1].readable_by_all_users);
        assert_eq!(shares[1].access, vec!["valid users = @giaovien"]);
        assert!(!shares[2].open_to_everyone && shares[2].readable_by_all_users);
    }

    #[test]
    fn windows_shares_from_powershell_json() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pdata/windows");
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let shares =
            parse_windows_shares(&read("get-smbshare.json"), &read("get-smbshareaccess.json"))
                .unwrap();
        let names: Vec<&str> = shares.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["DuLieuChung", "GiaoVu", "KeToan"]);
        assert!(shares[0].open_to_everyone && shares[0].readable_by_all_users);
        assert_eq!(shares[0].path, "D:\\DuLieuChung");
        assert!(!shares[1].open_to_everyone && shares[1].readable_by_all_users);
        // Everyone is denied on KeToan: only the named account reads it.
        assert!(!shares[2].open_to_everyone && !shares[2].readable_by_all_users);
        assert_eq!(shares[2].access.len(), 2);
    }

    /// A Vietnamese Windows names the groups in Vietnamese; their SIDs decide.
    #[test]
    fn vietnamese_windows_shares_are_judged_by_sid() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pdata/windows");
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let shares = parse_windows_shares(
            &read("get-smbshare.json"),
            &read("get-smbshareaccess-vi.json"),
        )
        .unwrap();
        let names: Vec<&str> = shares.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["DuLieuChung", "GiaoVu", "KeToan"]);
        // "Mọi người" (S-1-1-0) may read DuLieuChung.
        assert!(shares[0].open_to_everyone, "{:?}", shares[0]);
        // "Người dùng đã xác thực" (S-1-5-11) may change GiaoVu.
        assert!(!shares[1].open_to_everyone && shares[1].readable_by_all_users);
        // A local account named like a group is judged by its SID, not its name.
        assert!(!shares[2].open_to_everyone && !shares[2].readable_by_all_users);
    }

    #[test]
    fn a_single_windows_share_is_an_object() {
        let shares = parse_windows_shares(
            r#"{"Name":"Chung","Path":"E:\\Chung","Special":false}"#,
            r#"{"Name":"Chung","AccountName":"BUILTIN\\Guests","AccessControlType":0,"AccessRight":2}"#,
        )
        .unwrap();
        assert_eq!(shares.len(), 1);
        assert!(shares[0].open_to_everyone);
        assert!(parse_windows_shares("not json", "").is_err());
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
        assert!(shares[0].open_to_everyone);
        assert!(!shares[1].open_to_everyone);
        assert_eq!(shares[1].access.len(), 2);
        assert!(shares[2].open_to_everyone);
    }
}
