//! Generates result documents for reports, built from khien's own types so they stay
//! in step with the result schema (`khien-result/1`).
//!
//! ```text
//! cargo run --example gen_results -- province fixtures/results
//! cargo run --release --example gen_results -- bench /tmp/khien-bench 10000 50
//! ```
//!
//! `province`: an example province of 13 schools in 4 communes, three scan rounds
//! (January, March, May 2026) of host, website and register results, and the inventory
//! CSV. Statuses are drawn by a seeded generator, so the output is the same every run.
//! Host rules that exist in the embedded policy carry its texts; rules of requirements
//! that other branches implement (H03–H06, H15, W01–W04, W11, R01–R11) carry
//! placeholder codes and short texts, marked as such in `fixtures/README.md`.
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
    remediation: Localized,
    basis: Vec<Basis>,
}

fn basis(plan: &str, section: &str) -> Vec<Basis> {
    vec![Basis {
        plan: plan.into(),
        section: section.into(),
        law: None,
    }]
}

/// Placeholder rule: a requirement another branch implements.
fn placeholder(
    code: &str,
    requirement: &str,
    kind: TargetKind,
    severity: Severity,
    title: (&str, &str),
    remediation: (&str, &str),
    section: (&str, &str),
) -> RuleSpec {
    RuleSpec {
        code: code.into(),
        requirement: requirement.into(),
        kind,
        severity,
        title: Localized::new(title.0, title.1),
        remediation: Localized::new(remediation.0, remediation.1),
        basis: basis(section.0, section.1),
    }
}

fn catalogue(policy: &Policy) -> Vec<RuleSpec> {
    use Severity::*;
    use TargetKind::*;
    let mut rules: Vec<RuleSpec> = policy
        .rules
        .iter()
        .map(|r| RuleSpec {
            code: r.code.clone(),
            requirement: r.requirement.clone().unwrap_or_default(),
            kind: r.target,
            severity: r.severity,
            title: r.title.clone(),
            remediation: r.remediation.clone(),
            basis: r.basis.clone(),
        })
        .collect();
    let cds = "KH-CĐS-2026-2030";
    let nq = "KH-NQ57-2026";
    let have = |req: &str, rules: &[RuleSpec]| rules.iter().any(|r| r.requirement == req);
    let extra = [
        placeholder(
            "HOST-AV-003",
            "H03",
            Host,
            Medium,
            (
                "Phần mềm phòng chống mã độc được quản lý tập trung",
                "Anti-malware is centrally managed",
            ),
            (
                "Kết nối phần mềm phòng chống mã độc với máy chủ quản trị tập trung của ngành.",
                "Connect the anti-malware to the sector's central management server.",
            ),
            (cds, "III.4.a"),
        ),
        placeholder(
            "HOST-AV-004",
            "H04",
            Host,
            Medium,
            (
                "Phần mềm phòng chống mã độc có bản quyền",
                "Anti-malware is licensed",
            ),
            (
                "Dùng sản phẩm có bản quyền trong danh sách được Sở chấp thuận.",
                "Use a licensed product from the Department's approved list.",
            ),
            (cds, "III.4.a"),
        ),
        placeholder(
            "HOST-OS-001",
            "H05",
            Host,
            High,
            (
                "Hệ điều hành còn được nhà sản xuất hỗ trợ",
                "The operating system is still supported",
            ),
            (
                "Nâng cấp lên phiên bản hệ điều hành còn được hỗ trợ (ví dụ Windows 10 22H2 trở lên với ESU, Windows 11).",
                "Upgrade to a supported operating system version.",
            ),
            (nq, "III.VII.2"),
        ),
        placeholder(
            "HOST-PATCH-001",
            "H06",
            Host,
            High,
            (
                "Bản vá bảo mật được cài trong 35 ngày",
                "Security updates installed within 35 days",
            ),
            (
                "Bật cập nhật tự động; cài ngay các bản vá bảo mật còn thiếu rồi khởi động lại máy.",
                "Turn on automatic updates; install missing security updates and restart.",
            ),
            (nq, "III.V.5"),
        ),
        placeholder(
            "HOST-PD-001",
            "H15",
            Host,
            Critical,
            (
                "Không để tệp chứa số CCCD ở thư mục chia sẻ",
                "No files with citizen ID numbers in shared folders",
            ),
            (
                "Chuyển tệp chứa dữ liệu cá nhân vào thư mục được phân quyền; xóa bản sao không cần thiết.",
                "Move files with personal data to an access-controlled folder; delete needless copies.",
            ),
            (cds, "II.2"),
        ),
        placeholder(
            "WEB-TLS-001",
            "W01",
            Web,
            High,
            (
                "Website dùng HTTPS và chuyển hướng từ HTTP",
                "The website uses HTTPS and redirects HTTP",
            ),
            (
                "Cấu hình máy chủ web chuyển mọi yêu cầu HTTP sang HTTPS.",
                "Redirect every HTTP request to HTTPS.",
            ),
            (cds, "V.1.b"),
        ),
        placeholder(
            "WEB-TLS-002",
            "W02",
            Web,
            High,
            (
                "Chứng chỉ số hợp lệ, còn hạn",
                "The certificate is valid and not expired",
            ),
            (
                "Gia hạn chứng chỉ (ví dụ Let's Encrypt với gia hạn tự động).",
                "Renew the certificate (e.g. Let's Encrypt with automatic renewal).",
            ),
            (cds, "V.1.b"),
        ),
        placeholder(
            "WEB-TLS-003",
            "W03",
            Web,
            Medium,
            ("Chỉ cho phép TLS 1.2 trở lên", "Only TLS 1.2 or later"),
            (
                "Tắt TLS 1.0 và 1.1 trên máy chủ web.",
                "Disable TLS 1.0 and 1.1 on the web server.",
            ),
            (cds, "V.1.b"),
        ),
        placeholder(
            "WEB-HDR-001",
            "W04",
            Web,
            Low,
            ("Có tiêu đề HSTS", "HSTS header is set"),
            (
                "Thêm tiêu đề Strict-Transport-Security với max-age ít nhất 180 ngày.",
                "Add Strict-Transport-Security with max-age of at least 180 days.",
            ),
            (cds, "V.1.b"),
        ),
        placeholder(
            "WEB-PD-001",
            "W11",
            Web,
            Critical,
            (
                "Trang web không công khai số CCCD",
                "No citizen ID numbers published on the site",
            ),
            (
                "Gỡ hoặc che số CCCD trên các trang và tệp đính kèm đã công bố.",
                "Remove or mask citizen ID numbers on published pages and attachments.",
            ),
            (cds, "II.2"),
        ),
        placeholder(
            "REG-LVL-001",
            "R01",
            Register,
            High,
            (
                "HTTT đang vận hành đã được phê duyệt cấp độ",
                "The operating system has an approved security level",
            ),
            (
                "Lập hồ sơ đề xuất cấp độ và trình cấp có thẩm quyền phê duyệt.",
                "Prepare the security-level dossier and submit it for approval.",
            ),
            (cds, "I.2.c"),
        ),
        placeholder(
            "REG-BKP-001",
            "R05",
            Register,
            Medium,
            (
                "HTTT quan trọng có phương án sao lưu và đã thử khôi phục",
                "Important system has backups with a tested restore",
            ),
            (
                "Lập phương án sao lưu, thử khôi phục và lưu biên bản.",
                "Write a backup plan, test a restore and keep the record.",
            ),
            (cds, "III.1.b"),
        ),
        placeholder(
            "REG-SOC-001",
            "R08",
            Register,
            Medium,
            (
                "HTTT kết nối SOC tỉnh",
                "System connected to the provincial SOC",
            ),
            (
                "Cài tác tử giám sát và đăng ký kết nối với SOC tỉnh.",
                "Install the monitoring agent and register with the provincial SOC.",
            ),
            (cds, "III.4.b"),
        ),
        placeholder(
            "REG-ORG-001",
            "R07",
            Register,
            Medium,
            (
                "Đơn vị có đầu mối CNTT/ATTT",
                "The unit has an IT/security focal point",
            ),
            (
                "Ban hành quyết định phân công đầu mối CNTT/ATTT và gửi về Sở.",
                "Appoint an IT/security focal point and notify the Department.",
            ),
            (nq, "V.2"),
        ),
        placeholder(
            "REG-RPT-001",
            "R11",
            Register,
            Low,
            (
                "Báo cáo định kỳ nộp đúng hạn",
                "Periodic reports submitted on time",
            ),
            (
                "Nộp báo cáo 6 tháng trước 05/6 và báo cáo năm trước 05/12.",
                "Submit the half-year report before 05/6 and the annual one before 05/12.",
            ),
            (cds, "VI"),
        ),
    ];
    for r in extra {
        if !have(&r.requirement, &rules) {
            rules.push(r);
        }
    }
    rules
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
        remediation: spec.remediation.clone(),
        basis: spec.basis.clone(),
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

fn province(out: &Path, policy: &Policy) {
    let rules = catalogue(policy);
    let mut rng = Rng(20260601);
    let mut state: BTreeMap<(String, String), Status> = BTreeMap::new();
    let mut inventory = String::from("unit_code,unit_name,commune,computers\n");
    for s in SCHOOLS {
        inventory.push_str(&format!(
            "{},{},{},{}\n",
            s.code,
            s.name,
            s.commune,
            s.hosts + s.extra_in_inventory
        ));
    }
    std::fs::create_dir_all(out).expect("create output folder");
    std::fs::write(out.join("inventory.csv"), inventory).expect("write inventory");
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
            let site = format!("https://{}.lamdong.edu.vn", short.replace('-', ""));
            let web_findings = rules
                .iter()
                .filter(|r| r.kind == TargetKind::Web)
                .map(|r| finding(r, status_of(&site, r, &mut rng)))
                .collect();
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
            let mut web = serde_json::to_value(&web).expect("serialize");
            if round > 0 && s.code == "LD-THPT-006" {
                // A waiver, as the waiver branch adds it to findings.
                for f in web["targets"][0]["findings"]
                    .as_array_mut()
                    .expect("findings")
                {
                    if f["rule"] == "WEB-HDR-001" {
                        f["status"] = "fail".into();
                        f["waiver"] = serde_json::json!({
                            "reason": "Máy chủ web dùng chung của nhà cung cấp, chờ chuyển đổi",
                            "approved_by": "Sở GDĐT Lâm Đồng",
                            "until": "2026-12-31"
                        });
                    }
                }
            }
            write_json(
                &out.join(format!("round-{}/web-{short}.json", round + 1)),
                &web,
                true,
            );
            // Register: one record for the unit and one for its school-management system.
            let unit_record = s.code.to_string();
            let system_record = format!("{}/qlth", s.code);
            let mut reg_targets = Vec::new();
            for (id, reqs) in [
                (unit_record, &["R07", "R11"][..]),
                (system_record, &["R01", "R05", "R08"][..]),
            ] {
                let findings = rules
                    .iter()
                    .filter(|r| {
                        r.kind == TargetKind::Register && reqs.contains(&r.requirement.as_str())
                    })
                    .map(|r| finding(r, status_of(&id, r, &mut rng)))
                    .collect();
                reg_targets.push(TargetResult {
                    target: target(TargetKind::Register, id),
                    collected_at: at,
                    findings,
                });
            }
            let reg = document(policy, None, at, reg_targets);
            write_json(
                &out.join(format!("round-{}/register-{short}.json", round + 1)),
                &serde_json::to_value(&reg).expect("serialize"),
                true,
            );
        }
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
            remediation: Localized::new(
                "Mở công cụ quản trị, kiểm tra cấu hình theo hướng dẫn của Sở, bật chính sách an toàn, khởi động lại dịch vụ và quét lại bằng khien để xác nhận kết quả đạt. ".repeat(2),
                "Open the administration tool, check the configuration against the Department's guide, enable the security policy, restart the service and scan again with khien to confirm. ".repeat(2),
            ),
            basis: basis("KH-CĐS-2026-2030", "III.4.a"),
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
