//! The history store in PostgreSQL, for the Department's central server
//! (`khien serve` with `database = "postgres://…"`).
//!
//! The same tables and the same rules as [`super::sqlite`] (times as Unix seconds,
//! one transaction per ingest, what a scan does to a finding decided by
//! [`super::plan_target`]), so reports read either store through [`HistoryStore`]
//! alike. An ingest writes many targets' rows with one statement each (`UNNEST` of
//! arrays): a round trip per statement is what a remote database costs. The schema is versioned: numbered migrations are applied in
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

use super::{
    ChangedFinding, DebtCounter, Event, EventKind, FindingState, HistoryError, HistoryStore,
    IngestStats, NewFinding, Previous, ReportRun, RuleText, TargetPlan, Window, check_counted,
    parse_severity, parse_status, plan_target, status_str, ts,
};
use crate::report::input::{FindingInput, ResultInput, TargetInput};

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
    url: String,
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

impl PostgresStore {
    /// Connects and brings the schema up to date.
    pub fn connect(url: &str) -> Result<PostgresStore, HistoryError> {
        let mut client = Client::connect(url, NoTls)?;
        Self::migrate(&mut client)?;
        Ok(PostgresStore {
            client: RefCell::new(client),
            url: url.to_string(),
        })
    }

    /// The schema version now in the database.
    pub fn schema_version(&self) -> Result<i32, HistoryError> {
        let row = self.client()?.query_one(
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
        check_counted(table)?;
        let row = self
            .client()?
            .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?;
        Ok(row.get::<_, i64>(0) as u64)
    }
}

/// Targets applied in one round of multi-row statements: distinct targets, so the
/// rows one statement writes never meet (a target seen again starts the next round).
const ROUND: usize = 256;

/// A target of a document in a round, with the document's index for its stats.
struct Pending<'a> {
    doc: usize,
    target: &'a TargetInput,
    at: i64,
}

/// Applies `docs` in the open transaction, in rounds of distinct targets, and returns
/// each document's stats. Every round costs the same few statements however many
/// targets it holds (about 60 round trips per machine before, 8 per round now).
fn apply_docs(
    tx: &mut postgres::Transaction,
    docs: &[&ResultInput],
    mut rules_written: Option<&mut HashSet<String>>,
) -> Result<Vec<IngestStats>, HistoryError> {
    let mut stats: Vec<IngestStats> = docs
        .iter()
        .map(|_| IngestStats {
            documents: 1,
            ..Default::default()
        })
        .collect();
    let mut round: Vec<Pending> = Vec::new();
    let mut keys: HashSet<(&str, &str, &str)> = HashSet::new();
    for (i, doc) in docs.iter().enumerate() {
        for target in &doc.targets {
            let key = (
                target.unit_code.as_str(),
                target.kind.as_str(),
                target.id.as_str(),
            );
            if round.len() >= ROUND || keys.contains(&key) {
                apply_round(tx, &round, &mut stats, rules_written.as_deref_mut())?;
                round.clear();
                keys.clear();
            }
            keys.insert(key);
            round.push(Pending {
                doc: i,
                target,
                at: target.collected_at.as_second(),
            });
        }
    }
    apply_round(tx, &round, &mut stats, rules_written)?;
    Ok(stats)
}

fn apply_round(
    tx: &mut postgres::Transaction,
    round: &[Pending],
    stats: &mut [IngestStats],
    rules_written: Option<&mut HashSet<String>>,
) -> Result<(), HistoryError> {
    if round.is_empty() {
        return Ok(());
    }
    let texts =
        |f: fn(&TargetInput) -> &str| -> Vec<&str> { round.iter().map(|p| f(p.target)).collect() };
    // The stored targets among these.
    let found = tx.query(
        "SELECT t.id, t.unit_code, t.kind, t.target_id, t.last_collected_at
         FROM targets t
         JOIN UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[]) AS k(unit_code, kind, target_id)
           ON t.unit_code = k.unit_code AND t.kind = k.kind AND t.target_id = k.target_id",
        &[
            &texts(|t| &t.unit_code),
            &texts(|t| &t.kind),
            &texts(|t| &t.id),
        ],
    )?;
    let mut stored: HashMap<(String, String, String), (i64, i64)> = found
        .into_iter()
        .map(|r| ((r.get(1), r.get(2), r.get(3)), (r.get(0), r.get(4))))
        .collect();
    // Which are applied (newer than stored), which are new, which are touched.
    let mut applied: Vec<(&Pending, Option<i64>)> = Vec::new();
    let (mut touch_ids, mut touch_ats) = (Vec::new(), Vec::new());
    let mut fresh: Vec<&Pending> = Vec::new();
    for p in round {
        let t = p.target;
        match stored.remove(&(t.unit_code.clone(), t.kind.clone(), t.id.clone())) {
            Some((_, last)) if last >= p.at => stats[p.doc].targets_unchanged += 1,
            Some((id, _)) => {
                touch_ids.push(id);
                touch_ats.push(p.at);
                applied.push((p, Some(id)));
            }
            None => {
                fresh.push(p);
                applied.push((p, None));
            }
        }
    }
    if applied.is_empty() {
        return Ok(());
    }
    if !touch_ids.is_empty() {
        tx.execute(
            "UPDATE targets t SET last_collected_at = v.at
             FROM UNNEST($1::BIGINT[], $2::BIGINT[]) AS v(id, at) WHERE t.id = v.id",
            &[&touch_ids, &touch_ats],
        )?;
    }
    let mut new_ids: HashMap<(String, String, String), i64> = HashMap::new();
    if !fresh.is_empty() {
        let col = |f: fn(&TargetInput) -> &str| -> Vec<&str> {
            fresh.iter().map(|p| f(p.target)).collect()
        };
        let ats: Vec<i64> = fresh.iter().map(|p| p.at).collect();
        for r in tx.query(
            "INSERT INTO targets(unit_code, kind, target_id, last_collected_at)
             SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[])
             RETURNING id, unit_code, kind, target_id",
            &[
                &col(|t| &t.unit_code),
                &col(|t| &t.kind),
                &col(|t| &t.id),
                &ats,
            ],
        )? {
            new_ids.insert((r.get(1), r.get(2), r.get(3)), r.get(0));
        }
    }
    // Units: as one upsert per target in order would leave them (the last non-empty
    // name), one row per unit.
    let mut units: BTreeMap<&str, &str> = BTreeMap::new();
    for (p, _) in &applied {
        let name = units.entry(p.target.unit_code.as_str()).or_insert("");
        if !p.target.unit_name.is_empty() {
            *name = p.target.unit_name.as_str();
        }
    }
    let (codes, names): (Vec<&str>, Vec<&str>) = units.into_iter().unzip();
    tx.execute(
        "INSERT INTO units(code, name) SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[])
         ON CONFLICT(code) DO UPDATE SET name = excluded.name
         WHERE excluded.name <> '' AND excluded.name <> units.name",
        &[&codes, &names],
    )?;
    // The findings the applied targets already have.
    let refs: Vec<(&Pending, i64)> = applied
        .iter()
        .map(|(p, id)| {
            let t = p.target;
            let id =
                id.unwrap_or_else(|| new_ids[&(t.unit_code.clone(), t.kind.clone(), t.id.clone())]);
            (*p, id)
        })
        .collect();
    let existing: Vec<i64> = applied.iter().filter_map(|(_, id)| *id).collect();
    let mut prev: HashMap<i64, HashMap<String, Previous>> = HashMap::new();
    if !existing.is_empty() {
        for r in tx.query(
            "SELECT target_ref, rule, id, open_since, first_failed_at, fixed_at, reopened_at
             FROM findings WHERE target_ref = ANY($1)",
            &[&existing],
        )? {
            prev.entry(r.get(0)).or_default().insert(
                r.get(1),
                Previous {
                    id: r.get(2),
                    open_since: r.get(3),
                    first_failed_at: r.get(4),
                    fixed_at: r.get(5),
                    reopened_at: r.get(6),
                },
            );
        }
    }
    let plans: Vec<(i64, i64, TargetPlan)> = refs
        .iter()
        .map(|(p, id)| {
            stats[p.doc].targets_applied += 1;
            let plan = plan_target(
                p.target,
                p.at,
                prev.remove(id).unwrap_or_default(),
                &mut stats[p.doc],
            );
            (*id, p.at, plan)
        })
        .collect();

    // Rule texts: the first seen in this ingest (`khien report`), or, document by
    // document (`ingest_each`), the last seen, as if each document came alone.
    let mut rules: Vec<&FindingInput> = Vec::new();
    match rules_written {
        Some(written) => {
            for (_, _, plan) in &plans {
                for f in plan.findings() {
                    if written.insert(f.rule.clone()) {
                        rules.push(f);
                    }
                }
            }
        }
        None => {
            let mut last: BTreeMap<&str, &FindingInput> = BTreeMap::new();
            for (_, _, plan) in &plans {
                for f in plan.findings() {
                    last.insert(&f.rule, f);
                }
            }
            rules.extend(last.into_values());
        }
    }
    if !rules.is_empty() {
        let col =
            |g: fn(&FindingInput) -> &str| -> Vec<&str> { rules.iter().map(|f| g(f)).collect() };
        let requirement: Vec<Option<&str>> =
            rules.iter().map(|f| f.requirement.as_deref()).collect();
        tx.execute(
            "INSERT INTO rules(code, requirement, title_vi, title_en, remediation_vi, remediation_en,
               problem_vi, problem_en)
             SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[],
               $6::TEXT[], $7::TEXT[], $8::TEXT[])
             ON CONFLICT(code) DO UPDATE SET requirement = excluded.requirement,
               title_vi = excluded.title_vi, title_en = excluded.title_en,
               problem_vi = excluded.problem_vi, problem_en = excluded.problem_en,
               remediation_vi = excluded.remediation_vi, remediation_en = excluded.remediation_en",
            &[
                &col(|f| &f.rule),
                &requirement,
                &col(|f| &f.texts.title_vi),
                &col(|f| &f.texts.title_en),
                &col(|f| &f.texts.remediation_vi),
                &col(|f| &f.texts.remediation_en),
                &col(|f| &f.texts.problem_vi),
                &col(|f| &f.texts.problem_en),
            ],
        )?;
    }

    // Events, by finding id once the new findings have theirs.
    let (mut ev_ids, mut ev_ats, mut ev_kinds) = (Vec::new(), Vec::new(), Vec::new());
    let new: Vec<(i64, i64, &NewFinding)> = plans
        .iter()
        .flat_map(|(id, at, plan)| plan.new.iter().map(move |n| (*id, *at, n)))
        .collect();
    if !new.is_empty() {
        let f = |i: usize| new[i].2.finding;
        let target_refs: Vec<i64> = new.iter().map(|n| n.0).collect();
        let rule: Vec<&str> = (0..new.len()).map(|i| f(i).rule.as_str()).collect();
        let requirement: Vec<Option<&str>> = (0..new.len())
            .map(|i| f(i).requirement.as_deref())
            .collect();
        let severity: Vec<&str> = (0..new.len()).map(|i| f(i).severity.as_str()).collect();
        let status: Vec<&str> = (0..new.len()).map(|i| status_str(f(i).status)).collect();
        let at: Vec<i64> = new.iter().map(|n| n.1).collect();
        let open: Vec<Option<i64>> = new.iter().map(|n| n.2.open).collect();
        let waiver: Vec<Option<&str>> = (0..new.len()).map(|i| f(i).waiver.as_deref()).collect();
        let rows = tx.query(
            "INSERT INTO findings(target_ref, rule, requirement, severity, status, last_seen,
               open_since, first_failed_at, fixed_at, reopened_at, waiver)
             SELECT v.target_ref, v.rule, v.requirement, v.severity, v.status, v.at,
                    v.open, v.open, NULL, NULL, v.waiver
             FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[],
                         $6::BIGINT[], $7::BIGINT[], $8::TEXT[])
               AS v(target_ref, rule, requirement, severity, status, at, open, waiver)
             RETURNING id, target_ref, rule, open_since",
            &[
                &target_refs,
                &rule,
                &requirement,
                &severity,
                &status,
                &at,
                &open,
                &waiver,
            ],
        )?;
        for r in rows {
            if let Some(open) = r.get::<_, Option<i64>>(3) {
                ev_ids.push(r.get::<_, i64>(0));
                ev_ats.push(open);
                ev_kinds.push(EventKind::Opened.as_str());
            }
        }
    }
    let changed: Vec<(i64, &ChangedFinding)> = plans
        .iter()
        .flat_map(|(_, at, plan)| plan.changed.iter().map(move |c| (*at, c)))
        .collect();
    if !changed.is_empty() {
        let id: Vec<i64> = changed.iter().map(|c| c.1.state.id).collect();
        let requirement: Vec<Option<&str>> = changed
            .iter()
            .map(|c| c.1.finding.requirement.as_deref())
            .collect();
        let severity: Vec<&str> = changed
            .iter()
            .map(|c| c.1.finding.severity.as_str())
            .collect();
        let status: Vec<&str> = changed
            .iter()
            .map(|c| status_str(c.1.finding.status))
            .collect();
        let at: Vec<i64> = changed.iter().map(|c| c.0).collect();
        let opt = |g: fn(&Previous) -> Option<i64>| -> Vec<Option<i64>> {
            changed.iter().map(|c| g(&c.1.state)).collect()
        };
        let waiver: Vec<Option<&str>> = changed
            .iter()
            .map(|c| c.1.finding.waiver.as_deref())
            .collect();
        tx.execute(
            "UPDATE findings f SET requirement = v.requirement, severity = v.severity,
               status = v.status, last_seen = v.at, open_since = v.open_since,
               first_failed_at = v.first_failed_at, fixed_at = v.fixed_at,
               reopened_at = v.reopened_at, waiver = v.waiver
             FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[],
                         $6::BIGINT[], $7::BIGINT[], $8::BIGINT[], $9::BIGINT[], $10::TEXT[])
               AS v(id, requirement, severity, status, at, open_since, first_failed_at,
                    fixed_at, reopened_at, waiver)
             WHERE f.id = v.id",
            &[
                &id,
                &requirement,
                &severity,
                &status,
                &at,
                &opt(|p| p.open_since),
                &opt(|p| p.first_failed_at),
                &opt(|p| p.fixed_at),
                &opt(|p| p.reopened_at),
                &waiver,
            ],
        )?;
        for (at, c) in &changed {
            if let Some(e) = c.event {
                ev_ids.push(c.state.id);
                ev_ats.push(*at);
                ev_kinds.push(e.as_str());
            }
        }
    }
    if !ev_ids.is_empty() {
        tx.execute(
            "INSERT INTO events(finding_ref, at, kind)
             SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[])",
            &[&ev_ids, &ev_ats, &ev_kinds],
        )?;
    }
    Ok(())
}

impl PostgresStore {
    /// A new connection when the old one broke (the server restarted): the next
    /// ingest or page works again without restarting khien.
    fn client(&self) -> Result<std::cell::RefMut<'_, Client>, HistoryError> {
        let mut c = self.client.borrow_mut();
        if c.is_closed() {
            *c = Client::connect(&self.url, NoTls)?;
        }
        Ok(c)
    }

    /// Applies documents in one transaction, `next` giving them a few at a time, and
    /// gives each one's stats to `each`. Rule texts: the first of the transaction
    /// (`first_rule_texts`, as `khien report` always did) or each document's own.
    fn ingest_chunks(
        &mut self,
        next: &mut dyn FnMut() -> Vec<ResultInput>,
        each: &mut dyn FnMut(IngestStats),
        first_rule_texts: bool,
    ) -> Result<(), HistoryError> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let mut rules_written = HashSet::new();
        let mut total = IngestStats::default();
        loop {
            let chunk = next();
            if chunk.is_empty() {
                break;
            }
            let refs: Vec<&ResultInput> = chunk.iter().collect();
            let written = first_rule_texts.then_some(&mut rules_written);
            for s in apply_docs(&mut tx, &refs, written)? {
                total += &s;
                each(s);
            }
        }
        tx.execute(
            "INSERT INTO ingests(at, documents, targets_applied, findings_applied)
             VALUES ($1, $2, $3, $4)",
            &[
                &Timestamp::now().as_second(),
                &(total.documents as i64),
                &(total.targets_applied as i64),
                &(total.findings_applied as i64),
            ],
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl HistoryStore for PostgresStore {
    fn ingest(
        &mut self,
        docs: &mut dyn Iterator<Item = ResultInput>,
    ) -> Result<IngestStats, HistoryError> {
        // Streamed in chunks within the one transaction: a province's files are
        // never all in memory.
        let mut total = IngestStats::default();
        self.ingest_chunks(&mut || docs.take(64).collect(), &mut |s| total += &s, true)?;
        Ok(total)
    }

    fn ingest_each(&mut self, docs: &[ResultInput]) -> Result<Vec<IngestStats>, HistoryError> {
        let mut chunks = docs.chunks(ROUND);
        let mut each = Vec::with_capacity(docs.len());
        self.ingest_chunks(
            &mut || {
                chunks
                    .next()
                    .map(<[ResultInput]>::to_vec)
                    .unwrap_or_default()
            },
            &mut |s| each.push(s),
            false,
        )?;
        Ok(each)
    }

    fn visit_findings(
        &self,
        window: &Window,
        visit: &mut dyn FnMut(FindingState),
    ) -> Result<(), HistoryError> {
        let mut client = self.client()?;
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
        let rows = self.client()?.query(
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
        let mut client = self.client()?;
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
        let mut counter = DebtCounter::new(&points);
        while let Some(r) = rows.next()? {
            if !counted(r.get(3)) {
                continue;
            }
            counter.event(r.get(0), r.get(1), EventKind::parse(r.get(2)));
        }
        Ok(counter.finish())
    }

    fn rule_texts(&self) -> Result<BTreeMap<String, RuleText>, HistoryError> {
        let rows = self.client()?.query(
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
        let rows = self.client()?.query(
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
        let row = self.client()?.query_one(
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
        let row = self.client()?.query_opt(
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
        self.client()?.execute(
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
