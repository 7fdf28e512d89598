//! The global cap on concurrent recoveries: a resource holds a slot while its action awaits a verdict.

use std::collections::BTreeSet;
use std::sync::Mutex;

/// Slots held by resources (`namespace/name`) with a recovery in progress.
#[derive(Debug, Default)]
pub struct RecoverySlots {
    held: Mutex<BTreeSet<String>>,
}

impl RecoverySlots {
    /// Whether `key` holds a slot or one is free under `cap`.
    pub fn available(&self, key: &str, cap: usize) -> bool {
        let held = self.lock();
        held.contains(key) || held.len() < cap
    }

    /// Takes (or keeps) the slot of `key`.
    pub fn acquire(&self, key: &str) {
        self.lock().insert(key.to_owned());
    }

    /// Frees the slot of `key`, if held.
    pub fn release(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Number of recoveries in progress.
    pub fn in_use(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // A panic while holding the lock cannot leave the set inconsistent; keep using it.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_other_resources_only() {
        let slots = RecoverySlots::default();
        assert!(slots.available("ns/a", 1));
        slots.acquire("ns/a");
        assert!(slots.available("ns/a", 1), "a holder keeps its slot");
        assert!(!slots.available("ns/b", 1));
        assert!(slots.available("ns/b", 2));
        slots.release("ns/a");
        assert!(slots.available("ns/b", 1));
        assert_eq!(slots.in_use(), 0);
    }
}
