//! Tests of the per-event forest on synthetic type streams with known flag rates.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SETTINGS: EventForestSettings = EventForestSettings {
    window_size: 1000,
    min_samples: 50,
    contamination: 0.05,
};

/// `count` events drawn from `mix` (type, weight) with a fixed seed; no latency or size, like log data.
fn stream(mix: &[(EventType, f64)], count: usize, seed: u64) -> Vec<Event> {
    let total: f64 = mix.iter().map(|(_, w)| w).sum();
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let mut u = rng.random_range(0.0..total);
            let t = mix
                .iter()
                .find(|(_, w)| {
                    u -= w;
                    u < 0.0
                })
                .map_or(mix[mix.len() - 1].0, |(t, _)| *t);
            Event::new(t, i as i64 * 1_000_000, "test")
        })
        .collect()
}

/// Flagged share of the events scored after the first training.
fn flagged_share(forest: &mut EventForest, events: &[Event]) -> f64 {
    let mut scored = 0usize;
    let mut flagged = 0usize;
    for e in events {
        let trained = forest.trained();
        let hit = forest.observe(e);
        scored += usize::from(trained);
        flagged += usize::from(hit.is_some());
    }
    assert_eq!(forest.scored(), scored as u64);
    assert_eq!(forest.flagged(), flagged as u64);
    flagged as f64 / scored as f64
}

const SKEWED: [(EventType, f64); 5] = [
    (EventType::FilesystemRead, 0.60),
    (EventType::FilesystemWrite, 0.30),
    (EventType::FilesystemCreate, 0.07),
    (EventType::FilesystemDelete, 0.025),
    (EventType::FilesystemRename, 0.005),
];

#[test]
fn stable_mix_flags_at_most_the_contamination_share() {
    let events = stream(&SKEWED, 40_000, 1);
    let share = flagged_share(&mut EventForest::new(SETTINGS), &events);
    println!("stable skewed mix: flagged share {share:.4}");
    // The rarest types (3% together) stand out; the 7% type does not fit under 5%.
    assert!(share <= SETTINGS.contamination, "flagged {share}");
    assert!(share > 0.01, "flagged {share}");
}

#[test]
fn ties_between_common_types_flag_nothing() {
    let mix = [
        (EventType::FilesystemRead, 0.5),
        (EventType::FilesystemWrite, 0.5),
    ];
    let events = stream(&mix, 20_000, 2);
    let share = flagged_share(&mut EventForest::new(SETTINGS), &events);
    assert_eq!(share, 0.0);
}

#[test]
fn a_never_seen_type_is_flagged() {
    let mut forest = EventForest::new(SETTINGS);
    for e in stream(&SKEWED, 5_000, 3) {
        forest.observe(&e);
    }
    let novel = Event::new(EventType::SystemRecovery, 0, "test");
    let hit = forest.observe(&novel).expect("novel type flagged");
    assert!(hit.score > hit.threshold);
    assert!(hit.explanation.contains("0.00% of the training window"));
    let common = Event::new(EventType::FilesystemRead, 0, "test");
    assert!(forest.observe(&common).is_none());
}

#[test]
fn rarity_is_zero_for_a_full_window_and_largest_for_unseen_types() {
    let r = rarity_table(&[9, 0, 4], 9);
    assert!(r[0].abs() < 1e-12);
    assert!((r[1] - 10f64.ln()).abs() < 1e-12);
    assert!(r[1] > r[2] && r[2] > r[0]);
}

#[test]
fn retrains_as_the_window_doubles_then_every_window() {
    let mut forest = EventForest::new(SETTINGS);
    let mut trained_at = Vec::new();
    for (i, e) in stream(&SKEWED, 3_000, 4).iter().enumerate() {
        let before = forest.trainings;
        forest.observe(e);
        if forest.trainings > before {
            trained_at.push(i + 1);
        }
    }
    assert_eq!(trained_at, [50, 100, 200, 400, 800, 1600, 2600]);
    assert_eq!(forest.window_fill(), 1000);
}
