//! Clustered mode as the engine replicas report it (pure): what one replica's `/metrics` says
//! about its partitions, and the `status.cluster` and rebalancing verdict built from every
//! replica's answer and its pod's readiness.
//!
//! The operator reads the open `/metrics` endpoint rather than `GET /api/v1/cluster`: the only
//! engine credential it holds is the backup token, good for backups only, and `/metrics` carries
//! the same figures (`vexfs_cluster_consumer_pending{partition}` for every owned partition). The
//! engine's `caughtUp` is its readiness rule, so a ready pod whose owned partitions match the
//! configured replica count has caught up for it.

use crate::crd::{ClusterReplicaStatus, ClusterStatus};
use crate::spec::cluster::owned_partitions;

/// The metric naming each owned partition with its consumer lag.
pub const PENDING_METRIC: &str = "vexfs_cluster_consumer_pending";

/// What one replica's `/metrics` says: its partitions and their summed lag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Share {
    /// Owned partitions, ascending.
    pub owned: Vec<i32>,
    /// Consumer lag summed over them.
    pub pending: i64,
}

/// One replica as observed: its ordinal, its pod's readiness, and its `/metrics` answer (or why
/// there is none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaObservation {
    /// The replica's ordinal.
    pub ordinal: i32,
    /// The pod exists and passes its readiness probe.
    pub ready: bool,
    /// The share it reports, or the error reading it.
    pub share: Result<Share, String>,
}

/// Reads [`PENDING_METRIC`] samples out of a Prometheus text exposition.
pub fn parse_share(text: &str) -> Result<Share, String> {
    let mut share = Share::default();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(PENDING_METRIC) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('{') else {
            continue;
        };
        let (labels, value) = rest
            .split_once('}')
            .ok_or_else(|| format!("malformed sample {line:?}"))?;
        let partition = labels
            .split(',')
            .find_map(|l| l.trim().strip_prefix("partition="))
            .map(|v| v.trim_matches('"'))
            .and_then(|v| v.parse::<i32>().ok())
            .ok_or_else(|| format!("sample without a numeric partition label: {line:?}"))?;
        let value: f64 = value
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("sample without a numeric value: {line:?}"))?;
        share.owned.push(partition);
        share.pending += value.max(0.0) as i64;
    }
    if share.owned.is_empty() {
        return Err(format!(
            "no {PENDING_METRIC} samples: the engine is not in clustered mode"
        ));
    }
    share.owned.sort_unstable();
    share.owned.dedup();
    Ok(share)
}

/// `status.cluster` for `replicas` configured replicas of a stream with `partitions`, from the
/// observations (one per ordinal; a missing ordinal counts as not caught up).
pub fn cluster_status(
    partitions: i32,
    replicas: i32,
    observations: &[ReplicaObservation],
) -> ClusterStatus {
    let members = (0..replicas)
        .map(|ordinal| {
            let expected = owned_partitions(partitions, replicas, ordinal);
            let observed = observations.iter().find(|o| o.ordinal == ordinal);
            match observed.map(|o| (o.ready, &o.share)) {
                Some((ready, Ok(share))) => ClusterReplicaStatus {
                    ordinal,
                    owned: share.owned.clone(),
                    pending: share.pending,
                    caught_up: ready && share.owned == expected,
                    message: (share.owned != expected).then(|| {
                        format!(
                            "owns {:?}, the configured share is {expected:?}",
                            share.owned
                        )
                    }),
                },
                Some((_, Err(error))) => unread(ordinal, error.clone()),
                None => unread(ordinal, "the pod does not exist".to_owned()),
            }
        })
        .collect();
    ClusterStatus {
        configured_replicas: replicas,
        partitions,
        replicas: members,
    }
}

fn unread(ordinal: i32, message: String) -> ClusterReplicaStatus {
    ClusterReplicaStatus {
        ordinal,
        message: Some(message),
        ..ClusterReplicaStatus::default()
    }
}

/// Why the cluster is still rebalancing, or `None` once every configured replica has caught up
/// with its share.
pub fn rebalancing(status: &ClusterStatus) -> Option<String> {
    let waiting: Vec<String> = status
        .replicas
        .iter()
        .filter(|r| !r.caught_up)
        .map(|r| r.ordinal.to_string())
        .collect();
    (!waiting.is_empty()).then(|| {
        format!(
            "rebalancing {} partitions over {} replicas: replica {} has not caught up with its share",
            status.partitions,
            status.configured_replicas,
            waiting.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &str = "# HELP vexfs_cluster_consumer_pending Messages ...\n\
        # TYPE vexfs_cluster_consumer_pending gauge\n\
        vexfs_cluster_consumer_pending{partition=\"4\"} 7\n\
        vexfs_cluster_consumer_pending{partition=\"1\"} 3\n\
        vexfs_cluster_applied_sequence{partition=\"1\"} 2210\n\
        vexfs_events_total 9\n";

    fn seen(ordinal: i32, ready: bool, owned: &[i32]) -> ReplicaObservation {
        ReplicaObservation {
            ordinal,
            ready,
            share: Ok(Share {
                owned: owned.to_vec(),
                pending: 1,
            }),
        }
    }

    #[test]
    fn the_share_is_read_from_the_pending_gauges() {
        assert_eq!(
            parse_share(METRICS),
            Ok(Share {
                owned: vec![1, 4],
                pending: 10
            })
        );
        assert!(parse_share("vexfs_events_total 9\n").is_err());
        assert!(parse_share("vexfs_cluster_consumer_pending{partition=\"x\"} 1\n").is_err());
    }

    #[test]
    fn a_replica_has_caught_up_when_ready_with_the_configured_share() {
        let observations = [seen(0, true, &[0, 2]), seen(1, true, &[1, 3])];
        let status = cluster_status(4, 2, &observations);
        assert!(status.replicas.iter().all(|r| r.caught_up));
        assert_eq!(rebalancing(&status), None);
    }

    #[test]
    fn the_old_share_an_unready_pod_or_a_missing_one_is_rebalancing() {
        // Scaled from 2 to 3: replica 0 still runs with the old count, 1 rebuilds, 2 is missing.
        let observations = [seen(0, true, &[0, 2]), seen(1, false, &[1])];
        let status = cluster_status(4, 3, &observations);
        let caught_up: Vec<bool> = status.replicas.iter().map(|r| r.caught_up).collect();
        assert_eq!(caught_up, [false, false, false]);
        assert!(
            status.replicas[0]
                .message
                .as_deref()
                .unwrap()
                .contains("[0, 3]")
        );
        assert_eq!(
            status.replicas[2].message.as_deref(),
            Some("the pod does not exist")
        );
        let message = rebalancing(&status).expect("rebalancing");
        assert!(message.contains("replica 0, 1, 2"), "{message}");
    }
}
