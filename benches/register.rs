//! Benchmark: loading, checking and evaluating a province-sized register.
//!
//! Builds a synthetic register (every unit with a focal point and two reports, every
//! system with an approval and six records), then times parsing and validation,
//! turning it into facts, and evaluating the default policy, and prints the figures.
//! Run: `cargo bench --bench register` (sizes: KHIEN_BENCH_UNITS, default 1000 units
//! with 3 systems each).

use std::fmt::Write as _;
use std::time::Instant;

use jiff::Timestamp;
use khien::config::LocalConfig;
use khien::policy::{self, SourceFile};
use khien::register;

fn record(out: &mut String, table: &str, date: &str) {
    let _ = write!(
        out,
        "\n[system.records.{table}]\ndate = {date}\ndocument_no = \"{table}-1\"\nresult = \"success\"\nattested_by = \"Văn phòng\"\nattested_on = {date}\nevidence = \"Biên bản {table}\"\nexpires = 2027-12-31\n"
    );
}

fn synthetic(units: usize, systems_per_unit: usize) -> String {
    let mut out = String::from("[register]\ntitle = \"Sổ tổng hợp (thử tải)\"\n");
    for u in 0..units {
        let _ = write!(
            out,
            "\n[[unit]]\ncode = \"DV-{u:05}\"\nname = \"Trường số {u}\"\ncommune = \"Xã {u}\"\ntype = \"thcs\"\ncomputers = {}\n\n[unit.focal_point]\nname = \"Người phụ trách {u}\"\nposition = \"Giáo viên Tin học\"\nphone = \"0263 000 {u:04}\"\nemail = \"cntt{u}@truong.example\"\ndecision_no = \"{u}/QĐ\"\ndecision_date = 2026-01-05\nattested_by = \"Hiệu trưởng\"\nattested_on = 2026-01-06\nevidence = \"QĐ {u}/QĐ\"\nexpires = 2027-01-06\n",
            20 + u % 50
        );
        for (due, sent) in [("2026-06-05", "2026-06-01"), ("2026-12-05", "2026-12-01")] {
            let _ = write!(
                out,
                "\n[[unit.report]]\nname = \"Báo cáo\"\ndue = {due}\nsubmitted = {sent}\nevidence = \"CV\"\n"
            );
        }
    }
    for u in 0..units {
        for s in 0..systems_per_unit {
            let _ = write!(
                out,
                "\n[[system]]\nid = \"HT-{u:05}-{s}\"\nname = \"Hệ thống {s} của trường {u}\"\nunit = \"DV-{u:05}\"\nowner = \"Trường {u}\"\noperator = \"Trường {u}\"\nurls = [\"https://ht{s}.dv{u}.example/\"]\nhosting = {{ kind = \"cloud\", provider = \"x\", country = \"VN\" }}\nstatus = \"operating\"\ngo_live = 2025-09-01\ncitizen_facing = true\npersonal_data = {{ categories = [\"hoc_sinh\"], subjects = {}, sensitive = false }}\n\n[system.approval]\napproved_level = 2\ndecision_no = \"{u}-{s}/QĐ\"\ndecision_date = 2025-08-01\napprover = \"Sở GDĐT\"\napprover_role = \"don_vi_chuyen_trach\"\nregime = \"nd85\"\nattested_by = \"Văn phòng\"\nattested_on = 2026-01-02\nevidence = \"QĐ\"\nexpires = 2027-01-02\n",
                300 + u
            );
            for (table, date) in [
                ("security_policy", "2025-07-01"),
                ("backup_plan", "2025-07-15"),
                ("restore_test", "2026-05-01"),
                ("incident_response_plan", "2026-03-01"),
                ("soc_connection", "2026-02-01"),
                ("vulnerability_scan", "2026-06-01"),
            ] {
                record(&mut out, table, date);
            }
        }
    }
    out
}

fn main() {
    let units: usize = std::env::var("KHIEN_BENCH_UNITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let per_unit = 3;
    let text = synthetic(units, per_unit);
    let policy = policy::load_sources(policy::embedded_sources(), "embedded").unwrap();
    let config = LocalConfig::default();
    let at: Timestamp = "2026-11-23T01:00:00Z".parse().unwrap();

    let t = Instant::now();
    let reg = register::parse(SourceFile::new("bench.toml", text.clone()))
        .expect("the synthetic register loads");
    let parse = t.elapsed();

    let t = Instant::now();
    let docs = register::facts::fact_documents(&reg, at);
    let facts = t.elapsed();

    let t = Instant::now();
    let result = khien::engine::evaluate(&policy, &config, &docs, Some(at));
    let eval = t.elapsed();

    let t = Instant::now();
    let json = serde_json::to_string(&result).unwrap();
    let render = t.elapsed();

    println!(
        "register bench: {units} units, {} systems, {:.1} MB of TOML",
        units * per_unit,
        text.len() as f64 / 1e6
    );
    println!("  parse + validate : {:>8.1} ms", parse.as_secs_f64() * 1e3);
    println!("  facts at --at    : {:>8.1} ms", facts.as_secs_f64() * 1e3);
    println!(
        "  evaluate         : {:>8.1} ms ({} targets, {} findings, {:.1} µs per finding)",
        eval.as_secs_f64() * 1e3,
        result.summary.targets,
        result.summary.findings,
        eval.as_secs_f64() * 1e6 / result.summary.findings.max(1) as f64
    );
    println!(
        "  result to JSON   : {:>8.1} ms ({:.1} MB)",
        render.as_secs_f64() * 1e3,
        json.len() as f64 / 1e6
    );
    if let Some(kb) = peak_rss_kb() {
        println!("  peak RSS         : {:>8.1} MB", kb as f64 / 1024.0);
    }
}

/// Peak resident memory from /proc (Linux); `None` elsewhere.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
