//! Network shares of this host, and who can read them: Samba (`smb.conf`) and NFS
//! (`/etc/exports`) on Linux. Windows SMB shares are not enumerated yet and are
//! reported as unknown with that reason, never as "no shares".

use crate::facts::pdata::Share;
use crate::facts::{Fact, ReasonCode};

/// Where Samba and NFS keep their configuration on Debian, Ubuntu and most others.
pub const SMB_CONF: &str = "/etc/samba/smb.conf";
pub const NFS_EXPORTS: &str = "/etc/exports";

/// The shares of this host.
pub fn local_shares() -> Fact<Vec<Share>> {
    if cfg!(windows) {
        return Fact::unknown(
            ReasonCode::Unsupported,
            "Windows SMB share enumeration (Get-SmbShare, Get-SmbShareAccess) is not implemented yet",
        );
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
