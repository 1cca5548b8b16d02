//! Windows: facts read in-process through WMI (our COM client, [`wmi`]), the registry
//! (`winreg`) and Win32 calls (`windows`); no PowerShell is started. Everything read
//! goes into one [`Snapshot`], taken once per scan and interpreted by the pure
//! parsers of `windows_parse` (tested on fixtures on every OS). A query that fails
//! (missing namespace on Windows Server or under wine, access denied without
//! administrator rights) becomes an unknown with the reason.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

mod security;
mod wmi;

pub use self::security::share_records;
use self::wmi::Wmi;
use super::bounded::Bounded;
use super::windows_parse::snapshot::{NetUserModals, Snapshot, interpret, query};
use super::windows_parse::{RegistrySnapshot, disks, system};
use crate::collect::host::posture::Posture;
use crate::facts::host::{AntivirusProduct, ListeningPort};
use crate::facts::{Fact, ReasonCode, Unknown};

pub fn elevated() -> Fact<bool> {
    // SAFETY: no arguments; reads the calling process's token.
    Fact::known(unsafe { windows::Win32::UI::Shell::IsUserAnAdmin() }.as_bool())
}

/// Everything read from Windows for this scan (WMI rows, registry values, the
/// password policy), in the shape of the fixtures in `fixtures/windows/`.
pub fn raw_readings() -> Option<Value> {
    serde_json::to_value(snapshot()).ok()
}

pub fn container() -> Fact<bool> {
    Fact::unknown(ReasonCode::Unsupported, "container detection")
}

pub fn antivirus_products(_processes: &Fact<Vec<String>>) -> Fact<Vec<AntivirusProduct>> {
    interpret(snapshot()).antivirus
}

pub fn clamav_binaries_found() -> bool {
    [r"C:\Program Files\ClamAV\clamscan.exe"]
        .iter()
        .any(|p| Path::new(p).exists())
}

pub fn listening_ports() -> Fact<Vec<ListeningPort>> {
    interpret(snapshot()).listening_ports
}

/// The physical disks holding `path`: the disk extents of the volume it is on
/// (`IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS`), as `\\.\PhysicalDriveN`; a network
/// path's identity is its share, a mapped network drive's its drive letter.
pub fn physical_disks_of(path: &Path) -> Result<Vec<String>, Unknown> {
    use std::os::windows::ffi::OsStrExt as _;
    use windows::Win32::Foundation::CloseHandle;
    use windows::Win32::Storage::FileSystem::{
        CreateFileW, FILE_FLAGS_AND_ATTRIBUTES, FILE_SHARE_READ, FILE_SHARE_WRITE, GetDriveTypeW,
        GetVolumeNameForVolumeMountPointW, GetVolumePathNameW,
        IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS, OPEN_EXISTING,
    };
    use windows::Win32::System::IO::DeviceIoControl;
    use windows::core::PCWSTR;

    if let Some(share) = disks::network_share_identity(&path.to_string_lossy()) {
        return Ok(vec![share]);
    }
    let existing = super::existing_ancestor(path).ok_or_else(|| {
        Unknown::new(
            ReasonCode::Error,
            format!("{}: no such path", path.display()),
        )
    })?;
    let wide = |s: &std::ffi::OsStr| -> Vec<u16> { s.encode_wide().chain([0]).collect() };
    let until_nul = |buf: &[u16]| -> Vec<u16> {
        let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
        buf[..end].to_vec()
    };
    let fail = |what: &str, e: windows::core::Error| {
        let reason = if e.code() == windows::Win32::Foundation::E_ACCESSDENIED {
            ReasonCode::NeedsAdmin
        } else {
            ReasonCode::Error
        };
        Unknown::new(reason, format!("{}: {what}: {e}", path.display()))
    };
    let file = wide(existing.as_os_str());
    let mut mount = [0u16; 1024];
    // SAFETY: `file` is NUL-terminated; the call writes at most `mount.len()` units.
    unsafe { GetVolumePathNameW(PCWSTR(file.as_ptr()), &mut mount) }
        .map_err(|e| fail("GetVolumePathNameW", e))?;
    let mount = until_nul(&mount);
    let mount_z: Vec<u16> = mount.iter().copied().chain([0]).collect();
    // DRIVE_REMOTE (4): a mapped network drive, on no local disk.
    // SAFETY: NUL-terminated string.
    if unsafe { GetDriveTypeW(PCWSTR(mount_z.as_ptr())) } == 4 {
        return Ok(vec![format!(
            "remote:{}",
            String::from_utf16_lossy(&mount).to_lowercase()
        )]);
    }
    let mut volume = [0u16; 128];
    // SAFETY: NUL-terminated mount point; the call writes at most `volume.len()` units.
    unsafe { GetVolumeNameForVolumeMountPointW(PCWSTR(mount_z.as_ptr()), &mut volume) }
        .map_err(|e| fail("GetVolumeNameForVolumeMountPointW", e))?;
    // `\\?\Volume{GUID}\` names the root folder; without the last backslash, the volume.
    let mut volume = until_nul(&volume);
    if volume.last() == Some(&u16::from(b'\\')) {
        volume.pop();
    }
    volume.push(0);
    // SAFETY: NUL-terminated volume path; no access rights are asked (none are
    // needed for this control code), the handle is closed below.
    let handle = unsafe {
        CreateFileW(
            PCWSTR(volume.as_ptr()),
            0,
            FILE_SHARE_READ | FILE_SHARE_WRITE,
            None,
            OPEN_EXISTING,
            FILE_FLAGS_AND_ATTRIBUTES(0),
            None,
        )
    }
    .map_err(|e| fail("opening the volume", e))?;
    // Room for 170 extents, u64-aligned as the structure needs.
    let mut buf = vec![0u64; 512];
    let mut returned = 0u32;
    // SAFETY: the output buffer is valid for its byte length; synchronous call.
    let result = unsafe {
        DeviceIoControl(
            handle,
            IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS,
            None,
            0,
            Some(buf.as_mut_ptr().cast()),
            (buf.len() * 8) as u32,
            Some(&mut returned),
            None,
        )
    };
    // SAFETY: the handle was opened above and is closed once.
    let _ = unsafe { CloseHandle(handle) };
    result.map_err(|e| fail("IOCTL_VOLUME_GET_VOLUME_DISK_EXTENTS", e))?;
    let bytes: Vec<u8> = buf.iter().flat_map(|w| w.to_le_bytes()).collect();
    let numbers = disks::parse_volume_disk_extents(&bytes[..(returned as usize).min(bytes.len())])
        .map_err(|e| Unknown::new(ReasonCode::Error, format!("{}: {e}", path.display())))?;
    Ok(numbers.into_iter().map(disks::disk_identity).collect())
}

pub fn posture(_processes: &Fact<Vec<String>>, _listening: &Fact<Vec<ListeningPort>>) -> Posture {
    interpret(snapshot()).posture
}

static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();

/// Reads the machine once (WMI, registry), each WMI query bounded by
/// `query_timeout`: every platform function answers from this snapshot.
pub fn prepare(query_timeout: Duration) {
    SNAPSHOT.get_or_init(|| take_snapshot(query_timeout));
}

/// The machine's snapshot; taken with the default deadline if [`prepare`] was not
/// called first.
pub fn snapshot() -> &'static Snapshot {
    SNAPSHOT.get_or_init(|| take_snapshot(super::bounded::DEFAULT_TIMEOUT))
}

fn take_snapshot(query_timeout: Duration) -> Snapshot {
    let mut s = Snapshot {
        source: "this machine".into(),
        registry: read_registry(&system::registry_keys()),
        ..Snapshot::default()
    };
    // Every WMI query runs on a worker thread with a deadline (see `bounded`).
    let mut wmi: Bounded<(String, String)> = Bounded::new("WMI", query_timeout, || {
        let mut connections = Wmi::new();
        Box::new(move |(namespace, wql): (String, String)| connections.rows(&namespace, &wql))
    });
    let queries: &[(&str, &str, &str)] = &[
        (
            query::SECURITY_CENTER,
            r"root\SecurityCenter2",
            "SELECT displayName, productState FROM AntiVirusProduct",
        ),
        (
            query::DEFENDER,
            r"root\Microsoft\Windows\Defender",
            "SELECT AMRunningMode, AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled, AntivirusSignatureLastUpdated, AntivirusSignatureAge, DefenderSignaturesOutOfDate FROM MSFT_MpComputerStatus",
        ),
        (
            query::SERVICES,
            r"root\cimv2",
            "SELECT Name, DisplayName, State FROM Win32_Service",
        ),
        (
            query::USERS,
            r"root\cimv2",
            "SELECT Name, Domain, SID, Disabled, PasswordRequired, Lockout FROM Win32_UserAccount WHERE LocalAccount = TRUE",
        ),
        (
            query::LOGIN_PROFILES,
            r"root\cimv2",
            "SELECT Name, LastLogon FROM Win32_NetworkLoginProfile",
        ),
        (
            query::HOTFIXES,
            r"root\cimv2",
            "SELECT HotFixID, InstalledOn FROM Win32_QuickFixEngineering",
        ),
        (
            query::FIXED_DISKS,
            r"root\cimv2",
            "SELECT DeviceID, DriveType FROM Win32_LogicalDisk WHERE DriveType = 3",
        ),
        (
            query::BITLOCKER,
            r"root\cimv2\Security\MicrosoftVolumeEncryption",
            "SELECT DriveLetter, ProtectionStatus FROM Win32_EncryptableVolume",
        ),
        (
            query::SMB1_FEATURE,
            r"root\cimv2",
            "SELECT Name, InstallState FROM Win32_OptionalFeature WHERE Name = 'SMB1Protocol'",
        ),
        (
            query::TCP,
            r"root\StandardCimv2",
            "SELECT LocalAddress, LocalPort, State FROM MSFT_NetTCPConnection WHERE State = 2",
        ),
        (
            query::ADMIN_GROUP,
            r"root\cimv2",
            "SELECT Name, Domain, SID FROM Win32_Group WHERE LocalAccount = TRUE AND SID = 'S-1-5-32-544'",
        ),
    ];
    for (key, namespace, wql) in queries {
        let result = wmi.run((namespace.to_string(), wql.to_string()), key);
        s.wmi
            .insert((*key).to_string(), into_snapshot_value(result));
    }
    // The administrators' members, through the group's name as this machine spells it.
    let members = match s.rows(query::ADMIN_GROUP) {
        Ok(v) => match super::windows_parse::rows(v).first() {
            Some(group) => {
                let field = |n: &str| group.get(n).and_then(Value::as_str).unwrap_or("");
                let q = super::windows_parse::accounts::admin_members_query(
                    field("Domain"),
                    field("Name"),
                );
                wmi.run((r"root\cimv2".to_string(), q), query::ADMIN_MEMBERS)
            }
            None => Err(Unknown::new(
                ReasonCode::Unsupported,
                "no local group with SID S-1-5-32-544",
            )),
        },
        Err(e) => Err(e),
    };
    s.wmi.insert(
        query::ADMIN_MEMBERS.to_string(),
        into_snapshot_value(members),
    );
    s.net_user_modals = Some(net_user_modals());
    s.audit_policy = Some(audit_policy());
    s.w32tm_status = Some(w32tm_status(query_timeout));
    s.collected_at = Some(jiff::Timestamp::now());
    s
}

/// The Logon and Logoff subcategories of the system audit policy.
fn audit_policy() -> Result<Vec<super::windows_parse::audit::AuditPolicyEntry>, Unknown> {
    use super::windows_parse::audit::{LOGOFF, LOGON};
    let mut guids = Vec::new();
    for g in [LOGON, LOGOFF] {
        guids.push(
            windows::core::GUID::try_from(g).map_err(|e| {
                Unknown::new(ReasonCode::Error, format!("subcategory GUID {g}: {e}"))
            })?,
        );
    }
    self::security::audit_policy(&guids)
}

/// Runs `w32tm /query /status /verbose` from the system folder (not through the
/// search path), within the query deadline: a hung child is left behind, its
/// answer unknown with reason `timeout`.
fn w32tm_status(timeout: Duration) -> Result<String, Unknown> {
    let system_root = std::env::var_os("SystemRoot").unwrap_or_else(|| r"C:\Windows".into());
    let exe = Path::new(&system_root).join("System32").join("w32tm.exe");
    let mut run: Bounded<()> = Bounded::new("w32tm", timeout, move || {
        let exe = exe.clone();
        Box::new(move |()| {
            let out = std::process::Command::new(&exe)
                .args(super::windows_parse::w32tm::W32TM_ARGS)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| {
                    Unknown::new(ReasonCode::Unsupported, format!("{}: {e}", exe.display()))
                })?;
            // w32tm prints its errors on stdout too; the parser tells them apart.
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            Ok(Value::String(text))
        })
    });
    match run.run((), "w32tm /query /status /verbose")? {
        Value::String(text) => Ok(text),
        _ => Err(Unknown::new(ReasonCode::Error, "w32tm: no output")),
    }
}

fn into_snapshot_value(r: Result<Value, Unknown>) -> Value {
    match r {
        Ok(v) => v,
        Err(unknown) => {
            serde_json::to_value(crate::facts::UnknownMarker { unknown }).unwrap_or(Value::Null)
        }
    }
}

/// Reads the values of each key that exists (64-bit view).
fn read_registry(keys: &[String]) -> RegistrySnapshot {
    use winreg::RegKey;
    use winreg::enums::{
        HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_READ, KEY_WOW64_64KEY, RegType,
    };
    use winreg::types::FromRegValue;
    let mut out = BTreeMap::new();
    for key in keys {
        let (root, path) = match key.split_once('\\') {
            Some(("HKLM", p)) => (RegKey::predef(HKEY_LOCAL_MACHINE), p),
            Some(("HKCU", p)) => (RegKey::predef(HKEY_CURRENT_USER), p),
            _ => continue,
        };
        let Ok(k) = root.open_subkey_with_flags(path, KEY_READ | KEY_WOW64_64KEY) else {
            continue;
        };
        let mut values = BTreeMap::new();
        for (name, value) in k.enum_values().flatten() {
            let json = match value.vtype {
                RegType::REG_DWORD => u32::from_reg_value(&value).ok().map(Value::from),
                RegType::REG_QWORD => u64::from_reg_value(&value).ok().map(Value::from),
                RegType::REG_SZ | RegType::REG_EXPAND_SZ => {
                    String::from_reg_value(&value).ok().map(Value::from)
                }
                // Other types are not read by any parser; their presence is kept.
                _ => Some(Value::Null),
            };
            if let Some(j) = json {
                values.insert(name, j);
            }
        }
        out.insert(key.clone(), values);
    }
    out
}

/// The local password policy through `NetUserModalsGet` levels 0 and 3.
fn net_user_modals() -> Result<NetUserModals, Unknown> {
    use windows::Win32::NetworkManagement::NetManagement::{
        NetApiBufferFree, NetUserModalsGet, USER_MODALS_INFO_0, USER_MODALS_INFO_3,
    };
    use windows::core::PCWSTR;
    let mut buf: *mut u8 = std::ptr::null_mut();
    // SAFETY: level 0 fills `buf` with a USER_MODALS_INFO_0 that we read once and
    // free with NetApiBufferFree.
    let status = unsafe { NetUserModalsGet(PCWSTR::null(), 0, &mut buf) };
    if status != 0 || buf.is_null() {
        return Err(Unknown::new(
            ReasonCode::Error,
            format!("NetUserModalsGet level 0 failed with {status}"),
        ));
    }
    let info0 = unsafe { std::ptr::read(buf as *const USER_MODALS_INFO_0) };
    unsafe {
        let _ = NetApiBufferFree(Some(buf as *const _));
    }
    let mut buf3: *mut u8 = std::ptr::null_mut();
    // SAFETY: as above, level 3 is USER_MODALS_INFO_3.
    let status3 = unsafe { NetUserModalsGet(PCWSTR::null(), 3, &mut buf3) };
    let lockout = if status3 == 0 && !buf3.is_null() {
        let info3 = unsafe { std::ptr::read(buf3 as *const USER_MODALS_INFO_3) };
        unsafe {
            let _ = NetApiBufferFree(Some(buf3 as *const _));
        }
        Some(info3.usrmod3_lockout_threshold)
    } else {
        None
    };
    Ok(NetUserModals {
        min_passwd_len: info0.usrmod0_min_passwd_len,
        max_passwd_age: info0.usrmod0_max_passwd_age,
        lockout_threshold: lockout,
    })
}
