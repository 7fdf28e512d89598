//! Round trips of backup archives: written, read back, restored, and refused when tampered with.

use super::*;
use crate::event::EventType;
use crate::store::archive_read::read_archive;
use crate::store::snapshot::{StreamSource, write_archive, write_stream_archive};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use std::io::{Read, Write};

fn events(n: u64) -> Vec<Event> {
    (1..=n)
        .map(|id| {
            let mut e = Event::new(EventType::VectorEmbed, id as i64 * 1000, "n");
            e.id = id + 10;
            e
        })
        .collect()
}

#[test]
fn archive_round_trip_restore_and_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.tar.gz");
    let records = b"{\"id\":\"a-000000001\"}\n{\"id\":\"a-000000002\"}\n";
    let file = std::fs::File::create(&path).unwrap();
    let audit = vec![(
        "audit-2026-11-29.jsonl".to_string(),
        b"{\"seq\":0}\n".to_vec(),
    )];
    let written = write_archive(&events(50), records, &audit, 61, 5, file).unwrap();
    assert_eq!((written.anomaly_count, written.audit_files), (2, 1));
    let (manifest, back) = read_archive(&path).unwrap();
    assert_eq!(manifest, written);
    assert_eq!(back.events, events(50));
    let data = dir.path().join("data");
    restore_archive(&path, &data, false, None).unwrap();
    assert_eq!(std::fs::read(data.join(ANOMALIES)).unwrap(), records);
    assert_eq!(audit_files::read(&data).unwrap(), audit);
    let mut ids = Vec::new();
    let stats = super::super::scan(&data, false, &mut |e| ids.push(e.id)).unwrap();
    assert_eq!(ids, (11..=60).collect::<Vec<_>>());
    assert_eq!(stats.next_id, 61);
    let err = restore_archive(&path, &data, false, None).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    restore_archive(&path, &data, true, None).unwrap();
}

#[test]
fn tampered_archives_fail_verification() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.tar.gz");
    let mut bytes = Vec::new();
    write_archive(&events(5), b"", &[], 16, 5, &mut bytes).unwrap();
    let mut raw = Vec::new();
    GzDecoder::new(&bytes[..]).read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).replace("VectorEmbed", "VectorIndex");
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let err = read_archive(&path).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}

#[test]
fn a_stream_archive_names_its_source_and_its_partition_counts_must_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.tar.gz");
    let source = StreamSource {
        stream: "VEXFS_EVENTS".into(),
        subject_prefix: "vexfs.events".into(),
        cut_sequence: 9,
        partition_counts: vec![3, 0, 4],
    };
    let file = std::fs::File::create(&path).unwrap();
    let written = write_stream_archive(&events(7), source.clone(), 5, file).unwrap();
    assert_eq!((written.next_id, written.anomaly_count), (10, 0));
    let (manifest, back) = read_archive(&path).unwrap();
    assert_eq!(manifest.source.as_ref(), Some(&source));
    assert_eq!(back.events, events(7));
    let short = StreamSource {
        partition_counts: vec![3, 3],
        ..source
    };
    let file = std::fs::File::create(&path).unwrap();
    write_stream_archive(&events(7), short, 5, file).unwrap();
    let err = read_archive(&path).unwrap_err().to_string();
    assert!(
        err.contains("partition counts of stream `VEXFS_EVENTS` add up to 6 events over 2 partitions, but eventCount is 7"),
        "{err}"
    );
}
