//! Request rate limits per client address and per authenticated subject: token buckets that
//! refill at `[server] rate_limit_per_second` up to `rate_limit_burst`, answering 429 with
//! `Retry-After` when empty (the middleware is in `rate_limit_layer.rs`).

use ahash::HashMap;
use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// Kubernetes probes are never limited (a refused probe would restart a healthy pod).
pub const PROBES: &[&str] = &["/healthz", "/readyz"];

/// Buckets kept at most; past it, full buckets (idle clients) are forgotten.
const MAX_BUCKETS: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets keyed by client address or subject.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Buckets refilling at `per_second` tokens up to `burst` (at least 1).
    pub fn new(per_second: f64, burst: u32) -> Self {
        RateLimiter {
            per_second,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::default()),
        }
    }

    /// Takes one token from every bucket in `keys` at `now`, or none when any is empty; the
    /// error is how long until that bucket holds a token again.
    pub fn take(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock();
        if buckets.len() + keys.len() > MAX_BUCKETS {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, b| refill(b, rate, burst, now) < burst);
        }
        let mut wait = Duration::ZERO;
        for key in keys {
            let bucket = buckets.entry(key.clone()).or_insert(Bucket {
                tokens: self.burst,
                at: now,
            });
            let tokens = refill(bucket, self.per_second, self.burst, now);
            if tokens < 1.0 {
                wait = wait.max(Duration::from_secs_f64((1.0 - tokens) / self.per_second));
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for key in keys {
            if let Some(bucket) = buckets.get_mut(key) {
                bucket.tokens -= 1.0;
            }
        }
        Ok(())
    }
}

/// Refills `bucket` up to `now` and returns its tokens.
fn refill(bucket: &mut Bucket, per_second: f64, burst: f64, now: Instant) -> f64 {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
    bucket.at = now;
    bucket.tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_a_burst_then_refill_at_the_rate() {
        let limiter = RateLimiter::new(2.0, 3);
        let t0 = Instant::now();
        let ip = vec!["addr:10.0.0.1".to_string()];
        for _ in 0..3 {
            assert!(limiter.take(&ip, t0).is_ok());
        }
        let wait = limiter.take(&ip, t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        assert!(
            limiter.take(&["addr:10.0.0.2".into()], t0).is_ok(),
            "others unaffected"
        );
        assert!(limiter.take(&ip, t0 + Duration::from_millis(500)).is_ok());
        assert!(limiter.take(&ip, t0 + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn a_subject_is_limited_across_addresses() {
        let limiter = RateLimiter::new(1.0, 1);
        let t0 = Instant::now();
        let a = vec!["addr:a".to_string(), "sub:agent".to_string()];
        let b = vec!["addr:b".to_string(), "sub:agent".to_string()];
        assert!(limiter.take(&a, t0).is_ok());
        assert!(limiter.take(&b, t0).is_err(), "same subject, other address");
        assert!(
            limiter.take(&["addr:b".into()], t0).is_ok(),
            "a refused request costs nothing"
        );
    }
}
