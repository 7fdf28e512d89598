//! Idempotency keys of recently admitted events: the id each key was stored under, forgotten
//! oldest first once more than a limit are held.
//!
//! Each key is hashed once, when it is offered: the lookup and the insertion share that hash,
//! and the hash is kept with the entry, so growing the table and sweeping it never hash a key
//! again. Forgetting is lazy: the oldest key leaving the window only raises the lowest id still
//! remembered, and an entry below it counts as absent (a later admission of its key reuses it).
//! Forgotten entries are swept out in one pass once they are as many as the limit, so the table
//! holds at most twice the limit, and no eviction probes the table at a random place.

use crate::event::Sym;
use ahash::RandomState;
use hashbrown::HashTable;
use std::collections::VecDeque;

/// One remembered key.
struct Entry {
    key: Sym,
    id: u64,
    hash: u64,
}

/// Remembered idempotency keys, at most `limit` of them (the oldest are forgotten first).
pub struct Keys {
    table: HashTable<Entry>,
    /// Id of each remembered key, oldest first.
    order: VecDeque<u64>,
    /// Entries with an id below this are forgotten (swept out later).
    floor: u64,
    state: RandomState,
    limit: usize,
}

impl Keys {
    /// An empty set that remembers at most `limit` keys.
    pub fn new(limit: usize) -> Self {
        Keys {
            table: HashTable::new(),
            order: VecDeque::new(),
            floor: 0,
            state: RandomState::new(),
            limit,
        }
    }

    /// The id `key` was stored under, if it is remembered; otherwise remembers it under `id`
    /// and answers `None`.
    pub fn admit(&mut self, key: &Sym, id: u64) -> Option<u64> {
        let hash = self.state.hash_one(&**key);
        match self.table.find_mut(hash, |e| e.key == *key) {
            Some(found) if found.id >= self.floor => return Some(found.id),
            Some(forgotten) => forgotten.id = id,
            None => self.insert(hash, key, id),
        }
        self.push_order(id);
        None
    }

    /// Remembers `key` under `id`, replacing the id it had (replay of the log at startup).
    pub fn remember(&mut self, key: &Sym, id: u64) {
        let hash = self.state.hash_one(&**key);
        match self.table.find_mut(hash, |e| e.key == *key) {
            Some(found) => found.id = id,
            None => self.insert(hash, key, id),
        }
        self.push_order(id);
    }

    /// Adds `key` (not in the table) under `id` with its precomputed `hash`.
    fn insert(&mut self, hash: u64, key: &Sym, id: u64) {
        let entry = Entry {
            key: key.clone(),
            id,
            hash,
        };
        self.table.insert_unique(hash, entry, |e| e.hash);
    }

    /// Forgets every key remembered under an id at or above `next_id` (newest first).
    pub fn rollback(&mut self, next_id: u64) {
        while let Some(&id) = self.order.back()
            && id >= next_id
        {
            self.order.pop_back();
        }
        self.table.retain(|e| e.id < next_id);
        // Ids from `next_id` on are assigned again; any below it that were forgotten stay so.
        self.floor = self.floor.min(next_id);
    }

    /// Number of keys remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.iter().filter(|e| e.id >= self.floor).count()
    }

    /// Appends `id` to the eviction order; past the limit the oldest is forgotten by raising the
    /// floor, and once the forgotten entries are as many as the limit they are swept out.
    fn push_order(&mut self, id: u64) {
        self.order.push_back(id);
        while self.order.len() > self.limit {
            if let Some(oldest) = self.order.pop_front() {
                self.floor = self.floor.max(oldest + 1);
            }
        }
        if self.table.len() >= 2 * self.limit.max(1) {
            let floor = self.floor;
            self.table.retain(|e| e.id >= floor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Sym {
        Sym::from(s)
    }

    #[test]
    fn a_key_is_admitted_once_and_then_names_its_id() {
        let mut keys = Keys::new(10);
        assert_eq!(keys.admit(&key("a"), 1), None);
        assert_eq!(keys.admit(&key("b"), 2), None);
        assert_eq!(keys.admit(&key("a"), 3), Some(1));
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn the_oldest_keys_are_forgotten_beyond_the_limit() {
        let mut keys = Keys::new(2);
        for (i, k) in ["a", "b", "c"].into_iter().enumerate() {
            assert_eq!(keys.admit(&key(k), i as u64 + 1), None);
        }
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.admit(&key("b"), 9), Some(2));
        assert_eq!(keys.admit(&key("c"), 9), Some(3));
        assert_eq!(keys.admit(&key("a"), 4), None, "a was forgotten");
    }

    #[test]
    fn rollback_forgets_only_the_newer_ids() {
        let mut keys = Keys::new(10);
        keys.admit(&key("a"), 1);
        keys.admit(&key("b"), 2);
        keys.admit(&key("c"), 3);
        keys.rollback(2);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys.admit(&key("a"), 2), Some(1));
        assert_eq!(keys.admit(&key("b"), 2), None);
    }

    #[test]
    fn a_key_remembered_again_keeps_its_newer_id_when_the_older_is_evicted() {
        let mut keys = Keys::new(2);
        keys.remember(&key("a"), 1);
        keys.remember(&key("a"), 2);
        keys.remember(&key("b"), 3);
        assert_eq!(keys.admit(&key("a"), 9), Some(2));
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn a_forgotten_key_is_admitted_again_and_the_table_stays_bounded() {
        let mut keys = Keys::new(100);
        for i in 0..10_000u64 {
            assert_eq!(
                keys.admit(&key(&format!("k{}", i % 150)), i),
                None,
                "at {i}"
            );
            assert!(keys.table.len() <= 200, "{} entries", keys.table.len());
        }
        assert_eq!(keys.len(), 100);
        // The window holds the ids 9,900-9,999.
        assert_eq!(keys.admit(&key("k99"), 10_000), Some(9_999));
        assert_eq!(keys.admit(&key("k49"), 10_000), Some(9_949));
        assert_eq!(
            keys.admit(&key("k149"), 10_000),
            None,
            "last stored at 9,899"
        );
        assert_eq!(keys.admit(&key("k149"), 10_001), Some(10_000));
    }

    #[test]
    fn rollback_past_the_window_forgets_the_batch_and_admits_it_again() {
        let mut keys = Keys::new(2);
        keys.admit(&key("a"), 1);
        for (i, k) in ["b", "c", "d", "e"].into_iter().enumerate() {
            keys.admit(&key(k), i as u64 + 2);
        }
        keys.rollback(2);
        assert_eq!(keys.len(), 0);
        assert_eq!(keys.admit(&key("b"), 2), None);
        assert_eq!(keys.admit(&key("b"), 3), Some(2), "b is remembered again");
    }

    #[test]
    fn many_keys_survive_the_table_growing() {
        let mut keys = Keys::new(10_000);
        for i in 0..5_000u64 {
            assert_eq!(keys.admit(&key(&format!("k{i}")), i), None);
        }
        for i in 0..5_000u64 {
            assert_eq!(keys.admit(&key(&format!("k{i}")), 0), Some(i));
        }
    }
}
