//! Acknowledgements first: while other resources wait for their first status write (a new
//! resource, or a new generation), routine passes step aside.
//!
//! kube-runtime's controller has one queue. A thousand resources created at once put a thousand
//! acknowledgements (one status write each, see [`super::status::acknowledge_first`]) in that queue,
//! and the children passes of the resources acknowledged first (eight writes each) land between
//! them, so the last resource would wait behind thousands of child writes at the API client's rate.
//! A pass that would change children therefore defers, [`DEFER`] at a time, while another
//! resource in the cache still waits for its acknowledgement — but never for longer than
//! [`MAX_DEFERRAL`] in a row, so one resource whose status cannot be written delays the others'
//! children by seconds, not forever.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use kube::ResourceExt;
use kube::runtime::reflector::Store;
use tokio::time::Instant;

use super::status::acknowledge_first;
use crate::crd::VexfsSemantic;

/// How long a deferred pass waits before it looks again.
pub const DEFER: Duration = Duration::from_millis(500);
/// Longest a pass defers in a row before it runs anyway.
pub const MAX_DEFERRAL: Duration = Duration::from_secs(20);

/// Whether `cr` waits for the status write that acknowledges its current generation.
pub fn waits_for_acknowledgement(cr: &VexfsSemantic) -> bool {
    acknowledge_first(cr.metadata.generation, cr.status.as_ref(), cr.spec.suspend)
}

/// When each resource's current run of deferrals began.
#[derive(Debug, Default)]
pub struct Priority {
    deferred_since: Mutex<HashMap<String, Instant>>,
}

impl Priority {
    /// How long the routine pass of `key` should wait when `others_waiting` other resources wait
    /// for their acknowledgement at `now`; `None` runs it now (nobody waits, or it has deferred
    /// for [`MAX_DEFERRAL`] already) and ends its run of deferrals.
    pub fn defer(&self, key: &str, others_waiting: bool, now: Instant) -> Option<Duration> {
        let mut since = self
            .deferred_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if others_waiting {
            let first = *since.entry(key.to_owned()).or_insert(now);
            if now.duration_since(first) < MAX_DEFERRAL {
                return Some(DEFER);
            }
        }
        since.remove(key);
        None
    }

    /// How long the pass of `cr` waits because other resources in `semantics` still wait for
    /// their acknowledgement; `None` when it runs now (it is an acknowledgement itself, nobody
    /// else waits, or it has deferred long enough).
    pub fn behind_acknowledgements(
        &self,
        cr: &VexfsSemantic,
        semantics: &Store<VexfsSemantic>,
        now: Instant,
    ) -> Option<Duration> {
        if waits_for_acknowledgement(cr) {
            return None;
        }
        let uid = cr.metadata.uid.as_deref();
        let others_waiting = semantics
            .find(|other| other.metadata.uid.as_deref() != uid && waits_for_acknowledgement(other))
            .is_some();
        let key = format!("{}/{}", cr.namespace().unwrap_or_default(), cr.name_any());
        self.defer(&key, others_waiting, now)
    }

    /// Resources in a run of deferrals (for tests and metrics).
    pub fn deferred(&self) -> usize {
        self.deferred_since
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routine_pass_defers_while_others_wait_but_not_forever() {
        let priority = Priority::default();
        let start = Instant::now();
        assert_eq!(priority.defer("ns/a", false, start), None);
        assert_eq!(priority.defer("ns/a", true, start), Some(DEFER));
        assert_eq!(priority.deferred(), 1);
        let later = start + MAX_DEFERRAL - Duration::from_millis(1);
        assert_eq!(priority.defer("ns/a", true, later), Some(DEFER));
        assert_eq!(
            priority.defer("ns/a", true, start + MAX_DEFERRAL),
            None,
            "runs after the longest deferral"
        );
        assert_eq!(priority.deferred(), 0, "and starts a new run next time");
        assert_eq!(
            priority.defer("ns/a", true, start + MAX_DEFERRAL),
            Some(DEFER)
        );
        assert_eq!(priority.defer("ns/a", false, start + MAX_DEFERRAL), None);
        assert_eq!(priority.deferred(), 0);
    }
}
