//! What a replica knows about its share of the stream: the partitions it owns, the last stream
//! sequence applied to each, what JetStream still holds for it, and whether it has caught up.
//! Read by `GET /api/v1/cluster`, `/metrics` and readiness.
//!
//! Readiness rule: at start the replica reads the last sequence of every owned partition's
//! subject (its target); it is ready once every owned partition has applied its target. Later
//! messages do not make it unready again (lag is reported, not gated on).

use crate::store::Positions;
use parking_lot::Mutex;
use prometheus::{IntGaugeVec, Opts, Registry};
use serde::Serialize;
use std::collections::BTreeMap;

/// One owned partition's progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartitionProgress {
    /// The partition.
    pub partition: u32,
    /// Last stream sequence applied to the local state (0: none).
    pub applied_sequence: u64,
    /// Messages JetStream holds for this partition beyond what was delivered (consumer
    /// `num_pending`), as last seen.
    pub pending: u64,
    /// The partition's last stream sequence when the replica started; applying it is the
    /// readiness rule.
    pub start_target: u64,
}

/// `GET /api/v1/cluster` body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReport {
    /// `standalone` or `nats`.
    pub mode: &'static str,
    /// The stream.
    pub stream: String,
    /// Partitions of the stream.
    pub partitions: u32,
    /// Engine replicas.
    pub replicas: u32,
    /// This replica's ordinal.
    pub ordinal: u32,
    /// Peers' base URLs by ordinal.
    pub peers: Vec<String>,
    /// Partitions this replica owns (`p % replicas == ordinal`).
    pub owned: Vec<u32>,
    /// Whether the local state was rebuilt from the stream at start (the owned set changed).
    pub rebuilt: bool,
    /// The applied sequence per owned partition recovered from the local log at start.
    pub resumed_from: BTreeMap<u32, u64>,
    /// Whether every owned partition reached its start target.
    pub caught_up: bool,
    /// Progress of each owned partition.
    pub progress: Vec<PartitionProgress>,
}

/// The live status, shared by the consumers, the monitor and the handlers.
pub struct ClusterStatus {
    report: Mutex<ClusterReport>,
    applied: IntGaugeVec,
    pending: IntGaugeVec,
}

impl ClusterStatus {
    /// A status for `report` (its progress rows already listing the owned partitions), with
    /// its gauges registered in `registry`.
    pub fn new(report: ClusterReport, registry: &Registry) -> Result<Self, prometheus::Error> {
        let applied = IntGaugeVec::new(
            Opts::new(
                "vexfs_cluster_applied_sequence",
                "Last stream sequence applied to the local state, per owned partition",
            ),
            &["partition"],
        )?;
        let pending = IntGaugeVec::new(
            Opts::new(
                "vexfs_cluster_consumer_pending",
                "Messages of an owned partition not yet delivered to this replica (consumer lag)",
            ),
            &["partition"],
        )?;
        registry.register(Box::new(applied.clone()))?;
        registry.register(Box::new(pending.clone()))?;
        let status = ClusterStatus {
            report: Mutex::new(report),
            applied,
            pending,
        };
        for row in status.report.lock().progress.clone() {
            status.publish(&row);
        }
        Ok(status)
    }

    fn publish(&self, row: &PartitionProgress) {
        let label = row.partition.to_string();
        self.applied
            .with_label_values(&[&label])
            .set(row.applied_sequence as i64);
        self.pending
            .with_label_values(&[&label])
            .set(row.pending as i64);
    }

    fn update(&self, partition: u32, change: impl FnOnce(&mut PartitionProgress)) -> bool {
        let mut report = self.report.lock();
        if let Some(row) = report
            .progress
            .iter_mut()
            .find(|r| r.partition == partition)
        {
            change(row);
            self.publish(row);
        }
        report.caught_up = report
            .progress
            .iter()
            .all(|r| r.applied_sequence >= r.start_target);
        report.caught_up
    }

    /// Records that `partition` has applied up to `sequence`; returns whether every owned
    /// partition has now caught up.
    pub fn applied(&self, partition: u32, sequence: u64, pending: Option<u64>) -> bool {
        self.update(partition, |row| {
            row.applied_sequence = row.applied_sequence.max(sequence);
            if let Some(p) = pending {
                row.pending = p;
            }
        })
    }

    /// Records the consumer's pending count for `partition`.
    pub fn pending(&self, partition: u32, pending: u64) -> bool {
        self.update(partition, |row| row.pending = pending)
    }

    /// Sets the start target of `partition`.
    pub fn target(&self, partition: u32, sequence: u64) -> bool {
        self.update(partition, |row| row.start_target = sequence)
    }

    /// The last applied sequence of `partition`.
    pub fn applied_sequence(&self, partition: u32) -> u64 {
        self.report
            .lock()
            .progress
            .iter()
            .find(|r| r.partition == partition)
            .map_or(0, |r| r.applied_sequence)
    }

    /// A copy of the report.
    pub fn report(&self) -> ClusterReport {
        self.report.lock().clone()
    }
}

/// Progress rows for `owned`, starting at the recovered `positions`, with targets not yet read
/// (`u64::MAX`, so nothing counts as caught up before the targets are known).
pub fn initial_progress(owned: &[u32], positions: &Positions) -> Vec<PartitionProgress> {
    owned
        .iter()
        .map(|p| PartitionProgress {
            partition: *p,
            applied_sequence: positions.get(p).copied().unwrap_or(0),
            pending: 0,
            start_target: u64::MAX,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(owned: &[u32], positions: &Positions) -> ClusterStatus {
        let report = ClusterReport {
            mode: "nats",
            stream: "S".into(),
            partitions: 4,
            replicas: 2,
            ordinal: 0,
            peers: Vec::new(),
            owned: owned.to_vec(),
            rebuilt: false,
            resumed_from: positions.clone(),
            caught_up: false,
            progress: initial_progress(owned, positions),
        };
        ClusterStatus::new(report, &Registry::new()).unwrap()
    }

    #[test]
    fn caught_up_once_every_owned_partition_applied_its_start_target() {
        let positions = Positions::from([(0, 7)]);
        let s = status(&[0, 2], &positions);
        assert_eq!(s.applied_sequence(0), 7);
        assert!(!s.target(0, 7), "partition 2 has no target yet");
        assert!(!s.target(2, 9));
        assert!(!s.applied(2, 8, Some(1)));
        assert!(s.applied(2, 9, Some(0)));
        assert!(s.report().caught_up);
        assert!(s.applied(2, 3, None), "applied never goes back");
        assert_eq!(s.applied_sequence(2), 9);
        assert_eq!(s.report().progress[1].pending, 0);
    }
}
