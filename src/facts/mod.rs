//! The fact model: what collectors know about a target, and what they could not learn.
//!
//! Every fact that may be missing is a [`Fact<T>`]: either known, or unknown with a
//! reason ("needs administrator rights", "timed out"...). Collectors never guess and
//! rules never see a made-up value: an unknown fact is absent from the expression
//! context, so a rule that needs it evaluates to *unknown*, never to *pass*.
//!
//! Facts travel as a versioned [`FactDocument`] so that collecting (`khien scan`
//! with `--facts-out`) and evaluating (`khien eval`) can run on different machines.

pub mod descriptions;
pub mod host;
pub mod mail;
pub mod register;

pub mod pdata;
mod shape;
pub mod web;

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use shape::FactShape;

use crate::i18n::{Lang, Localized};

/// Version of the fact document format. Bump on any incompatible change.
pub const FACTS_SCHEMA: &str = "khien-facts/1";

/// A fact that is either known or unknown with a reason.
///
/// Serialized as the plain value when known, and as `{"$unknown": {...}}` when not.
/// `$` cannot start a rule identifier, so the marker never collides with a fact name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fact<T> {
    Unknown(UnknownMarker),
    Known(T),
}

/// The serialized form of an unknown fact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnknownMarker {
    #[serde(rename = "$unknown")]
    pub unknown: Unknown,
}

/// Why a fact could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Unknown {
    pub reason: ReasonCode,
    /// Technical detail in English (an OS error, a path); shown after the localized reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Stable codes for why a fact is unknown. Reports translate them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Reading it needs administrator (root) rights.
    NeedsAdmin,
    /// This operating system has no such fact or khien cannot read it here.
    Unsupported,
    /// Reading it took longer than allowed.
    Timeout,
    /// A walk or read stopped at a configured limit.
    LimitReached,
    /// The local configuration does not declare what is needed to read it.
    NotConfigured,
    /// The source exists but its content could not be understood.
    Unparsable,
    /// The target could not be reached (network targets).
    Unreachable,
    /// A register (kept by people) does not record it.
    NotRecorded,
    /// Any other failure; the detail says what.
    Error,
}

impl ReasonCode {
    pub fn describe(self) -> Localized {
        match self {
            ReasonCode::NeedsAdmin => Localized::new(
                "cần quyền quản trị (Administrator/root)",
                "needs administrator (root) rights",
            ),
            ReasonCode::Unsupported => Localized::new(
                "không hỗ trợ trên hệ điều hành này",
                "not supported on this operating system",
            ),
            ReasonCode::Timeout => Localized::new("quá thời gian chờ", "timed out"),
            ReasonCode::LimitReached => Localized::new(
                "dừng ở giới hạn đã đặt (số tệp hoặc thời gian)",
                "stopped at a configured limit (files or time)",
            ),
            ReasonCode::NotConfigured => Localized::new(
                "chưa được khai báo trong cấu hình",
                "not declared in the configuration",
            ),
            ReasonCode::Unparsable => Localized::new(
                "không đọc hiểu được nội dung",
                "content could not be parsed",
            ),
            ReasonCode::Unreachable => Localized::new("không kết nối được", "could not be reached"),
            ReasonCode::NotRecorded => Localized::new(
                "sổ đăng ký không ghi thông tin này",
                "the register does not record it",
            ),
            ReasonCode::Error => Localized::new("lỗi khi đọc", "read error"),
        }
    }
}

impl Unknown {
    pub fn new(reason: ReasonCode, detail: impl Into<String>) -> Self {
        Unknown {
            reason,
            detail: detail.into(),
        }
    }

    /// The reason for a person, in `lang`, with the technical detail after it.
    pub fn text(&self, lang: Lang) -> String {
        let base = self.reason.describe().get(lang).to_string();
        if self.detail.is_empty() {
            base
        } else {
            format!("{base}: {}", self.detail)
        }
    }
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl<T> Fact<T> {
    pub fn known(value: T) -> Self {
        Fact::Known(value)
    }

    pub fn unknown(reason: ReasonCode, detail: impl Into<String>) -> Self {
        Fact::Unknown(UnknownMarker {
            unknown: Unknown::new(reason, detail),
        })
    }

    pub fn from_unknown(unknown: Unknown) -> Self {
        Fact::Unknown(UnknownMarker { unknown })
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Fact::Known(v) => Some(v),
            Fact::Unknown(_) => None,
        }
    }

    pub fn unknown_reason(&self) -> Option<&Unknown> {
        match self {
            Fact::Known(_) => None,
            Fact::Unknown(m) => Some(&m.unknown),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Fact<U> {
        match self {
            Fact::Known(v) => Fact::Known(f(v)),
            Fact::Unknown(m) => Fact::Unknown(m),
        }
    }
}

impl<T, E: fmt::Display> From<Result<T, E>> for Fact<T> {
    /// A failed read is an unknown of kind `Error` carrying the error text.
    fn from(result: Result<T, E>) -> Self {
        match result {
            Ok(v) => Fact::Known(v),
            Err(e) => Fact::unknown(ReasonCode::Error, e.to_string()),
        }
    }
}

impl<T: JsonSchema> JsonSchema for Fact<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Fact_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let known = generator.subschema_for::<T>();
        let unknown = generator.subschema_for::<UnknownMarker>();
        schemars::json_schema!({
            "description": "A fact: the value when known, or {\"$unknown\": {reason, detail}} when it could not be read.",
            "anyOf": [known, unknown]
        })
    }
}

/// The kinds of target khien scans; each rule names one.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Host,
    Web,
    Register,
    Mail,
}

impl TargetKind {
    /// The variable under which this kind's facts appear in rule expressions.
    pub fn root_variable(self) -> &'static str {
        match self {
            TargetKind::Host => "host",
            TargetKind::Web => "web",
            TargetKind::Register => "register",
            TargetKind::Mail => "mail",
        }
    }

    pub fn all() -> &'static [TargetKind] {
        &[
            TargetKind::Host,
            TargetKind::Web,
            TargetKind::Register,
            TargetKind::Mail,
        ]
    }

    /// The JSON Schema of this kind's facts, used to reject rules that name
    /// facts the model does not have.
    pub fn fact_schema(self) -> serde_json::Value {
        let schema = match self {
            TargetKind::Host => schemars::schema_for!(host::HostFacts),
            TargetKind::Register => schemars::schema_for!(register::RegisterFacts),
            TargetKind::Web => schemars::schema_for!(web::WebFacts),
            TargetKind::Mail => schemars::schema_for!(mail::MailFacts),
        };
        schema.to_value()
    }

    /// Checks that `facts` has this kind's shape, naming the first offending field.
    pub fn check_facts(self, facts: &serde_json::Value) -> Result<(), String> {
        fn typed<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<(), String> {
            serde_path_to_error::deserialize::<_, T>(v)
                .map(drop)
                .map_err(|e| format!("facts.{}: {}", e.path(), e.inner()))
        }
        match self {
            TargetKind::Host => typed::<host::HostFacts>(facts),
            TargetKind::Web => typed::<web::WebFacts>(facts),
            TargetKind::Register => typed::<register::RegisterFacts>(facts),
            TargetKind::Mail => typed::<mail::MailFacts>(facts),
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root_variable())
    }
}

/// The unit (school, Department office) a target belongs to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitRef {
    /// Unit code as in the Department's register, e.g. `THPT-BL-01`.
    pub code: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// What was scanned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetIdentity {
    pub kind: TargetKind,
    /// Host name, site URL or register id.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitRef>,
}

/// A saved set of facts about one target, as `khien scan ... --facts-out` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FactDocument {
    /// Always [`FACTS_SCHEMA`].
    pub schema: String,
    pub tool_version: String,
    #[schemars(with = "String")]
    pub collected_at: jiff::Timestamp,
    pub target: TargetIdentity,
    /// The facts, shaped by `target.kind` (see `schemas/`).
    pub facts: serde_json::Value,
}

impl FactDocument {
    pub fn new(
        target: TargetIdentity,
        collected_at: jiff::Timestamp,
        facts: serde_json::Value,
    ) -> Self {
        FactDocument {
            schema: FACTS_SCHEMA.to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            collected_at,
            target,
            facts,
        }
    }
}
