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

/// The event counts at which `forest` was trained while observing `events`.
fn trainings(forest: &mut EventForest, events: &[Event]) -> Vec<usize> {
    let mut trained_at = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let before = forest.trainings;
        forest.observe(e);
        if forest.trainings > before {
            trained_at.push(i + 1);
        }
    }
    trained_at
}

#[test]
fn retrains_as_the_window_doubles_then_keeps_a_model_that_fits() {
    let mut forest = EventForest::new(SETTINGS);
    let trained_at = trainings(&mut forest, &stream(&EventType::ALL, 3_000, 4));
    assert_eq!(trained_at, [50, 100, 200, 400, 800, 1600]);
    assert_eq!(forest.window_fill(), 1000);
}

#[test]
fn a_stationary_stream_retrains_only_when_the_model_is_old() {
    let mut forest = EventForest::new(SETTINGS);
    let trained_at = trainings(&mut forest, &stream(&EventType::ALL, 20_000, 5));
    let age = MAX_TURNOVERS as usize * SETTINGS.window_size;
    assert_eq!(trained_at[..7], [50, 100, 200, 400, 800, 1600, 1600 + age]);
    // Every full window used to be retrained: 18 times here. A model whose sampled threshold
    // flags too much in its first turnover may be retrained once more.
    assert!(trained_at.len() - 6 <= 3, "{trained_at:?}");
}

/// `events` with every latency multiplied by `factor` from position `from` on.
fn shifted(mut events: Vec<Event>, from: usize, factor: u64) -> Vec<Event> {
    for e in &mut events[from..] {
        e.latency_ns *= factor;
    }
    events
}

#[test]
fn a_shift_to_new_values_retrains_at_the_next_turnover() {
    // From 5,000 on, every event is far outside the model's window: nearly all are flagged.
    let events = shifted(stream(&EventType::ALL, 8_000, 6), 5_000, 1_000);
    let mut forest = EventForest::new(SETTINGS);
    let trained_at = trainings(&mut forest, &events);
    assert_eq!(trained_at[..6], [50, 100, 200, 400, 800, 1600]);
    // Turnovers fall at 2,600, 3,600, ...: the one at 5,600 is the first that saw the shift.
    assert!(trained_at.contains(&5_600), "{trained_at:?}");
}

#[test]
fn a_shift_into_a_narrow_range_retrains_too() {
    // From 5,000 on, every latency and size is the same ordinary value: the model flags far
    // fewer events than in its first turnover, though each is well inside its range.
    let mut events = stream(&EventType::ALL, 8_000, 7);
    for e in &mut events[5_000..] {
        (e.latency_ns, e.size_bytes) = (20_000, 4_000);
    }
    let mut forest = EventForest::new(SETTINGS);
    let trained_at = trainings(&mut forest, &events);
    assert!(
        trained_at.iter().any(|&at| at == 5_600 || at == 6_600),
        "{trained_at:?}"
    );
}

#[test]
fn drift_tests_need_four_standard_errors() {
    // 1,000 events at 5%: 50 expected, one standard error about 6.9.
    assert!(!above_expected(77, 1_000, 0.05));
    assert!(above_expected(78, 1_000, 0.05));
    assert!(
        !above_expected(0, 1_000, 0.05),
        "a shortfall alone is no excess"
    );
    // Against a first turnover's 50 (the pooled standard error grows with the count).
    assert!(!differs(50, 96, 1_000) && differs(50, 97, 1_000));
    assert!(!differs(50, 18, 1_000) && differs(50, 17, 1_000));
    assert!(!differs(0, 0, 1_000), "nothing flagged either time");
}
