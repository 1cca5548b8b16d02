//! How WMI values become JSON, and what its error codes mean: the pure half of the
//! WMI client (`platform/windows/wmi.rs`), tested on every OS.
//!
//! WMI hands properties over as COM VARIANTs that do not always carry the CIM
//! type: 64-bit integers and datetimes come as strings, `uint32` as a signed
//! `VT_I4`. The property's CIM type (`CIMTYPE_ENUMERATION`, documented in
//! wbemcli.h) says how to read them, so rows look like the numbers PowerShell's
//! `ConvertTo-Json` gives for the same class (the shape of the fixtures).

use serde_json::Value;

use crate::facts::ReasonCode;

/// `CIM_SINT64`.
pub const SINT64: i32 = 20;
/// `CIM_UINT64`.
pub const UINT64: i32 = 21;
/// `CIM_UINT32`.
pub const UINT32: i32 = 19;
/// `CIM_FLAG_ARRAY`: set on the type of an array property.
pub const FLAG_ARRAY: i32 = 0x2000;

/// The CIM type of an array's elements.
pub fn element_type(cim_type: i32) -> i32 {
    cim_type & !FLAG_ARRAY
}

/// A string property: 64-bit integers (sent as decimal text) become numbers; any
/// other text (strings, datetimes like `20261101083000.000000+420`) stays text.
pub fn from_text(text: &str, cim_type: i32) -> Value {
    match cim_type {
        UINT64 => text
            .parse::<u64>()
            .map_or_else(|_| text.into(), Value::from),
        SINT64 => text
            .parse::<i64>()
            .map_or_else(|_| text.into(), Value::from),
        _ => text.into(),
    }
}

/// A `VT_I4` property: a `uint32` above 2³¹ arrives negative.
pub fn from_i32(n: i32, cim_type: i32) -> Value {
    if cim_type == UINT32 {
        Value::from(n as u32)
    } else {
        Value::from(n)
    }
}

/// A real number; NaN and infinities (no JSON form) are null.
pub fn from_f64(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// What a failed WMI or COM call's HRESULT means for the fact it was to give.
pub fn hresult_meaning(hr: i32) -> (ReasonCode, &'static str) {
    match hr as u32 {
        0x8004_100E => (ReasonCode::Unsupported, "WMI namespace not found"),
        0x8004_1010 => (ReasonCode::Unsupported, "WMI class not found"),
        0x8004_100C => (
            ReasonCode::Unsupported,
            "not supported by this WMI provider",
        ),
        0x8004_1003 | 0x8007_0005 => (ReasonCode::NeedsAdmin, "access denied"),
        0x8004_1017 => (ReasonCode::Error, "invalid WMI query"),
        0x8004_3001 | 0x8007_05B4 => (ReasonCode::Timeout, "WMI timed out"),
        0x8007_06BA | 0x8008_0005 => (ReasonCode::Error, "WMI service unavailable"),
        0x8004_01F0 => (ReasonCode::Error, "COM is not initialised"),
        _ => (ReasonCode::Error, "WMI error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_four_bit_integers_sent_as_text_become_numbers() {
        assert_eq!(
            from_text("18446744073709551615", UINT64),
            Value::from(u64::MAX)
        );
        assert_eq!(from_text("-42", SINT64), Value::from(-42i64));
        // Not a number after all: kept as the provider wrote it.
        assert_eq!(from_text("n/a", UINT64), Value::from("n/a"));
        // A datetime (CIM_DATETIME = 101) or a string (CIM_STRING = 8) stays text.
        assert_eq!(
            from_text("20261101083000.000000+420", 101),
            Value::from("20261101083000.000000+420")
        );
        assert_eq!(from_text("123", 8), Value::from("123"));
    }

    #[test]
    fn uint32_above_two_to_the_31_is_not_negative() {
        // productState-like values fit either way; a large uint32 does not.
        assert_eq!(from_i32(-1, UINT32), Value::from(4_294_967_295u32));
        assert_eq!(from_i32(397_568, UINT32), Value::from(397_568));
        // A sint32 (CIM_SINT32 = 3) keeps its sign.
        assert_eq!(from_i32(-1, 3), Value::from(-1));
    }

    #[test]
    fn array_types_name_their_elements() {
        assert_eq!(element_type(FLAG_ARRAY | 8), 8);
        assert_eq!(element_type(UINT32), UINT32);
    }

    #[test]
    fn reals_without_json_form_are_null() {
        assert_eq!(from_f64(f64::NAN), Value::Null);
        assert_eq!(from_f64(1.5), Value::from(1.5));
    }

    #[test]
    fn error_codes_say_why_a_fact_is_unknown() {
        let code = |hr: u32| hresult_meaning(hr as i32).0;
        assert_eq!(code(0x8004_100E), ReasonCode::Unsupported);
        assert_eq!(code(0x8004_1003), ReasonCode::NeedsAdmin);
        assert_eq!(code(0x8007_0005), ReasonCode::NeedsAdmin);
        assert_eq!(code(0x8004_3001), ReasonCode::Timeout);
        assert_eq!(code(0x8000_4005), ReasonCode::Error);
    }
}
