//! Facts about personal data exposed on a host (rule H15): the shared folders, and
//! for each scanned folder the files holding citizen ID numbers.
//!
//! Only counts and masked numbers (`068******123`) are facts: file contents never
//! enter a fact or result document.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Fact;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PersonalDataFacts {
    /// Folders this host shares over the network (Samba and NFS on Linux; SMB
    /// shares on Windows, admin shares `X$` excluded).
    pub shares: Fact<Vec<Share>>,
    /// Every folder scanned: those named in `[personal_data] folders` of the local
    /// configuration, then the shares' folders.
    pub folders: Vec<ScannedFolder>,
}

/// One network share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Share {
    /// Share name (`[hocsinh]` in smb.conf) or the exported path for NFS.
    pub name: String,
    /// `smb` or `nfs`.
    pub protocol: String,
    /// The shared folder.
    pub path: String,
    /// Guests or anonymous users can read it (Samba `guest ok`/`public`, an NFS
    /// export to every host; Windows: `Everyone`/`Guests`/`ANONYMOUS LOGON` pass both
    /// the share and the NTFS permissions). Unknown when the share's or the
    /// folder's permissions could not be read.
    pub open_to_everyone: Fact<bool>,
    /// Every account that can log in can read it (no `valid users` list; NFS,
    /// whose usual `sec=sys` trusts the client; Windows `Authenticated Users`,
    /// `Users`, `Domain Users` pass both permissions) — or it is open to everyone.
    pub readable_by_all_users: Fact<bool>,
    /// Who may read it, as the configuration says (`guest ok = yes`,
    /// `valid users = @giaovien`, `192.168.1.0/24(ro)`; on Windows each entry of
    /// the share and NTFS permissions: `share: Everyone Allow Full`).
    pub access: Vec<String>,
}

/// What the personal-data scan found in one folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScannedFolder {
    /// Path of the folder.
    pub path: String,
    /// `config` (named in khien.toml) or `share`.
    pub origin: String,
    /// Names of the shares that expose this folder, if any.
    pub shares: Vec<String>,
    /// Through a share, guests or anonymous users can read this folder. Unknown
    /// when the shares could not be listed.
    pub open_to_everyone: Fact<bool>,
    /// Through a share, every account can read this folder.
    pub readable_by_all_users: Fact<bool>,
    /// Documents whose text was examined.
    pub files_examined: u64,
    /// Bytes read in the folder.
    pub bytes_examined: u64,
    /// Files with at least one citizen ID number, the most first.
    pub files: Vec<PersonalDataFile>,
    /// Files with IDs left out of `files` to keep the document small (they hold
    /// no more IDs than the last one listed).
    pub files_omitted: u64,
    /// Password-protected documents (good practice; their content is unknown).
    pub protected_files: Vec<String>,
    /// Documents that could not be read: broken, too large or too slow.
    pub unreadable_files: Vec<UnreadableFile>,
    /// The whole folder was examined. Unknown (with the reason) when the folder is
    /// missing or unreadable, or a limit stopped the scan.
    pub complete: Fact<bool>,
}

/// A document holding citizen ID numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PersonalDataFile {
    /// Path of the file.
    pub path: String,
    /// Distinct valid citizen ID numbers (CCCD) found.
    pub distinct_ids: u64,
    /// Of those, how many sat under or beside an ID label ("CCCD", "Số định danh").
    pub labelled_ids: u64,
    /// A few of them, masked: `068******123`.
    pub masked_samples: Vec<String>,
    /// Distinct mobile phone numbers in the same file.
    pub phones: u64,
    /// Distinct 9-digit old ID (CMND) numbers next to a CMND label.
    pub old_ids: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UnreadableFile {
    /// Path of the document.
    pub path: String,
    /// `too_large`, `timeout` or `failed`.
    pub reason: String,
    /// The error met while reading.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}
