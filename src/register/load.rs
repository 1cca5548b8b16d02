//! Reading a register file: TOML with positions, then every check, all errors at once.
//!
//! Each `[[unit]]` and `[[system]]` is deserialized on its own (so one bad entry does
//! not hide the errors of the next), and the values that need judgement (dates,
//! levels, codes, references between entries) are kept with their positions and
//! checked afterwards. Nothing is returned from a register that has an error.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use jiff::civil::Date;
use serde::Deserialize;
use serde_spanned::Spanned;

use super::{
    APPROVER_ROLES, Approval, Attestation, BackupCopies, DataGovernance, DataSharing,
    DigitalSignatures, FocalPoint, HOSTING_KINDS, Hosting, IMPACT_ASSESSMENTS, Incident,
    PLAN_IMPLEMENTATION, PersonalData, ProtectionPlan, REACHES, REGIMES, RESULTS, Record, Records,
    Register, Report, SYSTEM_KINDS, SYSTEM_STATUSES, System, UNIT_TYPES, Unit, parse_instant,
};
use crate::diagnostic::Code;
use crate::i18n::Lang;
use crate::i18n::Localized;
use crate::policy::{Diagnostics, SourceFile};
use crate::spanned_toml::{self, DateInput, TomlFile};

/// The largest register read: a province's register is a few megabytes; anything
/// far larger is not a register, and reading it whole would cost unbounded memory.
pub const MAX_REGISTER_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and checks a register file.
pub fn load_file(path: &Path) -> Result<Register, Diagnostics> {
    let mut diags = Diagnostics::default();
    match spanned_toml::read_file(
        &mut diags,
        path,
        MAX_REGISTER_BYTES,
        Localized::new("không đọc được sổ đăng ký", "cannot read the register"),
        Localized::new(
            "kiểm tra đường dẫn tệp sổ đăng ký",
            "check the register's path",
        ),
    ) {
        Some(f) => check(diags, f),
        None => Err(diags),
    }
}

/// Parses and checks a register held in memory.
pub fn parse(file: SourceFile) -> Result<Register, Diagnostics> {
    let mut diags = Diagnostics::default();
    let f = diags.add_file(file);
    check(diags, f)
}

fn check(mut diags: Diagnostics, f: usize) -> Result<Register, Diagnostics> {
    let source = diags.files[f].name.clone();
    let mut cx = Checker {
        doc: TomlFile::new(&mut diags, f),
    };
    let text = cx.text();
    let Some(table) = cx.parse(&text) else {
        return Err(diags);
    };

    let mut header = RawHeader::default();
    let mut raw_units = Vec::new();
    let mut raw_systems = Vec::new();
    for (key, value) in table {
        let key_span = key.span();
        match key.get_ref().as_ref() {
            "register" => {
                if let Some(h) = cx.deserialize::<RawHeader>(value, "[register]", DOCS) {
                    if let Some(d) = &h.updated {
                        cx.date(d, "updated");
                    }
                    header = h;
                }
            }
            "unit" => {
                for item in cx.array(value, "unit") {
                    if let Some(u) = cx.deserialize::<RawUnit>(item, "[[unit]]", DOCS) {
                        raw_units.push(u);
                    }
                }
            }
            "system" => {
                for item in cx.array(value, "system") {
                    if let Some(s) = cx.deserialize::<RawSystem>(item, "[[system]]", DOCS) {
                        raw_systems.push(s);
                    }
                }
            }
            other => cx.error(
                Code::UnknownKey,
                key_span,
                (
                    format!("khóa `{other}` không có trong định dạng sổ đăng ký"),
                    "sổ đăng ký gồm [register], [[unit]] và [[system]]",
                ),
                (
                    format!("unknown top-level key `{other}`"),
                    "a register contains [register], [[unit]] and [[system]] tables",
                ),
            ),
        }
    }

    let mut first_unit: HashMap<String, Range<usize>> = HashMap::new();
    let mut units = Vec::new();
    for raw in raw_units {
        let code = raw.code.get_ref().trim().to_string();
        cx.check_code(&raw.code, "unit");
        if let Some(first) = first_unit.get(&code) {
            let line = cx.line_of(first.start);
            cx.error(
                Code::Duplicate,
                raw.code.span(),
                (
                    format!("mã đơn vị `{code}` bị trùng (đã khai báo ở dòng {line})"),
                    "mỗi đơn vị khai báo một lần, với mã riêng",
                ),
                (
                    format!("duplicate unit code `{code}` (first declared on line {line})"),
                    "declare each unit once, with its own code",
                ),
            );
        } else {
            first_unit.insert(code.clone(), raw.code.span());
        }
        units.push(cx.unit(raw, code));
    }

    let mut first_system: HashMap<String, Range<usize>> = HashMap::new();
    let mut first_url: HashMap<String, String> = HashMap::new();
    let mut systems = Vec::new();
    for raw in raw_systems {
        let id = raw.id.get_ref().trim().to_string();
        cx.check_code(&raw.id, "system");
        if let Some(first) = first_system.get(&id) {
            let line = cx.line_of(first.start);
            cx.error(
                Code::Duplicate,
                raw.id.span(),
                (
                    format!("mã hệ thống `{id}` bị trùng (đã khai báo ở dòng {line})"),
                    "mỗi hệ thống thông tin có một mã riêng",
                ),
                (
                    format!("duplicate system id `{id}` (first declared on line {line})"),
                    "give each information system its own id",
                ),
            );
        } else {
            first_system.insert(id.clone(), raw.id.span());
        }
        let unit = raw.unit.get_ref().trim().to_string();
        if !first_unit.contains_key(&unit) {
            let known: Vec<&str> = first_unit.keys().map(String::as_str).collect();
            let mut known = known;
            known.sort_unstable();
            cx.error(
                Code::UnknownReference,
                raw.unit.span(),
                (
                    format!("hệ thống `{id}` thuộc đơn vị `{unit}` không có trong sổ"),
                    format!(
                        "khai báo đơn vị này trong một [[unit]], hoặc dùng một mã đã có: {}",
                        known.join(", ")
                    ),
                ),
                (
                    format!("system `{id}` names unit `{unit}`, which the register does not have"),
                    format!(
                        "declare the unit in a [[unit]] table, or use a known code: {}",
                        known.join(", ")
                    ),
                ),
            );
        }
        for url in &raw.urls {
            let key = super::web::normalize_url(url.get_ref());
            match key {
                None => cx.error(
                    Code::InvalidValue,
                    url.span(),
                    (
                        format!(
                            "`{}` không phải địa chỉ web http:// hoặc https://",
                            url.get_ref()
                        ),
                        "ghi đầy đủ, ví dụ https://thpt-bao-loc.lamdong.edu.vn/",
                    ),
                    (
                        format!("`{}` is not an http:// or https:// URL", url.get_ref()),
                        "write the whole address, e.g. https://thpt-bao-loc.lamdong.edu.vn/",
                    ),
                ),
                Some(key) => {
                    if let Some(owner) = first_url.get(&key).filter(|o| **o != id) {
                        cx.error(
                            Code::Duplicate,
                            url.span(),
                            (
                                format!("địa chỉ `{}` đã thuộc hệ thống `{owner}`", url.get_ref()),
                                "mỗi địa chỉ web thuộc đúng một hệ thống",
                            ),
                            (
                                format!(
                                    "URL `{}` already belongs to system `{owner}`",
                                    url.get_ref()
                                ),
                                "each URL belongs to exactly one system",
                            ),
                        );
                    } else {
                        first_url.insert(key, id.clone());
                    }
                }
            }
        }
        systems.push(cx.system(raw, id, unit));
    }

    spanned_toml::finish(diags, || Register {
        source,
        title: header.title.unwrap_or_default(),
        units,
        systems,
    })
}

type SpannedDate = Spanned<DateInput>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    title: Option<String>,
    #[allow(dead_code)]
    maintainer: Option<String>,
    updated: Option<SpannedDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    code: Spanned<String>,
    name: String,
    #[serde(default)]
    commune: String,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    computers: Option<Spanned<i64>>,
    focal_point: Option<RawFocalPoint>,
    #[serde(default, rename = "report")]
    reports: Vec<RawReport>,
    #[serde(default, rename = "incident")]
    incidents: Vec<RawIncident>,
    mail_domain: Option<Spanned<String>>,
    #[serde(default)]
    dkim_selectors: Vec<String>,
    digital_signatures: Option<RawDigitalSignatures>,
    database_rules: Option<RawRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDigitalSignatures {
    staff: Spanned<i64>,
    valid_certificates: Spanned<i64>,
    attested_by: String,
    attested_on: SpannedDate,
    evidence: String,
    expires: SpannedDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataGovernance {
    impact_assessment: Spanned<String>,
    #[serde(default)]
    impact_assessment_basis: String,
    #[serde(default)]
    protection_contact: String,
    #[serde(default)]
    sharing: Vec<RawSharing>,
    attested_by: String,
    attested_on: SpannedDate,
    evidence: String,
    expires: SpannedDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSharing {
    recipient: String,
    data: String,
    #[serde(default)]
    legal_basis: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIncident {
    summary: String,
    detected_at: SpannedDate,
    reported_to_department_at: Option<SpannedDate>,
    #[serde(default)]
    serious: bool,
    reported_to_ministry_at: Option<SpannedDate>,
    #[serde(default)]
    personal_data_breach: bool,
    breach_notified_at: Option<SpannedDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFocalPoint {
    name: String,
    position: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    decision_no: Option<String>,
    decision_date: Option<SpannedDate>,
    attested_by: String,
    attested_on: SpannedDate,
    evidence: String,
    expires: SpannedDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    name: String,
    due: SpannedDate,
    submitted: Option<SpannedDate>,
    #[serde(default)]
    evidence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    id: Spanned<String>,
    name: String,
    unit: Spanned<String>,
    owner: String,
    operator: String,
    kind: Option<Spanned<String>>,
    #[serde(default)]
    urls: Vec<Spanned<String>>,
    hosting: RawHosting,
    status: Spanned<String>,
    go_live: Option<SpannedDate>,
    investment_started: Option<SpannedDate>,
    #[serde(default)]
    critical: bool,
    reach: Option<Spanned<String>>,
    #[serde(default)]
    citizen_facing: bool,
    #[serde(default)]
    administrative_procedures: bool,
    personal_data: RawPersonalData,
    approval: Option<RawApproval>,
    #[serde(default)]
    records: RawRecords,
    data_governance: Option<RawDataGovernance>,
    protection_plan: Option<RawProtectionPlan>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProtectionPlan {
    implemented: Spanned<String>,
    date: SpannedDate,
    document_no: Option<String>,
    attested_by: String,
    attested_on: SpannedDate,
    evidence: String,
    expires: SpannedDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHosting {
    kind: Spanned<String>,
    #[serde(default)]
    provider: String,
    country: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersonalData {
    categories: Vec<String>,
    subjects: Option<Spanned<i64>>,
    #[serde(default)]
    sensitive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApproval {
    proposed_level: Option<Spanned<i64>>,
    approved_level: Spanned<i64>,
    decision_no: String,
    decision_date: SpannedDate,
    approver: String,
    approver_role: Spanned<String>,
    regime: Spanned<String>,
    attested_by: String,
    attested_on: SpannedDate,
    evidence: String,
    expires: SpannedDate,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRecords {
    security_policy: Option<RawRecord>,
    backup_plan: Option<RawRecord>,
    restore_test: Option<RawRecord>,
    incident_response_plan: Option<RawRecord>,
    soc_connection: Option<RawRecord>,
    vulnerability_scan: Option<RawRecord>,
    pre_operation_assessment: Option<RawRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    date: SpannedDate,
    document_no: Option<String>,
    result: Option<Spanned<String>>,
    /// Backup plans only: copies kept, kinds of media, a copy off site (3-2-1).
    copies: Option<Spanned<i64>>,
    media: Option<Spanned<i64>>,
    offsite: Option<Spanned<bool>>,
    attested_by: String,
    attested_on: SpannedDate,
    evidence: String,
    expires: SpannedDate,
}

/// Turns raw entries into the checked model, recording errors in the file's
/// diagnostics (the kit's checks through `Deref`, the register's own below).
struct Checker<'d> {
    doc: TomlFile<'d>,
}

impl<'d> std::ops::Deref for Checker<'d> {
    type Target = TomlFile<'d>;
    fn deref(&self) -> &TomlFile<'d> {
        &self.doc
    }
}

impl std::ops::DerefMut for Checker<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.doc
    }
}

/// Where the register's keys are documented, for the help of an unknown key.
const DOCS: &str = "docs/register.md";

/// A placeholder for a value that failed its check: never returned, since any error
/// stops the load, but it lets the checks go on to find the next error.
const NO_DATE: Date = Date::constant(1970, 1, 1);

impl Checker<'_> {
    fn check_code(&mut self, code: &Spanned<String>, what: &str) {
        let c = code.get_ref();
        let ok = !c.is_empty()
            && c.len() <= 64
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
        if !ok {
            self.error(
                Code::InvalidValue,
                code.span(),
                (
                    format!("mã `{c}` không hợp lệ"),
                    format!(
                        "mã {} chỉ gồm chữ cái, chữ số không dấu và - _ . (tối đa 64 ký tự), ví dụ THPT-BL-01",
                        if what == "unit" { "đơn vị" } else { "hệ thống" }
                    ),
                ),
                (
                    format!("invalid {what} code `{c}`"),
                    "use ASCII letters, digits and - _ . (at most 64), e.g. THPT-BL-01",
                ),
            );
        }
    }

    fn date(&mut self, value: &SpannedDate, field: &str) -> Date {
        self.doc.date(value, field).unwrap_or(NO_DATE)
    }

    /// A mail domain: host-name labels, at least two of them.
    fn mail_domain(&mut self, value: &Spanned<String>) -> Option<String> {
        let d = value
            .get_ref()
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if crate::collect::mail::valid_domain(&d) {
            return Some(d);
        }
        self.error(
            Code::InvalidValue,
            value.span(),
            (
                format!(
                    "`mail_domain` = \"{}\" không phải tên miền",
                    value.get_ref()
                ),
                "ghi tên miền thư, ví dụ thpt-bl.edu.vn (không có @, không có http://)",
            ),
            (
                format!(
                    "`mail_domain` = \"{}\" is not a domain name",
                    value.get_ref()
                ),
                "give the mail domain, e.g. thpt-bl.edu.vn (no @, no http://)",
            ),
        );
        None
    }

    fn count(&mut self, value: &Spanned<i64>, field: &str) -> u64 {
        let v = *value.get_ref();
        if v < 0 {
            self.error(
                Code::OutOfRange,
                value.span(),
                (
                    format!("`{field}` không được âm ({v})"),
                    "ghi số lượng, ví dụ 45",
                ),
                (
                    format!("`{field}` cannot be negative ({v})"),
                    "give a count, e.g. 45",
                ),
            );
        }
        v.max(0) as u64
    }

    fn level(&mut self, value: &Spanned<i64>, field: &str) -> u8 {
        let v = *value.get_ref();
        if !(1..=5).contains(&v) {
            self.error(
                Code::OutOfRange,
                value.span(),
                (
                    format!("`{field}` = {v}: cấp độ phải từ 1 đến 5"),
                    "cấp độ an toàn hệ thống thông tin là 1, 2, 3, 4 hoặc 5",
                ),
                (
                    format!("`{field}` = {v}: a security level is 1 to 5"),
                    "security levels are 1, 2, 3, 4 or 5",
                ),
            );
        }
        v.clamp(1, 5) as u8
    }

    fn attestation(
        &mut self,
        by: String,
        on: &SpannedDate,
        evidence: String,
        expires: &SpannedDate,
    ) -> Attestation {
        let on_date = self.date(on, "attested_on");
        let expires_date = self.date(expires, "expires");
        if expires_date < on_date && expires_date != NO_DATE {
            self.error(
                Code::InvalidDate,
                expires.span(),
                (
                    "ngày hết hạn (`expires`) trước ngày xác nhận (`attested_on`)",
                    "ghi ngày hết hạn sau ngày xác nhận",
                ),
                (
                    "`expires` is before `attested_on`",
                    "give an expiry date after the attestation date",
                ),
            );
        }
        for (field, text) in [("attested_by", &by), ("evidence", &evidence)] {
            if text.trim().is_empty() {
                self.error(
                    Code::MissingKey,
                    expires.span(),
                    (
                        format!("xác nhận thiếu `{field}`"),
                        "ghi người xác nhận và minh chứng (số văn bản, tên tệp hoặc đường dẫn)",
                    ),
                    (
                        format!("the attestation has an empty `{field}`"),
                        "say who attests and the evidence (document number, file or link)",
                    ),
                );
            }
        }
        Attestation {
            by,
            on: on_date,
            evidence,
            expires: expires_date,
        }
    }

    fn unit(&mut self, raw: RawUnit, code: String) -> Unit {
        let kind = self.one_of(&raw.kind, UNIT_TYPES, "type");
        let computers = raw.computers.as_ref().map(|c| self.count(c, "computers"));
        let focal_point = raw.focal_point.map(|fp| FocalPoint {
            decision_date: fp
                .decision_date
                .as_ref()
                .map(|d| self.date(d, "decision_date")),
            attestation: self.attestation(
                fp.attested_by,
                &fp.attested_on,
                fp.evidence,
                &fp.expires,
            ),
            name: fp.name,
            position: fp.position,
            phone: fp.phone,
            email: fp.email,
            decision_no: fp.decision_no,
        });
        let reports = raw
            .reports
            .into_iter()
            .map(|r| Report {
                due: self.date(&r.due, "due"),
                submitted: r.submitted.as_ref().map(|d| self.date(d, "submitted")),
                name: r.name,
                evidence: r.evidence,
            })
            .collect();
        let incidents = raw
            .incidents
            .into_iter()
            .map(|i| Incident {
                detected_at: self.instant(&i.detected_at, "detected_at"),
                reported_to_department_at: i
                    .reported_to_department_at
                    .as_ref()
                    .map(|t| self.instant(t, "reported_to_department_at")),
                reported_to_ministry_at: i
                    .reported_to_ministry_at
                    .as_ref()
                    .map(|t| self.instant(t, "reported_to_ministry_at")),
                breach_notified_at: i
                    .breach_notified_at
                    .as_ref()
                    .map(|t| self.instant(t, "breach_notified_at")),
                summary: i.summary,
                serious: i.serious,
                personal_data_breach: i.personal_data_breach,
            })
            .collect();
        let mail_domain = raw.mail_domain.as_ref().and_then(|d| self.mail_domain(d));
        let digital_signatures = raw.digital_signatures.map(|d| {
            let staff = self.count(&d.staff, "digital_signatures.staff");
            let valid_certificates =
                self.count(&d.valid_certificates, "digital_signatures.valid_certificates");
            if valid_certificates > staff {
                self.error(
                    Code::OutOfRange,
                    d.valid_certificates.span(),
                    (
                        format!("`valid_certificates` = {valid_certificates} lớn hơn `staff` = {staff}"),
                        "ghi số cán bộ quản lý, giáo viên (staff) và số người trong đó có chứng thư số còn hiệu lực",
                    ),
                    (
                        format!("`valid_certificates` = {valid_certificates} is more than `staff` = {staff}"),
                        "give the number of managers and teachers (staff) and how many of them hold a valid certificate",
                    ),
                );
            }
            DigitalSignatures {
                staff,
                valid_certificates,
                attestation: self.attestation(d.attested_by, &d.attested_on, d.evidence, &d.expires),
            }
        });
        let database_rules = self.record(raw.database_rules, "database_rules");
        Unit {
            code,
            name: raw.name,
            commune: raw.commune,
            kind,
            computers,
            focal_point,
            reports,
            incidents,
            mail_domain,
            dkim_selectors: raw.dkim_selectors,
            digital_signatures,
            database_rules,
        }
    }

    /// A date and time (TOML `2026-10-03T08:15:00+07:00` or a string); without an
    /// offset it is Vietnamese time.
    fn instant(&mut self, value: &SpannedDate, field: &str) -> jiff::Timestamp {
        match parse_instant(&value.get_ref().text()) {
            Ok(t) => t,
            Err(why) => {
                self.error(
                    Code::InvalidDate,
                    value.span(),
                    (
                        format!("`{field}`: thời điểm không hợp lệ: {}", why.text(Lang::Vi)),
                        "ghi ngày giờ dạng 2026-10-03T08:15:00 (giờ Việt Nam) hoặc 2026-10-03T08:15:00+07:00",
                    ),
                    (
                        format!("`{field}`: invalid date and time: {}", why.text(Lang::En)),
                        "write it as 2026-10-03T08:15:00 (Vietnamese time) or 2026-10-03T08:15:00+07:00",
                    ),
                );
                jiff::Timestamp::UNIX_EPOCH
            }
        }
    }

    fn record(&mut self, raw: Option<RawRecord>, name: &str) -> Option<Record> {
        let r = raw?;
        let backup = if name == "backup_plan" {
            Some(BackupCopies {
                copies: r.copies.as_ref().map(|c| self.count(c, "copies")),
                media: r.media.as_ref().map(|c| self.count(c, "media")),
                offsite: r.offsite.as_ref().map(|o| *o.get_ref()),
            })
        } else {
            let spans = [
                r.copies.as_ref().map(|c| ("copies", c.span())),
                r.media.as_ref().map(|c| ("media", c.span())),
                r.offsite.as_ref().map(|c| ("offsite", c.span())),
            ];
            for (key, span) in spans.into_iter().flatten() {
                self.error(
                    Code::UnknownKey,
                    span,
                    (
                        format!("`{key}` chỉ dùng trong [system.records.backup_plan]"),
                        format!("xóa `{key}` khỏi [system.records.{name}]"),
                    ),
                    (
                        format!("`{key}` belongs in [system.records.backup_plan] only"),
                        format!("remove `{key}` from [system.records.{name}]"),
                    ),
                );
            }
            None
        };
        Some(Record {
            date: self.date(&r.date, "date"),
            result: r.result.as_ref().map(|v| self.one_of(v, RESULTS, "result")),
            backup,
            attestation: self.attestation(r.attested_by, &r.attested_on, r.evidence, &r.expires),
            document_no: r.document_no,
        })
    }

    fn system(&mut self, raw: RawSystem, id: String, unit: String) -> System {
        let status = self.one_of(&raw.status, SYSTEM_STATUSES, "status");
        let kind = match &raw.kind {
            Some(k) => self.one_of(k, SYSTEM_KINDS, "kind"),
            None => "other".to_string(),
        };
        let data_governance = raw.data_governance.map(|g| DataGovernance {
            impact_assessment: self.one_of(
                &g.impact_assessment,
                IMPACT_ASSESSMENTS,
                "data_governance.impact_assessment",
            ),
            impact_assessment_basis: g.impact_assessment_basis,
            protection_contact: g.protection_contact,
            sharing: g
                .sharing
                .into_iter()
                .map(|s| DataSharing {
                    recipient: s.recipient,
                    data: s.data,
                    legal_basis: s.legal_basis,
                })
                .collect(),
            attestation: self.attestation(g.attested_by, &g.attested_on, g.evidence, &g.expires),
        });
        let reach = match &raw.reach {
            Some(r) => self.one_of(r, REACHES, "reach"),
            None => "unit".to_string(),
        };
        let hosting = Hosting {
            kind: self.one_of(&raw.hosting.kind, HOSTING_KINDS, "hosting.kind"),
            provider: raw.hosting.provider,
            country: match &raw.hosting.country {
                Some(c) => {
                    let v = c.get_ref().trim().to_ascii_uppercase();
                    if v.len() != 2 || !v.bytes().all(|b| b.is_ascii_uppercase()) {
                        self.error(
                            Code::InvalidValue,
                            c.span(),
                            (
                                format!("`hosting.country` = `{v}` không phải mã quốc gia"),
                                "dùng mã 2 chữ cái ISO 3166, ví dụ VN, SG, US",
                            ),
                            (
                                format!("`hosting.country` = `{v}` is not a country code"),
                                "use the 2-letter ISO 3166 code, e.g. VN, SG, US",
                            ),
                        );
                    }
                    v
                }
                None => "VN".to_string(),
            },
        };
        let pd = raw.personal_data;
        let subjects = match &pd.subjects {
            Some(s) => Some(self.count(s, "personal_data.subjects")),
            None if pd.categories.is_empty() => Some(0),
            None => None,
        };
        let approval = raw.approval.map(|a| Approval {
            proposed_level: a
                .proposed_level
                .as_ref()
                .map(|l| self.level(l, "proposed_level")),
            approved_level: self.level(&a.approved_level, "approved_level"),
            decision_date: self.date(&a.decision_date, "decision_date"),
            approver_role: self.one_of(&a.approver_role, APPROVER_ROLES, "approver_role"),
            regime: self.one_of(&a.regime, REGIMES, "regime"),
            attestation: self.attestation(a.attested_by, &a.attested_on, a.evidence, &a.expires),
            decision_no: a.decision_no,
            approver: a.approver,
        });
        let protection_plan = raw.protection_plan.map(|p| ProtectionPlan {
            implemented: self.one_of(
                &p.implemented,
                PLAN_IMPLEMENTATION,
                "protection_plan.implemented",
            ),
            date: self.date(&p.date, "protection_plan.date"),
            attestation: self.attestation(p.attested_by, &p.attested_on, p.evidence, &p.expires),
            document_no: p.document_no,
        });
        let r = raw.records;
        let records = Records {
            security_policy: self.record(r.security_policy, "security_policy"),
            backup_plan: self.record(r.backup_plan, "backup_plan"),
            restore_test: self.record(r.restore_test, "restore_test"),
            incident_response_plan: self.record(r.incident_response_plan, "incident_response_plan"),
            soc_connection: self.record(r.soc_connection, "soc_connection"),
            vulnerability_scan: self.record(r.vulnerability_scan, "vulnerability_scan"),
            pre_operation_assessment: self
                .record(r.pre_operation_assessment, "pre_operation_assessment"),
        };
        System {
            id,
            name: raw.name,
            unit,
            owner: raw.owner,
            operator: raw.operator,
            kind,
            urls: raw.urls.into_iter().map(Spanned::into_inner).collect(),
            hosting,
            status,
            go_live: raw.go_live.as_ref().map(|d| self.date(d, "go_live")),
            investment_started: raw
                .investment_started
                .as_ref()
                .map(|d| self.date(d, "investment_started")),
            critical: raw.critical,
            reach,
            citizen_facing: raw.citizen_facing,
            administrative_procedures: raw.administrative_procedures,
            personal_data: PersonalData {
                categories: pd.categories,
                subjects,
                sensitive: pd.sensitive,
            },
            approval,
            records,
            data_governance,
            protection_plan,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[register]
title = "Sổ thử"

[[unit]]
code = "SO"
name = "Sở GDĐT"
type = "so"
computers = 10

[[system]]
id = "HT-1"
name = "Cổng thông tin"
unit = "SO"
owner = "UBND tỉnh"
operator = "Văn phòng Sở"
urls = ["https://so.example.edu.vn/"]
hosting = { kind = "on_premises" }
status = "operating"
go_live = "15/03/2025"
personal_data = { categories = [] }

[system.approval]
approved_level = 2
decision_no = "12/QĐ-SGDĐT"
decision_date = 2025-03-01
approver = "Sở GDĐT"
approver_role = "don_vi_chuyen_trach"
regime = "nd85"
attested_by = "Văn phòng Sở"
attested_on = 2026-01-10
evidence = "QĐ 12/QĐ-SGDĐT.pdf"
expires = 2027-01-10
"#;

    fn load(text: &str) -> Result<Register, Diagnostics> {
        parse(SourceFile::new("sổ.toml", text))
    }

    #[test]
    fn a_good_register_loads() {
        let r = load(GOOD).expect("loads");
        assert_eq!(r.title, "Sổ thử");
        assert_eq!(r.units[0].computers, Some(10));
        let s = &r.systems[0];
        assert_eq!(s.go_live, Some(Date::constant(2025, 3, 15)));
        assert_eq!(s.personal_data.subjects, Some(0));
        assert_eq!(s.hosting.country, "VN");
        assert_eq!(s.approval.as_ref().unwrap().approved_level, 2);
    }

    #[test]
    fn every_error_is_listed_with_its_line() {
        let bad = GOOD
            .replace("go_live = \"15/03/2025\"", "go_live = \"31/02/2025\"")
            .replace("approved_level = 2", "approved_level = 7")
            .replace("unit = \"SO\"", "unit = \"THPT-X\"")
            + r#"
[[system]]
id = "HT-1"
name = "Trùng"
unit = "SO"
owner = "x"
operator = "x"
hosting = { kind = "cloud", country = "Vietnam" }
status = "running"
personal_data = { categories = ["hoc_sinh"], subjects = -5 }
"#;
        let diags = load(&bad).expect_err("rejected");
        let text = diags.to_string();
        for needle in [
            "invalid date",
            "security level is 1 to 5",
            "unit `THPT-X`",
            "duplicate system id `HT-1`",
            "not a country code",
            "`status` = `running`",
            "cannot be negative",
        ] {
            assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
        }
        assert_eq!(diags.errors.len(), 7, "{text}");
        assert!(text.contains("sổ.toml:20:11: [K203] `go_live`"), "{text}");
        let lines: Vec<usize> = diags
            .errors
            .iter()
            .map(|d| diags.files[d.file].line_col(d.span.start).0)
            .collect();
        assert!(lines.is_sorted(), "errors in file order: {lines:?}");
    }

    #[test]
    fn unknown_fields_and_syntax_errors_have_positions() {
        let diags = load(&GOOD.replace("computers = 10", "computer = 10")).unwrap_err();
        assert!(diags.to_string().contains("sổ.toml:9:1"), "{diags}");
        let diags = load("[[unit]\ncode = 1").unwrap_err();
        assert!(diags.to_string().contains("TOML syntax"), "{diags}");
    }

    #[test]
    fn toml_dates_that_do_not_exist_are_rejected() {
        let diags = load(&GOOD.replace("decision_date = 2025-03-01", "decision_date = 2025-02-30"))
            .unwrap_err();
        assert!(!diags.is_empty());
    }

    #[test]
    fn the_protection_plan_is_read_and_checked_with_positions() {
        let plan = |implemented: &str| {
            format!(
                "{GOOD}\n[system.protection_plan]\nimplemented = \"{implemented}\"\ndate = 2026-05-20\n\
                 attested_by = \"Văn phòng Sở\"\nattested_on = 2026-05-20\nevidence = \"BC 15\"\n\
                 expires = 2027-05-20\n"
            )
        };
        let r = load(&plan("partial")).unwrap();
        let p = r.systems[0].protection_plan.as_ref().unwrap();
        assert_eq!(
            (p.implemented.as_str(), p.date),
            ("partial", Date::constant(2026, 5, 20))
        );
        let line = GOOD.lines().count() + 3;
        let text = load(&plan("mostly")).unwrap_err().to_string();
        assert!(
            text.contains(&format!("sổ.toml:{line}:15"))
                && text.contains("protection_plan.implemented")
                && text.contains("full, partial, none"),
            "{text}"
        );
    }

    #[test]
    fn mail_domains_are_read_and_checked() {
        let text = GOOD.replace(
            "computers = 10",
            "computers = 10\nmail_domain = \"THPT-BL.edu.vn.\"\ndkim_selectors = [\"s1\", \"google\"]",
        );
        let r = load(&text).unwrap();
        assert_eq!(r.units[0].mail_domain.as_deref(), Some("thpt-bl.edu.vn"));
        assert_eq!(r.units[0].dkim_selectors, ["s1", "google"]);
        let diags = load(&GOOD.replace(
            "computers = 10",
            "computers = 10\nmail_domain = \"admin@thpt-bl.edu.vn\"",
        ))
        .unwrap_err();
        let text = diags.to_string();
        assert!(
            text.contains("mail_domain") && text.contains("sổ.toml:10"),
            "{text}"
        );
    }
}
