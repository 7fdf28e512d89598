//! The recovery state this process decided last, per resource.
//!
//! `status.recovery` persists the ladder across restarts, but the cached resource a reconcile
//! reads can lag the operator's own status write by a watch event: a check that starts from it
//! would forget an action it just took (and act again instead of judging it). The state kept here
//! is never older than the last status write, so a reconcile prefers it and falls back to the
//! status only after a restart, for a recreated resource (new UID), or once the entry expired.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::ladder::RecoveryState;

/// Entries untouched this long are dropped (by then the cached status is current again); this
/// also bounds the memory kept for deleted resources.
const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Expired entries are looked for at most this often, not on every check.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Latest recovery state per resource (`namespace/name`).
#[derive(Debug, Default)]
pub struct RecoveryMemory {
    states: Mutex<States>,
}

#[derive(Debug, Default)]
struct States {
    by_key: HashMap<String, Entry>,
    pruned_at: Option<Instant>,
}

#[derive(Debug)]
struct Entry {
    uid: String,
    state: RecoveryState,
    at: Instant,
}

impl RecoveryMemory {
    /// The state last remembered for `key` while it had `uid`, if still fresh.
    pub fn recall(&self, key: &str, uid: &str) -> Option<RecoveryState> {
        self.recall_at(key, uid, Instant::now())
    }

    /// Remembers `state` as the latest of `key` (with `uid`).
    pub fn remember(&self, key: &str, uid: &str, state: RecoveryState) {
        self.remember_at(key, uid, state, Instant::now());
    }

    fn recall_at(&self, key: &str, uid: &str, now: Instant) -> Option<RecoveryState> {
        let states = self.lock();
        let entry = states.by_key.get(key)?;
        (entry.uid == uid && now.duration_since(entry.at) < FORGET_AFTER)
            .then(|| entry.state.clone())
    }

    fn remember_at(&self, key: &str, uid: &str, state: RecoveryState, now: Instant) {
        let mut states = self.lock();
        if states
            .pruned_at
            .is_none_or(|at| now.duration_since(at) >= PRUNE_EVERY)
        {
            states
                .by_key
                .retain(|_, e| now.duration_since(e.at) < FORGET_AFTER);
            states.pruned_at = Some(now);
        }
        states.by_key.insert(
            key.to_owned(),
            Entry {
                uid: uid.to_owned(),
                state,
                at: now,
            },
        );
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, States> {
        // Every write replaces a whole entry: a panic elsewhere cannot leave one half-written.
        self.states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(rung: u32) -> RecoveryState {
        RecoveryState {
            rung,
            ..RecoveryState::default()
        }
    }

    #[test]
    fn the_latest_state_is_recalled_for_the_same_uid_only() {
        let memory = RecoveryMemory::default();
        assert_eq!(memory.recall("ns/a", "u1"), None);
        memory.remember("ns/a", "u1", state(1));
        memory.remember("ns/a", "u1", state(2));
        assert_eq!(memory.recall("ns/a", "u1"), Some(state(2)));
        assert_eq!(
            memory.recall("ns/a", "u2"),
            None,
            "a recreated resource starts from its status"
        );
        assert_eq!(memory.recall("ns/b", "u1"), None);
    }

    #[test]
    fn entries_expire_and_are_pruned() {
        let memory = RecoveryMemory::default();
        let start = Instant::now();
        memory.remember_at("ns/a", "u1", state(1), start);
        let later = start + FORGET_AFTER;
        assert_eq!(memory.recall_at("ns/a", "u1", later), None);
        memory.remember_at("ns/b", "u2", state(1), later);
        assert_eq!(
            memory.lock().by_key.len(),
            1,
            "the expired entry was dropped"
        );
    }
}
