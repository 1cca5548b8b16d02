//! Win32 reads that need the security API: the shares with their share and NTFS
//! permissions (`NetShareEnum` level 502, `GetNamedSecurityInfoW`), and the
//! system audit policy (`AuditQuerySystemPolicy`). Each call only fills a plain
//! record (`WindowsShareRecord`, `AuditPolicyEntry`); judging them is pure code
//! in `pdata::shares` and `windows_parse::audit`, tested on Linux from fixtures.

use std::ffi::c_void;

use windows::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_PRIVILEGE_NOT_HELD, GetLastError, HANDLE, HLOCAL, LocalFree,
    WIN32_ERROR,
};
use windows::Win32::NetworkManagement::NetManagement::NetApiBufferFree;
use windows::Win32::Security::Authorization::{
    ConvertSidToStringSidW, GetNamedSecurityInfoW, SE_FILE_OBJECT,
};
use windows::Win32::Security::{
    ACE_HEADER, ACL, AdjustTokenPrivileges, DACL_SECURITY_INFORMATION, GetAce,
    GetSecurityDescriptorDacl, LUID_AND_ATTRIBUTES, LookupPrivilegeValueW, PSECURITY_DESCRIPTOR,
    PSID, SE_PRIVILEGE_ENABLED, SE_SECURITY_NAME, TOKEN_ADJUST_PRIVILEGES, TOKEN_PRIVILEGES,
    TOKEN_QUERY,
};
use windows::Win32::Storage::FileSystem::{NetShareEnum, SHARE_INFO_502};
use windows::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};
use windows::core::{BOOL, PCWSTR, PWSTR};

use crate::collect::host::platform::windows_parse::audit::AuditPolicyEntry;
use crate::facts::{ReasonCode, Unknown};
use crate::pdata::shares::{Ace, WindowsShareRecord};

/// `MAX_PREFERRED_LENGTH`: let the call allocate what all shares need.
const MAX_PREFERRED_LENGTH: u32 = u32::MAX;
const NERR_SUCCESS: u32 = 0;
/// Shares listed at most: a school PC has a handful; bounds the work.
const MAX_SHARES: usize = 512;

/// Why a Win32 call failed, as a reason: access denied means "run as administrator".
fn unknown(what: &str, code: u32) -> Unknown {
    let reason = if code == ERROR_ACCESS_DENIED.0 || code == ERROR_PRIVILEGE_NOT_HELD.0 {
        ReasonCode::NeedsAdmin
    } else if code == 120 || code == 50 {
        // ERROR_CALL_NOT_IMPLEMENTED, ERROR_NOT_SUPPORTED (wine's stubs).
        ReasonCode::Unsupported
    } else {
        ReasonCode::Error
    };
    let text = windows::core::Error::from_hresult(WIN32_ERROR(code).to_hresult()).message();
    Unknown::new(reason, format!("{what}: {} ({code})", text.trim()))
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain([0]).collect()
}

/// A NUL-terminated UTF-16 string from Win32, or empty.
fn from_pwstr(p: PWSTR) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the API returned a NUL-terminated string that lives as long as its buffer.
    unsafe { p.to_string() }.unwrap_or_default()
}

/// The SID as a string (`S-1-1-0`), or empty.
fn sid_string(sid: PSID) -> String {
    let mut out = PWSTR::null();
    // SAFETY: `sid` points into a valid ACE; the string is freed with LocalFree.
    if unsafe { ConvertSidToStringSidW(sid, &mut out) }.is_err() {
        return String::new();
    }
    let s = from_pwstr(out);
    // SAFETY: allocated by ConvertSidToStringSidW, freed once.
    unsafe {
        let _ = LocalFree(Some(HLOCAL(out.0.cast())));
    }
    s
}

/// The entries of a DACL (`None` for a null DACL, which grants everyone everything).
///
/// # Safety
/// `dacl` is null or points to a valid ACL that outlives the call.
unsafe fn read_dacl(dacl: *const ACL) -> Option<Vec<Ace>> {
    if dacl.is_null() {
        return None;
    }
    // SAFETY: a valid ACL per the caller.
    let count = unsafe { (*dacl).AceCount };
    let mut aces = Vec::with_capacity(usize::from(count));
    for i in 0..u32::from(count) {
        let mut ace: *mut c_void = std::ptr::null_mut();
        // SAFETY: index below AceCount; GetAce returns a pointer into the ACL.
        if unsafe { GetAce(dacl, i, &mut ace) }.is_err() || ace.is_null() {
            continue;
        }
        // SAFETY: every ACE starts with an ACE_HEADER.
        let header = unsafe { std::ptr::read_unaligned(ace as *const ACE_HEADER) };
        // The allowed/denied (and callback) ACEs: header, mask, then the SID.
        let (mask, sid) = if matches!(header.AceType, 0 | 1 | 9 | 10) && header.AceSize >= 12 {
            // SAFETY: these ACE types have a u32 mask at offset 4 and the SID at 8.
            let mask = unsafe { std::ptr::read_unaligned((ace as *const u8).add(4) as *const u32) };
            let sid = sid_string(PSID(unsafe { (ace as *mut u8).add(8) }.cast()));
            (mask, sid)
        } else {
            (0, String::new())
        };
        aces.push(Ace {
            ace_type: header.AceType,
            flags: header.AceFlags,
            mask,
            sid,
        });
    }
    Some(aces)
}

/// The DACL of a share's security descriptor (no descriptor: `None`, full access).
fn share_dacl(sd: PSECURITY_DESCRIPTOR) -> Result<Option<Vec<Ace>>, Unknown> {
    if sd.0.is_null() {
        return Ok(None);
    }
    let mut present = BOOL(0);
    let mut defaulted = BOOL(0);
    let mut dacl: *mut ACL = std::ptr::null_mut();
    // SAFETY: `sd` is the descriptor of the share buffer, alive until it is freed.
    unsafe { GetSecurityDescriptorDacl(sd, &mut present, &mut dacl, &mut defaulted) }
        .map_err(|e| Unknown::new(ReasonCode::Error, format!("GetSecurityDescriptorDacl: {e}")))?;
    if !present.as_bool() {
        return Ok(None);
    }
    // SAFETY: the DACL lives inside `sd`.
    Ok(unsafe { read_dacl(dacl) })
}

/// The NTFS DACL of a folder.
fn folder_dacl(path: &str) -> Result<Option<Vec<Ace>>, Unknown> {
    let name = wide(path);
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd = PSECURITY_DESCRIPTOR::default();
    // SAFETY: NUL-terminated path; on success `sd` is freed with LocalFree below and
    // `dacl` points into it.
    let status = unsafe {
        GetNamedSecurityInfoW(
            PCWSTR(name.as_ptr()),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            None,
            None,
            Some(&mut dacl),
            None,
            &mut sd,
        )
    };
    if status.0 != 0 {
        return Err(unknown(&format!("{path}: GetNamedSecurityInfoW"), status.0));
    }
    // SAFETY: `dacl` is inside `sd`, freed after reading.
    let aces = unsafe { read_dacl(dacl) };
    unsafe {
        let _ = LocalFree(Some(HLOCAL(sd.0)));
    }
    Ok(aces)
}

/// Every share of this machine (`NetShareEnum` level 502: name, type, path and the
/// share's security descriptor; available since Windows 2000, so on Windows 7),
/// each with its folder's NTFS DACL. Level 502 needs administrator rights.
pub fn share_records() -> Result<Vec<WindowsShareRecord>, Unknown> {
    let mut buf: *mut u8 = std::ptr::null_mut();
    let mut read = 0u32;
    let mut total = 0u32;
    // SAFETY: the call allocates `buf`, freed below with NetApiBufferFree.
    let status = unsafe {
        NetShareEnum(
            PCWSTR::null(),
            502,
            &mut buf,
            MAX_PREFERRED_LENGTH,
            &mut read,
            &mut total,
            None,
        )
    };
    if status != NERR_SUCCESS {
        if !buf.is_null() {
            // SAFETY: allocated by NetShareEnum.
            unsafe {
                let _ = NetApiBufferFree(Some(buf as *const c_void));
            }
        }
        return Err(unknown("NetShareEnum level 502", status));
    }
    let mut out = Vec::new();
    if !buf.is_null() {
        // SAFETY: `read` SHARE_INFO_502 entries at `buf`.
        let infos =
            unsafe { std::slice::from_raw_parts(buf as *const SHARE_INFO_502, read as usize) };
        for info in infos.iter().take(MAX_SHARES) {
            let name = from_pwstr(info.shi502_netname);
            let path = from_pwstr(info.shi502_path);
            let share_type = info.shi502_type.0;
            let folder_acl = if path.is_empty() || share_type & 0xFF != 0 {
                Ok(None)
            } else {
                folder_dacl(&path)
            };
            out.push(WindowsShareRecord {
                name,
                path,
                share_type,
                share_acl: share_dacl(info.shi502_security_descriptor),
                folder_acl,
            });
        }
        // SAFETY: allocated by NetShareEnum, freed once after the last read.
        unsafe {
            let _ = NetApiBufferFree(Some(buf as *const c_void));
        }
    }
    Ok(out)
}

/// `0CCE9215-69AE-11D9-BED3-505054503030`: the registry form without braces.
fn guid_string(g: &windows::core::GUID) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        g.data1,
        g.data2,
        g.data3,
        g.data4[0],
        g.data4[1],
        g.data4[2],
        g.data4[3],
        g.data4[4],
        g.data4[5],
        g.data4[6],
        g.data4[7]
    )
}

/// Enables SeSecurityPrivilege in this process's token, which reading the audit
/// policy needs (administrators hold it disabled). Fails quietly without it.
fn enable_security_privilege() {
    let mut token = HANDLE::default();
    // SAFETY: the current process's pseudo-handle; the token is closed below.
    if unsafe {
        OpenProcessToken(
            GetCurrentProcess(),
            TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY,
            &mut token,
        )
    }
    .is_err()
    {
        return;
    }
    let mut privileges = TOKEN_PRIVILEGES {
        PrivilegeCount: 1,
        Privileges: [LUID_AND_ATTRIBUTES {
            Luid: Default::default(),
            Attributes: SE_PRIVILEGE_ENABLED,
        }],
    };
    // SAFETY: a constant privilege name; the token handle is valid.
    unsafe {
        if LookupPrivilegeValueW(
            PCWSTR::null(),
            SE_SECURITY_NAME,
            &mut privileges.Privileges[0].Luid,
        )
        .is_ok()
        {
            let _ = AdjustTokenPrivileges(token, false, Some(&privileges), 0, None, None);
        }
        let _ = windows::Win32::Foundation::CloseHandle(token);
    }
}

/// The system audit policy of the given subcategories (`AuditQuerySystemPolicy`,
/// Windows Vista and later). Needs administrator rights (SeSecurityPrivilege).
pub fn audit_policy(
    subcategories: &[windows::core::GUID],
) -> Result<Vec<AuditPolicyEntry>, Unknown> {
    use windows::Win32::Security::Authentication::Identity::{
        AUDIT_POLICY_INFORMATION, AuditFree, AuditQuerySystemPolicy,
    };
    enable_security_privilege();
    let mut policy: *mut AUDIT_POLICY_INFORMATION = std::ptr::null_mut();
    // SAFETY: the GUID slice is valid; on success `policy` holds one entry per GUID,
    // freed with AuditFree.
    let ok = unsafe { AuditQuerySystemPolicy(subcategories, &mut policy) };
    if !ok || policy.is_null() {
        // SAFETY: reads this thread's last error.
        let code = unsafe { GetLastError() }.0;
        return Err(unknown("AuditQuerySystemPolicy", code));
    }
    // SAFETY: one AUDIT_POLICY_INFORMATION per requested GUID.
    let entries = unsafe { std::slice::from_raw_parts(policy, subcategories.len()) }
        .iter()
        .map(|p| AuditPolicyEntry {
            subcategory: guid_string(&p.AuditSubCategoryGuid),
            flags: p.AuditingInformation,
        })
        .collect();
    // SAFETY: allocated by AuditQuerySystemPolicy, freed once.
    unsafe { AuditFree(policy as *const c_void) };
    Ok(entries)
}
