//! The Department's register of units and information systems: what no machine can
//! show (security-level approvals, plans, restore tests, focal points), kept as a TOML
//! file and checked by the register rules.
//!
//! [`load`] reads and validates a register, listing every error at once with its
//! position; [`facts`] turns it into one fact document per unit and per system at a
//! given evaluation time (attestations expire by themselves); [`web`] links it to
//! the websites a web scan sees. The format is documented in `docs/register.md`.

mod date;
pub mod facts;
mod load;
pub mod web;

use jiff::civil::Date;

pub use date::{format_date, parse_date, parse_instant, today_in_vietnam};
pub use load::{MAX_REGISTER_BYTES, load_file, parse};

/// A register that loaded without errors.
#[derive(Clone, Debug, PartialEq)]
pub struct Register {
    /// Path as the user gave it.
    pub source: String,
    pub title: String,
    pub units: Vec<Unit>,
    pub systems: Vec<System>,
}

impl Register {
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }
}

/// Kinds of unit, as the register writes them.
pub const UNIT_TYPES: &[&str] = &[
    "so", "mam_non", "tieu_hoc", "thcs", "thpt", "lien_cap", "gdtx", "khac",
];
pub const SYSTEM_STATUSES: &[&str] = &["planned", "building", "operating", "retired"];
pub const HOSTING_KINDS: &[&str] = &["on_premises", "cloud", "vendor_service"];
pub const REACHES: &[&str] = &["unit", "province"];
pub const APPROVER_ROLES: &[&str] = &["don_vi_chuyen_trach", "chu_quan", "bo_cong_an", "thu_tuong"];
pub const REGIMES: &[&str] = &["nd85", "nd331"];
/// What a system is for. The kind tells which personal data it must declare (see
/// `docs/register.md` and rule REG-PD-003): an LMS or an online-testing system holds
/// pupils' data, a school-health system holds health data (sensitive personal data).
pub const SYSTEM_KINDS: &[&str] = &[
    "management",
    "portal",
    "public_service",
    "lms",
    "learning_materials",
    "online_testing",
    "school_health",
    "other",
];
/// Data-protection impact assessment (Luật 91/2025 Đ21): filed, exempt (with the legal
/// basis recorded) or not done.
pub const IMPACT_ASSESSMENTS: &[&str] = &["filed", "exempt", "none"];
pub const RESULTS: &[&str] = &["success", "failure"];
/// How far a system's protection plan is implemented, as the annual report states it
/// (NĐ 331/2026/NĐ-CP Đ36.5): fully, partly, or not yet.
pub const PLAN_IMPLEMENTATION: &[&str] = &["full", "partial", "none"];

#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub commune: String,
    /// One of [`UNIT_TYPES`].
    pub kind: String,
    pub computers: Option<u64>,
    pub focal_point: Option<FocalPoint>,
    pub reports: Vec<Report>,
    pub incidents: Vec<Incident>,
    /// The unit's mail domain (`khien scan mail --register`), lower case.
    pub mail_domain: Option<String>,
    /// DKIM selectors the unit's mail is signed with.
    pub dkim_selectors: Vec<String>,
    /// Official-use digital signatures of the unit's managers and teachers (R10).
    pub digital_signatures: Option<DigitalSignatures>,
    /// The rules on managing, using and sharing the sector database (the Department's).
    pub database_rules: Option<Record>,
}

/// How many of a unit's managers and teachers hold a valid official-use digital
/// signature certificate (chữ ký số chuyên dùng công vụ, KH-CĐS-2026-2030 III.3.a).
#[derive(Clone, Debug, PartialEq)]
pub struct DigitalSignatures {
    /// Managers and teachers of the unit.
    pub staff: u64,
    /// Of them, holders of a certificate valid on the attestation day.
    pub valid_certificates: u64,
    pub attestation: Attestation,
}

/// A system's personal-data governance (R12): impact assessment, the person in charge
/// of personal-data protection, and what it shares with whom on what legal basis.
#[derive(Clone, Debug, PartialEq)]
pub struct DataGovernance {
    /// One of [`IMPACT_ASSESSMENTS`].
    pub impact_assessment: String,
    /// The filed assessment's reference, or the legal basis of the exemption.
    pub impact_assessment_basis: String,
    pub protection_contact: String,
    pub sharing: Vec<DataSharing>,
    pub attestation: Attestation,
}

/// Data a system passes to another system (the provincial IOC, the shared data
/// warehouse, the Ministry's database...).
#[derive(Clone, Debug, PartialEq)]
pub struct DataSharing {
    pub recipient: String,
    pub data: String,
    /// The legal basis of the sharing; empty when the register gives none.
    pub legal_basis: String,
}

/// A security incident the unit logged, and when it was reported.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub summary: String,
    pub detected_at: jiff::Timestamp,
    /// Reported to the Department (through its office).
    pub reported_to_department_at: Option<jiff::Timestamp>,
    /// A serious incident, to be reported to the Ministry of Public Security.
    pub serious: bool,
    pub reported_to_ministry_at: Option<jiff::Timestamp>,
    /// Personal data was breached: the breach must be notified.
    pub personal_data_breach: bool,
    pub breach_notified_at: Option<jiff::Timestamp>,
}

/// Who vouched for a record, with what evidence, and the last day it counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Attestation {
    pub by: String,
    pub on: Date,
    pub evidence: String,
    pub expires: Date,
}

impl Attestation {
    /// Whether it counts on `day`: from the day it was made up to and including its
    /// expiry date (an evaluation of an earlier day must not see a later attestation).
    pub fn in_force(&self, day: Date) -> bool {
        self.on <= day && day <= self.expires
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FocalPoint {
    pub name: String,
    pub position: String,
    pub phone: String,
    pub email: String,
    pub decision_no: Option<String>,
    pub decision_date: Option<Date>,
    pub attestation: Attestation,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub name: String,
    pub due: Date,
    pub submitted: Option<Date>,
    pub evidence: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct System {
    pub id: String,
    pub name: String,
    /// Code of the unit it belongs to (checked to exist).
    pub unit: String,
    pub owner: String,
    pub operator: String,
    /// One of [`SYSTEM_KINDS`].
    pub kind: String,
    pub urls: Vec<String>,
    pub hosting: Hosting,
    /// One of [`SYSTEM_STATUSES`].
    pub status: String,
    pub go_live: Option<Date>,
    pub investment_started: Option<Date>,
    pub critical: bool,
    /// One of [`REACHES`].
    pub reach: String,
    pub citizen_facing: bool,
    pub administrative_procedures: bool,
    pub personal_data: PersonalData,
    pub approval: Option<Approval>,
    pub records: Records,
    pub data_governance: Option<DataGovernance>,
    /// How far the protection plan of the approved level is implemented (K09).
    pub protection_plan: Option<ProtectionPlan>,
}

/// The implementation of a system's protection plan (phương án bảo vệ) on a given day.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtectionPlan {
    /// One of [`PLAN_IMPLEMENTATION`].
    pub implemented: String,
    /// The day the implementation level was confirmed.
    pub date: Date,
    pub document_no: Option<String>,
    pub attestation: Attestation,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hosting {
    pub kind: String,
    pub provider: String,
    pub country: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PersonalData {
    pub categories: Vec<String>,
    /// `None` when the register does not say (and some data is held).
    pub subjects: Option<u64>,
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Approval {
    pub proposed_level: Option<u8>,
    pub approved_level: u8,
    pub decision_no: String,
    pub decision_date: Date,
    pub approver: String,
    pub approver_role: String,
    pub regime: String,
    pub attestation: Attestation,
}

/// The attested records of a system, by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Records {
    pub security_policy: Option<Record>,
    pub backup_plan: Option<Record>,
    pub restore_test: Option<Record>,
    pub incident_response_plan: Option<Record>,
    pub soc_connection: Option<Record>,
    pub vulnerability_scan: Option<Record>,
    pub pre_operation_assessment: Option<Record>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub date: Date,
    pub document_no: Option<String>,
    pub result: Option<String>,
    /// For the backup plan only: how copies are kept.
    pub backup: Option<BackupCopies>,
    pub attestation: Attestation,
}

/// How a backup plan keeps its copies (the 3-2-1 rule); `None` where not stated.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupCopies {
    pub copies: Option<u64>,
    pub media: Option<u64>,
    pub offsite: Option<bool>,
}
