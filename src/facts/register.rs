//! Facts about the Department's register: one unit, one information system, or one
//! website seen by a web scan, as the register rules (`rules/register.toml`) read them.
//!
//! The register is a record kept by people, so most of these facts are what the
//! register *says*. A record the register does not hold is `null` (not recorded: the
//! rule fails), an attestation that expired at the evaluation time is `null` too, with
//! its name listed in `expired` as evidence. A value the register leaves out but a
//! rule needs to decide (how many people a system holds data on) is an unknown
//! [`Fact`], so the rule becomes *unknown*, never *pass*.
//!
//! Dates are strings `YYYY-MM-DD` (local dates, as on Vietnamese documents): they
//! compare correctly as strings and `days_since()` accepts them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Fact;

/// The facts of one register target. `scope` says which of `unit`, `system` and
/// `site` is filled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegisterFacts {
    /// `unit` (a unit's own records), `system` (one information system) or `site`
    /// (a website a web scan found, linked to the register).
    pub scope: String,
    /// The unit concerned; absent only for a site that belongs to no registered system.
    pub unit: Option<UnitFacts>,
    /// One information system of the register.
    pub system: Option<SystemFacts>,
    pub site: Option<SiteFacts>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UnitFacts {
    /// Unit code as in the register, e.g. `THPT-BL-01`.
    pub code: String,
    /// The unit's name.
    pub name: String,
    /// Commune or ward (xã, phường) after the 2025 merger.
    pub commune: String,
    /// `so`, `mam_non`, `tieu_hoc`, `thcs`, `thpt`, `lien_cap`, `gdtx`, `khac`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Computers in the unit's inventory: the denominator of the "100% of computers" targets.
    pub computers: Fact<u64>,
    /// The IT and security focal point; `null` when none is recorded or its attestation expired.
    pub focal_point: Option<FocalPointFacts>,
    /// Periodic reports the unit sent.
    pub reports: Vec<ReportFacts>,
    /// Security incidents the unit logged.
    pub incidents: Vec<IncidentFacts>,
    /// Official-use digital signatures of the unit's managers and teachers; `null` when
    /// not recorded or its attestation expired.
    pub digital_signatures: Option<DigitalSignaturesFacts>,
    /// The rules on managing, using and sharing the sector database (quy chế quản lý,
    /// khai thác, sử dụng CSDL ngành); `null` when not recorded or expired.
    pub database_rules: Option<RecordFacts>,
    /// Names of attestations of this unit that expired at the evaluation time.
    pub expired: Vec<String>,
}

/// Official-use digital signature certificates (chữ ký số chuyên dùng công vụ).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DigitalSignaturesFacts {
    /// Managers and teachers of the unit.
    pub staff: u64,
    /// Of them, holders of a valid certificate.
    pub valid_certificates: u64,
    pub attestation: AttestationFacts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FocalPointFacts {
    /// The focal point's full name.
    pub name: String,
    /// The focal point's position.
    pub position: String,
    /// The focal point's phone number.
    pub phone: String,
    /// The focal point's e-mail address.
    pub email: String,
    /// The appointment decision (quyết định phân công).
    pub decision_no: Option<String>,
    /// Date of the appointment decision, `YYYY-MM-DD`.
    pub decision_date: Option<String>,
    pub attestation: AttestationFacts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReportFacts {
    /// What was reported, e.g. `Báo cáo 6 tháng đầu năm 2026`.
    pub name: String,
    /// The deadline it answered, `YYYY-MM-DD`.
    pub due: String,
    /// When it was sent; `null` when not sent yet.
    pub submitted: Option<String>,
    /// Document number, file name or link of the report.
    pub evidence: String,
}

/// One logged incident; times are RFC 3339 (UTC), `null` when not done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IncidentFacts {
    /// A summary of the incident.
    pub summary: String,
    /// When the incident was detected.
    pub detected_at: String,
    /// Reported to the Department (through its office).
    pub reported_to_department_at: Option<String>,
    /// Serious: to be reported to the Ministry of Public Security.
    pub serious: bool,
    /// When it was reported to the Ministry of Public Security.
    pub reported_to_ministry_at: Option<String>,
    /// Personal data was disclosed or lost.
    pub personal_data_breach: bool,
    /// When the personal-data breach was notified.
    pub breach_notified_at: Option<String>,
}

/// Who vouched for a record that no machine can show, with what and until when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttestationFacts {
    /// Who attested it.
    pub attested_by: String,
    /// When it was attested, `YYYY-MM-DD`.
    pub attested_on: String,
    /// Document number, file name or link.
    pub evidence: String,
    /// Last day the attestation counts.
    pub expires: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SystemFacts {
    /// The system's code in the register.
    pub id: String,
    /// The system's name.
    pub name: String,
    /// The owner (chủ quản), e.g. `UBND tỉnh Lâm Đồng`.
    pub owner: String,
    /// Who runs it day to day.
    pub operator: String,
    /// The system's web addresses.
    pub urls: Vec<String>,
    /// Where the system is hosted.
    pub hosting: HostingFacts,
    /// `planned`, `building`, `operating` or `retired`.
    pub status: String,
    /// When it went (or goes) into operation; unknown when the register does not say.
    pub go_live: Fact<String>,
    /// When the investment (or the project) started: decides the transition deadline.
    pub investment_started: Fact<String>,
    /// A critical system (hệ thống thông tin trọng yếu).
    pub critical: bool,
    /// `unit` (one school or office) or `province` (shared by the whole sector).
    pub reach: String,
    /// Serves citizens (parents, pupils) online.
    pub citizen_facing: bool,
    /// Handles administrative procedures (thủ tục hành chính).
    pub administrative_procedures: bool,
    /// The personal data the system holds.
    pub personal_data: PersonalDataFacts,
    /// The security-level approval; `null` when none is recorded or its attestation expired.
    pub approval: Option<ApprovalFacts>,
    pub records: RecordsFacts,
    /// What it is for: `management`, `portal`, `public_service`, `lms` (learning
    /// management), `learning_materials`, `online_testing`, `school_health` or `other`.
    pub kind: String,
    /// Personal-data governance; `null` when not recorded or its attestation expired.
    pub data_governance: Option<DataGovernanceFacts>,
    /// How far the protection plan is implemented; unknown (not recorded) when the
    /// register does not say, has no confirmation yet on the evaluation day, or its
    /// attestation expired: K09 counts such a system as not evaluated, never as met.
    pub protection_plan: Fact<ProtectionPlanFacts>,
    /// Names of attestations of this system that expired at the evaluation time.
    pub expired: Vec<String>,
    /// What a web scan saw at the system's URLs; `null` when no web scan was linked.
    pub web: Option<Vec<UrlCheckFacts>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HostingFacts {
    /// `on_premises`, `cloud` or `vendor_service`.
    pub kind: String,
    /// The infrastructure or service provider.
    pub provider: String,
    /// ISO 3166 alpha-2 country of the data, e.g. `VN`.
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PersonalDataFacts {
    /// E.g. `hoc_sinh`, `giao_vien`, `phu_huynh`; empty when it holds none.
    pub categories: Vec<String>,
    /// Approximate number of people it holds basic personal data on.
    pub subjects: Fact<u64>,
    /// Some of it is sensitive personal data (NĐ 356/2025 Đ4: health, ID-card images...).
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApprovalFacts {
    /// The level proposed in the dossier; `null` when the register does not say.
    pub proposed_level: Option<u8>,
    /// The approved security level (1–5).
    pub approved_level: u8,
    /// Number of the approval decision.
    pub decision_no: String,
    /// Date of the approval decision, `YYYY-MM-DD`.
    pub decision_date: String,
    /// The body or person that approved it.
    pub approver: String,
    /// `don_vi_chuyen_trach` (the security unit), `chu_quan` (the owner),
    /// `bo_cong_an` or `thu_tuong` (the Prime Minister: level 5 under NĐ 85/2016 only).
    pub approver_role: String,
    /// The legal regime of the approval: `nd85` (NĐ 85/2016) or `nd331` (NĐ 331/2026).
    pub regime: String,
    pub attestation: AttestationFacts,
}

/// Records a register holds for a system; each is `null` when not recorded or expired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecordsFacts {
    /// The security policy (Quy chế bảo đảm an toàn thông tin).
    pub security_policy: Option<RecordFacts>,
    /// The data backup plan.
    pub backup_plan: Option<RecordFacts>,
    /// The last restore test; `result` says whether it succeeded.
    pub restore_test: Option<RecordFacts>,
    /// The incident response plan.
    pub incident_response_plan: Option<RecordFacts>,
    /// The connection to the provincial SOC.
    pub soc_connection: Option<RecordFacts>,
    /// The last vulnerability scan.
    pub vulnerability_scan: Option<RecordFacts>,
    /// The assessment of security conditions before operation (NĐ 331/2026 Đ28.3).
    pub pre_operation_assessment: Option<RecordFacts>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecordFacts {
    /// When the document was issued or the action done, `YYYY-MM-DD`.
    pub date: String,
    /// Document number; `null` when the register does not say.
    pub document_no: Option<String>,
    /// `success` or `failure`, for tests and scans.
    pub result: Option<String>,
    /// For the backup plan only (absent on other records): how copies are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupCopiesFacts>,
    pub attestation: AttestationFacts,
}

/// The 3-2-1 rule: copies kept, kinds of media, a copy off site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BackupCopiesFacts {
    /// Copies kept (the 3-2-1 rule asks for at least 3).
    pub copies: Fact<u64>,
    /// Kinds of storage media (the 3-2-1 rule asks for at least 2).
    pub media: Fact<u64>,
    /// A copy is kept off site (the 3-2-1 rule).
    pub offsite: Fact<bool>,
}

/// The implementation of the protection plan of the approved level (NĐ 331/2026 Đ36.5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProtectionPlanFacts {
    /// `full`, `partial` or `none`.
    pub implemented: String,
    /// The day the implementation level was confirmed, `YYYY-MM-DD`.
    pub date: String,
    /// Number of the document that confirms it; `null` when the register does not say.
    pub document_no: Option<String>,
    pub attestation: AttestationFacts,
}

/// A system's personal-data governance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DataGovernanceFacts {
    /// Data-protection impact assessment: `filed`, `exempt` or `none`.
    pub impact_assessment: String,
    /// The filed assessment's reference, or the legal basis of the exemption.
    pub impact_assessment_basis: String,
    /// The person in charge of personal-data protection; empty when none is named.
    pub protection_contact: String,
    /// Data the system shares with other systems.
    pub sharing: Vec<DataSharingFacts>,
    pub attestation: AttestationFacts,
}

/// Data shared with another system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DataSharingFacts {
    /// Who receives it, e.g. `IOC tỉnh Lâm Đồng`.
    pub recipient: String,
    /// The data shared.
    pub data: String,
    /// The legal basis; empty when the register gives none.
    pub legal_basis: String,
}

/// One registered URL and whether it answered the web scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UrlCheckFacts {
    /// The registered address.
    pub url: String,
    /// The URL was among the sites scanned.
    pub scanned: bool,
    /// It answered (any HTTP response).
    pub answered: bool,
}

/// A website a web scan reached, and the registered system it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SiteFacts {
    /// The site's address.
    pub url: String,
    /// The site answered the web scan (any HTTP response).
    pub answered: bool,
    /// The registered system whose URLs include it; `null` when none does.
    pub system: Option<String>,
}
