//! The `GET /api/v1/patterns` report from mined patterns: rules from their supports, pattern
//! views in report order. One engine's periodic mining and the merge across replicas
//! (`pattern_merge`) both build their report here, so equal patterns give equal reports.

use super::config::AnalyticsConfig;
use super::name;
use super::prefixspan::{self, Bounded};
use super::report::{PatternView, PatternsReport, RuleView};

/// The report of `bounded` (patterns in mining order: ascending by items) mined from `sessions`
/// completed sessions at `min_support`.
pub fn build(
    bounded: &Bounded,
    sessions: usize,
    open_sessions: usize,
    min_support: usize,
    cfg: &AnalyticsConfig,
) -> PatternsReport {
    let mined = &bounded.patterns;
    let rules = prefixspan::rules(mined, cfg.confidence);
    let mut patterns: Vec<PatternView> = mined
        .iter()
        .filter(|p| p.items.len() >= cfg.min_pattern_length)
        .map(|p| PatternView {
            types: p.items.iter().map(|&i| name(i)).collect(),
            support: p.support,
            support_ratio: p.support as f64 / sessions.max(1) as f64,
        })
        .collect();
    patterns.sort_by(|a, b| {
        b.support
            .cmp(&a.support)
            .then(b.types.len().cmp(&a.types.len()))
    });
    PatternsReport {
        sessions,
        open_sessions,
        min_support,
        truncated: bounded.truncated,
        complete_up_to_length: bounded.complete_len,
        patterns,
        rules: rules
            .iter()
            .map(|r| RuleView {
                antecedent: r.antecedent.iter().map(|&i| name(i)).collect(),
                consequent: name(r.consequent),
                support: r.support,
                confidence: r.confidence,
            })
            .collect(),
    }
}
