//! Tests of the write-ahead log: replay, torn tails, rolling and checkpoints.

use super::*;
use crate::event::EventType;

fn opts(segment_size: u64) -> WalOptions {
    WalOptions {
        fsync: FsyncPolicy::Batch,
        fsync_interval: Duration::from_millis(10),
        segment_size,
    }
}

fn batch(first: u64, n: u64) -> Vec<Event> {
    (first..first + n)
        .map(|id| {
            let mut e = Event::new(EventType::GraphQuery, id as i64, "n");
            e.id = id;
            e
        })
        .collect()
}

fn reopen(dir: &Path, size: u64) -> (Wal, ReplayStats, Vec<u64>) {
    let mut ids = Vec::new();
    let (wal, stats) = Wal::open(dir, opts(size), &mut |e| ids.push(e.id)).unwrap();
    (wal, stats, ids)
}

#[test]
fn committed_batches_replay_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, stats, ids) = reopen(dir.path(), 1 << 20);
    assert_eq!((stats.events, ids.len(), stats.next_id), (0, 0, 1));
    wal.append(&batch(1, 3)).unwrap();
    wal.append(&batch(4, 2)).unwrap();
    assert!(wal.commit().unwrap() > 0);
    drop(wal);
    let (_, stats, ids) = reopen(dir.path(), 1 << 20);
    assert_eq!(ids, vec![1, 2, 3, 4, 5]);
    assert_eq!(stats.next_id, 6);
}

#[test]
fn a_torn_tail_is_truncated_and_the_log_stays_appendable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _, _) = reopen(dir.path(), 1 << 20);
    wal.append(&batch(1, 2)).unwrap();
    wal.commit().unwrap();
    wal.append(&batch(3, 2)).unwrap();
    wal.commit().unwrap();
    drop(wal);
    let seg = segment_path(dir.path(), 1);
    let len = fs::metadata(&seg).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let (mut wal, stats, ids) = reopen(dir.path(), 1 << 20);
    assert_eq!(ids, vec![1, 2], "the torn batch is dropped as a whole");
    assert!(stats.truncated_bytes > 0);
    wal.append(&batch(3, 1)).unwrap();
    wal.commit().unwrap();
    drop(wal);
    let (_, stats, ids) = reopen(dir.path(), 1 << 20);
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(stats.truncated_bytes, 0);
}

#[test]
fn segments_roll_and_checkpoints_bound_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _, _) = reopen(dir.path(), 4096);
    for i in 0..20 {
        wal.append(&batch(1 + i * 10, 10)).unwrap();
        wal.commit().unwrap();
    }
    assert!(wal.segment_count() > 2, "{} segments", wal.segment_count());
    let removed = wal.checkpoint(150).unwrap();
    assert!(removed > 0);
    drop(wal);
    let (_, stats, ids) = reopen(dir.path(), 4096);
    assert_eq!(ids.first(), Some(&150));
    assert_eq!(ids.last(), Some(&200));
    assert_eq!(stats.next_id, 201);
}

#[test]
fn corruption_in_a_sealed_segment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _, _) = reopen(dir.path(), 4096);
    for i in 0..10 {
        wal.append(&batch(1 + i * 10, 10)).unwrap();
        wal.commit().unwrap();
    }
    drop(wal);
    let first = segment_path(dir.path(), 1);
    let mut bytes = fs::read(&first).unwrap();
    bytes[20] ^= 0x55;
    fs::write(&first, bytes).unwrap();
    let err = Wal::open(dir.path(), opts(4096), &mut |_| {})
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
}
