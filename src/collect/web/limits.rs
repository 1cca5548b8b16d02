//! Politeness towards shared servers: per-IP limits on concurrent connections and
//! on the rate of new ones. Many school sites sit on one hosting server, so limits
//! are keyed by the resolved IP address, not by the site's name.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits shared by every site of a scan.
pub struct IpLimiter {
    per_ip: usize,
    semaphores: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
    rate: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl IpLimiter {
    /// `per_ip` connections at once to one address; at most `per_second` new ones
    /// each second (0: no rate limit).
    pub fn new(per_ip: usize, per_second: u32) -> Self {
        IpLimiter {
            per_ip: per_ip.max(1),
            semaphores: Mutex::new(HashMap::new()),
            rate: NonZeroU32::new(per_second).map(|n| RateLimiter::keyed(Quota::per_second(n))),
        }
    }

    /// Waits for the right to open a connection to `ip`; hold the permit while it is open.
    pub async fn acquire(&self, ip: IpAddr) -> OwnedSemaphorePermit {
        let permit = self.slot(ip).await;
        self.new_connection(ip).await;
        permit
    }

    /// Waits for the rate limit of new connections to `ip` (HTTP requests on a
    /// kept-alive connection do not count against it).
    pub async fn new_connection(&self, ip: IpAddr) {
        if let Some(rate) = &self.rate {
            rate.until_key_ready(&ip).await;
        }
    }

    /// Waits for one of the `per_ip` places of work at `ip` (a request in flight or
    /// a probe's connection).
    pub async fn slot(&self, ip: IpAddr) -> OwnedSemaphorePermit {
        let semaphore = {
            let mut map = self.semaphores.lock().expect("not poisoned");
            map.entry(ip)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_ip)))
                .clone()
        };
        semaphore
            .acquire_owned()
            .await
            .expect("semaphores are never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn per_ip_permits_are_bounded() {
        let limiter = IpLimiter::new(2, 0);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let a = limiter.acquire(ip).await;
        let _b = limiter.acquire(ip).await;
        let third = tokio::time::timeout(std::time::Duration::from_millis(50), limiter.acquire(ip));
        assert!(third.await.is_err(), "a third connection waits");
        // Another address is not held up by the first one's limit.
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let _c = limiter.acquire(other).await;
        drop(a);
        let _d = limiter.acquire(ip).await;
    }
}
