//! Idempotency keys of recently admitted events: the id each key was stored under, forgotten
//! oldest first once more than a limit are held.
//!
//! Each key is hashed once, when it is offered: the lookup and the insertion share that hash,
//! and the hash is kept with the entry and in the eviction order, so growing the table,
//! evicting and rolling back never hash a key again (they find an entry by hash and id).

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
    /// Hash and id of each remembered key, oldest first.
    order: VecDeque<(u64, u64)>,
    state: RandomState,
    limit: usize,
}

impl Keys {
    /// An empty set that remembers at most `limit` keys.
    pub fn new(limit: usize) -> Self {
        Keys {
            table: HashTable::new(),
            order: VecDeque::new(),
            state: RandomState::new(),
            limit,
        }
    }

    /// The id `key` was stored under, if it is remembered; otherwise remembers it under `id`
    /// and answers `None`.
    pub fn admit(&mut self, key: &Sym, id: u64) -> Option<u64> {
        let hash = self.state.hash_one(&**key);
        if let Some(found) = self.table.find(hash, |e| e.key == *key) {
            return Some(found.id);
        }
        self.insert(hash, key, id);
        self.push_order(hash, id);
        None
    }

    /// Remembers `key` under `id`, replacing the id it had (replay of the log at startup).
    pub fn remember(&mut self, key: &Sym, id: u64) {
        let hash = self.state.hash_one(&**key);
        match self.table.find_mut(hash, |e| e.key == *key) {
            Some(found) => found.id = id,
            None => self.insert(hash, key, id),
        }
        self.push_order(hash, id);
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
        while let Some(&(hash, id)) = self.order.back()
            && id >= next_id
        {
            self.order.pop_back();
            self.forget(hash, id);
        }
    }

    /// Number of keys remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.len()
    }

    fn push_order(&mut self, hash: u64, id: u64) {
        self.order.push_back((hash, id));
        while self.order.len() > self.limit {
            if let Some((hash, id)) = self.order.pop_front() {
                self.forget(hash, id);
            }
        }
    }

    /// Drops the entry with this hash and id; an entry whose key was since remembered under a
    /// newer id stays.
    fn forget(&mut self, hash: u64, id: u64) {
        if let Ok(entry) = self.table.find_entry(hash, |e| e.id == id) {
            entry.remove();
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
