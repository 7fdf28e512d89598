//! The operator's in-process memory: the only mutable state outside the cluster.
//!
//! Everything a reconcile decides from lives in the cluster (spec, status, children); this store
//! holds what must not: per-object retry backoff, owned by the controller's error policy, the
//! recovery slots capping concurrent recoveries, and each ladder's latest state (fresher than a
//! cached status), both owned by the day-2 step, and the routine passes deferred behind other
//! resources' acknowledgements, and the clustered engines' last answers. One `Memory` exists per operator process;
//! `Context` holds a handle to it.

use super::backoff::Backoff;
use super::cluster_probe::ClusterProbes;
use super::priority::Priority;
use crate::recovery::memory::RecoveryMemory;
use crate::recovery::slots::RecoverySlots;

/// In-process state shared by every reconcile.
#[derive(Debug, Default)]
pub struct Memory {
    /// Failure counts per object, for retry delays (written by `reconcile` and `error_policy`).
    pub backoff: Backoff,
    /// Resources holding a recovery slot (written by the day-2 step).
    pub recovery_slots: RecoverySlots,
    /// Latest recovery ladder state per resource (written by the day-2 step).
    pub recovery: RecoveryMemory,
    /// Runs of deferred routine passes (written by `reconcile`).
    pub priority: Priority,
    /// The clustered engines' last answers and CAs (written by `cluster_probe`).
    pub cluster: ClusterProbes,
}
