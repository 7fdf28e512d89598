//! Pure partitioning rules of clustered mode: which partition an event goes to, which partitions
//! a replica owns, and the names of subjects and consumers.
//!
//! The partition of an event is FNV-1a (64-bit) of its session key's UTF-8 bytes, modulo the
//! partition count. FNV-1a is fixed by its definition (offset basis `0xcbf29ce484222325`, prime
//! `0x100000001b3`), so every replica, version and platform maps a key to the same partition;
//! std's `DefaultHasher` is not stable across releases and `ahash` is seeded per process. The
//! session key is the analytics' (`[pattern_discovery] session_key`), so all events of a session
//! land in one partition and a replica sees whole sessions. An event without a session key
//! (possible with `session_key = "transaction"`, say) is keyed by its source.

use crate::core::analytics::sessions::SessionKey;
use crate::event::Event;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64-bit, of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(FNV_PRIME)
    })
}

/// The partition (`0..partitions`) of `event` under the session-key policy `key`.
pub fn partition_of(event: &Event, key: &SessionKey, partitions: u32) -> u32 {
    let text = key.of(event).unwrap_or(&event.source);
    (fnv1a64(text.as_bytes()) % u64::from(partitions.max(1))) as u32
}

/// Whether replica `ordinal` of `replicas` owns `partition`: `partition % replicas == ordinal`.
pub fn owns(partition: u32, replicas: u32, ordinal: u32) -> bool {
    partition % replicas.max(1) == ordinal
}

/// The partitions replica `ordinal` of `replicas` owns, ascending.
pub fn owned_partitions(partitions: u32, replicas: u32, ordinal: u32) -> Vec<u32> {
    (0..partitions)
        .filter(|p| owns(*p, replicas, ordinal))
        .collect()
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
    use crate::event::synth::Synthetic;

    #[test]
    fn fnv1a_matches_its_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn ownership_splits_the_partitions_without_overlap() {
        for replicas in 1..=5 {
            let mut all: Vec<u32> = (0..replicas)
                .flat_map(|o| owned_partitions(16, replicas, o))
                .collect();
            all.sort_unstable();
            assert_eq!(all, (0..16).collect::<Vec<_>>(), "replicas {replicas}");
        }
        assert_eq!(owned_partitions(16, 3, 1), vec![1, 4, 7, 10, 13]);
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

    #[test]
    fn names_follow_the_prefix() {
        assert_eq!(subject("vexfs.events", 3), "vexfs.events.3");
        assert_eq!(stream_subjects("vexfs.events"), "vexfs.events.*");
        assert_eq!(consumer_name(2, 11), "vexfs-replica-2-p11");
    }
}
