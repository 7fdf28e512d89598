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
}
