//! Converters from public log formats into semantic events on the wire (JSON), for demos and replay.
//!
//! Converters are pure: they read text and produce the engine's wire JSON, which then goes through the
//! engine's own validation on ingest like any client's events.

pub mod hdfs;
pub mod sessions;

#[cfg(test)]
mod tests {
    use crate::event::EventType;

    #[test]
    fn every_type_a_converter_emits_is_a_known_event_type() {
        let hdfs = (1..=14)
            .filter_map(|i| super::hdfs::template_event_type(&format!("E{i}")).map(|(t, _)| t));
        for name in hdfs.chain(super::sessions::KEY_TYPES) {
            assert!(
                EventType::from_name(name).is_some(),
                "{name} is not an event type"
            );
        }
    }

    #[test]
    fn converted_public_data_passes_the_engines_validation() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
        let read = |file: &str| {
            std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| {
                panic!("public data beside the repository (../shared/data/{file}): {e}")
            })
        };
        let timing = super::sessions::Timing {
            start_ns: 0,
            session_gap_ns: 1_000_000_000,
            event_gap_ns: 1_000_000,
        };
        let mut events = super::hdfs::convert_csv(&read("hdfs-sample/HDFS_2k.log_structured.csv"))
            .expect("HDFS CSV converts");
        assert_eq!(events.len(), 2000);
        events.extend(
            super::sessions::convert_sessions(
                &read("hdfs-sessions/normal_sessions.txt"),
                500,
                timing,
            )
            .expect("sessions convert"),
        );
        let ndjson: String = events.iter().map(|e| format!("{e}\n")).collect();
        let decoded = crate::event::decode_batch(ndjson.as_bytes(), 0, usize::MAX)
            .expect("every converted event passes the engine's validation");
        assert_eq!(decoded.len(), events.len());
    }
}
