//! What a replica knows about its share of the stream: the partitions it owns, the last stream
//! sequence applied to each, what JetStream still holds for it, and whether it has caught up.
//! Read by `GET /api/v1/cluster`, `/metrics` and readiness.
//!
//! Readiness rule: at start the replica reads the last sequence of every owned partition's
//! subject and of the whole stream (its targets); it is ready once every owned partition has
//! applied its target and the session feed (every event of the stream, for the session model)
//! has reached the stream's. Later messages do not make it unready again (lag is reported, not
//! gated on).

use crate::store::Positions;
use parking_lot::Mutex;
use prometheus::{IntGauge, IntGaugeVec, Opts, Registry};
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

/// The session feed's progress: every event of the stream, in stream order, for the sessions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionFeedProgress {
    /// Last stream sequence the sessions have seen (0: none).
    pub applied_sequence: u64,
    /// The stream's last sequence when the replica started (`u64::MAX` until read).
    pub start_target: u64,
}

impl SessionFeedProgress {
    /// Not started, target not yet read.
    pub const UNREAD: SessionFeedProgress = SessionFeedProgress {
        applied_sequence: 0,
        start_target: u64::MAX,
    };
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
    /// Whether every owned partition and the session feed reached their start targets.
    pub caught_up: bool,
    /// Progress of each owned partition.
    pub progress: Vec<PartitionProgress>,
    /// Progress of the session feed.
    pub sessions: SessionFeedProgress,
}

/// The live status, shared by the consumers, the monitor and the handlers.
pub struct ClusterStatus {
    report: Mutex<ClusterReport>,
    applied: IntGaugeVec,
    pending: IntGaugeVec,
    sessions: IntGauge,
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
        let sessions = IntGauge::new(
            "vexfs_cluster_session_feed_sequence",
            "Last stream sequence the session feed applied (every partition, for the session model)",
        )?;
        registry.register(Box::new(applied.clone()))?;
        registry.register(Box::new(pending.clone()))?;
        registry.register(Box::new(sessions.clone()))?;
        let status = ClusterStatus {
            report: Mutex::new(report),
            applied,
            pending,
            sessions,
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
        Self::settle(&mut report)
    }

    fn settle(report: &mut ClusterReport) -> bool {
        report.caught_up = report
            .progress
            .iter()
            .all(|r| r.applied_sequence >= r.start_target)
            && report.sessions.applied_sequence >= report.sessions.start_target;
        report.caught_up
    }

    fn update_sessions(&self, change: impl FnOnce(&mut SessionFeedProgress)) -> bool {
        let mut report = self.report.lock();
        change(&mut report.sessions);
        self.sessions
            .set(report.sessions.applied_sequence.min(i64::MAX as u64) as i64);
        Self::settle(&mut report)
    }

    /// Records that the session feed has applied up to `sequence`; returns whether everything
    /// has now caught up.
    pub fn sessions_applied(&self, sequence: u64) -> bool {
        self.update_sessions(|s| s.applied_sequence = s.applied_sequence.max(sequence))
    }

    /// Sets the session feed's start target (the stream's last sequence).
    pub fn sessions_target(&self, sequence: u64) -> bool {
        self.update_sessions(|s| s.start_target = sequence)
    }

    /// The last stream sequence the session feed applied.
    pub fn sessions_applied_sequence(&self) -> u64 {
        self.report.lock().sessions.applied_sequence
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
            sessions: SessionFeedProgress::UNREAD,
        };
        ClusterStatus::new(report, &Registry::new()).unwrap()
    }

    #[test]
    fn caught_up_once_every_owned_partition_and_the_session_feed_applied_their_targets() {
        let positions = Positions::from([(0, 7)]);
        let s = status(&[0, 2], &positions);
        assert_eq!(s.applied_sequence(0), 7);
        assert!(!s.target(0, 7), "partition 2 has no target yet");
        assert!(!s.target(2, 9));
        assert!(!s.applied(2, 8, Some(1)));
        assert!(
            !s.applied(2, 9, Some(0)),
            "the session feed has no target yet"
        );
        assert!(!s.sessions_target(12));
        assert!(!s.sessions_applied(11));
        assert!(s.sessions_applied(12));
        assert!(s.report().caught_up);
        assert_eq!(s.sessions_applied_sequence(), 12);
        assert!(s.applied(2, 3, None), "applied never goes back");
        assert_eq!(s.applied_sequence(2), 9);
        assert_eq!(s.report().progress[1].pending, 0);
    }
}
