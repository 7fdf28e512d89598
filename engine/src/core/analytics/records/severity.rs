//! One severity scale for every detector.
//!
//! Each detector estimates a tail probability `p`: how often normal data would be at least as
//! extreme as what it saw (a Laplace tail for latency and size, a peaks-over-threshold tail for the
//! isolation forest, the model probability of the least likely step for sessions). Severity is
//! the rarity in decimal orders of magnitude, divided by ten and capped at 1:
//! `p = 1e-4` gives 0.4, one in ten billion or rarer gives 1.0. A detection is reported when
//! `p` is at most `sensitivity / 1000` (`1e-4`, severity 0.4, at the default sensitivity 0.1).

/// Orders of magnitude of rarity that map to severity 1.
const FULL_SCALE_DECADES: f64 = 10.0;

/// Severity in [0, 1] of an observation with tail probability `p`.
pub fn from_tail(p: f64) -> f64 {
    if p.is_nan() {
        return 0.0;
    }
    let decades = -p.clamp(f64::MIN_POSITIVE, 1.0).log10();
    (decades / FULL_SCALE_DECADES).clamp(0.0, 1.0)
}

/// Tail probability at or below which a detection is reported, for a sensitivity in (0, 1].
pub fn report_tail(sensitivity: f64) -> f64 {
    sensitivity.clamp(1e-6, 1.0) * 1e-3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rarer_is_more_severe_and_the_scale_is_bounded() {
        assert_eq!(from_tail(1.0), 0.0);
        assert!((from_tail(1e-4) - 0.4).abs() < 1e-12);
        assert_eq!(from_tail(1e-30), 1.0);
        assert_eq!(from_tail(0.0), 1.0);
        assert_eq!(from_tail(f64::NAN), 0.0);
        assert!(from_tail(1e-6) > from_tail(1e-5));
        assert!((report_tail(0.1) - 1e-4).abs() < 1e-15);
        assert!(report_tail(1.0) > report_tail(0.1));
    }
}
