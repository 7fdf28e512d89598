//! Retries with exponential backoff: a pure delay schedule and an async driver.

use std::future::Future;
use std::time::Duration;

/// How often and how patiently a delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt.
    pub initial_backoff: Duration,
    /// Upper bound of any delay.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Delay after failed attempt number `attempt` (1-based): initial × 2^(attempt−1), capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Whether a failed attempt is worth repeating.
pub trait Retryable {
    /// `false` for permanent failures (bad request, bad credentials, bad configuration).
    fn is_transient(&self) -> bool;
}

/// Runs `attempt` until it succeeds, fails permanently or runs out of attempts.
///
/// `on_retry(attempt, &error, delay)` is called before each wait. Returns the final result and
/// the number of attempts made.
pub async fn with_retry<T, E, F, Fut>(
    policy: RetryPolicy,
    mut attempt: F,
    mut on_retry: impl FnMut(u32, &E, Duration),
) -> (Result<T, E>, u32)
where
    E: Retryable,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let max = policy.max_attempts.max(1);
    let mut n = 1;
    loop {
        match attempt().await {
            Ok(v) => return (Ok(v), n),
            Err(e) if n < max && e.is_transient() => {
                let delay = policy.delay(n);
                on_retry(n, &e, delay);
                tokio::time::sleep(delay).await;
                n += 1;
            }
            Err(e) => return (Err(e), n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_then_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
        };
        let delays: Vec<u128> = (1..=5).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 700, 700]);
    }
}
