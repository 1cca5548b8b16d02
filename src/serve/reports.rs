//! The period reports the pages show, built from the store once and shared.
//!
//! A province report reads every finding of the period (half a million rows for a
//! thousand schools), so the pages do not build one per request. Each report (per
//! unit or the province, per period) is kept with the generation of the history it
//! saw; the writer bumps the generation after each group commit. A page gets:
//! - the kept report when nothing was ingested since, and it is less than
//!   [`MAX_AGE`] old (ages in days move with the clock);
//! - else the kept report when it is less than `max_lag` old (`page_lag_seconds`,
//!   default 5 s): under a stream of uploads a page shows the history as it was a
//!   few seconds ago instead of rebuilding it for every request;
//! - else a new one, built once however many requests wait for it.
//!
//! After each commit a background thread rebuilds the reports asked for in the last
//! [`KEEP`], at most once per `max_lag` each, so the next page is ready: the
//! province's dashboard is always among them.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::ingest::SharedStore;
use crate::policy::Severity;
use crate::report::compliance::{
    self, ComplianceReport, InputsSummary, ReportOptions, SinceSource,
};
use crate::report::inventory::Inventory;
use crate::report::period::Period;

/// A report is rebuilt after this long even when nothing was ingested.
pub const MAX_AGE: Duration = Duration::from_secs(600);

/// Reports asked for within this long are rebuilt in the background after ingests;
/// older ones are dropped.
pub const KEEP: Duration = Duration::from_secs(1800);

/// Most reports kept (the least recently asked go first).
const MAX_KEPT: usize = 64;

/// What a report is built from: the store's reading connection and the settings.
pub struct ReportSource {
    pub store: SharedStore,
    pub inventory: Inventory,
    pub due_days: BTreeMap<Severity, i64>,
    pub stale_days: i64,
    pub report_deadlines: [(i8, i8); 2],
    /// K18's reporting limit in hours (`register_incident_report_hours`).
    pub incident_report_hours: f64,
}

impl ReportSource {
    /// The period report of `unit` (or the province), from the store as it is now.
    pub fn build(&self, unit: Option<String>, period: Period) -> Result<ComplianceReport, String> {
        let opts = ReportOptions {
            period,
            at: Timestamp::now().min(period.end()),
            since: period.start(),
            since_source: SinceSource::PeriodStart,
            unit,
            due_days: self.due_days.clone(),
            inventory: self.inventory.clone(),
            stale_days: self.stale_days,
            report_deadlines: self.report_deadlines,
            incident_report_hours: self.incident_report_hours,
            heading: None,
            unregistered_files: BTreeMap::new(),
            persistent_history: true,
        };
        let store = self.store.lock().map_err(|e| e.to_string())?;
        compliance::build(
            &**store,
            &opts,
            InputsSummary {
                files_read: 0,
                skipped: vec![],
                ingest: None,
            },
        )
        .map_err(|e| e.to_string())
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Key {
    unit: Option<String>,
    period: String,
}

struct Built {
    report: Arc<ComplianceReport>,
    generation: u64,
    at: Instant,
}

struct Slot {
    period: Period,
    built: Option<Built>,
    building: bool,
    asked: Instant,
}

pub struct ReportCache {
    source: ReportSource,
    generation: AtomicU64,
    max_lag: Duration,
    slots: Mutex<HashMap<Key, Slot>>,
    /// Woken when a build ends (waiting requests) and after a commit (the refresher).
    changed: Condvar,
}

impl ReportCache {
    /// A cache over `source`; with `max_lag` zero every page sees every commit.
    /// Starts the background refresher, which ends when the cache is dropped.
    pub fn start(source: ReportSource, max_lag: Duration) -> Arc<ReportCache> {
        let cache = Arc::new(ReportCache {
            source,
            generation: AtomicU64::new(0),
            max_lag,
            slots: Mutex::new(HashMap::new()),
            changed: Condvar::new(),
        });
        let weak = Arc::downgrade(&cache);
        std::thread::Builder::new()
            .name("khien-pages".into())
            .spawn(move || refresh(weak))
            .expect("a thread for the pages' reports");
        cache
    }

    /// The store's reading connection (the health check uses it too).
    pub fn store(&self) -> &SharedStore {
        &self.source.store
    }

    /// Called by the writer after each group commit.
    pub fn committed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_all();
    }

    /// The province's report of `period` is kept ready from now on (the dashboard).
    pub fn keep_ready(&self, unit: Option<String>, period: Period) {
        if let Ok(mut slots) = self.slots.lock() {
            slots
                .entry(Key {
                    unit,
                    period: period.to_string(),
                })
                .or_insert_with(|| Slot {
                    period,
                    built: None,
                    building: false,
                    asked: Instant::now(),
                });
        }
        self.changed.notify_all();
    }

    /// The report of `unit` (or the province) for `period`, as the module doc says.
    pub fn get(
        &self,
        unit: Option<String>,
        period: Period,
    ) -> Result<Arc<ComplianceReport>, String> {
        let key = Key {
            unit: unit.clone(),
            period: period.to_string(),
        };
        let mut slots = self.slots.lock().map_err(|e| e.to_string())?;
        loop {
            let generation = self.generation.load(Ordering::SeqCst);
            let slot = slots.entry(key.clone()).or_insert_with(|| Slot {
                period,
                built: None,
                building: false,
                asked: Instant::now(),
            });
            slot.asked = Instant::now();
            if let Some(b) = &slot.built {
                let age = b.at.elapsed();
                let current = b.generation == generation && age < MAX_AGE;
                // While another request rebuilds it, the kept report is good enough
                // only within the lag the configuration allows.
                if current || age < self.max_lag {
                    return Ok(b.report.clone());
                }
            }
            if !slot.building {
                slot.building = true;
                break;
            }
            slots = self.changed.wait(slots).map_err(|e| e.to_string())?;
        }
        drop(slots);
        self.rebuild(&key, unit, period)
    }

    /// Builds the report of a slot marked `building` and keeps it.
    fn rebuild(
        &self,
        key: &Key,
        unit: Option<String>,
        period: Period,
    ) -> Result<Arc<ComplianceReport>, String> {
        // Read before the build: a commit during it leaves the report stale.
        let generation = self.generation.load(Ordering::SeqCst);
        let built = self.source.build(unit, period).map(Arc::new);
        let mut slots = self.slots.lock().map_err(|e| e.to_string())?;
        if let Some(slot) = slots.get_mut(key) {
            slot.building = false;
            if let Ok(report) = &built {
                slot.built = Some(Built {
                    report: report.clone(),
                    generation,
                    at: Instant::now(),
                });
            }
        }
        forget_old(&mut slots);
        drop(slots);
        self.changed.notify_all();
        built
    }
}

/// Drops reports nobody asked for lately, and the least recently asked beyond
/// [`MAX_KEPT`] (a province report of a thousand schools is tens of megabytes).
fn forget_old(slots: &mut HashMap<Key, Slot>) {
    slots.retain(|_, s| s.building || s.asked.elapsed() < KEEP);
    while slots.len() > MAX_KEPT {
        let Some(oldest) = slots
            .iter()
            .filter(|(_, s)| !s.building)
            .min_by_key(|(_, s)| s.asked)
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        slots.remove(&oldest);
    }
}

/// The background refresher: after commits, rebuilds each kept report that is stale
/// and was last built at least `max_lag` ago (so at most once per `max_lag`).
fn refresh(cache: Weak<ReportCache>) {
    loop {
        let Some(c) = cache.upgrade() else { return };
        let generation = c.generation.load(Ordering::SeqCst);
        let mut next: Option<(Key, Period)> = None;
        let mut wait = Duration::from_secs(60);
        if let Ok(mut slots) = c.slots.lock() {
            forget_old(&mut slots);
            for (k, s) in slots.iter() {
                if s.building {
                    continue;
                }
                let due = match &s.built {
                    None => Duration::ZERO,
                    Some(b) if b.generation != generation || b.at.elapsed() >= MAX_AGE => {
                        c.max_lag.saturating_sub(b.at.elapsed())
                    }
                    Some(_) => continue,
                };
                if due.is_zero() {
                    next = Some((k.clone(), s.period));
                    break;
                }
                wait = wait.min(due);
            }
            if let Some((k, _)) = &next
                && let Some(s) = slots.get_mut(k)
            {
                s.building = true;
            }
            if next.is_none() {
                // Sleeps until a commit, a build's end, or the next report falls due.
                let _ = c.changed.wait_timeout(slots, wait);
            }
        }
        if let Some((key, period)) = next
            && let Err(e) = c.rebuild(&key, key.unit.clone(), period)
        {
            tracing::error!(error = %e, "rebuilding a page's report failed");
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::SqliteStore;

    const DOC: &str = r#"{"schema":"khien-result/1",
      "evaluated_at":"2026-05-01T00:00:00Z",
      "targets":[{"target":{"kind":"host","id":"PC-01","unit":{"code":"U1"}},"collected_at":"2026-05-01T00:00:00Z",
        "findings":[{"rule":"A","severity":"high","status":"fail","title":{"vi":"A","en":"A"},"remediation":{"vi":"r","en":"r"}}]}]}"#;

    fn cache(lag: Duration) -> Arc<ReportCache> {
        ReportCache::start(
            ReportSource {
                store: Mutex::new(Box::new(SqliteStore::open_in_memory().unwrap())),
                inventory: Inventory::default(),
                due_days: BTreeMap::new(),
                stale_days: 30,
                report_deadlines: [(6, 5), (12, 5)],
                incident_report_hours: 24.0,
            },
            lag,
        )
    }

    /// Ingests one failing finding through the cache's own connection, as the writer
    /// would through its own, and says so.
    fn ingest(c: &ReportCache) {
        let doc = crate::report::input::parse_result(
            std::path::Path::new("a.json"),
            DOC.as_bytes(),
            crate::i18n::Lang::Vi,
        )
        .unwrap();
        c.store()
            .lock()
            .unwrap()
            .ingest(&mut std::iter::once(doc))
            .unwrap();
        c.committed();
    }

    #[test]
    fn a_page_may_lag_an_ingest_by_the_allowed_time_and_no_more() {
        let period: Period = "2026".parse().unwrap();
        let lagging = cache(Duration::from_secs(600));
        let before = lagging.get(None, period).unwrap();
        assert!(before.debt.is_empty());
        assert!(
            Arc::ptr_eq(&before, &lagging.get(None, period).unwrap()),
            "kept"
        );
        ingest(&lagging);
        // Within the lag: the kept report, built once.
        assert!(Arc::ptr_eq(&before, &lagging.get(None, period).unwrap()));

        let current = cache(Duration::ZERO);
        let before = current.get(None, period).unwrap();
        assert!(
            Arc::ptr_eq(&before, &current.get(None, period).unwrap()),
            "kept"
        );
        ingest(&current);
        let after = current.get(None, period).unwrap();
        assert_eq!(after.debt.len(), 1, "the ingest shows at once");
        // Another unit's report is its own.
        assert!(
            current
                .get(Some("U2".into()), period)
                .unwrap()
                .debt
                .is_empty()
        );
    }
}
