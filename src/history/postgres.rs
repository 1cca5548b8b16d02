//! The history store in PostgreSQL, for the Department's central server
//! (`khien serve` with `database = "postgres://…"`).
//!
//! The same tables and the same rules as [`super::sqlite`] (times as Unix seconds,
//! one transaction per ingest), so reports read either store through
//! [`HistoryStore`] alike. The schema is versioned: numbered migrations are applied in
//! order at connection, under an advisory lock so two servers starting together do
//! not race, and a database newer than this build is refused.
//!
//! The connection is made without TLS: the database is expected on the same machine
//! (loopback or a Unix socket), as the systemd example in docs/serve.md sets it up.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use postgres::fallible_iterator::FallibleIterator as _;
use postgres::types::ToSql;
use postgres::{Client, NoTls};

use super::sqlite::{parse_severity, parse_status, status_str};
use super::{
    Event, EventKind, FindingState, HistoryError, HistoryStore, IngestStats, ReportRun, RuleText,
    Window,
};
use crate::findings::Status;
use crate::report::input::ResultInput;

/// Numbered migrations, applied in order; a released one is never edited.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "
CREATE TABLE units(code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE targets(
  id BIGSERIAL PRIMARY KEY,
  unit_code TEXT NOT NULL, kind TEXT NOT NULL, target_id TEXT NOT NULL,
  last_collected_at BIGINT NOT NULL,
  UNIQUE(unit_code, kind, target_id));
CREATE INDEX targets_by_time ON targets(last_collected_at);
CREATE TABLE rules(
  code TEXT PRIMARY KEY, requirement TEXT,
  title_vi TEXT NOT NULL, title_en TEXT NOT NULL,
  remediation_vi TEXT NOT NULL, remediation_en TEXT NOT NULL);
CREATE TABLE findings(
  id BIGSERIAL PRIMARY KEY,
  target_ref BIGINT NOT NULL REFERENCES targets(id),
  rule TEXT NOT NULL, requirement TEXT, severity TEXT NOT NULL, status TEXT NOT NULL,
  last_seen BIGINT NOT NULL,
  open_since BIGINT, first_failed_at BIGINT, fixed_at BIGINT, reopened_at BIGINT,
  waiver TEXT,
  UNIQUE(target_ref, rule));
CREATE TABLE events(
  finding_ref BIGINT NOT NULL REFERENCES findings(id),
  at BIGINT NOT NULL, kind TEXT NOT NULL);
CREATE INDEX events_by_finding ON events(finding_ref, at);
CREATE INDEX events_by_time ON events(at);
CREATE TABLE reports(
  id BIGSERIAL PRIMARY KEY, generated_at BIGINT NOT NULL, period TEXT NOT NULL,
  unit TEXT NOT NULL, data_until BIGINT NOT NULL);
CREATE TABLE ingests(
  id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, documents BIGINT NOT NULL,
  targets_applied BIGINT NOT NULL, findings_applied BIGINT NOT NULL);
",
    ),
    (
        2,
        // Failing-state titles of the rules (the report's "problem" texts).
        "
ALTER TABLE rules ADD COLUMN problem_vi TEXT NOT NULL DEFAULT '';
ALTER TABLE rules ADD COLUMN problem_en TEXT NOT NULL DEFAULT '';
",
    ),
];

/// An arbitrary constant naming khien's migration lock among advisory locks.
const MIGRATION_LOCK: i64 = 0x6b68_6965_6e00_0001;

pub struct PostgresStore {
    // The trait reads through `&self`; the client needs `&mut` for every query.
    client: RefCell<Client>,
}

/// `postgres://user:secret@host/db` with the password hidden, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

fn ts(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

struct Previous {
    id: i64,
    open_since: Option<i64>,
    first_failed_at: Option<i64>,
    fixed_at: Option<i64>,
    reopened_at: Option<i64>,
}

impl PostgresStore {
    /// Connects and brings the schema up to date.
    pub fn connect(url: &str) -> Result<PostgresStore, HistoryError> {
        let mut client = Client::connect(url, NoTls)?;
        Self::migrate(&mut client)?;
        Ok(PostgresStore {
            client: RefCell::new(client),
        })
    }

    /// The schema version now in the database.
    pub fn schema_version(&self) -> Result<i32, HistoryError> {
        let row = self.client.borrow_mut().query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?;
        Ok(row.get(0))
    }

    fn migrate(client: &mut Client) -> Result<(), HistoryError> {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations(
               version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )?;
        let current: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )?
            .get(0);
        let newest = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > newest {
            return Err(HistoryError::Other(format!(
                "the PostgreSQL history is at schema version {current}, newer than this khien ({newest}); use a newer khien"
            )));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)",
                &[version, &Timestamp::now().as_second()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Counts rows of a table (for tests and diagnostics).
    pub fn count(&self, table: &str) -> Result<u64, HistoryError> {
        let allowed = [
            "units", "targets", "rules", "findings", "events", "reports", "ingests",
        ];
        if !allowed.contains(&table) {
            return Err(HistoryError::Other(format!("no table `{table}`")));
        }
        let row = self
            .client
            .borrow_mut()
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?;
        Ok(row.get::<_, i64>(0) as u64)
    }
}

impl HistoryStore for PostgresStore {
    fn ingest(
        &mut self,
        docs: &mut dyn Iterator<Item = ResultInput>,
    ) -> Result<IngestStats, HistoryError> {
        let client = self.client.get_mut();
        let mut tx = client.transaction()?;
        let mut stats = IngestStats::default();
        let mut rules_written: HashSet<String> = HashSet::new();
        let find_target = tx.prepare(
            "SELECT id, last_collected_at FROM targets
             WHERE unit_code = $1 AND kind = $2 AND target_id = $3",
        )?;
        let insert_target = tx.prepare(
            "INSERT INTO targets(unit_code, kind, target_id, last_collected_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )?;
        let touch_target = tx.prepare("UPDATE targets SET last_collected_at = $2 WHERE id = $1")?;
        let upsert_unit = tx.prepare(
            "INSERT INTO units(code, name) VALUES ($1, $2)
             ON CONFLICT(code) DO UPDATE SET name = excluded.name
             WHERE excluded.name <> '' AND excluded.name <> units.name",
        )?;
        let upsert_rule = tx.prepare(
            "INSERT INTO rules(code, requirement, title_vi, title_en, remediation_vi, remediation_en,
               problem_vi, problem_en)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT(code) DO UPDATE SET requirement = excluded.requirement,
               title_vi = excluded.title_vi, title_en = excluded.title_en,
               problem_vi = excluded.problem_vi, problem_en = excluded.problem_en,
               remediation_vi = excluded.remediation_vi, remediation_en = excluded.remediation_en",
        )?;
        let previous = tx.prepare(
            "SELECT rule, id, open_since, first_failed_at, fixed_at, reopened_at
             FROM findings WHERE target_ref = $1",
        )?;
        let insert_finding = tx.prepare(
            "INSERT INTO findings(target_ref, rule, requirement, severity, status, last_seen,
               open_since, first_failed_at, fixed_at, reopened_at, waiver)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9) RETURNING id",
        )?;
        let update_finding = tx.prepare(
            "UPDATE findings SET requirement = $2, severity = $3, status = $4, last_seen = $5,
               open_since = $6, first_failed_at = $7, fixed_at = $8, reopened_at = $9,
               waiver = $10
             WHERE id = $1",
        )?;
        let insert_event =
            tx.prepare("INSERT INTO events(finding_ref, at, kind) VALUES ($1, $2, $3)")?;

        for doc in docs {
            stats.documents += 1;
            for target in &doc.targets {
                let at = target.collected_at.as_second();
                let found =
                    tx.query_opt(&find_target, &[&target.unit_code, &target.kind, &target.id])?;
                let target_ref: i64 = match found.map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1)))
                {
                    Some((_, last)) if last >= at => {
                        stats.targets_unchanged += 1;
                        continue;
                    }
                    Some((id, _)) => {
                        tx.execute(&touch_target, &[&id, &at])?;
                        id
                    }
                    None => tx
                        .query_one(
                            &insert_target,
                            &[&target.unit_code, &target.kind, &target.id, &at],
                        )?
                        .get(0),
                };
                stats.targets_applied += 1;
                tx.execute(&upsert_unit, &[&target.unit_code, &target.unit_name])?;
                let mut prev: HashMap<String, Previous> = tx
                    .query(&previous, &[&target_ref])?
                    .into_iter()
                    .map(|r| {
                        (
                            r.get::<_, String>(0),
                            Previous {
                                id: r.get(1),
                                open_since: r.get(2),
                                first_failed_at: r.get(3),
                                fixed_at: r.get(4),
                                reopened_at: r.get(5),
                            },
                        )
                    })
                    .collect();
                let mut seen_in_target: HashSet<&str> = HashSet::new();
                for f in &target.findings {
                    // A rule listed twice for one target: the first entry counts.
                    if !seen_in_target.insert(f.rule.as_str()) {
                        continue;
                    }
                    stats.findings_applied += 1;
                    if !rules_written.contains(&f.rule) {
                        tx.execute(
                            &upsert_rule,
                            &[
                                &f.rule,
                                &f.requirement,
                                &f.texts.title_vi,
                                &f.texts.title_en,
                                &f.texts.remediation_vi,
                                &f.texts.remediation_en,
                                &f.texts.problem_vi,
                                &f.texts.problem_en,
                            ],
                        )?;
                        rules_written.insert(f.rule.clone());
                    }
                    let failing = f.status == Status::Fail;
                    let resolved = f.status == Status::Pass;
                    let retired = f.status == Status::NotApplicable;
                    let severity = f.severity.as_str();
                    let status = status_str(f.status);
                    match prev.remove(&f.rule) {
                        None => {
                            let open = failing.then_some(at);
                            let id: i64 = tx
                                .query_one(
                                    &insert_finding,
                                    &[
                                        &target_ref,
                                        &f.rule,
                                        &f.requirement,
                                        &severity,
                                        &status,
                                        &at,
                                        &open,
                                        &open,
                                        &f.waiver,
                                    ],
                                )?
                                .get(0);
                            if failing {
                                tx.execute(
                                    &insert_event,
                                    &[&id, &at, &EventKind::Opened.as_str()],
                                )?;
                                stats.opened += 1;
                            }
                        }
                        Some(mut p) => {
                            let event = if failing && p.open_since.is_none() {
                                p.open_since = Some(at);
                                // Failing again after a fix or after a spell of not
                                // applying: a reopening, aged from the first failure.
                                if p.fixed_at.is_some() || p.first_failed_at.is_some() {
                                    p.reopened_at = Some(at);
                                    Some(EventKind::Reopened)
                                } else {
                                    Some(EventKind::Opened)
                                }
                            } else if resolved && p.open_since.is_some() {
                                p.open_since = None;
                                p.fixed_at = Some(at);
                                Some(EventKind::Fixed)
                            } else if retired && p.open_since.is_some() {
                                // Not applicable any more: no longer evaluated, not fixed.
                                p.open_since = None;
                                Some(EventKind::NoLongerEvaluated)
                            } else {
                                // Unknown keeps the debt as it was: unknown is never a fix.
                                None
                            };
                            if failing && p.first_failed_at.is_none() {
                                p.first_failed_at = Some(at);
                            }
                            tx.execute(
                                &update_finding,
                                &[
                                    &p.id,
                                    &f.requirement,
                                    &severity,
                                    &status,
                                    &at,
                                    &p.open_since,
                                    &p.first_failed_at,
                                    &p.fixed_at,
                                    &p.reopened_at,
                                    &f.waiver,
                                ],
                            )?;
                            if let Some(e) = event {
                                tx.execute(&insert_event, &[&p.id, &at, &e.as_str()])?;
                                match e {
                                    EventKind::Opened => stats.opened += 1,
                                    EventKind::Fixed => stats.fixed += 1,
                                    EventKind::Reopened => stats.reopened += 1,
                                    EventKind::NoLongerEvaluated => stats.no_longer_evaluated += 1,
                                }
                            }
                        }
                    }
                }
            }
        }
        tx.execute(
            "INSERT INTO ingests(at, documents, targets_applied, findings_applied)
             VALUES ($1, $2, $3, $4)",
            &[
                &Timestamp::now().as_second(),
                &(stats.documents as i64),
                &(stats.targets_applied as i64),
                &(stats.findings_applied as i64),
            ],
        )?;
        tx.commit()?;
        Ok(stats)
    }

    fn visit_findings(
        &self,
        window: &Window,
        visit: &mut dyn FnMut(FindingState),
    ) -> Result<(), HistoryError> {
        let mut client = self.client.borrow_mut();
        let (from, to) = (window.from.as_second(), window.to.as_second());
        let unit = window.unit.as_deref();
        let params: [&(dyn ToSql + Sync); 3] = [&from, &to, &unit];
        // Streamed: a province's findings are never all in memory.
        let mut rows = client.query_raw(
            "SELECT t.unit_code, COALESCE(u.name, ''), t.kind, t.target_id, t.last_collected_at,
                    f.rule, f.requirement, f.severity, f.status, f.open_since, f.first_failed_at,
                    f.fixed_at, f.reopened_at, f.waiver
             FROM targets t
             JOIN findings f ON f.target_ref = t.id AND f.last_seen = t.last_collected_at
             LEFT JOIN units u ON u.code = t.unit_code
             WHERE t.last_collected_at BETWEEN $1 AND $2 AND ($3::TEXT IS NULL OR t.unit_code = $3::TEXT)
             ORDER BY t.unit_code COLLATE \"C\", t.kind COLLATE \"C\", t.target_id COLLATE \"C\", f.rule COLLATE \"C\"",
            params,
        )?;
        while let Some(r) = rows.next()? {
            visit(FindingState {
                unit_code: r.get(0),
                unit_name: r.get(1),
                kind: r.get(2),
                target_id: r.get(3),
                collected_at: ts(r.get(4)),
                rule: r.get(5),
                requirement: r.get(6),
                severity: parse_severity(r.get(7)),
                status: parse_status(r.get(8)),
                open_since: r.get::<_, Option<i64>>(9).map(ts),
                first_failed_at: r.get::<_, Option<i64>>(10).map(ts),
                fixed_at: r.get::<_, Option<i64>>(11).map(ts),
                reopened_at: r.get::<_, Option<i64>>(12).map(ts),
                waiver: r.get(13),
            });
        }
        Ok(())
    }

    fn events_after(&self, after: Timestamp, window: &Window) -> Result<Vec<Event>, HistoryError> {
        let rows = self.client.borrow_mut().query(
            "SELECT e.at, e.kind, t.unit_code, COALESCE(u.name, ''), t.kind, t.target_id,
                    f.rule, f.severity
             FROM events e
             JOIN findings f ON f.id = e.finding_ref
             JOIN targets t ON t.id = f.target_ref
             LEFT JOIN units u ON u.code = t.unit_code
             WHERE e.at > $1 AND e.at <= $2 AND ($3::TEXT IS NULL OR t.unit_code = $3::TEXT)
             ORDER BY e.at, t.unit_code COLLATE \"C\", t.kind COLLATE \"C\", t.target_id COLLATE \"C\", f.rule COLLATE \"C\"",
            &[&after.as_second(), &window.to.as_second(), &window.unit.as_deref()],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| Event {
                at: ts(r.get(0)),
                kind: EventKind::parse(r.get(1)).unwrap_or(EventKind::Opened),
                unit_code: r.get(2),
                unit_name: r.get(3),
                target_kind: r.get(4),
                target_id: r.get(5),
                rule: r.get(6),
                severity: parse_severity(r.get(7)),
            })
            .collect())
    }

    fn debt_at(
        &self,
        points: &[Timestamp],
        unit: Option<&str>,
        counted: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<u64>, HistoryError> {
        let points: Vec<i64> = points.iter().map(|p| p.as_second()).collect();
        let mut counts = vec![0u64; points.len()];
        let mut client = self.client.borrow_mut();
        let params: [&(dyn ToSql + Sync); 1] = [&unit];
        let mut rows = client.query_raw(
            "SELECT e.finding_ref, e.at, e.kind, t.unit_code
             FROM events e
             JOIN findings f ON f.id = e.finding_ref
             JOIN targets t ON t.id = f.target_ref
             WHERE f.waiver IS NULL AND ($1::TEXT IS NULL OR t.unit_code = $1::TEXT)
             ORDER BY e.finding_ref, e.at",
            params,
        )?;
        // Each finding's events form open intervals [opened, fixed); count the points inside.
        let mut current: Option<i64> = None;
        let mut open_from: Option<i64> = None;
        let close = |from: Option<i64>, until: Option<i64>, counts: &mut Vec<u64>| {
            if let Some(from) = from {
                for (i, p) in points.iter().enumerate() {
                    if *p >= from && until.is_none_or(|u| *p < u) {
                        counts[i] += 1;
                    }
                }
            }
        };
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0);
            let at: i64 = r.get(1);
            let kind = EventKind::parse(r.get(2));
            if !counted(r.get(3)) {
                continue;
            }
            if current != Some(id) {
                close(open_from.take(), None, &mut counts);
                current = Some(id);
            }
            match kind {
                Some(EventKind::Opened | EventKind::Reopened) => {
                    open_from.get_or_insert(at);
                }
                Some(EventKind::Fixed | EventKind::NoLongerEvaluated) => {
                    close(open_from.take(), Some(at), &mut counts)
                }
                None => {}
            }
        }
        close(open_from.take(), None, &mut counts);
        Ok(counts)
    }

    fn rule_texts(&self) -> Result<BTreeMap<String, RuleText>, HistoryError> {
        let rows = self.client.borrow_mut().query(
            "SELECT code, requirement, title_vi, title_en, remediation_vi, remediation_en,
                    problem_vi, problem_en FROM rules",
            &[],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.get::<_, String>(0),
                    RuleText {
                        requirement: r.get(1),
                        title_vi: r.get(2),
                        title_en: r.get(3),
                        remediation_vi: r.get(4),
                        remediation_en: r.get(5),
                        problem_vi: r.get(6),
                        problem_en: r.get(7),
                    },
                )
            })
            .collect())
    }

    fn last_scans(&self, at: Timestamp) -> Result<BTreeMap<String, Timestamp>, HistoryError> {
        let rows = self.client.borrow_mut().query(
            "SELECT unit_code, MAX(last_collected_at) FROM targets
             WHERE kind <> 'register' AND last_collected_at <= $1 GROUP BY unit_code",
            &[&at.as_second()],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get::<_, String>(0), ts(r.get(1))))
            .collect())
    }

    fn first_data(&self) -> Result<Option<Timestamp>, HistoryError> {
        let row = self.client.borrow_mut().query_one(
            "SELECT MIN(m) FROM (SELECT MIN(at) AS m FROM events
                                 UNION ALL SELECT MIN(last_collected_at) FROM targets) AS x",
            &[],
        )?;
        Ok(row.get::<_, Option<i64>>(0).map(ts))
    }

    fn data_until(&self) -> Result<Option<Timestamp>, HistoryError> {
        let row = self
            .client
            .borrow_mut()
            .query_one("SELECT MAX(last_collected_at) FROM targets", &[])?;
        Ok(row.get::<_, Option<i64>>(0).map(ts))
    }

    fn last_report(&self, unit: Option<&str>) -> Result<Option<ReportRun>, HistoryError> {
        let row = self.client.borrow_mut().query_opt(
            "SELECT generated_at, period, data_until FROM reports WHERE unit = $1
             ORDER BY id DESC LIMIT 1",
            &[&unit.unwrap_or("")],
        )?;
        Ok(row.map(|r| ReportRun {
            generated_at: ts(r.get(0)),
            period: r.get(1),
            unit: unit.map(str::to_string),
            data_until: ts(r.get(2)),
        }))
    }

    fn record_report(&mut self, run: &ReportRun) -> Result<(), HistoryError> {
        self.client.get_mut().execute(
            "INSERT INTO reports(generated_at, period, unit, data_until) VALUES ($1, $2, $3, $4)",
            &[
                &run.generated_at.as_second(),
                &run.period,
                &run.unit.as_deref().unwrap_or(""),
                &run.data_until.as_second(),
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(
            redact("postgres://khien:s3cret@127.0.0.1:5432/khien"),
            "postgres://khien:***@127.0.0.1:5432/khien"
        );
        assert_eq!(redact("postgres://khien@/khien"), "postgres://khien@/khien");
    }
}
