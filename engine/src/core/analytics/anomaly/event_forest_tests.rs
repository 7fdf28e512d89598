//! Tests of the per-event forest on synthetic streams with known answers.

use super::*;
use crate::event::EventType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SETTINGS: EventForestSettings = EventForestSettings {
    window_size: 1000,
    min_samples: 50,
    contamination: 0.05,
};

/// `count` events of random types from `types`, latency 15-25 µs and size 3-5 KiB.
fn stream(types: &[EventType], count: usize, seed: u64) -> Vec<Event> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let t = types[rng.random_range(0..types.len())];
            Event::new(t, i as i64 * 1_000_000, "test").with_measures(
                rng.random_range(15_000..25_000),
                rng.random_range(3_000..5_000),
            )
        })
        .collect()
}

#[test]
fn flags_about_the_contamination_share_but_reports_rarely() {
    let mut forest = EventForest::new(SETTINGS);
    let (mut flagged, mut reported, mut scored) = (0, 0, 0);
    for e in stream(&EventType::ALL, 20_000, 1) {
        let trained = forest.trained();
        let hit = forest.observe(&e);
        scored += usize::from(trained);
        flagged += usize::from(hit.is_some());
        reported += usize::from(hit.is_some_and(|h| h.tail <= 1e-4));
    }
    assert_eq!(forest.flagged(), flagged as u64);
    assert_eq!(forest.scored(), scored as u64);
    let share = flagged as f64 / scored as f64;
    // The threshold is placed on a sample of the window, so the share is about 5%, not exactly.
    assert!(share <= 0.08 && share > 0.01, "flagged share {share}");
    assert!(reported <= scored / 1000, "reported {reported} of {scored}");
}

#[test]
fn a_rare_type_with_ordinary_measures_is_not_reported() {
    let mut forest = EventForest::new(SETTINGS);
    for e in stream(
        &[EventType::FilesystemWrite, EventType::FilesystemRead],
        2_000,
        3,
    ) {
        forest.observe(&e);
    }
    let rare = Event::new(EventType::SystemRecovery, 0, "test").with_measures(20_000, 4_000);
    assert!(forest.observe(&rare).is_none_or(|h| h.tail > 1e-3));
    // An isolation forest isolates a value far past the range in as few splits as one just past
    // it, so magnitude is the robust per-type baselines' job (see `detectors`).
    let costly = Event::new(EventType::FilesystemWrite, 0, "test").with_measures(50_000_000, 4_000);
    assert!(forest.observe(&costly).is_none_or(|h| h.tail > 1e-4));
}

#[test]
fn log_like_events_without_measures_are_never_flagged() {
    let mut forest = EventForest::new(SETTINGS);
    for i in 0..3_000 {
        let t = EventType::ALL[(i * 7919) % EventType::COUNT];
        assert!(forest.observe(&Event::new(t, i as i64, "test")).is_none());
    }
}

#[test]
fn retrains_as_the_window_doubles_then_every_window() {
    let mut forest = EventForest::new(SETTINGS);
    let mut trained_at = Vec::new();
    for (i, e) in stream(&EventType::ALL, 3_000, 4).iter().enumerate() {
        let before = forest.trainings;
        forest.observe(e);
        if forest.trainings > before {
            trained_at.push(i + 1);
        }
    }
    assert_eq!(trained_at, [50, 100, 200, 400, 800, 1600, 2600]);
    assert_eq!(forest.window_fill(), 1000);
}
