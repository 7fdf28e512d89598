//! Per-object exponential backoff with jitter for transient errors; reset after a success.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// First retry delay.
pub const BASE: Duration = Duration::from_secs(1);
/// Longest retry delay.
pub const MAX: Duration = Duration::from_secs(300);

/// Delay before retry number `attempt` (0-based): `BASE * 2^attempt` capped at `MAX`, scaled by
/// `jitter` in `[0, 1]` into the upper half of that window, so concurrent failures spread out.
pub fn delay(attempt: u32, jitter: f64) -> Duration {
    let exp = BASE
        .saturating_mul(2u32.saturating_pow(attempt.min(31)))
        .min(MAX);
    exp.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// Failure counts per object key.
#[derive(Debug, Default)]
pub struct Backoff {
    attempts: Mutex<HashMap<String, u32>>,
}

impl Backoff {
    /// Records a failure of `key` and returns how long to wait before retrying it.
    pub fn next(&self, key: &str) -> Duration {
        let attempt = {
            let mut attempts = self
                .attempts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let entry = attempts.entry(key.to_owned()).or_insert(0);
            let attempt = *entry;
            *entry = entry.saturating_add(1);
            attempt
        };
        delay(attempt, rand::random::<f64>())
    }

    /// Forgets the failures of `key` after a successful reconcile.
    pub fn reset(&self, key: &str) {
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }

    /// Failures recorded for `key` since its last success.
    pub fn failures(&self, key: &str) -> u32 {
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key)
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_until_the_cap() {
        assert_eq!(delay(0, 1.0), Duration::from_secs(1));
        assert_eq!(delay(3, 1.0), Duration::from_secs(8));
        assert_eq!(delay(20, 1.0), MAX);
        assert_eq!(delay(u32::MAX, 1.0), MAX);
    }

    #[test]
    fn jitter_stays_in_the_upper_half() {
        assert_eq!(delay(3, 0.0), Duration::from_secs(4));
        let d = delay(3, 0.5);
        assert!(d > Duration::from_secs(4) && d < Duration::from_secs(8));
    }

    #[test]
    fn success_resets_the_count() {
        let backoff = Backoff::default();
        backoff.next("ns/a");
        backoff.next("ns/a");
        assert_eq!(backoff.failures("ns/a"), 2);
        assert_eq!(backoff.failures("ns/b"), 0);
        backoff.reset("ns/a");
        assert_eq!(backoff.failures("ns/a"), 0);
        assert!(backoff.next("ns/a") <= BASE);
    }
}
