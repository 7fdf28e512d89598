//! Names of clustered mode: subjects and consumers. The partitioning rules themselves are pure
//! core logic ([`crate::core::partition`]), shared with the analytics, which need to know which
//! sessions this replica owns.

use crate::core::analytics::sessions::SessionKey;
use crate::core::partition::partition_of_key;
use crate::event::Event;

/// The partition (`0..partitions`) of `event` under the session-key policy `key` (its source
/// when it has no session key).
pub fn partition_of(event: &Event, key: &SessionKey, partitions: u32) -> u32 {
    partition_of_key(key.of(event).unwrap_or(&event.source), partitions)
}

/// The subject of `partition`: `<prefix>.<partition>`.
pub fn subject(prefix: &str, partition: u32) -> String {
    format!("{prefix}.{partition}")
}

/// The subjects filter of the whole stream: `<prefix>.*`.
pub fn stream_subjects(prefix: &str) -> String {
    format!("{prefix}.*")
}

/// The durable consumer of `partition` for replica `ordinal`. Named per replica, so two
/// replicas never share one pull consumer (which would split its messages between them).
pub fn consumer_name(ordinal: u32, partition: u32) -> String {
    format!("vexfs-replica-{ordinal}-p{partition}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::partition::fnv1a64;
    use crate::event::synth::Synthetic;

    #[test]
    fn names_follow_the_prefix() {
        assert_eq!(subject("vexfs.events", 3), "vexfs.events.3");
        assert_eq!(stream_subjects("vexfs.events"), "vexfs.events.*");
        assert_eq!(consumer_name(2, 11), "vexfs-replica-2-p11");
    }

    #[test]
    fn events_of_one_session_share_a_partition() {
        let mut events = Synthetic::new(7, 0, 1_000).take_events(2);
        let mut b = events.pop().unwrap();
        let mut a = events.pop().unwrap();
        a.context.session_id = Some("s-42".into());
        b.context.session_id = Some("s-42".into());
        b.source = "elsewhere".into();
        let key = SessionKey::Session;
        assert_eq!(partition_of(&a, &key, 16), partition_of(&b, &key, 16));
        assert_eq!(u64::from(partition_of(&a, &key, 16)), fnv1a64(b"s-42") % 16);
        b.context.session_id = None;
        assert_eq!(
            u64::from(partition_of(&b, &key, 7)),
            fnv1a64(b"elsewhere") % 7
        );
    }
}
