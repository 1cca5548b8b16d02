//! The plans' indicators (K01–K25 in `shared/requirements.md` §4) that scan results
//! can measure, and how one target counts towards each.
//!
//! Indicators are keyed on the requirement codes findings carry (`H01`, `W03`, `R01`...),
//! not on rule codes, so rules added later for the same requirement count too. Where
//! the plans measure one part of a requirement (K07 and K08 are two deadlines of R02),
//! the key is the rule code of that part instead.
//! A target counts as passing an indicator only when every requirement it needs passed:
//! a failure makes it fail, and an unknown or a missing requirement makes it unknown.

use serde::Serialize;

use crate::findings::Status;
use crate::i18n::Localized;

/// How an indicator is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Passing hosts ÷ computers in the inventory (with coverage beside it).
    ShareOfInventory,
    /// Passing targets ÷ targets evaluated (websites, registered systems, units).
    ShareOfTargets,
    /// Number of failing, unwaived findings of the requirements; the target is 0.
    CountFailing,
    /// Number of overdue compliance-debt items and their mean age; the target is 0.
    OverdueDebt,
    /// Incidents in the register reported to the Department in time ÷ incidents (K18).
    RegisterIncidents,
}

#[derive(Clone, Debug, Serialize)]
pub struct IndicatorDef {
    pub code: &'static str,
    pub name_vi: &'static str,
    pub name_en: &'static str,
    /// `host`, `web`, `register`, or empty for any kind.
    pub kind: &'static str,
    /// Requirement codes (`H01`), or rule codes (`REG-LVL-003`) for part of a requirement.
    pub requirements: &'static [&'static str],
    pub measure: Measure,
    /// What the denominator counts: `host` (the register's computers), `web` (its
    /// public URLs), `system` (its systems), `unit` (its units), or empty.
    pub entity: &'static str,
    /// Target share in percent for shares; counts aim at 0.
    pub target_pct: f64,
    pub basis: &'static str,
}

impl IndicatorDef {
    pub fn name(&self) -> Localized {
        Localized::new(self.name_vi, self.name_en)
    }

    pub fn applies_to_kind(&self, kind: &str) -> bool {
        self.kind.is_empty() || self.kind == kind
    }
}

const fn share(
    code: &'static str,
    name_vi: &'static str,
    name_en: &'static str,
    kind: &'static str,
    entity: &'static str,
    requirements: &'static [&'static str],
    basis: &'static str,
) -> IndicatorDef {
    IndicatorDef {
        code,
        name_vi,
        name_en,
        kind,
        entity,
        requirements,
        measure: if matches!(kind.as_bytes(), b"host") {
            Measure::ShareOfInventory
        } else {
            Measure::ShareOfTargets
        },
        target_pct: 100.0,
        basis,
    }
}

/// The indicators measured from scan results, in the order of the plans' list.
pub const INDICATORS: &[IndicatorDef] = &[
    share(
        "K01",
        "Tỷ lệ máy tính có phần mềm phòng chống mã độc",
        "Computers with anti-malware",
        "host",
        "host",
        &["H01"],
        "KH-CĐS-2026-2030 III.4.a",
    ),
    share(
        "K02",
        "Tỷ lệ máy có mẫu nhận diện mã độc được cập nhật",
        "Computers with fresh malware signatures",
        "host",
        "host",
        &["H02"],
        "KH-CĐS-2026-2030 III.4.a",
    ),
    share(
        "K03",
        "Tỷ lệ máy được quản lý tập trung",
        "Centrally managed computers",
        "host",
        "host",
        &["H03"],
        "KH-CĐS-2026-2030 III.4.a",
    ),
    share(
        "K04",
        "Tỷ lệ máy đạt đủ 3 điều kiện (cài đặt, cập nhật, quản lý tập trung)",
        "Computers meeting all three (installed, updated, centrally managed)",
        "host",
        "host",
        &["H01", "H02", "H03"],
        "KH-CĐS-2026-2030 III.4.a",
    ),
    share(
        "K05",
        "Tỷ lệ máy dùng phần mềm chống mã độc có bản quyền",
        "Computers with licensed anti-malware",
        "host",
        "host",
        &["H04"],
        "KH-CĐS-2026-2030 III.4.a",
    ),
    share(
        "K06",
        "Tỷ lệ HTTT đang vận hành đã được phê duyệt cấp độ",
        "Operating information systems with an approved security level",
        "register",
        "system",
        &["R01"],
        "KH-CĐS-2026-2030 I.2.c, III.4.a",
    ),
    share(
        "K07",
        "Tỷ lệ HTTT trọng yếu của Sở được phê duyệt cấp độ đúng hạn (30/04/2026)",
        "The Department's critical systems approved by the deadline (30/04/2026)",
        "register",
        "system",
        &["REG-LVL-003"],
        "KH-NQ57-2026 III.V.3",
    ),
    share(
        "K08",
        "Tỷ lệ HTTT mới được phê duyệt cấp độ trước khi vận hành",
        "New systems approved before go-live",
        "register",
        "system",
        &["REG-LVL-002"],
        "KH-NQ57-2026 III.V.3; KH-CĐS-2026-2030 I.2.c",
    ),
    share(
        "K09",
        "Tỷ lệ HTTT đã phê duyệt cấp độ triển khai đầy đủ phương án bảo vệ",
        "Approved information systems with their protection plan fully implemented",
        "register",
        "system",
        &["REG-LVL-008"],
        "KH-CĐS-2026-2030 I.2.c, III.4.a; NĐ 331/2026/NĐ-CP Đ36.5",
    ),
    share(
        "K10",
        "Tỷ lệ HTTT/đơn vị kết nối SOC tỉnh",
        "Systems/units connected to the provincial SOC",
        "register",
        "system",
        &["R08"],
        "KH-CĐS-2026-2030 III.4.b",
    ),
    share(
        "K11",
        "Tỷ lệ HTTT quan trọng có sao lưu định kỳ và thử khôi phục",
        "Important systems with periodic, restore-tested backups",
        "register",
        "system",
        &["R05"],
        "KH-CĐS-2026-2030 III.1.b, III.4.b",
    ),
    share(
        "K12",
        "Tỷ lệ máy dùng hệ điều hành còn được hỗ trợ",
        "Computers with a supported operating system",
        "host",
        "host",
        &["H05"],
        "KH-NQ57-2026 III.VII.2",
    ),
    share(
        "K13",
        "Tỷ lệ máy cập nhật bản vá đúng hạn",
        "Computers patched in time",
        "host",
        "host",
        &["H06"],
        "KH-NQ57-2026 III.V.5",
    ),
    IndicatorDef {
        code: "K14",
        name_vi: "Nợ tuân thủ: số mục quá hạn khắc phục",
        name_en: "Compliance debt: overdue items",
        kind: "",
        entity: "",
        requirements: &[],
        measure: Measure::OverdueDebt,
        target_pct: 0.0,
        basis: "KH-NQ57-2026 I.5, III.V.5",
    },
    IndicatorDef {
        code: "K15",
        name_vi: "Số phát hiện lộ dữ liệu cá nhân (tệp, trang)",
        name_en: "Findings of exposed personal data (files, pages)",
        kind: "",
        entity: "",
        requirements: &["H15", "W11"],
        measure: Measure::CountFailing,
        target_pct: 0.0,
        basis: "KH-CĐS-2026-2030 II.2",
    },
    share(
        "K16",
        "Tỷ lệ website ngành đạt bộ tiêu chí HTTPS",
        "Sector websites meeting the HTTPS criteria",
        "web",
        "web",
        &["W01", "W02", "W03", "W04"],
        "KH-CĐS-2026-2030 V.1.b",
    ),
    share(
        "K17",
        "Tỷ lệ đơn vị có đầu mối CNTT/ATTT",
        "Units with an IT/security focal point",
        "register",
        "unit",
        &["R07"],
        "KH-NQ57-2026 V.2",
    ),
    IndicatorDef {
        code: "K18",
        name_vi: "Tỷ lệ sự cố được báo cáo về Sở đúng hạn (trong 24 giờ)",
        name_en: "Incidents reported to the Department in time (within 24 hours)",
        kind: "register",
        entity: "",
        requirements: &[],
        measure: Measure::RegisterIncidents,
        target_pct: 100.0,
        basis: "KH-NQ57-2026 V.2",
    },
    share(
        "K24",
        "Tỷ lệ báo cáo nộp đúng hạn (05/6, 05/12)",
        "Reports submitted on time (05/6, 05/12)",
        "register",
        "unit",
        &["R11"],
        "KH-CĐS-2026-2030 VI",
    ),
];

/// The name of an indicator with the policy's figures in it: K18's reporting limit and
/// K24's deadlines are parameters, so the name shows the ones in force.
pub fn name_with(def: &IndicatorDef, incident_hours: f64, deadlines: [(i8, i8); 2]) -> Localized {
    match def.code {
        "K18" => Localized::new(
            format!("Tỷ lệ sự cố được báo cáo về Sở đúng hạn (trong {incident_hours} giờ)"),
            format!("Incidents reported to the Department in time (within {incident_hours} hours)"),
        ),
        "K24" => {
            let [(m1, d1), (m2, d2)] = deadlines;
            Localized::new(
                format!("Tỷ lệ báo cáo nộp đúng hạn (trước {d1:02}/{m1}, {d2:02}/{m2})"),
                format!("Reports submitted on time (before {d1:02}/{m1}, {d2:02}/{m2})"),
            )
        }
        _ => def.name(),
    }
}

/// Indicators neither the scan results nor the register can measure, and the data
/// that would make each measurable.
pub const NOT_MEASURED: &[(&str, &str, &str)] = &[
    (
        "K19",
        "Cần ghi các cuộc diễn tập (ngày, đơn vị tham gia) vào sổ đăng ký của từng đơn vị",
        "Needs the drills (date, units taking part) recorded in each unit's register entry",
    ),
    (
        "K20",
        "Cần số CBQL, giáo viên và số người đã có chữ ký số chuyên dùng của từng đơn vị (danh sách từ Ban Cơ yếu hoặc phần mềm quản lý nhân sự)",
        "Needs each unit's staff count and how many hold an official digital signature (list from the Government Cipher Board or the HR software)",
    ),
    (
        "K21–K22",
        "Cần danh sách bồi dưỡng kỹ năng số từ hệ thống LMS/Bình dân học vụ số (số người đã học ÷ tổng số CBCCVC)",
        "Needs the digital-skills training list from the LMS / Bình dân học vụ số platform (trained ÷ staff)",
    ),
    (
        "K23",
        "Cần số học sinh được giáo dục kỹ năng số, ATTT theo từng trường (từ CSDL ngành)",
        "Needs the number of pupils taught digital skills and security, per school (from the sector database)",
    ),
    (
        "K25",
        "Cần số liệu kết nối, làm sạch với CSDL quốc gia về dân cư (từ CSDL ngành)",
        "Needs the figures of matching and cleaning against the national population database (from the sector database)",
    ),
];

/// How one target stands for one indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Unknown,
    /// Every requirement was not applicable or absent: the target is not counted.
    NotCounted,
}

/// The combined verdict of a target for `requirements` (requirement or rule codes), given
/// each of its findings as (requirement, rule, status).
pub fn verdict<'a>(
    requirements: &[&str],
    findings: impl Iterator<Item = (&'a str, &'a str, Status)> + Clone,
) -> Verdict {
    let mut any_fail = false;
    let mut any_unknown = false;
    let mut any_pass = false;
    let mut any_missing = false;
    for req in requirements {
        let mut seen = false;
        let (mut fail, mut unknown, mut pass) = (false, false, false);
        for (requirement, rule, status) in findings.clone() {
            if requirement != *req && rule != *req {
                continue;
            }
            seen = true;
            match status {
                Status::Fail | Status::Waived => fail = true,
                Status::Unknown => unknown = true,
                Status::Pass => pass = true,
                Status::NotApplicable => {}
            }
        }
        if !seen {
            any_missing = true;
        } else if fail {
            any_fail = true;
        } else if unknown {
            any_unknown = true;
        } else if pass {
            any_pass = true;
        }
    }
    if any_fail {
        Verdict::Fail
    } else if any_unknown || (any_missing && any_pass) {
        Verdict::Unknown
    } else if any_pass {
        Verdict::Pass
    } else {
        Verdict::NotCounted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn v(reqs: &[&str], f: &[(&str, Status)]) -> Verdict {
        verdict(reqs, f.iter().map(|(r, s)| (*r, "RULE", *s)))
    }

    #[test]
    fn all_requirements_must_pass() {
        let k04 = ["H01", "H02", "H03"];
        assert_eq!(
            v(&k04, &[("H01", Pass), ("H02", Pass), ("H03", Pass)]),
            Verdict::Pass
        );
        assert_eq!(
            v(&k04, &[("H01", Pass), ("H02", Fail), ("H03", Unknown)]),
            Verdict::Fail
        );
        assert_eq!(
            v(&k04, &[("H01", Pass), ("H02", Pass), ("H03", Unknown)]),
            Verdict::Unknown
        );
        // A requirement that was not checked at all is not a pass either.
        assert_eq!(v(&k04, &[("H01", Pass), ("H02", Pass)]), Verdict::Unknown);
        assert_eq!(v(&k04, &[("H16", Fail)]), Verdict::NotCounted);
        // Two rules for one requirement: both must pass.
        assert_eq!(v(&["H16"], &[("H16", Pass), ("H16", Fail)]), Verdict::Fail);
        assert_eq!(v(&["H02"], &[("H02", NotApplicable)]), Verdict::NotCounted);
    }

    #[test]
    fn a_rule_code_keys_one_part_of_a_requirement() {
        let target = [
            ("R02", "REG-LVL-002", Pass),
            ("R02", "REG-LVL-003", NotApplicable),
            ("R02", "REG-LVL-007", Fail),
        ];
        let f = || target.iter().map(|(q, r, s)| (*q, *r, *s));
        assert_eq!(verdict(&["REG-LVL-002"], f()), Verdict::Pass);
        // Not one of the Department's critical systems: not in K07's denominator.
        assert_eq!(verdict(&["REG-LVL-003"], f()), Verdict::NotCounted);
        assert_eq!(verdict(&["R02"], f()), Verdict::Fail);
    }
}
