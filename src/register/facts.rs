//! From a register to fact documents: one per unit (`unit:CODE`) and one per
//! information system (`system:ID`), as the register stands at the evaluation time.
//!
//! The evaluation time is a parameter: an attestation whose expiry date is before
//! that day counts as not recorded (its name goes to `expired`), so moving the clock
//! in a test moves every expiry, and nothing reads the system clock here.

use jiff::Timestamp;
use jiff::civil::Date;

use super::{Attestation, Register, System, Unit, format_date, today_in_vietnam};
use crate::facts::register::{
    ApprovalFacts, AttestationFacts, BackupCopiesFacts, DataGovernanceFacts, DataSharingFacts,
    DigitalSignaturesFacts, FocalPointFacts, HostingFacts, IncidentFacts, PersonalDataFacts,
    ProtectionPlanFacts, RecordFacts, RecordsFacts, RegisterFacts, ReportFacts, SystemFacts,
    UnitFacts, UrlCheckFacts,
};
use crate::facts::{Fact, FactDocument, ReasonCode, TargetIdentity, TargetKind, UnitRef};

/// The target id of a unit's own records.
pub fn unit_target_id(code: &str) -> String {
    format!("unit:{code}")
}

/// The target id of an information system.
pub fn system_target_id(id: &str) -> String {
    format!("system:{id}")
}

pub fn unit_ref(unit: &Unit) -> UnitRef {
    UnitRef {
        code: unit.code.clone(),
        name: unit.name.clone(),
    }
}

/// Every unit, then every system, as fact documents at `at`.
pub fn fact_documents(register: &Register, at: Timestamp) -> Vec<FactDocument> {
    fact_documents_iter(register, at).collect()
}

/// [`fact_documents`] one at a time: `khien scan register` evaluates and writes each
/// before making the next, so a province's register is never held as facts whole.
pub fn fact_documents_iter(
    register: &Register,
    at: Timestamp,
) -> impl Iterator<Item = FactDocument> + '_ {
    let day = today_in_vietnam(at);
    let units = register.units.iter().map(move |u| {
        let facts = RegisterFacts {
            scope: "unit".into(),
            unit: Some(unit_facts(u, day)),
            system: None,
            site: None,
        };
        document(unit_target_id(&u.code), Some(unit_ref(u)), facts, at)
    });
    let systems = register
        .systems
        .iter()
        .map(move |s| system_document(register, s, None, at));
    units.chain(systems)
}

/// One system's document; `web` is what a web scan saw at its URLs, if one ran.
pub fn system_document(
    register: &Register,
    system: &System,
    web: Option<Vec<UrlCheckFacts>>,
    at: Timestamp,
) -> FactDocument {
    let day = today_in_vietnam(at);
    let unit = register.unit(&system.unit);
    let facts = RegisterFacts {
        scope: "system".into(),
        unit: unit.map(|u| unit_facts(u, day)),
        system: Some(system_facts(system, web, day)),
        site: None,
    };
    document(system_target_id(&system.id), unit.map(unit_ref), facts, at)
}

pub(super) fn document(
    id: String,
    unit: Option<UnitRef>,
    facts: RegisterFacts,
    at: Timestamp,
) -> FactDocument {
    let target = TargetIdentity {
        kind: TargetKind::Register,
        id,
        unit,
    };
    let json = serde_json::to_value(&facts).expect("register facts serialize");
    FactDocument::new(target, at, json)
}

fn attestation(a: &Attestation) -> AttestationFacts {
    AttestationFacts {
        attested_by: a.by.clone(),
        attested_on: format_date(a.on),
        evidence: a.evidence.clone(),
        expires: format_date(a.expires),
    }
}

fn unit_facts(u: &Unit, day: Date) -> UnitFacts {
    let mut expired = Vec::new();
    let focal_point = match &u.focal_point {
        Some(fp) if !fp.attestation.in_force(day) => {
            expired.push("focal_point".to_string());
            None
        }
        Some(fp) => Some(FocalPointFacts {
            name: fp.name.clone(),
            position: fp.position.clone(),
            phone: fp.phone.clone(),
            email: fp.email.clone(),
            decision_no: fp.decision_no.clone(),
            decision_date: fp.decision_date.map(format_date),
            attestation: attestation(&fp.attestation),
        }),
        None => None,
    };
    let digital_signatures = match &u.digital_signatures {
        Some(d) if d.attestation.on > day => None,
        Some(d) if !d.attestation.in_force(day) => {
            expired.push("digital_signatures".to_string());
            None
        }
        Some(d) => Some(DigitalSignaturesFacts {
            staff: d.staff,
            valid_certificates: d.valid_certificates,
            attestation: attestation(&d.attestation),
        }),
        None => None,
    };
    let database_rules = record_facts(
        "database_rules",
        u.database_rules.as_ref(),
        day,
        &mut expired,
    );
    UnitFacts {
        code: u.code.clone(),
        name: u.name.clone(),
        commune: u.commune.clone(),
        kind: u.kind.clone(),
        computers: match u.computers {
            Some(n) => Fact::known(n),
            None => Fact::unknown(
                ReasonCode::NotRecorded,
                "the register does not give the unit's number of computers",
            ),
        },
        focal_point,
        reports: u
            .reports
            .iter()
            .map(|r| ReportFacts {
                name: r.name.clone(),
                due: format_date(r.due),
                // Submitted after the evaluation day: not yet submitted on that day.
                submitted: r.submitted.filter(|d| *d <= day).map(format_date),
                evidence: r.evidence.clone(),
            })
            .collect(),
        incidents: {
            // Reported or notified after the evaluation day: not yet on that day.
            let by_day = |t: Option<jiff::Timestamp>| {
                t.filter(|t| today_in_vietnam(*t) <= day)
                    .map(|t| t.to_string())
            };
            u.incidents
                .iter()
                // An incident detected after the evaluation day had not happened yet.
                .filter(|i| today_in_vietnam(i.detected_at) <= day)
                .map(|i| IncidentFacts {
                    summary: i.summary.clone(),
                    detected_at: i.detected_at.to_string(),
                    reported_to_department_at: by_day(i.reported_to_department_at),
                    serious: i.serious,
                    reported_to_ministry_at: by_day(i.reported_to_ministry_at),
                    personal_data_breach: i.personal_data_breach,
                    breach_notified_at: by_day(i.breach_notified_at),
                })
                .collect()
        },
        digital_signatures,
        database_rules,
        expired,
    }
}

/// A record as it stands on `day`: `None` when not recorded, not yet made, or its
/// attestation expired (then its name goes to `expired`).
fn record_facts(
    name: &str,
    r: Option<&super::Record>,
    day: Date,
    expired: &mut Vec<String>,
) -> Option<RecordFacts> {
    let r = r?;
    if r.date > day {
        return None;
    }
    if !r.attestation.in_force(day) {
        expired.push(name.to_string());
        return None;
    }
    Some(RecordFacts {
        date: format_date(r.date),
        document_no: r.document_no.clone(),
        result: r.result.clone(),
        backup: r.backup.as_ref().map(|b| BackupCopiesFacts {
            copies: stated(b.copies, "number of backup copies (copies)"),
            media: stated(b.media, "number of kinds of backup media (media)"),
            offsite: stated(b.offsite, "whether a copy is kept off site (offsite)"),
        }),
        attestation: attestation(&r.attestation),
    })
}

/// A value the register may leave out: unknown (not recorded) when it does.
fn stated<T>(value: Option<T>, what: &str) -> Fact<T> {
    match value {
        Some(v) => Fact::known(v),
        None => Fact::unknown(
            ReasonCode::NotRecorded,
            format!("the backup plan does not give the {what}"),
        ),
    }
}

fn optional_date(d: Option<Date>, what: &str) -> Fact<String> {
    match d {
        Some(d) => Fact::known(format_date(d)),
        None => Fact::unknown(
            ReasonCode::NotRecorded,
            format!("the register does not give the {what}"),
        ),
    }
}

fn system_facts(s: &System, web: Option<Vec<UrlCheckFacts>>, day: Date) -> SystemFacts {
    let mut expired = Vec::new();
    let approval = match &s.approval {
        // A decision taken after the evaluation day did not exist yet on that day.
        Some(a) if a.decision_date > day => None,
        Some(a) if !a.attestation.in_force(day) => {
            expired.push("approval".to_string());
            None
        }
        Some(a) => Some(ApprovalFacts {
            proposed_level: a.proposed_level,
            approved_level: a.approved_level,
            decision_no: a.decision_no.clone(),
            decision_date: format_date(a.decision_date),
            approver: a.approver.clone(),
            approver_role: a.approver_role.clone(),
            regime: a.regime.clone(),
            attestation: attestation(&a.attestation),
        }),
        None => None,
    };
    let mut record =
        |name: &str, r: Option<&super::Record>| record_facts(name, r, day, &mut expired);
    let rec = &s.records;
    let records = RecordsFacts {
        security_policy: record("security_policy", rec.security_policy.as_ref()),
        backup_plan: record("backup_plan", rec.backup_plan.as_ref()),
        restore_test: record("restore_test", rec.restore_test.as_ref()),
        incident_response_plan: record(
            "incident_response_plan",
            rec.incident_response_plan.as_ref(),
        ),
        soc_connection: record("soc_connection", rec.soc_connection.as_ref()),
        vulnerability_scan: record("vulnerability_scan", rec.vulnerability_scan.as_ref()),
        pre_operation_assessment: record(
            "pre_operation_assessment",
            rec.pre_operation_assessment.as_ref(),
        ),
    };
    SystemFacts {
        id: s.id.clone(),
        name: s.name.clone(),
        owner: s.owner.clone(),
        operator: s.operator.clone(),
        urls: s.urls.clone(),
        hosting: HostingFacts {
            kind: s.hosting.kind.clone(),
            provider: s.hosting.provider.clone(),
            country: s.hosting.country.clone(),
        },
        status: s.status.clone(),
        go_live: optional_date(s.go_live, "go-live date (go_live)"),
        investment_started: optional_date(
            s.investment_started,
            "investment start date (investment_started)",
        ),
        critical: s.critical,
        reach: s.reach.clone(),
        citizen_facing: s.citizen_facing,
        administrative_procedures: s.administrative_procedures,
        personal_data: PersonalDataFacts {
            categories: s.personal_data.categories.clone(),
            subjects: match s.personal_data.subjects {
                Some(n) => Fact::known(n),
                None => Fact::unknown(
                    ReasonCode::NotRecorded,
                    "the register does not give the number of people whose data the system holds (personal_data.subjects)",
                ),
            },
            sensitive: s.personal_data.sensitive,
        },
        approval,
        records,
        kind: s.kind.clone(),
        data_governance: match &s.data_governance {
            Some(g) if g.attestation.on > day => None,
            Some(g) if !g.attestation.in_force(day) => {
                expired.push("data_governance".to_string());
                None
            }
            Some(g) => Some(DataGovernanceFacts {
                impact_assessment: g.impact_assessment.clone(),
                impact_assessment_basis: g.impact_assessment_basis.clone(),
                protection_contact: g.protection_contact.clone(),
                sharing: g
                    .sharing
                    .iter()
                    .map(|x| DataSharingFacts {
                        recipient: x.recipient.clone(),
                        data: x.data.clone(),
                        legal_basis: x.legal_basis.clone(),
                    })
                    .collect(),
                attestation: attestation(&g.attestation),
            }),
            None => None,
        },
        protection_plan: protection_plan(s.protection_plan.as_ref(), day, &mut expired),
        expired,
        web,
    }
}

/// The protection plan's implementation as it stands on `day`. Unlike other records,
/// a missing one is unknown, not absent: "not recorded" is no evidence that the plan
/// is not implemented, and K09 must count it as not evaluated.
fn protection_plan(
    p: Option<&super::ProtectionPlan>,
    day: Date,
    expired: &mut Vec<String>,
) -> Fact<ProtectionPlanFacts> {
    let not_recorded = |detail: String| Fact::unknown(ReasonCode::NotRecorded, detail);
    match p {
        None => not_recorded(
            "the register does not say how far the protection plan is implemented (protection_plan)"
                .into(),
        ),
        Some(p) if p.date > day || p.attestation.on > day => not_recorded(format!(
            "the protection plan's implementation is confirmed only from {}",
            format_date(p.date.max(p.attestation.on))
        )),
        Some(p) if !p.attestation.in_force(day) => {
            expired.push("protection_plan".to_string());
            not_recorded(format!(
                "the confirmation of the protection plan's implementation expired on {}",
                format_date(p.attestation.expires)
            ))
        }
        Some(p) => Fact::known(ProtectionPlanFacts {
            implemented: p.implemented.clone(),
            date: format_date(p.date),
            document_no: p.document_no.clone(),
            attestation: attestation(&p.attestation),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::SourceFile;

    const REGISTER: &str = r#"
[[unit]]
code = "TH-1"
name = "Trường Tiểu học 1"
type = "tieu_hoc"

[unit.focal_point]
name = "Lê Văn Bình"
position = "Giáo viên"
decision_no = "1/QĐ"
attested_by = "Hiệu trưởng"
attested_on = 2026-01-10
evidence = "QĐ 1/QĐ"
expires = 2026-12-31

[[system]]
id = "S-1"
name = "Phần mềm quản lý"
unit = "TH-1"
owner = "Trường"
operator = "Trường"
hosting = { kind = "on_premises" }
status = "operating"
personal_data = { categories = ["hoc_sinh"] }

[system.records.backup_plan]
date = 2026-01-05
attested_by = "Hiệu trưởng"
attested_on = 2026-01-10
evidence = "Phương án sao lưu"
expires = 2026-06-30
"#;

    fn facts_at(at: &str) -> Vec<serde_json::Value> {
        let r = crate::register::parse(SourceFile::new("r.toml", REGISTER)).unwrap();
        fact_documents(&r, at.parse().unwrap())
            .into_iter()
            .map(|d| d.facts)
            .collect()
    }

    #[test]
    fn attestations_expire_with_the_evaluation_time() {
        // 30/06/2026 is still in force (the expiry day counts), in Vietnamese time.
        let before = facts_at("2026-06-30T16:59:00Z");
        assert!(before[1]["system"]["records"]["backup_plan"].is_object());
        assert_eq!(before[1]["system"]["expired"], serde_json::json!([]));
        // 01/07/2026 00:00 in Vietnam is 30/06 17:00 UTC.
        let after = facts_at("2026-06-30T17:00:00Z");
        assert!(after[1]["system"]["records"]["backup_plan"].is_null());
        assert_eq!(
            after[1]["system"]["expired"],
            serde_json::json!(["backup_plan"])
        );
        let next_year = facts_at("2027-01-01T00:00:00Z");
        assert!(next_year[0]["unit"]["focal_point"].is_null());
        assert_eq!(
            next_year[0]["unit"]["expired"],
            serde_json::json!(["focal_point"])
        );
    }

    #[test]
    fn what_the_register_leaves_out_is_unknown_not_zero() {
        let f = facts_at("2026-03-01T00:00:00Z");
        assert_eq!(
            f[0]["unit"]["computers"]["$unknown"]["reason"],
            "not_recorded"
        );
        let sys = &f[1]["system"];
        assert_eq!(
            sys["personal_data"]["subjects"]["$unknown"]["reason"],
            "not_recorded"
        );
        assert_eq!(sys["go_live"]["$unknown"]["reason"], "not_recorded");
        assert!(sys["approval"].is_null());
        assert!(sys["web"].is_null());
    }
}
