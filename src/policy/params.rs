//! Policy parameters: the thresholds the Department tunes without touching rules
//! (maximum signature age, maximum backup age...). Declared with a default in the
//! policy and overridable in the local configuration.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::i18n::Localized;

/// A parameter's value. Its type is fixed by the default in the policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
    List(Vec<String>),
}

impl ParamValue {
    pub fn type_name(&self) -> &'static str {
        match self {
            ParamValue::Bool(_) => "boolean",
            ParamValue::Integer(_) => "integer",
            ParamValue::Float(_) => "float",
            ParamValue::String(_) => "string",
            ParamValue::List(_) => "list of strings",
        }
    }

    /// Whether `other` may override a parameter whose default is `self`.
    /// An integer may stand for a float ("7" days where "7.5" was the default).
    pub fn same_type(&self, other: &ParamValue) -> bool {
        matches!(
            (self, other),
            (ParamValue::Bool(_), ParamValue::Bool(_))
                | (ParamValue::Integer(_), ParamValue::Integer(_))
                | (
                    ParamValue::Float(_),
                    ParamValue::Float(_) | ParamValue::Integer(_)
                )
                | (ParamValue::String(_), ParamValue::String(_))
                | (ParamValue::List(_), ParamValue::List(_))
        )
    }

    /// The value as a number, for an integer or a float parameter: the one place
    /// where an integer stands for a float when Rust code reads a parameter.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Integer(i) => Some(*i as f64),
            ParamValue::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as a whole number (a float parameter is truncated).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ParamValue::Integer(i) => Some(*i),
            ParamValue::Float(f) if f.is_finite() => Some(*f as i64),
            _ => None,
        }
    }

    /// Brings an override to the default's type (an integer given for a float).
    pub fn coerce_like(self, default: &ParamValue) -> ParamValue {
        match (default, self) {
            (ParamValue::Float(_), ParamValue::Integer(i)) => ParamValue::Float(i as f64),
            (_, v) => v,
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Integer(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::String(s) => write!(f, "\"{s}\""),
            ParamValue::List(l) => write!(f, "{l:?}"),
        }
    }
}

/// A parameter as the policy declares it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamDecl {
    pub default: ParamValue,
    /// What it means, in both languages.
    pub description: Localized,
    /// Unit of the value, e.g. `days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}
