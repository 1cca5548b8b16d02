//! Generates result documents for reports, built from khien's own types so they stay
//! in step with the result schema (`khien-result/1`).
//!
//! ```text
//! cargo run --example gen_results -- province fixtures/results
//! cargo run --release --example gen_results -- bench /tmp/khien-bench 10000 50
//! ```
//!
//! `province`: an example province of 13 schools in 4 communes and the Department, its
//! register (`register.toml`: units, communes, computers, systems), and three scan
//! rounds (January, March, May 2026) of host, website and register results. Host and
//! website statuses are drawn by a seeded generator over the embedded policy's rules,
//! so the output is the same every run; register results are the register evaluated
//! by the real register rules at each round's date.
//!
//! `bench`: FILES result documents of one host each with FINDINGS findings
//! (10,000 × 50 = 500,000 findings), spread over 500 units, for BENCHMARKS.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use khien::facts::{ReasonCode, TargetIdentity, TargetKind, UnitRef, Unknown};
use khien::findings::{
    Finding, PolicyInfo, RESULT_SCHEMA, ResultDocument, Status, Summary, TargetResult, ToolInfo,
    UnknownFact,
};
use khien::i18n::Localized;
use khien::policy::{self, Basis, ParamValue, Policy, Severity};
use khien::waiver::AppliedWaiver;

/// SplitMix64: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone)]
struct RuleSpec {
    code: String,
    requirement: String,
    kind: TargetKind,
    severity: Severity,
    title: Localized,
    problem: Localized,
    remediation: Localized,
    basis: Vec<Basis>,
    not_applicable: Option<Localized>,
}

fn basis(plan: &str, section: &str) -> Vec<Basis> {
    vec![Basis {
        plan: plan.into(),
        section: section.into(),
        law: None,
    }]
}

/// The embedded policy's rules, as the scans would report them.
fn catalogue(policy: &Policy) -> Vec<RuleSpec> {
    policy
        .rules
        .iter()
        .map(|r| RuleSpec {
            code: r.code.clone(),
            requirement: r.requirement.clone().unwrap_or_default(),
            kind: r.target,
            severity: r.severity,
            title: r.title.clone(),
            problem: r.problem.clone(),
            remediation: r.remediation.clone(),
            basis: r.basis.clone(),
            not_applicable: r.not_applicable.clone(),
        })
        .collect()
}

fn finding(spec: &RuleSpec, status: Status) -> Finding {
    let unknown_facts = if status == Status::Unknown {
        vec![UnknownFact {
            fact: "host.antivirus.products".into(),
            why: Unknown::new(
                ReasonCode::NeedsAdmin,
                "Security Center needs administrator rights",
            ),
        }]
    } else {
        Vec::new()
    };
    Finding {
        rule: spec.code.clone(),
        requirement: Some(spec.requirement.clone()),
        severity: spec.severity,
        status,
        title: spec.title.clone(),
        problem: Some(spec.problem.clone()),
        remediation: spec.remediation.clone(),
        basis: spec.basis.clone(),
        not_applicable: (status == Status::NotApplicable)
            .then(|| spec.not_applicable.clone())
            .flatten(),
        unknown_facts,
        error: None,
        evidence: Vec::new(),
        waiver: None,
    }
}

fn document(
    policy: &Policy,
    unit: Option<UnitRef>,
    at: Timestamp,
    targets: Vec<TargetResult>,
) -> ResultDocument {
    ResultDocument {
        schema: RESULT_SCHEMA.into(),
        tool: ToolInfo {
            name: "khien".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        policy: PolicyInfo {
            id: policy.header.id.clone(),
            version: policy.header.version.clone(),
            origin: policy.origin.clone(),
        },
        unit,
        generated_at: at,
        evaluated_at: at,
        params: policy.param_values(&BTreeMap::<String, ParamValue>::new()),
        summary: Summary::of(&targets),
        targets,
    }
}

fn write_json(path: &Path, value: &serde_json::Value, pretty: bool) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("create folder");
    }
    let mut text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .expect("serialize");
    text.push('\n');
    std::fs::write(path, text).expect("write result");
}

struct School {
    code: &'static str,
    name: &'static str,
    commune: &'static str,
    hosts: u64,
    extra_in_inventory: u64,
    /// Chance that a check fails on the first round.
    weakness: f64,
    sends_results: bool,
}

const SCHOOLS: &[School] = &[
    School {
        code: "LD-THPT-001",
        name: "Trường THPT Trần Phú",
        commune: "Phường Xuân Hương – Đà Lạt",
        hosts: 5,
        extra_in_inventory: 1,
        weakness: 0.15,
        sends_results: true,
    },
    School {
        code: "LD-THPT-002",
        name: "Trường THPT Bùi Thị Xuân",
        commune: "Phường Xuân Hương – Đà Lạt",
        hosts: 6,
        extra_in_inventory: 0,
        weakness: 0.10,
        sends_results: true,
    },
    School {
        code: "LD-THCS-003",
        name: "Trường THCS Nguyễn Du",
        commune: "Phường Xuân Hương – Đà Lạt",
        hosts: 3,
        extra_in_inventory: 2,
        weakness: 0.30,
        sends_results: true,
    },
    School {
        code: "LD-TH-004",
        name: "Trường Tiểu học Lê Quý Đôn",
        commune: "Phường Lâm Viên – Đà Lạt",
        hosts: 4,
        extra_in_inventory: 0,
        weakness: 0.05,
        sends_results: true,
    },
    School {
        code: "LD-THCS-005",
        name: "Trường THCS Quang Trung",
        commune: "Phường Lâm Viên – Đà Lạt",
        hosts: 3,
        extra_in_inventory: 1,
        weakness: 0.25,
        sends_results: true,
    },
    School {
        code: "LD-THPT-006",
        name: "Trường THPT Bảo Lộc",
        commune: "Phường B'Lao",
        hosts: 5,
        extra_in_inventory: 3,
        weakness: 0.35,
        sends_results: true,
    },
    School {
        code: "LD-TH-007",
        name: "Trường Tiểu học Lý Tự Trọng",
        commune: "Phường B'Lao",
        hosts: 3,
        extra_in_inventory: 0,
        weakness: 0.20,
        sends_results: true,
    },
    School {
        code: "LD-THCS-008",
        name: "Trường THCS Đạ Huoai",
        commune: "Xã Đạ Huoai",
        hosts: 3,
        extra_in_inventory: 1,
        weakness: 0.40,
        sends_results: true,
    },
    School {
        code: "LD-TH-009",
        name: "Trường Tiểu học Đạm Ri",
        commune: "Xã Đạ Huoai",
        hosts: 2,
        extra_in_inventory: 2,
        weakness: 0.30,
        sends_results: true,
    },
    School {
        code: "LD-THPT-010",
        name: "Trường THPT Đức Trọng",
        commune: "Xã Đức Trọng",
        hosts: 5,
        extra_in_inventory: 0,
        weakness: 0.12,
        sends_results: true,
    },
    School {
        code: "LD-THCS-011",
        name: "Trường THCS Liên Nghĩa",
        commune: "Xã Đức Trọng",
        hosts: 4,
        extra_in_inventory: 1,
        weakness: 0.22,
        sends_results: true,
    },
    School {
        code: "LD-TH-012",
        name: "Trường Tiểu học Kim Đồng",
        commune: "Xã Đức Trọng",
        hosts: 3,
        extra_in_inventory: 0,
        weakness: 0.18,
        sends_results: true,
    },
    School {
        code: "LD-TH-013",
        name: "Trường Tiểu học Phú Hội",
        commune: "Xã Đức Trọng",
        hosts: 3,
        extra_in_inventory: 0,
        weakness: 0.20,
        sends_results: false,
    },
];

const ROUNDS: [&str; 3] = [
    "2026-01-20T02:00:00Z",
    "2026-03-16T02:00:00Z",
    "2026-05-18T02:00:00Z",
];

/// The status of one check in round `round`, given the previous one: failures get
/// fixed, passes regress, some checks cannot be read.
fn next_status(rng: &mut Rng, prev: Option<Status>, weakness: f64) -> Status {
    match prev {
        None => {
            if rng.chance(0.04) {
                Status::Unknown
            } else if rng.chance(weakness) {
                Status::Fail
            } else {
                Status::Pass
            }
        }
        Some(Status::Fail) => {
            if rng.chance(0.45) {
                Status::Pass
            } else {
                Status::Fail
            }
        }
        Some(Status::Unknown) => {
            if rng.chance(0.5) {
                Status::Pass
            } else {
                Status::Unknown
            }
        }
        Some(s) => {
            if rng.chance(weakness / 3.0) {
                Status::Fail
            } else {
                s
            }
        }
    }
}

/// The example province's register: its units with their communes and computers (the
/// report's coverage denominators), a focal point and a 6-month report for most
/// schools, and one school-management system per school, some approved late or not
/// at all. One Department unit runs a critical system, so K07 (approval by 30/04/2026)
/// has a denominator from the May round on. Constructed data: host names end in
/// `.example` so that nothing here can ever be scanned by mistake.
///
/// The register as it stood on `as_of` (`YYYY-MM-DD`): decisions taken later are not in
/// it yet, and a system whose go-live is still ahead is being built.
fn register_toml(as_of: &str) -> String {
    // The same draws for every date, so a school keeps its focal point across rounds.
    let rng = &mut Rng(2026_0110);
    let mut t = format!(
        "# Register of the example province as it stood on {as_of} (constructed by\n\
         # examples/gen_results.rs; not real data). Coverage denominators for\n\
         # `khien report --register`, and the source of the register results.\n\n\
         [register]\ntitle = \"Sổ đăng ký hệ thống thông tin (tỉnh ví dụ)\"\nmaintainer = \"Văn phòng Sở GDĐT\"\nupdated = {as_of}\n\n",
    );
    t.push_str(
        "[[unit]]\ncode = \"LD-SO\"\nname = \"Sở Giáo dục và Đào tạo (ví dụ)\"\ncommune = \"Phường Xuân Hương – Đà Lạt\"\ntype = \"so\"\n\n\
         [unit.focal_point]\nname = \"Nguyễn Văn A\"\nposition = \"Chuyên viên Văn phòng Sở\"\nphone = \"0263 000 0000\"\nemail = \"a@so.example\"\n\
         decision_no = \"01/QĐ-SGDĐT\"\ndecision_date = 2025-12-01\nattested_by = \"Chánh Văn phòng\"\nattested_on = 2025-12-02\nevidence = \"QĐ 01/QĐ-SGDĐT\"\nexpires = 2026-12-02\n\n",
    );
    for s in SCHOOLS {
        let kind = match s.code.split('-').nth(1) {
            Some("THPT") => "thpt",
            Some("THCS") => "thcs",
            _ => "tieu_hoc",
        };
        t.push_str(&format!(
            "[[unit]]\ncode = \"{}\"\nname = \"{}\"\ncommune = \"{}\"\ntype = \"{kind}\"\ncomputers = {}\n\n",
            s.code,
            s.name,
            s.commune,
            s.hosts + s.extra_in_inventory
        ));
        if !rng.chance(s.weakness) {
            t.push_str(&format!(
                "[unit.focal_point]\nname = \"Giáo viên Tin học\"\nposition = \"Giáo viên, kiêm nhiệm CNTT\"\nphone = \"0263 000 0001\"\nemail = \"cntt@{}.example\"\n\
                 decision_no = \"12/QĐ-{}\"\ndecision_date = 2025-09-05\nattested_by = \"Hiệu trưởng\"\nattested_on = 2025-09-06\nevidence = \"QĐ phân công\"\nexpires = 2026-09-06\n\n",
                s.code.to_ascii_lowercase(),
                s.code
            ));
        }
    }
    t.push_str(
        "[[system]]\nid = \"LD-SO-CSDL\"\nname = \"Cơ sở dữ liệu ngành (ví dụ)\"\nunit = \"LD-SO\"\nowner = \"UBND tỉnh\"\noperator = \"Văn phòng Sở\"\n\
         hosting = { kind = \"on_premises\", provider = \"Trung tâm dữ liệu tỉnh\", country = \"VN\" }\nstatus = \"operating\"\ngo_live = 2019-09-01\ncritical = true\nreach = \"province\"\n\
         personal_data = { categories = [\"hoc_sinh\", \"giao_vien\"], subjects = 420000, sensitive = false }\n\n",
    );
    // Approved after the plan's deadline of 30/04/2026 (K07 fails from May on).
    if as_of >= "2026-05-12" {
        t.push_str(
            "[system.approval]\nproposed_level = 3\napproved_level = 3\ndecision_no = \"615/QĐ-UBND\"\ndecision_date = 2026-05-12\napprover = \"UBND tỉnh\"\napprover_role = \"chu_quan\"\n\
             regime = \"nd85\"\nattested_by = \"Văn phòng Sở\"\nattested_on = 2026-05-13\nevidence = \"QĐ 615/QĐ-UBND\"\nexpires = 2027-05-13\n\n",
        );
    }
    for (i, s) in SCHOOLS.iter().enumerate() {
        let short = s.code.to_ascii_lowercase();
        // Every third system goes live in 2026, and half of those are approved only
        // after going live (K08).
        let new_system = i % 3 == 0;
        let go_live = if new_system {
            "2026-02-01"
        } else {
            "2021-08-15"
        };
        let decided = match (new_system, i % 2 == 0) {
            (false, _) => "2021-06-01",
            (true, true) => "2026-01-15",
            (true, false) => "2026-03-20",
        };
        let status = if go_live <= as_of {
            "operating"
        } else {
            "building"
        };
        t.push_str(&format!(
            "[[system]]\nid = \"{code}-QLTH\"\nname = \"Phần mềm quản lý trường học – {name}\"\nunit = \"{code}\"\nowner = \"{name}\"\noperator = \"{name}\"\n\
             urls = [\"https://{host}.lamdong.example/\"]\nhosting = {{ kind = \"vendor_service\", provider = \"Nhà cung cấp phần mềm (ví dụ)\", country = \"VN\" }}\n\
             status = \"{status}\"\ngo_live = {go_live}\ninvestment_started = 2025-09-01\ncitizen_facing = true\n\
             personal_data = {{ categories = [\"hoc_sinh\"], subjects = {pupils}, sensitive = false }}\n\n",
            code = s.code,
            name = s.name,
            host = short.replace('-', ""),
            pupils = 300 + 40 * s.hosts,
        ));
        if !rng.chance(s.weakness * 1.5) && decided <= as_of {
            t.push_str(&format!(
                "[system.approval]\nproposed_level = 2\napproved_level = 2\ndecision_no = \"{i:02}/QĐ-SGDĐT\"\ndecision_date = {decided}\napprover = \"Sở GDĐT\"\n\
                 approver_role = \"chu_quan\"\nregime = \"nd85\"\nattested_by = \"Văn phòng Sở\"\nattested_on = {decided}\nevidence = \"QĐ phê duyệt cấp độ\"\nexpires = 2027-06-01\n\n"
            ));
        }
        if !rng.chance(s.weakness) {
            t.push_str(
                "[system.records.backup_plan]\ndate = 2025-11-01\ndocument_no = \"PA-SL\"\ncopies = 3\nmedia = 2\noffsite = true\n\
                 attested_by = \"Hiệu trưởng\"\nattested_on = 2025-11-02\nevidence = \"Phương án sao lưu\"\nexpires = 2026-11-02\n\n",
            );
        }
    }
    t
}

fn province(out: &Path, policy: &Policy) {
    let rules = catalogue(policy);
    let mut rng = Rng(20260601);
    let mut state: BTreeMap<(String, String), Status> = BTreeMap::new();
    std::fs::create_dir_all(out).expect("create output folder");
    for (round, at) in ROUNDS.iter().enumerate() {
        let base: Timestamp = at.parse().expect("round time");
        for (i, s) in SCHOOLS.iter().enumerate().filter(|(_, s)| s.sends_results) {
            let unit = UnitRef {
                code: s.code.into(),
                name: s.name.into(),
            };
            let at = base + jiff::SignedDuration::from_hours(6 * i as i64);
            let short = s.code.to_ascii_lowercase();
            let mut status_of = |target: &str, rule: &RuleSpec, rng: &mut Rng| {
                let key = (target.to_string(), rule.code.clone());
                let st = next_status(rng, state.get(&key).copied(), s.weakness);
                state.insert(key, st);
                st
            };
            let target = |kind, id: String| TargetIdentity {
                kind,
                id,
                unit: Some(unit.clone()),
            };
            // Hosts: the school's own scan, one document for all its machines.
            let hosts: Vec<TargetResult> = (1..=s.hosts)
                .map(|h| {
                    let id = format!("{short}-pc{h:02}");
                    let drawn: Vec<(&RuleSpec, Status)> = rules
                        .iter()
                        .filter(|r| r.kind == TargetKind::Host)
                        .map(|r| (r, status_of(&id, r, &mut rng)))
                        .collect();
                    let no_antivirus = drawn
                        .iter()
                        .any(|(r, st)| r.requirement == "H01" && *st == Status::Fail);
                    let findings = drawn
                        .into_iter()
                        .map(|(r, st)| {
                            if r.requirement == "H02" && no_antivirus {
                                // No active anti-malware: its signatures do not apply.
                                finding(r, Status::NotApplicable)
                            } else {
                                finding(r, st)
                            }
                        })
                        .collect();
                    TargetResult {
                        target: target(TargetKind::Host, id),
                        collected_at: at,
                        findings,
                    }
                })
                .collect();
            let doc = document(policy, Some(unit.clone()), at, hosts);
            write_json(
                &out.join(format!("round-{}/host-{short}.json", round + 1)),
                &serde_json::to_value(&doc).expect("serialize"),
                true,
            );
            // Website: scanned by the Department, so the document has no unit of its own.
            let site = format!("https://{}.lamdong.example/", short.replace('-', ""));
            let mut web_findings: Vec<Finding> = rules
                .iter()
                .filter(|r| r.kind == TargetKind::Web)
                .map(|r| finding(r, status_of(&site, r, &mut rng)))
                .collect();
            if round > 0 && s.code == "LD-THPT-006" {
                // A waiver the Department granted, applied as `--waivers` applies it.
                for f in web_findings.iter_mut().filter(|f| f.rule == "WEB-HDR-001") {
                    f.status = Status::Waived;
                    f.waiver = Some(AppliedWaiver {
                        id: "MT-2026-003".into(),
                        justification: "Máy chủ web dùng chung của nhà cung cấp, chờ chuyển đổi"
                            .into(),
                        approved_by: "Sở GDĐT Lâm Đồng".into(),
                        approved_on: "2026-03-01".into(),
                        expires: "2026-12-31".into(),
                        source: "mien-tru.toml".into(),
                    });
                }
            }
            let web = document(
                policy,
                None,
                at,
                vec![TargetResult {
                    target: target(TargetKind::Web, site.clone()),
                    collected_at: at,
                    findings: web_findings,
                }],
            );
            write_json(
                &out.join(format!("round-{}/web-{short}.json", round + 1)),
                &serde_json::to_value(&web).expect("serialize"),
                true,
            );
        }
        // Register: the register as it stood then, evaluated by the real rules at the
        // round's date, as `khien scan register so-dang-ky.toml --at DATE` does. The
        // last round's register is the current one (`register.toml`).
        let as_of = base
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
            .date();
        let register_path = out.join(format!("round-{}/so-dang-ky.toml", round + 1));
        std::fs::write(&register_path, register_toml(&as_of.to_string())).expect("write register");
        let register = khien::register::load_file(&register_path).unwrap_or_else(|e| {
            panic!(
                "the generated register loads: {}",
                e.render(khien::i18n::Lang::En)
            )
        });
        if round + 1 == ROUNDS.len() {
            std::fs::copy(&register_path, out.join("register.toml")).expect("copy register");
        }
        let docs = khien::register::facts::fact_documents(&register, base);
        let mut reg = khien::engine::evaluate(policy, &Default::default(), &docs, Some(base));
        // The same files on every run: the document is dated by the round, not the clock.
        reg.generated_at = base;
        write_json(
            &out.join(format!("round-{}/register.json", round + 1)),
            &serde_json::to_value(&reg).expect("serialize"),
            true,
        );
    }
    println!("example province written to {}", out.display());
}

fn bench(out: &Path, files: u64, per_file: u64) {
    let units = 500u64;
    let reqs = ["H01", "H02", "H03", "H04", "H05", "H06", "H15", "H16"];
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];
    let specs: Vec<RuleSpec> = (0..per_file)
        .map(|k| RuleSpec {
            code: format!("BENCH-{k:03}"),
            requirement: reqs[(k as usize) % reqs.len()].into(),
            kind: TargetKind::Host,
            severity: severities[(k as usize) % severities.len()],
            title: Localized::new(
                format!("Kiểm tra số {k}: cấu hình an toàn của máy trạm"),
                format!("Check {k}: workstation security configuration"),
            ),
            // Real results carry the failing-state title too (as large as the title).
            problem: Localized::new(
                format!("Kiểm tra số {k}: cấu hình máy trạm chưa an toàn"),
                format!("Check {k}: the workstation configuration is unsafe"),
            ),
            remediation: Localized::new(
                "Mở công cụ quản trị, kiểm tra cấu hình theo hướng dẫn của Sở, bật chính sách an toàn, khởi động lại dịch vụ và quét lại bằng khien để xác nhận kết quả đạt. ".repeat(2),
                "Open the administration tool, check the configuration against the Department's guide, enable the security policy, restart the service and scan again with khien to confirm. ".repeat(2),
            ),
            basis: basis("KH-CĐS-2026-2030", "III.4.a"),
            not_applicable: None,
        })
        .collect();
    let policy = policy::load_sources(policy::embedded_sources(), "embedded")
        .expect("embedded policy loads");
    let mut rng = Rng(42);
    let at: Timestamp = "2026-05-10T02:00:00Z".parse().expect("time");
    let mut inventory = String::from("unit_code,unit_name,commune,computers\n");
    for u in 0..units {
        inventory.push_str(&format!(
            "BENCH-{u:04},Trường số {u},Xã {},{}\n",
            u % 40,
            files / units + 2
        ));
    }
    std::fs::create_dir_all(out).expect("create output folder");
    std::fs::write(out.join("inventory.csv"), inventory).expect("write inventory");
    for i in 0..files {
        let u = i % units;
        let unit = UnitRef {
            code: format!("BENCH-{u:04}"),
            name: format!("Trường số {u}"),
        };
        let findings = specs
            .iter()
            .map(|s| {
                let st = match rng.below(100) {
                    0..=74 => Status::Pass,
                    75..=89 => Status::Fail,
                    90..=94 => Status::Unknown,
                    _ => Status::NotApplicable,
                };
                finding(s, st)
            })
            .collect();
        let t = TargetResult {
            target: TargetIdentity {
                kind: TargetKind::Host,
                id: format!("pc-{i:05}"),
                unit: Some(unit.clone()),
            },
            collected_at: at + jiff::SignedDuration::from_secs(i as i64),
            findings,
        };
        let doc = document(&policy, Some(unit), at, vec![t]);
        write_json(
            &out.join(format!("r{:02}/result-{i:05}.json", i / 1000)),
            &serde_json::to_value(&doc).expect("serialize"),
            false,
        );
    }
    println!(
        "{files} result files with {per_file} findings each written to {}",
        out.display()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: gen_results province DIR | gen_results bench DIR [FILES] [FINDINGS_PER_FILE]";
    match args.first().map(String::as_str) {
        Some("province") if args.len() == 2 => {
            let policy = policy::load_sources(policy::embedded_sources(), "embedded")
                .expect("embedded policy loads");
            province(&PathBuf::from(&args[1]), &policy);
        }
        Some("bench") if args.len() >= 2 => {
            let files = args.get(2).map_or(10_000, |s| s.parse().expect(usage));
            let per_file = args.get(3).map_or(50, |s| s.parse().expect(usage));
            bench(&PathBuf::from(&args[1]), files, per_file);
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
