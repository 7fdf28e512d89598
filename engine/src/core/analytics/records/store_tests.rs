use super::*;
use crate::core::analytics::records::query::{Cursor, Sort};

fn finding(detector: Detector, subject: &str, t: i64, p: f64) -> Finding {
    Finding {
        detector,
        subject: subject.into(),
        event_type: None,
        event_id: None,
        event_time_ns: t,
        tail_probability: p,
        score: 1.0,
        threshold: 0.5,
        contributions: Vec::new(),
        explanation: "x".into(),
    }
}

fn store(max_records: usize) -> AnomalyStore {
    AnomalyStore::new(StoreLimits {
        max_records,
        max_age_ns: 100,
    })
}

#[test]
fn ids_increase_duplicates_are_dropped_and_limits_hold() {
    let mut s = store(3);
    for i in 0..5 {
        s.record(finding(Detector::Latency, &i.to_string(), i, 1e-5), 10);
    }
    assert!(
        s.record(finding(Detector::Latency, "4", 4, 1e-5), 10)
            .is_none()
    );
    let ids: Vec<String> = s.records().map(|r| r.id.to_string()).collect();
    assert_eq!(ids, ["a-000000003", "a-000000004", "a-000000005"]);
    assert_eq!(s.take_outbox().len(), 5);
    assert!(s.take_outbox().is_empty());
    // An evicted detection may be recorded again, under a new id.
    let again = s
        .record(finding(Detector::Latency, "0", 0, 1e-5), 50)
        .map(|r| r.id);
    assert_eq!(again, Some(RecordId(6)));
    assert_eq!(
        s.expire(111),
        2,
        "records 4 and 5, made at 10, are older than 100 ns at 111"
    );
    assert_eq!(s.len(), 1);
}

#[test]
fn restore_continues_ids_and_deduplicates_replayed_findings() {
    let mut a = store(10);
    a.record(finding(Detector::Rate, "rate:total", 7, 1e-6), 1);
    a.record(finding(Detector::Sequence, "tx-1", 9, 1e-8), 1);
    let saved: Vec<AnomalyRecord> = a.records().cloned().collect();
    let mut b = store(10);
    b.restore(saved.into_iter().rev().collect());
    assert!(
        b.record(finding(Detector::Rate, "rate:total", 7, 1e-6), 2)
            .is_none()
    );
    let id = b
        .record(finding(Detector::Rate, "rate:total", 8, 1e-6), 2)
        .map(|r| r.id);
    assert_eq!(id, Some(RecordId(3)));
    assert!(
        b.take_outbox().len() == 1,
        "restored records are not re-sent"
    );
}

#[test]
fn queries_filter_sort_and_page_with_totals() {
    let mut s = store(100);
    for i in 0..10 {
        let d = if i % 2 == 0 {
            Detector::Latency
        } else {
            Detector::Forest
        };
        s.record(
            finding(d, &format!("{i}"), i * 10, 10f64.powi(-(i as i32) - 1)),
            0,
        );
    }
    let mut q = AnomalyQuery {
        detector: Some(Detector::Latency),
        sort: Sort::Severity,
        limit: 2,
        ..Default::default()
    };
    let first = s.query(&q);
    assert_eq!(first.total, 5);
    let subjects: Vec<&str> = first.anomalies.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(subjects, ["8", "6"]);
    q.cursor = Some(Cursor::parse(first.next_cursor.as_deref().expect("more")).expect("cursor"));
    let second = s.query(&q);
    let subjects: Vec<&str> = second
        .anomalies
        .iter()
        .map(|r| r.subject.as_str())
        .collect();
    assert_eq!(subjects, ["4", "2"]);
    q.cursor = Some(Cursor::parse(second.next_cursor.as_deref().expect("more")).expect("cursor"));
    let last = s.query(&q);
    assert_eq!(last.anomalies.len(), 1);
    assert_eq!(last.next_cursor, None);
    let by_time = s.query(&AnomalyQuery {
        since_ns: Some(30),
        until_ns: Some(60),
        min_severity: Some(0.5),
        limit: 10,
        ..Default::default()
    });
    let subjects: Vec<&str> = by_time
        .anomalies
        .iter()
        .map(|r| r.subject.as_str())
        .collect();
    assert_eq!(subjects, ["6", "5", "4"]);
    let (kinds, detectors) = s.totals();
    assert_eq!(kinds.get(&RecordKind::Event), Some(&10));
    assert_eq!(detectors.get(&Detector::Forest), Some(&5));
    assert!(Cursor::parse("nonsense").is_err());
}
