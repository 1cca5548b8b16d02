//! The Department's daily website scan run by the server itself (`[schedule]` in
//! khien-serve.toml): once a day, at `web_scan_at` in Vietnam's time, `khien scan web
//! --register` over the server's register with scan web's polite limits, its result
//! ingested as the Department's own upload (the same checks and ingest as
//! `POST /api/v1/results` with an administrator token).
//!
//! The scan runs as a child process of the same executable, so a scan that fails,
//! hangs (stopped after `max_run_minutes`) or crashes never takes the server down. The
//! day of each attempt is kept in serve.db before it starts: a failed run is logged and
//! audited and tried again the next day, never in a loop; a server that was down at
//! the scheduled time catches up when it starts later that day. Every start, outcome
//! and failure is in the audit log (`schedule_start`, `schedule_done`,
//! `schedule_failed`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use jiff::civil::{Date, Time};

use super::app::AppState;
use super::config::{Schedule, ServeConfig};
use super::ledger::TokenRecord;

/// serve.db `meta` key holding the day (Vietnam's) of the last attempt.
const LAST_RUN_KEY: &str = "schedule.web_scan.last_day";
/// The uploader the scheduled result is recorded under.
pub const SCHEDULE_UNIT: &str = "admin:schedule";
/// How often the scheduler looks at the clock.
const TICK: Duration = Duration::from_secs(20);
/// The scan's own output is read up to this size (a province's sites, with evidence).
const MAX_RESULT_BYTES: u64 = 512 * 1024 * 1024;

/// True when a run is due at `now`: the time of day has come (Vietnam's time) and no
/// attempt was made that day.
pub fn due(now: Timestamp, at: Time, last_day: Option<Date>) -> bool {
    let local = now.to_zoned(crate::report::period::vietnam());
    local.time() >= at && last_day != Some(local.date())
}

fn today(now: Timestamp) -> Date {
    now.to_zoned(crate::report::period::vietnam()).date()
}

/// Starts the scheduler on the server's runtime.
pub fn spawn(st: Arc<AppState>, cfg: &ServeConfig) {
    let Some(schedule) = cfg.schedule.clone() else {
        return;
    };
    let register = cfg.register.clone();
    let data_dir = cfg.data_dir.clone();
    tracing::info!(at = %schedule.web_scan_at, "daily website scan scheduled (Asia/Ho_Chi_Minh)");
    tokio::spawn(async move {
        loop {
            let st2 = st.clone();
            let (schedule2, register2, data2) =
                (schedule.clone(), register.clone(), data_dir.clone());
            // Blocking: serve.db, a child process, the ingest.
            let r = tokio::task::spawn_blocking(move || tick(&st2, &schedule2, &register2, &data2))
                .await;
            if let Err(e) = r {
                tracing::error!(error = %e, "scheduled scan task failed");
            }
            tokio::time::sleep(TICK).await;
        }
    });
}

fn audit(st: &AppState, event: &str, detail: &str) {
    if let Ok(l) = st.ingestor.ledger.lock() {
        let _ = l.audit(event, Some(SCHEDULE_UNIT), Some("schedule"), detail);
    }
}

/// Runs the scan when it is due; records the attempt first.
fn tick(st: &AppState, schedule: &Schedule, register: &Path, data_dir: &Path) {
    let now = Timestamp::now();
    let last = st
        .ingestor
        .ledger
        .lock()
        .map_err(|e| e.to_string())
        .and_then(|l| l.meta(LAST_RUN_KEY).map_err(|e| e.to_string()));
    let last = match last {
        Ok(v) => v.and_then(|d| d.parse::<Date>().ok()),
        Err(e) => {
            tracing::error!(error = %e, "scheduled scan: serve.db unreadable");
            return;
        }
    };
    if !due(now, schedule.web_scan_at, last) {
        return;
    }
    let day = today(now).to_string();
    let recorded = st
        .ingestor
        .ledger
        .lock()
        .map_err(|e| e.to_string())
        .and_then(|l| l.set_meta(LAST_RUN_KEY, &day).map_err(|e| e.to_string()));
    if let Err(e) = recorded {
        // Without the record the next tick would start again: do not run.
        tracing::error!(error = %e, "scheduled scan: cannot record the attempt");
        return;
    }
    tracing::info!(day, "scheduled website scan starting");
    audit(
        st,
        "schedule_start",
        &format!("scan web --register {}", register.display()),
    );
    match run(st, schedule, register, data_dir) {
        Ok(detail) => {
            tracing::info!(detail, "scheduled website scan done");
            audit(st, "schedule_done", &detail);
        }
        Err(e) => {
            tracing::error!(error = %e, "scheduled website scan failed; next attempt tomorrow");
            audit(st, "schedule_failed", &e);
        }
    }
}

/// The scan's command line: `scan web --register` with the configured limits.
fn command(exe: &Path, schedule: &Schedule, register: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.args(["scan", "web", "--register"])
        .arg(register)
        .args(["--format", "json", "--output"])
        .arg(out)
        .arg("--concurrency")
        .arg(schedule.concurrency.to_string())
        .arg("--per-ip")
        .arg(schedule.per_ip.to_string())
        .arg("--per-ip-rate")
        .arg(schedule.per_ip_rate.to_string())
        .arg("--timeout")
        .arg(schedule.timeout_seconds.to_string())
        .arg("--site-timeout")
        .arg(schedule.site_timeout_seconds.to_string());
    for r in &schedule.resolve {
        cmd.arg("--resolve").arg(r);
    }
    if let Some(ca) = &schedule.ca_file {
        cmd.arg("--ca-file").arg(ca);
    }
    cmd.env("KHIEN_LANG", "en");
    cmd
}

/// One scan and its ingest; a short account of what happened, or why it failed.
fn run(
    st: &AppState,
    schedule: &Schedule,
    register: &Path,
    data_dir: &Path,
) -> Result<String, String> {
    let dir = data_dir.join("schedule");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out: PathBuf = dir.join("web-scan.json");
    let log = dir.join("web-scan.log");
    let _ = std::fs::remove_file(&out);
    let exe = std::env::current_exe().map_err(|e| format!("current executable: {e}"))?;
    let log_file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut child = command(&exe, schedule, register, &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .spawn()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() > schedule.max_run => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "stopped after {} minutes (max_run_minutes); see {}",
                    schedule.max_run.as_secs() / 60,
                    log.display()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("waiting for the scan: {e}")),
        }
    };
    // 0: all passed, 1: failing findings, 2: bad input or no site answered (the
    // result, when written, still says what was found).
    if !out.is_file() {
        return Err(format!(
            "the scan wrote no result (exit {}); see {}",
            status
                .code()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "by signal".into()),
            log.display()
        ));
    }
    let bytes = crate::io::read_bounded_bytes(&out, MAX_RESULT_BYTES)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    let token = TokenRecord {
        id: 0,
        unit_code: SCHEDULE_UNIT.into(),
        unit_name: "khien serve [schedule]".into(),
        admin: true,
        issued_at: Timestamp::now(),
        revoked_at: None,
        fingerprint: String::new(),
    };
    let (code, reply) = st.ingestor.process(&token, &bytes, false, "schedule");
    match reply.status.as_str() {
        "accepted" | "duplicate" => Ok(format!(
            "exit {}; {} {}",
            status.code().unwrap_or(-1),
            code.as_u16(),
            reply.message_en
        )),
        _ => Err(format!("{} {}", code.as_u16(), reply.message_en)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_due_once_a_day_from_its_time_in_vietnam() {
        let at: Time = "02:30".parse().unwrap();
        // 19:29 UTC is 02:29 the next day in Vietnam (UTC+7).
        let before: Timestamp = "2026-12-07T19:29:00Z".parse().unwrap();
        let after: Timestamp = "2026-12-07T19:31:00Z".parse().unwrap();
        assert!(!due(before, at, None));
        assert!(due(after, at, None));
        let day: Date = "2026-12-08".parse().unwrap();
        assert_eq!(today(after), day);
        assert!(
            !due(after, at, Some(day)),
            "once a day, even after a failure"
        );
        assert!(due(after, at, Some("2026-12-07".parse().unwrap())));
        // Late in the day (a server started after the time) still catches up.
        let late: Timestamp = "2026-12-08T16:00:00Z".parse().unwrap();
        assert!(due(late, at, Some("2026-12-07".parse().unwrap())));
        assert!(!due(late, at, Some(day)));
    }
}
