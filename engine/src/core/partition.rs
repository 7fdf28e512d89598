//! Pure partitioning rules of clustered mode: which partition a session key belongs to, and
//! which partitions (so which sessions) a replica owns.
//!
//! The partition of an event is FNV-1a (64-bit) of its session key's UTF-8 bytes, modulo the
//! partition count. FNV-1a is fixed by its definition (offset basis `0xcbf29ce484222325`, prime
//! `0x100000001b3`), so every replica, version and platform maps a key to the same partition;
//! std's `DefaultHasher` is not stable across releases and `ahash` is seeded per process. The
//! session key is the analytics' (`[pattern_discovery] session_key`), so all events of a session
//! land in one partition and a replica sees whole sessions. An event without a session key
//! (possible with `session_key = "transaction"`, say) is keyed by its source.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a, 64-bit, of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(FNV_PRIME)
    })
}

/// The partition (`0..partitions`) of the session key (or source) `text`.
pub fn partition_of_key(text: &str, partitions: u32) -> u32 {
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

/// One replica's share of the stream: the sessions whose partition it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// Partitions of the stream.
    pub partitions: u32,
    /// Engine replicas.
    pub replicas: u32,
    /// This replica's ordinal.
    pub ordinal: u32,
}

impl Share {
    /// Whether this replica owns the session keyed `key`.
    pub fn owns_key(&self, key: &str) -> bool {
        owns(
            partition_of_key(key, self.partitions),
            self.replicas,
            self.ordinal,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn exactly_one_replica_owns_each_session() {
        for key in ["s-1", "s-2", "tx-42", ""] {
            let owners: Vec<u32> = (0..3)
                .filter(|o| {
                    Share {
                        partitions: 16,
                        replicas: 3,
                        ordinal: *o,
                    }
                    .owns_key(key)
                })
                .collect();
            let partition = partition_of_key(key, 16);
            assert_eq!(owners, vec![partition % 3], "{key}");
        }
    }
}
