//! Admission of new alerts: per-fingerprint cooldown and the global hourly cap.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Serialize;

const HOUR_NS: i64 = 3_600 * 1_000_000_000;

/// Why a would-be alert was not raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// The same fingerprint fired less than `alert_cooldown_minutes` ago.
    Cooldown,
    /// `max_alerts_per_hour` alerts already fired in the last hour.
    RateLimit,
}

impl SuppressionReason {
    /// The metric label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cooldown => "cooldown",
            Self::RateLimit => "rate_limit",
        }
    }
}

/// Decides whether a new alert may fire now, and remembers the ones that did.
#[derive(Debug, Clone)]
pub struct Limiter {
    cooldown_ns: i64,
    max_per_hour: u32,
    last_fired: HashMap<String, i64>,
    fired_last_hour: VecDeque<i64>,
    suppressed: BTreeMap<SuppressionReason, u64>,
}

impl Limiter {
    /// A limiter with the given cooldown and hourly cap (`0` disables the cap).
    pub fn new(cooldown_ns: i64, max_per_hour: u32) -> Self {
        Self {
            cooldown_ns,
            max_per_hour,
            last_fired: HashMap::new(),
            fired_last_hour: VecDeque::new(),
            suppressed: BTreeMap::new(),
        }
    }

    /// Checks cooldown then cap for `fingerprint` at `now_ns`; on success records the firing.
    pub fn admit(&mut self, fingerprint: &str, now_ns: i64) -> Result<(), SuppressionReason> {
        if let Some(&last) = self.last_fired.get(fingerprint)
            && now_ns.saturating_sub(last) < self.cooldown_ns
        {
            return Err(SuppressionReason::Cooldown);
        }
        while let Some(&oldest) = self.fired_last_hour.front() {
            if now_ns.saturating_sub(oldest) < HOUR_NS {
                break;
            }
            self.fired_last_hour.pop_front();
        }
        if self.max_per_hour > 0 && self.fired_last_hour.len() >= self.max_per_hour as usize {
            return Err(SuppressionReason::RateLimit);
        }
        self.fired_last_hour.push_back(now_ns);
        self.last_fired.insert(fingerprint.to_owned(), now_ns);
        Ok(())
    }

    /// Counts one suppressed alert.
    pub fn count_suppressed(&mut self, reason: SuppressionReason) {
        *self.suppressed.entry(reason).or_default() += 1;
    }

    /// Suppressed alerts so far, by reason.
    pub fn suppressed(&self) -> &BTreeMap<SuppressionReason, u64> {
        &self.suppressed
    }

    /// Alerts fired in the hour before `now_ns`.
    pub fn fired_in_last_hour(&self, now_ns: i64) -> usize {
        self.fired_last_hour
            .iter()
            .filter(|&&t| now_ns.saturating_sub(t) < HOUR_NS)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60 * 1_000_000_000;

    #[test]
    fn cooldown_is_per_fingerprint() {
        let mut l = Limiter::new(5 * MIN, 0);
        assert_eq!(l.admit("a", 0), Ok(()));
        assert_eq!(l.admit("a", 4 * MIN), Err(SuppressionReason::Cooldown));
        assert_eq!(l.admit("b", 4 * MIN), Ok(()));
        assert_eq!(l.admit("a", 5 * MIN), Ok(()));
    }

    #[test]
    fn cap_slides_over_the_hour() {
        let mut l = Limiter::new(0, 2);
        assert_eq!(l.admit("a", 0), Ok(()));
        assert_eq!(l.admit("b", MIN), Ok(()));
        assert_eq!(l.admit("c", 2 * MIN), Err(SuppressionReason::RateLimit));
        assert_eq!(l.fired_in_last_hour(2 * MIN), 2);
        assert_eq!(l.admit("c", 60 * MIN), Ok(()));
        assert_eq!(l.admit("d", 60 * MIN), Err(SuppressionReason::RateLimit));
        assert_eq!(l.admit("d", 61 * MIN), Ok(()));
    }
}
