//! Queries to a local service that can hang (WMI, COM servers) with a deadline.
//!
//! A hung WMI service (a stuck provider, a corrupted repository) blocks the calling
//! thread for as long as it likes, and Rust cannot cancel a thread. So each query
//! is sent to a worker thread that owns the connections, and the scan waits for
//! the answer at most the timeout (`[limits] wmi_query_seconds` in khien.toml).
//! A query that does not answer in time becomes unknown with reason `timeout`; its
//! worker is abandoned (it ends on its own if the call ever returns, or with the
//! process) and the next query starts on a fresh worker. After
//! [`MAX_TIMEOUTS`] timeouts the service is taken as hung and the remaining queries
//! are not sent: they are unknown with reason `timeout` at once, so a dead service
//! costs at most `MAX_TIMEOUTS` × the timeout.
//!
//! Platform-neutral so it is tested on every OS with a backend that sleeps.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use serde_json::Value;

use crate::facts::{ReasonCode, Unknown};

/// Timeouts after which the service is taken as hung.
pub const MAX_TIMEOUTS: u32 = 2;

/// The default of `[limits] wmi_query_seconds`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

type Answer = Result<Value, Unknown>;
type Backend<R> = Box<dyn FnMut(R) -> Answer>;
type Factory<R> = Arc<dyn Fn() -> Backend<R> + Send + Sync>;

/// Runs requests of type `R` on a worker thread, each within the timeout. The
/// factory makes the backend on the worker thread, since COM objects (a WMI
/// connection) belong to the thread that made them.
pub struct Bounded<R> {
    what: &'static str,
    timeout: Duration,
    factory: Factory<R>,
    worker: Option<mpsc::Sender<(R, mpsc::SyncSender<Answer>)>>,
    timeouts: u32,
}

impl<R: Send + 'static> Bounded<R> {
    /// `what` names the service in reasons ("WMI").
    pub fn new(
        what: &'static str,
        timeout: Duration,
        factory: impl Fn() -> Backend<R> + Send + Sync + 'static,
    ) -> Bounded<R> {
        Bounded {
            what,
            timeout,
            factory: Arc::new(factory),
            worker: None,
            timeouts: 0,
        }
    }

    fn spawn(&self) -> Option<mpsc::Sender<(R, mpsc::SyncSender<Answer>)>> {
        let (tx, rx) = mpsc::channel::<(R, mpsc::SyncSender<Answer>)>();
        let factory = Arc::clone(&self.factory);
        std::thread::Builder::new()
            .name(format!("khien-{}", self.what.to_lowercase()))
            .spawn(move || {
                let mut backend = factory();
                while let Ok((request, reply)) = rx.recv() {
                    let _ = reply.send(backend(request));
                }
            })
            .ok()?;
        Some(tx)
    }

    /// Runs one request; `label` names it in reasons (the namespace and class).
    pub fn run(&mut self, request: R, label: &str) -> Answer {
        let secs = self.timeout.as_secs_f64();
        if self.timeouts >= MAX_TIMEOUTS {
            return Err(Unknown::new(
                ReasonCode::Timeout,
                format!(
                    "{label}: not queried: {} did not answer {} earlier queries within {secs:.0} s",
                    self.what, self.timeouts
                ),
            ));
        }
        if self.worker.is_none() {
            self.worker = self.spawn();
        }
        let Some(worker) = &self.worker else {
            return Err(Unknown::new(
                ReasonCode::Error,
                format!("{label}: no thread could be started for {}", self.what),
            ));
        };
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        if worker.send((request, reply_tx)).is_err() {
            self.worker = None;
            return Err(Unknown::new(
                ReasonCode::Error,
                format!("{label}: the {} thread stopped", self.what),
            ));
        }
        match reply_rx.recv_timeout(self.timeout) {
            Ok(answer) => answer,
            Err(RecvTimeoutError::Timeout) => {
                // Abandon the hung worker: dropping its sender lets it end if the
                // call ever returns.
                self.worker = None;
                self.timeouts += 1;
                Err(Unknown::new(
                    ReasonCode::Timeout,
                    format!("{label}: {} gave no answer within {secs:.0} s", self.what),
                ))
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.worker = None;
                Err(Unknown::new(
                    ReasonCode::Error,
                    format!("{label}: the {} query failed (thread stopped)", self.what),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    /// A backend whose request is how long to sleep before answering it; counts
    /// the backends made (one per worker).
    fn sleeper(made: Arc<AtomicUsize>) -> Bounded<u64> {
        Bounded::new("WMI", Duration::from_millis(200), move || {
            made.fetch_add(1, Ordering::SeqCst);
            Box::new(|ms: u64| {
                std::thread::sleep(Duration::from_millis(ms));
                Ok(Value::from(ms))
            })
        })
    }

    #[test]
    fn answers_in_time_come_back_from_one_worker() {
        let made = Arc::new(AtomicUsize::new(0));
        let mut b = sleeper(made.clone());
        assert_eq!(b.run(0, "a").unwrap(), Value::from(0));
        assert_eq!(b.run(10, "b").unwrap(), Value::from(10));
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_hung_query_is_unknown_with_reason_timeout_and_the_next_runs_on_a_new_worker() {
        let made = Arc::new(AtomicUsize::new(0));
        let mut b = sleeper(made.clone());
        let start = Instant::now();
        let u = b.run(5_000, r"root\cimv2 Win32_Service").unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "waited for the hung call"
        );
        assert_eq!(u.reason, ReasonCode::Timeout);
        assert!(
            u.detail.contains(r"root\cimv2 Win32_Service"),
            "{}",
            u.detail
        );
        assert!(u.detail.contains("no answer within"), "{}", u.detail);
        // The next query is answered by a fresh worker, not queued behind the hung one.
        assert_eq!(b.run(0, "next").unwrap(), Value::from(0));
        assert_eq!(made.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn after_repeated_timeouts_the_rest_is_not_queried() {
        let made = Arc::new(AtomicUsize::new(0));
        let mut b = sleeper(made.clone());
        for _ in 0..MAX_TIMEOUTS {
            assert_eq!(b.run(5_000, "x").unwrap_err().reason, ReasonCode::Timeout);
        }
        let start = Instant::now();
        let u = b.run(0, "later").unwrap_err();
        assert!(start.elapsed() < Duration::from_millis(100));
        assert_eq!(u.reason, ReasonCode::Timeout);
        assert!(u.detail.contains("not queried"), "{}", u.detail);
        assert_eq!(made.load(Ordering::SeqCst) as u32, MAX_TIMEOUTS);
    }

    #[test]
    fn a_panicking_backend_is_an_error_not_a_crash() {
        let mut b: Bounded<u8> = Bounded::new("WMI", Duration::from_secs(5), || {
            Box::new(|_| panic!("provider crashed"))
        });
        let u = b.run(0, "q").unwrap_err();
        assert_eq!(u.reason, ReasonCode::Error);
        assert!(u.detail.contains("thread stopped"), "{}", u.detail);
    }
}
