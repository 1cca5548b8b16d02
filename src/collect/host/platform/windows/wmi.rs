//! A small WMI client over COM: the documented synchronous path
//! (`IWbemLocator::ConnectServer` → `CoSetProxyBlanket` → `IWbemServices::ExecQuery`
//! → forward-only `IEnumWbemClassObject::Next`), giving each row as a JSON object,
//! the shape the parsers of `windows_parse` read.
//!
//! Written on the `windows` crate rather than the `wmi` crate: that crate's query
//! sink is a COM object implemented in Rust (`#[implement]`), which makes
//! windows-core import `CoCreateFreeThreadedMarshaler` from combase.dll, a DLL
//! Windows 7 does not have, so the Windows 7 build would not start there. A
//! synchronous query needs no COM object of ours.
//!
//! COM objects belong to the thread that made them: a [`Wmi`] is made and used on
//! one thread (the worker of `bounded`).

use std::collections::HashMap;
use std::ptr::null_mut;

use serde_json::{Map, Value};
use windows::Win32::System::Com::{
    CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx,
    CoInitializeSecurity, CoSetProxyBlanket, CoUninitialize, EOAC_NONE, RPC_C_AUTHN_LEVEL_CALL,
    RPC_C_AUTHN_LEVEL_DEFAULT, RPC_C_IMP_LEVEL_IMPERSONATE, SAFEARRAY,
};
use windows::Win32::System::Ole::{SafeArrayGetElement, SafeArrayGetLBound, SafeArrayGetUBound};
use windows::Win32::System::Rpc::{RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE};
use windows::Win32::System::Variant::{
    VARENUM, VARIANT, VT_ARRAY, VT_BOOL, VT_BSTR, VT_I1, VT_I2, VT_I4, VT_I8, VT_INT, VT_R4, VT_R8,
    VT_TYPEMASK, VT_UI1, VT_UI2, VT_UI4, VT_UI8, VT_UINT, VariantClear,
};
use windows::Win32::System::Wmi::{
    IEnumWbemClassObject, IWbemClassObject, IWbemLocator, IWbemServices,
    WBEM_FLAG_CONNECT_USE_MAX_WAIT, WBEM_FLAG_FORWARD_ONLY, WBEM_FLAG_NONSYSTEM_ONLY,
    WBEM_FLAG_RETURN_IMMEDIATELY, WBEM_INFINITE, WBEM_S_FALSE, WBEM_S_NO_MORE_DATA, WbemLocator,
};
use windows::core::{BSTR, HRESULT, Interface};

use super::super::windows_parse::cim;
use crate::facts::{ReasonCode, Unknown};

/// Rows kept from one query at most: a bound on memory should a provider never
/// stop (the largest real answer, `Win32_Service`, is a few hundred rows).
const MAX_ROWS: usize = 100_000;
/// Properties read from one object at most, for the same reason.
const MAX_PROPERTIES: usize = 1_000;

/// COM initialised on this thread and a locator; one connection per namespace,
/// opened on first use and kept (a failed one is remembered as its unknown).
pub struct Wmi {
    com_initialised: bool,
    locator: Result<IWbemLocator, Unknown>,
    services: HashMap<String, Result<IWbemServices, Unknown>>,
}

impl Wmi {
    /// Initialises COM (multithreaded) on the calling thread and makes the locator.
    pub fn new() -> Wmi {
        // SAFETY: plain COM initialisation of the calling thread, undone in Drop.
        let hr = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) };
        let com_initialised = hr.is_ok();
        if com_initialised {
            // Process-wide security for the WMI proxies, as Microsoft's WMI client
            // example sets it. Only the first call in a process counts; later ones
            // (a fresh worker after a timeout) answer RPC_E_TOO_LATE, harmless.
            // SAFETY: all pointers are null (defaults).
            let _ = unsafe {
                CoInitializeSecurity(
                    None,
                    -1,
                    None,
                    None,
                    RPC_C_AUTHN_LEVEL_DEFAULT,
                    RPC_C_IMP_LEVEL_IMPERSONATE,
                    None,
                    EOAC_NONE,
                    None,
                )
            };
        }
        let locator = if com_initialised {
            // SAFETY: COM is initialised on this thread.
            unsafe { CoCreateInstance(&WbemLocator, None, CLSCTX_INPROC_SERVER) }
                .map_err(|e| unknown("WMI", e.code()))
        } else {
            Err(unknown("COM", hr))
        };
        Wmi {
            com_initialised,
            locator,
            services: HashMap::new(),
        }
    }

    /// The rows `wql` selects in `namespace` (`root\cimv2`), as a JSON array of
    /// objects keyed by property name.
    pub fn rows(&mut self, namespace: &str, wql: &str) -> Result<Value, Unknown> {
        let locator = self.locator.as_ref().map_err(Clone::clone)?;
        let services = self
            .services
            .entry(namespace.to_string())
            .or_insert_with(|| connect(locator, namespace))
            .as_ref()
            .map_err(Clone::clone)?;
        // SAFETY: `services` is a live proxy made on this thread; the BSTRs outlive
        // the call.
        let rows = unsafe {
            services.ExecQuery(
                &BSTR::from("WQL"),
                &BSTR::from(wql),
                WBEM_FLAG_FORWARD_ONLY | WBEM_FLAG_RETURN_IMMEDIATELY,
                None,
            )
        }
        .map_err(|e| unknown(namespace, e.code()))?;
        collect_rows(&rows)
            .map(Value::Array)
            .map_err(|hr| unknown(namespace, hr))
    }
}

impl Drop for Wmi {
    fn drop(&mut self) {
        // COM objects must be released before COM is uninitialised.
        self.services.clear();
        self.locator = Err(Unknown::new(ReasonCode::Error, "closed"));
        if self.com_initialised {
            // SAFETY: balances the successful CoInitializeEx of `new` on this thread.
            unsafe { CoUninitialize() };
        }
    }
}

fn connect(locator: &IWbemLocator, namespace: &str) -> Result<IWbemServices, Unknown> {
    let none = BSTR::new();
    // SAFETY: `locator` is live on this thread; empty BSTRs mean "current user,
    // default locale and authority". USE_MAX_WAIT bounds the connection attempt.
    let services = unsafe {
        locator.ConnectServer(
            &BSTR::from(namespace),
            &none,
            &none,
            &none,
            WBEM_FLAG_CONNECT_USE_MAX_WAIT.0,
            &none,
            None,
        )
    }
    .map_err(|e| unknown(namespace, e.code()))?;
    // SAFETY: sets the proxy's authentication, as required before calls through it.
    unsafe {
        CoSetProxyBlanket(
            &services,
            RPC_C_AUTHN_WINNT,
            RPC_C_AUTHZ_NONE,
            None,
            RPC_C_AUTHN_LEVEL_CALL,
            RPC_C_IMP_LEVEL_IMPERSONATE,
            None,
            EOAC_NONE,
        )
    }
    .map_err(|e| unknown(namespace, e.code()))?;
    Ok(services)
}

fn collect_rows(rows: &IEnumWbemClassObject) -> Result<Vec<Value>, HRESULT> {
    let mut out = Vec::new();
    loop {
        let mut batch: [Option<IWbemClassObject>; 32] = Default::default();
        let mut returned = 0u32;
        // SAFETY: `batch` has room for its length; `returned` is written by the call.
        let hr = unsafe { rows.Next(WBEM_INFINITE, &mut batch, &mut returned) };
        if hr.is_err() {
            return Err(hr);
        }
        for object in batch.iter().take(returned as usize).flatten() {
            out.push(object_to_json(object)?);
        }
        // WBEM_S_FALSE: fewer objects than asked for, the enumeration is over.
        if hr.0 == WBEM_S_FALSE.0 || returned == 0 || out.len() >= MAX_ROWS {
            return Ok(out);
        }
    }
}

/// The object's own (non-system) properties.
fn object_to_json(object: &IWbemClassObject) -> Result<Value, HRESULT> {
    // SAFETY: `object` is live; the enumeration is ended below on every path that
    // began it.
    unsafe { object.BeginEnumeration(WBEM_FLAG_NONSYSTEM_ONLY.0) }.map_err(|e| e.code())?;
    let mut map = Map::new();
    let result = loop {
        if map.len() >= MAX_PROPERTIES {
            break Ok(());
        }
        let mut name = BSTR::new();
        let mut value = VARIANT::default();
        let mut cim_type = 0i32;
        // Called through the vtable because the wrapper folds the success code
        // WBEM_S_NO_MORE_DATA (the end) into Ok.
        // SAFETY: out-pointers to a BSTR, a VARIANT and an i32 we own; the flavor
        // pointer may be null.
        let hr = unsafe {
            (Interface::vtable(object).Next)(
                Interface::as_raw(object),
                0,
                &mut name as *mut BSTR as *mut *mut core::ffi::c_void,
                &mut value,
                &mut cim_type,
                null_mut(),
            )
        };
        if hr.is_err() {
            break Err(hr);
        }
        if hr.0 == WBEM_S_NO_MORE_DATA.0 {
            break Ok(());
        }
        let json = variant_to_json(&value, cim_type);
        // SAFETY: `value` was filled by WMI and is cleared exactly once.
        let _ = unsafe { VariantClear(&mut value) };
        map.insert(name.to_string(), json);
    };
    // SAFETY: ends the enumeration begun above.
    let _ = unsafe { object.EndEnumeration() };
    result.map(|()| Value::Object(map))
}

/// A property's value: WMI gives 64-bit integers and datetimes as strings and
/// unsigned 32-bit integers as signed `VT_I4`; `cim_type` says which they are.
fn variant_to_json(value: &VARIANT, cim_type: i32) -> Value {
    // SAFETY: the tag `vt` says which union field WMI filled.
    unsafe {
        let inner = &value.Anonymous.Anonymous;
        let data = &inner.Anonymous;
        let vt = inner.vt;
        if vt.0 & VT_ARRAY.0 != 0 {
            return array_to_json(
                data.parray,
                VARENUM(vt.0 & VT_TYPEMASK.0),
                cim::element_type(cim_type),
            );
        }
        match vt {
            VT_BSTR => cim::from_text(&data.bstrVal.to_string(), cim_type),
            VT_BOOL => Value::Bool(data.boolVal.as_bool()),
            VT_I1 => data.cVal.into(),
            VT_UI1 => data.bVal.into(),
            VT_I2 => data.iVal.into(),
            VT_UI2 => data.uiVal.into(),
            VT_I4 | VT_INT => cim::from_i32(data.lVal, cim_type),
            VT_UI4 | VT_UINT => data.ulVal.into(),
            VT_I8 => data.llVal.into(),
            VT_UI8 => data.ullVal.into(),
            VT_R4 => cim::from_f64(f64::from(data.fltVal)),
            VT_R8 => cim::from_f64(data.dblVal),
            // VT_EMPTY, VT_NULL, embedded objects: nothing a parser reads.
            _ => Value::Null,
        }
    }
}

/// A one-dimensional SAFEARRAY of strings, integers or booleans (what WMI arrays
/// hold); any other element type is null.
fn array_to_json(array: *mut SAFEARRAY, element: VARENUM, cim_type: i32) -> Value {
    if array.is_null() {
        return Value::Null;
    }
    // SAFETY: WMI gives one-dimensional arrays; bounds are read before elements and
    // each element is copied out with SafeArrayGetElement (a BSTR element is a
    // copy we own and free by dropping it).
    unsafe {
        let (Ok(low), Ok(high)) = (SafeArrayGetLBound(array, 1), SafeArrayGetUBound(array, 1))
        else {
            return Value::Null;
        };
        let mut items = Vec::new();
        for index in low..=high.min(low.saturating_add(MAX_ROWS as i32)) {
            let item = match element {
                VT_BSTR => {
                    let mut s = BSTR::new();
                    SafeArrayGetElement(array, &index, &mut s as *mut BSTR as *mut _)
                        .map(|()| cim::from_text(&s.to_string(), cim_type))
                }
                VT_I4 | VT_INT => {
                    let mut n = 0i32;
                    SafeArrayGetElement(array, &index, &mut n as *mut i32 as *mut _)
                        .map(|()| cim::from_i32(n, cim_type))
                }
                VT_I2 => {
                    let mut n = 0i16;
                    SafeArrayGetElement(array, &index, &mut n as *mut i16 as *mut _)
                        .map(|()| Value::from(n))
                }
                VT_UI1 => {
                    let mut n = 0u8;
                    SafeArrayGetElement(array, &index, &mut n as *mut u8 as *mut _)
                        .map(|()| Value::from(n))
                }
                VT_BOOL => {
                    let mut b = windows::Win32::Foundation::VARIANT_BOOL::default();
                    SafeArrayGetElement(array, &index, &mut b as *mut _ as *mut _)
                        .map(|()| Value::Bool(b.as_bool()))
                }
                _ => Ok(Value::Null),
            };
            items.push(item.unwrap_or(Value::Null));
        }
        Value::Array(items)
    }
}

/// The unknown for a failed WMI call, by its HRESULT.
fn unknown(namespace: &str, hr: HRESULT) -> Unknown {
    let (reason, what) = cim::hresult_meaning(hr.0);
    Unknown::new(
        reason,
        format!("{namespace}: {what} (HRESULT 0x{:08X})", hr.0 as u32),
    )
}
