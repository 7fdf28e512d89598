use super::super::windows::Windows;
use super::*;
use crate::event::Event;

const SEC: i64 = 1_000_000_000;

fn events(n: i64, offset: i64) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let t = EventType::ALL[(i % 4) as usize];
            Event::new(t, 1_000 * SEC + (i * 7 + offset) * SEC / 10, "node")
                .with_path(&format!("/p/{}", i % 13))
                .with_measures(1_000 + (i as u64 * 37) % 5_000, 100)
        })
        .collect()
}

#[test]
fn parts_report_what_the_windows_report() {
    let mut w = Windows::new(1_000);
    for e in events(300, 0) {
        w.observe(&e);
    }
    let now = 1_030 * SEC;
    assert_eq!(w.parts(now).report(), Ok(w.stats(now)));
}

#[test]
fn merged_parts_equal_one_engine_over_all_events() {
    // The second share's events come after the first's, as the count window's span (first
    // to last event) assumes of events arriving in time order.
    let (a, b) = (events(200, 0), events(150, 1_400));
    let mut whole = Windows::new(10_000);
    let mut left = Windows::new(5_000);
    let mut right = Windows::new(5_000);
    for e in &a {
        whole.observe(e);
        left.observe(e);
    }
    for e in &b {
        whole.observe(e);
        right.observe(e);
    }
    let now = 1_030 * SEC;
    let merged = StatsParts::merge(&[left.parts(now), right.parts(now)]).expect("merge");
    assert_eq!(merged.report(), Ok(whole.stats(now)));
}

#[test]
fn mismatched_parts_are_refused_with_the_reason() {
    let w = Windows::new(10);
    let mut bad = w.parts(0);
    bad.count_window.by_type.pop();
    assert_eq!(
        StatsParts::merge(&[w.parts(0), bad]),
        Err(PartsError::TypeCount {
            got: EventType::COUNT - 1,
            want: EventType::COUNT
        })
    );
    assert_eq!(StatsParts::merge(&[]), Err(PartsError::Empty));
}
