//! The history store in one SQLite file (embedded, no server).
//!
//! Times are stored as Unix seconds (integers sort and compare correctly, unlike RFC
//! 3339 text with optional fractions). Each ingest is one transaction in SQLite's
//! rollback-journal mode: a process killed halfway leaves the journal behind, and the
//! next open rolls the database back to where it was. `khien serve` opens its store in
//! write-ahead-log mode instead ([`SqliteStore::open_shared`]), equally crash-safe.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    DebtCounter, Event, EventKind, FindingState, HistoryError, HistoryStore, IngestStats, Previous,
    ReportRun, RuleText, Window, check_counted, parse_severity, parse_status, plan_target,
    status_str, ts,
};
use crate::report::input::ResultInput;

/// Version of the tables below; a store of another version is refused, not guessed at.
pub const HISTORY_SCHEMA: &str = "khien-history/1";

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units(code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets(
  id INTEGER PRIMARY KEY,
  unit_code TEXT NOT NULL, kind TEXT NOT NULL, target_id TEXT NOT NULL,
  last_collected_at INTEGER NOT NULL,
  UNIQUE(unit_code, kind, target_id));
CREATE INDEX IF NOT EXISTS targets_by_time ON targets(last_collected_at);
CREATE TABLE IF NOT EXISTS rules(
  code TEXT PRIMARY KEY, requirement TEXT,
  title_vi TEXT NOT NULL, title_en TEXT NOT NULL,
  remediation_vi TEXT NOT NULL, remediation_en TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings(
  id INTEGER PRIMARY KEY,
  target_ref INTEGER NOT NULL REFERENCES targets(id),
  rule TEXT NOT NULL, requirement TEXT, severity TEXT NOT NULL, status TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  open_since INTEGER, first_failed_at INTEGER, fixed_at INTEGER, reopened_at INTEGER,
  waiver TEXT,
  UNIQUE(target_ref, rule));
CREATE TABLE IF NOT EXISTS events(
  finding_ref INTEGER NOT NULL REFERENCES findings(id),
  at INTEGER NOT NULL, kind TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_finding ON events(finding_ref, at);
CREATE INDEX IF NOT EXISTS events_by_time ON events(at);
CREATE TABLE IF NOT EXISTS reports(
  id INTEGER PRIMARY KEY, generated_at INTEGER NOT NULL, period TEXT NOT NULL,
  unit TEXT NOT NULL, data_until INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ingests(
  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, documents INTEGER NOT NULL,
  targets_applied INTEGER NOT NULL, findings_applied INTEGER NOT NULL);
";

pub struct SqliteStore {
    conn: Connection,
}

fn secs(t: Timestamp) -> i64 {
    t.as_second()
}

impl SqliteStore {
    /// Opens (or creates) the store at `path`. A store left by a killed run is rolled
    /// back by SQLite here.
    pub fn open(path: &Path) -> Result<SqliteStore, HistoryError> {
        let conn = Connection::open(path)?;
        Self::init(conn, false)
    }

    /// Opens (or creates) the store at `path` for a server: in write-ahead-log mode,
    /// so the pages read (from a second connection) while ingests commit, neither
    /// waiting for the other. Still fully synced: a commit is on disk before the
    /// upload is answered (the client then forgets its copy), and a process killed
    /// mid-transaction leaves frames SQLite ignores at the next open.
    pub fn open_shared(path: &Path) -> Result<SqliteStore, HistoryError> {
        let conn = Connection::open(path)?;
        Self::init(conn, true)
    }

    /// A store that lives in memory only: the report of one result document (the
    /// machine's report of double-click mode) needs no file.
    pub fn open_in_memory() -> Result<SqliteStore, HistoryError> {
        Self::init(Connection::open_in_memory()?, false)
    }

    fn init(conn: Connection, wal: bool) -> Result<SqliteStore, HistoryError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Rollback journal (the default) and full sync: a commit survives a crash,
        // an unfinished transaction never shows. A server's store (WAL) opened by
        // `khien report` stays in WAL: switching would fail while the server runs.
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if wal {
            conn.pragma_update(None, "journal_mode", "WAL")?;
        } else if !mode.eq_ignore_ascii_case("wal") {
            conn.pragma_update(None, "journal_mode", "DELETE")?;
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA_SQL)?;
        // Failing-state titles came after the first stores: added in place, empty.
        let has_problem: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('rules') WHERE name = 'problem_vi'")?
            .exists([])?;
        if !has_problem {
            conn.execute_batch(
                "ALTER TABLE rules ADD COLUMN problem_vi TEXT NOT NULL DEFAULT '';
                 ALTER TABLE rules ADD COLUMN problem_en TEXT NOT NULL DEFAULT '';",
            )?;
        }
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match version.as_deref() {
            None => {
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('schema', ?1)",
                    [HISTORY_SCHEMA],
                )?;
            }
            Some(HISTORY_SCHEMA) => {}
            Some(other) => {
                return Err(HistoryError::Other(format!(
                    "history store version `{other}` is not supported (expected `{HISTORY_SCHEMA}`)"
                )));
            }
        }
        Ok(SqliteStore { conn })
    }

    /// Counts rows of a table (for tests and diagnostics).
    pub fn count(&self, table: &str) -> Result<u64, HistoryError> {
        check_counted(table)?;
        Ok(self
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    /// SQLite's own consistency check: `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, HistoryError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// Applies one document inside `tx` (the statements are cached by the connection).
fn apply_doc(
    tx: &rusqlite::Transaction,
    doc: &ResultInput,
    rules_written: &mut HashSet<String>,
) -> Result<IngestStats, HistoryError> {
    let mut stats = IngestStats {
        documents: 1,
        ..Default::default()
    };
    let mut find_target = tx.prepare_cached(
        "SELECT id, last_collected_at FROM targets
         WHERE unit_code = ?1 AND kind = ?2 AND target_id = ?3",
    )?;
    let mut insert_target = tx.prepare_cached(
        "INSERT INTO targets(unit_code, kind, target_id, last_collected_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut touch_target =
        tx.prepare_cached("UPDATE targets SET last_collected_at = ?2 WHERE id = ?1")?;
    let mut upsert_unit = tx.prepare_cached(
        "INSERT INTO units(code, name) VALUES (?1, ?2)
         ON CONFLICT(code) DO UPDATE SET name = excluded.name
         WHERE excluded.name <> '' AND excluded.name <> units.name",
    )?;
    let mut upsert_rule = tx.prepare_cached(
        "INSERT INTO rules(code, requirement, title_vi, title_en, remediation_vi, remediation_en,
           problem_vi, problem_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(code) DO UPDATE SET requirement = excluded.requirement,
           title_vi = excluded.title_vi, title_en = excluded.title_en,
           problem_vi = excluded.problem_vi, problem_en = excluded.problem_en,
           remediation_vi = excluded.remediation_vi, remediation_en = excluded.remediation_en",
    )?;
    let mut previous = tx.prepare_cached(
        "SELECT rule, id, open_since, first_failed_at, fixed_at, reopened_at
         FROM findings WHERE target_ref = ?1",
    )?;
    let mut insert_finding = tx.prepare_cached(
        "INSERT INTO findings(target_ref, rule, requirement, severity, status, last_seen,
           open_since, first_failed_at, fixed_at, reopened_at, waiver)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, ?9)",
    )?;
    let mut update_finding = tx.prepare_cached(
        "UPDATE findings SET requirement = ?2, severity = ?3, status = ?4, last_seen = ?5,
           open_since = ?6, first_failed_at = ?7, fixed_at = ?8, reopened_at = ?9,
           waiver = ?10
         WHERE id = ?1",
    )?;
    let mut insert_event =
        tx.prepare_cached("INSERT INTO events(finding_ref, at, kind) VALUES (?1, ?2, ?3)")?;

    for target in &doc.targets {
        let at = secs(target.collected_at);
        let found: Option<(i64, i64)> = find_target
            .query_row(params![target.unit_code, target.kind, target.id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let target_ref = match found {
            Some((_, last)) if last >= at => {
                stats.targets_unchanged += 1;
                continue;
            }
            Some((id, _)) => {
                touch_target.execute(params![id, at])?;
                id
            }
            None => {
                insert_target.execute(params![target.unit_code, target.kind, target.id, at])?;
                tx.last_insert_rowid()
            }
        };
        stats.targets_applied += 1;
        upsert_unit.execute(params![target.unit_code, target.unit_name])?;
        let prev: HashMap<String, Previous> = previous
            .query_map([target_ref], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Previous {
                        id: r.get(1)?,
                        open_since: r.get(2)?,
                        first_failed_at: r.get(3)?,
                        fixed_at: r.get(4)?,
                        reopened_at: r.get(5)?,
                    },
                ))
            })?
            .collect::<Result<_, _>>()?;
        let plan = plan_target(target, at, prev, &mut stats);
        for f in plan.findings() {
            if !rules_written.contains(&f.rule) {
                upsert_rule.execute(params![
                    f.rule,
                    f.requirement,
                    f.texts.title_vi,
                    f.texts.title_en,
                    f.texts.remediation_vi,
                    f.texts.remediation_en,
                    f.texts.problem_vi,
                    f.texts.problem_en
                ])?;
                rules_written.insert(f.rule.clone());
            }
        }
        for n in &plan.new {
            let f = n.finding;
            insert_finding.execute(params![
                target_ref,
                f.rule,
                f.requirement,
                f.severity.as_str(),
                status_str(f.status),
                at,
                n.open,
                n.open,
                f.waiver
            ])?;
            if n.open.is_some() {
                insert_event.execute(params![
                    tx.last_insert_rowid(),
                    at,
                    EventKind::Opened.as_str()
                ])?;
            }
        }
        for c in &plan.changed {
            let (f, p) = (c.finding, &c.state);
            update_finding.execute(params![
                p.id,
                f.requirement,
                f.severity.as_str(),
                status_str(f.status),
                at,
                p.open_since,
                p.first_failed_at,
                p.fixed_at,
                p.reopened_at,
                f.waiver
            ])?;
            if let Some(e) = c.event {
                insert_event.execute(params![p.id, at, e.as_str()])?;
            }
        }
    }
    Ok(stats)
}

fn record_ingest(tx: &rusqlite::Transaction, stats: &IngestStats) -> Result<(), HistoryError> {
    tx.execute(
        "INSERT INTO ingests(at, documents, targets_applied, findings_applied)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            secs(Timestamp::now()),
            stats.documents as i64,
            stats.targets_applied as i64,
            stats.findings_applied as i64
        ],
    )?;
    Ok(())
}

impl HistoryStore for SqliteStore {
    fn ingest(
        &mut self,
        docs: &mut dyn Iterator<Item = ResultInput>,
    ) -> Result<IngestStats, HistoryError> {
        let tx = self.conn.transaction()?;
        let mut stats = IngestStats::default();
        let mut rules_written: HashSet<String> = HashSet::new();
        for doc in docs {
            stats += &apply_doc(&tx, &doc, &mut rules_written)?;
        }
        record_ingest(&tx, &stats)?;
        tx.commit()?;
        Ok(stats)
    }

    fn ingest_each(&mut self, docs: &[ResultInput]) -> Result<Vec<IngestStats>, HistoryError> {
        let tx = self.conn.transaction()?;
        let mut total = IngestStats::default();
        let mut each = Vec::with_capacity(docs.len());
        for doc in docs {
            // Each document's rule texts are written, as if it came alone.
            let s = apply_doc(&tx, doc, &mut HashSet::new())?;
            total += &s;
            each.push(s);
        }
        record_ingest(&tx, &total)?;
        tx.commit()?;
        Ok(each)
    }

    fn visit_findings(
        &self,
        window: &Window,
        visit: &mut dyn FnMut(FindingState),
    ) -> Result<(), HistoryError> {
        let mut stmt = self.conn.prepare(
            "SELECT t.unit_code, COALESCE(u.name, ''), t.kind, t.target_id, t.last_collected_at,
                    f.rule, f.requirement, f.severity, f.status, f.open_since, f.first_failed_at,
                    f.fixed_at, f.reopened_at, f.waiver
             FROM targets t
             JOIN findings f ON f.target_ref = t.id AND f.last_seen = t.last_collected_at
             LEFT JOIN units u ON u.code = t.unit_code
             WHERE t.last_collected_at BETWEEN ?1 AND ?2 AND (?3 IS NULL OR t.unit_code = ?3)
             ORDER BY t.unit_code, t.kind, t.target_id, f.rule",
        )?;
        let mut rows = stmt.query(params![
            secs(window.from),
            secs(window.to),
            window.unit.as_deref()
        ])?;
        while let Some(r) = rows.next()? {
            visit(FindingState {
                unit_code: r.get(0)?,
                unit_name: r.get(1)?,
                kind: r.get(2)?,
                target_id: r.get(3)?,
                collected_at: ts(r.get(4)?),
                rule: r.get(5)?,
                requirement: r.get(6)?,
                severity: parse_severity(r.get_ref(7)?.as_str()?),
                status: parse_status(r.get_ref(8)?.as_str()?),
                open_since: r.get::<_, Option<i64>>(9)?.map(ts),
                first_failed_at: r.get::<_, Option<i64>>(10)?.map(ts),
                fixed_at: r.get::<_, Option<i64>>(11)?.map(ts),
                reopened_at: r.get::<_, Option<i64>>(12)?.map(ts),
                waiver: r.get(13)?,
            });
        }
        Ok(())
    }

    fn events_after(&self, after: Timestamp, window: &Window) -> Result<Vec<Event>, HistoryError> {
        let mut stmt = self.conn.prepare(
            "SELECT e.at, e.kind, t.unit_code, COALESCE(u.name, ''), t.kind, t.target_id,
                    f.rule, f.severity
             FROM events e
             JOIN findings f ON f.id = e.finding_ref
             JOIN targets t ON t.id = f.target_ref
             LEFT JOIN units u ON u.code = t.unit_code
             WHERE e.at > ?1 AND e.at <= ?2 AND (?3 IS NULL OR t.unit_code = ?3)
             ORDER BY e.at, t.unit_code, t.kind, t.target_id, f.rule",
        )?;
        let rows = stmt.query_map(
            params![secs(after), secs(window.to), window.unit.as_deref()],
            |r| {
                Ok(Event {
                    at: ts(r.get(0)?),
                    kind: EventKind::parse(r.get_ref(1)?.as_str()?).unwrap_or(EventKind::Opened),
                    unit_code: r.get(2)?,
                    unit_name: r.get(3)?,
                    target_kind: r.get(4)?,
                    target_id: r.get(5)?,
                    rule: r.get(6)?,
                    severity: parse_severity(r.get_ref(7)?.as_str()?),
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn debt_at(
        &self,
        points: &[Timestamp],
        unit: Option<&str>,
        counted: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<u64>, HistoryError> {
        let points: Vec<i64> = points.iter().map(|p| secs(*p)).collect();
        let mut stmt = self.conn.prepare(
            "SELECT e.finding_ref, e.at, e.kind, t.unit_code
             FROM events e
             JOIN findings f ON f.id = e.finding_ref
             JOIN targets t ON t.id = f.target_ref
             WHERE f.waiver IS NULL AND (?1 IS NULL OR t.unit_code = ?1)
             ORDER BY e.finding_ref, e.at",
        )?;
        let mut rows = stmt.query(params![unit])?;
        let mut counter = DebtCounter::new(&points);
        while let Some(r) = rows.next()? {
            if !counted(r.get_ref(3)?.as_str()?) {
                continue;
            }
            counter.event(
                r.get(0)?,
                r.get(1)?,
                EventKind::parse(r.get_ref(2)?.as_str()?),
            );
        }
        Ok(counter.finish())
    }

    fn rule_texts(&self) -> Result<BTreeMap<String, RuleText>, HistoryError> {
        let mut stmt = self.conn.prepare(
            "SELECT code, requirement, title_vi, title_en, remediation_vi, remediation_en,
                    problem_vi, problem_en FROM rules",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                RuleText {
                    requirement: r.get(1)?,
                    title_vi: r.get(2)?,
                    title_en: r.get(3)?,
                    remediation_vi: r.get(4)?,
                    remediation_en: r.get(5)?,
                    problem_vi: r.get(6)?,
                    problem_en: r.get(7)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn last_scans(&self, at: Timestamp) -> Result<BTreeMap<String, Timestamp>, HistoryError> {
        let mut stmt = self.conn.prepare(
            "SELECT unit_code, MAX(last_collected_at) FROM targets
             WHERE kind <> 'register' AND last_collected_at <= ?1 GROUP BY unit_code",
        )?;
        let rows = stmt.query_map([secs(at)], |r| Ok((r.get::<_, String>(0)?, ts(r.get(1)?))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn first_data(&self) -> Result<Option<Timestamp>, HistoryError> {
        let min: Option<i64> = self.conn.query_row(
            "SELECT MIN(m) FROM (SELECT MIN(at) AS m FROM events
                                 UNION ALL SELECT MIN(last_collected_at) FROM targets)",
            [],
            |r| r.get(0),
        )?;
        Ok(min.map(ts))
    }

    fn data_until(&self) -> Result<Option<Timestamp>, HistoryError> {
        let max: Option<i64> =
            self.conn
                .query_row("SELECT MAX(last_collected_at) FROM targets", [], |r| {
                    r.get(0)
                })?;
        Ok(max.map(ts))
    }

    fn last_report(&self, unit: Option<&str>) -> Result<Option<ReportRun>, HistoryError> {
        Ok(self
            .conn
            .query_row(
                "SELECT generated_at, period, data_until FROM reports WHERE unit = ?1
                 ORDER BY id DESC LIMIT 1",
                [unit.unwrap_or("")],
                |r| {
                    Ok(ReportRun {
                        generated_at: ts(r.get(0)?),
                        period: r.get(1)?,
                        unit: unit.map(str::to_string),
                        data_until: ts(r.get(2)?),
                    })
                },
            )
            .optional()?)
    }

    fn record_report(&mut self, run: &ReportRun) -> Result<(), HistoryError> {
        self.conn.execute(
            "INSERT INTO reports(generated_at, period, unit, data_until) VALUES (?1, ?2, ?3, ?4)",
            params![
                secs(run.generated_at),
                run.period,
                run.unit.as_deref().unwrap_or(""),
                secs(run.data_until)
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Status;
    use crate::policy::Severity;
    use crate::report::input::{FindingInput, TargetInput};

    fn doc(day: u32, statuses: &[(&str, Status)]) -> ResultInput {
        let at: Timestamp = format!("2026-03-{day:02}T08:00:00Z").parse().unwrap();
        ResultInput {
            path: "x.json".into(),
            evaluated_at: at,
            targets: vec![TargetInput {
                unit_code: "U1".into(),
                unit_name: "Trường A".into(),
                kind: "host".into(),
                id: "pc-01".into(),
                collected_at: at,
                findings: statuses
                    .iter()
                    .map(|(rule, status)| FindingInput {
                        rule: rule.to_string(),
                        requirement: Some("H01".into()),
                        severity: Severity::High,
                        status: *status,
                        texts: std::sync::Arc::new(crate::report::input::RuleTexts {
                            title_vi: "t".into(),
                            title_en: "t".into(),
                            remediation_vi: "r".into(),
                            remediation_en: "r".into(),
                            problem_vi: String::new(),
                            problem_en: String::new(),
                        }),
                        waiver: None,
                    })
                    .collect(),
            }],
        }
    }

    fn store() -> SqliteStore {
        SqliteStore::init(Connection::open_in_memory().unwrap(), false).unwrap()
    }

    fn state(s: &SqliteStore) -> Vec<FindingState> {
        let w = Window {
            from: Timestamp::UNIX_EPOCH,
            to: "2100-01-01T00:00:00Z".parse().unwrap(),
            unit: None,
        };
        let mut out = Vec::new();
        s.visit_findings(&w, &mut |f| out.push(f)).unwrap();
        out
    }

    #[test]
    fn ingesting_the_same_result_twice_changes_nothing() {
        let mut s = store();
        let d = doc(1, &[("A", Status::Fail), ("B", Status::Pass)]);
        let first = s.ingest(&mut std::iter::once(d.clone())).unwrap();
        assert_eq!((first.targets_applied, first.opened), (1, 1));
        let before = state(&s);
        let again = s.ingest(&mut std::iter::once(d)).unwrap();
        assert_eq!((again.targets_applied, again.targets_unchanged), (0, 1));
        assert_eq!(state(&s), before);
        assert_eq!(s.count("events").unwrap(), 1);
    }

    #[test]
    fn fail_fix_reopen_are_dated_and_unknown_is_not_a_fix() {
        let mut s = store();
        for (day, st) in [
            (1, Status::Fail),
            (2, Status::Unknown),
            (3, Status::Pass),
            (5, Status::Fail),
        ] {
            s.ingest(&mut std::iter::once(doc(day, &[("A", st)])))
                .unwrap();
            if day == 2 {
                let f = &state(&s)[0];
                assert_eq!(f.open_since.unwrap().to_string(), "2026-03-01T08:00:00Z");
            }
        }
        let f = &state(&s)[0];
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.open_since.unwrap().to_string(), "2026-03-05T08:00:00Z");
        assert_eq!(
            f.first_failed_at.unwrap().to_string(),
            "2026-03-01T08:00:00Z"
        );
        assert_eq!(f.fixed_at.unwrap().to_string(), "2026-03-03T08:00:00Z");
        assert_eq!(f.reopened_at, f.open_since);
        let points: Vec<Timestamp> = [
            "2026-03-02T00:00:00Z",
            "2026-03-04T00:00:00Z",
            "2026-03-06T00:00:00Z",
        ]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
        assert_eq!(s.debt_at(&points, None, &|_| true).unwrap(), vec![1, 0, 1]);
        assert_eq!(
            s.debt_at(&points, None, &|u| u != "U1").unwrap(),
            vec![0, 0, 0]
        );
        let w = Window {
            from: Timestamp::UNIX_EPOCH,
            to: "2100-01-01T00:00:00Z".parse().unwrap(),
            unit: Some("U1".into()),
        };
        let kinds: Vec<EventKind> = s
            .events_after("2026-03-02T00:00:00Z".parse().unwrap(), &w)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, vec![EventKind::Fixed, EventKind::Reopened]);
    }

    #[test]
    fn not_applicable_is_no_longer_evaluated_and_a_return_keeps_the_first_failure() {
        let mut s = store();
        for (day, st) in [(1, Status::Fail), (3, Status::NotApplicable)] {
            s.ingest(&mut std::iter::once(doc(day, &[("A", st)])))
                .unwrap();
        }
        let f = &state(&s)[0];
        assert_eq!((f.open_since, f.fixed_at), (None, None));
        let st = s
            .ingest(&mut std::iter::once(doc(5, &[("A", Status::Fail)])))
            .unwrap();
        assert_eq!((st.reopened, st.opened, st.fixed), (1, 0, 0));
        let f = &state(&s)[0];
        assert_eq!(
            f.first_failed_at.unwrap().to_string(),
            "2026-03-01T08:00:00Z"
        );
        let w = Window {
            from: Timestamp::UNIX_EPOCH,
            to: "2100-01-01T00:00:00Z".parse().unwrap(),
            unit: None,
        };
        let kinds: Vec<EventKind> = s
            .events_after(Timestamp::UNIX_EPOCH, &w)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::Opened,
                EventKind::NoLongerEvaluated,
                EventKind::Reopened
            ]
        );
        // Not open while not applicable.
        let points = ["2026-03-04T00:00:00Z".parse().unwrap()];
        assert_eq!(s.debt_at(&points, None, &|_| true).unwrap(), vec![0]);
    }

    #[test]
    fn an_older_scan_does_not_overwrite_a_newer_one() {
        let mut s = store();
        s.ingest(&mut std::iter::once(doc(5, &[("A", Status::Pass)])))
            .unwrap();
        let st = s
            .ingest(&mut std::iter::once(doc(1, &[("A", Status::Fail)])))
            .unwrap();
        assert_eq!(st.targets_unchanged, 1);
        assert_eq!(state(&s)[0].status, Status::Pass);
    }

    #[test]
    fn rules_missing_from_the_latest_scan_are_not_current() {
        let mut s = store();
        s.ingest(&mut std::iter::once(doc(
            1,
            &[("A", Status::Fail), ("B", Status::Fail)],
        )))
        .unwrap();
        s.ingest(&mut std::iter::once(doc(2, &[("A", Status::Fail)])))
            .unwrap();
        let rules: Vec<String> = state(&s).into_iter().map(|f| f.rule).collect();
        assert_eq!(rules, vec!["A"]);
    }
}
