//! Leader election through a `coordination.k8s.io/v1` Lease, so two operator replicas can run.
//!
//! [`decide`] is the pure core (who may hold the lease at `now`); [`LeaderElector`] does the I/O
//! with optimistic concurrency: every write carries the `resourceVersion` it read, and a conflict
//! simply means another replica won this round.

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::{Api, PostParams};
use tokio_util::sync::CancellationToken;

use crate::spec::kube_time::{from_micro_time, to_micro_time};

/// Failure to talk to the API server about the Lease.
#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    /// Reading or writing the Lease failed.
    #[error("lease {name}: {source}")]
    Api {
        /// Lease name.
        name: String,
        /// Underlying error.
        source: kube::Error,
    },
    /// Renewal failed for longer than the lease duration: another replica may lead now.
    #[error("lost leadership of lease {0}")]
    Lost(String),
}

/// What this replica should do with the Lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// No Lease exists: create it holding it.
    Create,
    /// We hold it: renew.
    Renew,
    /// It is free or expired: take it over.
    TakeOver,
    /// Someone else holds a live lease.
    Follow {
        /// Current holder.
        holder: String,
    },
}

/// Decides what `me` may do with `lease` at `now`.
pub fn decide(
    lease: Option<&LeaseSpec>,
    me: &str,
    now: DateTime<Utc>,
    default_duration: Duration,
) -> Decision {
    let Some(spec) = lease else {
        return Decision::Create;
    };
    let holder = spec.holder_identity.clone().unwrap_or_default();
    if holder == me {
        return Decision::Renew;
    }
    let seconds = spec
        .lease_duration_seconds
        .map_or(default_duration.as_secs() as i64, i64::from);
    let expires = spec
        .renew_time
        .as_ref()
        .map(|t| from_micro_time(t) + chrono::Duration::seconds(seconds));
    match expires {
        Some(expires) if !holder.is_empty() && expires > now => Decision::Follow { holder },
        _ => Decision::TakeOver,
    }
}

/// The Lease spec `me` writes for `decision` (`None` when following).
pub fn next_spec(
    current: Option<&LeaseSpec>,
    decision: &Decision,
    me: &str,
    now: DateTime<Utc>,
    duration: Duration,
) -> Option<LeaseSpec> {
    let mut spec = current.cloned().unwrap_or_default();
    match decision {
        Decision::Follow { .. } => return None,
        Decision::Create | Decision::TakeOver => {
            spec.acquire_time = Some(to_micro_time(now));
            spec.lease_transitions = Some(spec.lease_transitions.map_or(0, |t| t + 1));
        }
        Decision::Renew => {}
    }
    spec.holder_identity = Some(me.to_owned());
    spec.lease_duration_seconds = Some(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX));
    spec.renew_time = Some(to_micro_time(now));
    Some(spec)
}

/// Acquires and keeps one Lease for this replica.
#[derive(Clone)]
pub struct LeaderElector {
    api: Api<Lease>,
    name: String,
    identity: String,
    /// How long a lease is valid without renewal.
    pub lease_duration: Duration,
    /// How often the holder renews and followers retry.
    pub retry_period: Duration,
}

impl LeaderElector {
    /// An elector for Lease `name` in `namespace`, identifying as `identity` (the pod name).
    pub fn new(client: Client, namespace: &str, name: &str, identity: &str) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            identity: identity.to_owned(),
            lease_duration: Duration::from_secs(15),
            retry_period: Duration::from_secs(5),
        }
    }

    fn api_error(&self, source: kube::Error) -> LeaderError {
        LeaderError::Api {
            name: self.name.clone(),
            source,
        }
    }

    /// One election round; `true` when this replica holds the lease afterwards.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, LeaderError> {
        let current = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| self.api_error(e))?;
        let now = Utc::now();
        let spec = current.as_ref().and_then(|l| l.spec.as_ref());
        let decision = decide(spec, &self.identity, now, self.lease_duration);
        let Some(next) = next_spec(spec, &decision, &self.identity, now, self.lease_duration)
        else {
            return Ok(false);
        };
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                resource_version: current
                    .as_ref()
                    .and_then(|l| l.metadata.resource_version.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(next),
        };
        let result = match current {
            None => self.api.create(&PostParams::default(), &lease).await,
            Some(_) => {
                self.api
                    .replace(&self.name, &PostParams::default(), &lease)
                    .await
            }
        };
        match result {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(self.api_error(error)),
        }
    }

    /// Waits until this replica leads (or `shutdown` is cancelled; then `false`).
    pub async fn acquire(&self, shutdown: &CancellationToken) -> bool {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    tracing::info!(lease = %self.name, identity = %self.identity, "became leader");
                    return true;
                }
                Ok(false) => tracing::debug!(lease = %self.name, "another replica leads; waiting"),
                Err(error) => tracing::warn!(%error, "leader election round failed"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return false,
                () = tokio::time::sleep(self.retry_period) => {}
            }
        }
    }

    /// Renews until `shutdown` is cancelled (then releases the lease) or renewal fails for a whole lease duration.
    pub async fn keep_renewing(&self, shutdown: &CancellationToken) -> Result<(), LeaderError> {
        let mut last_renewal = tokio::time::Instant::now();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return self.release().await,
                () = tokio::time::sleep(self.retry_period) => {}
            }
            match self.try_acquire_or_renew().await {
                Ok(true) => last_renewal = tokio::time::Instant::now(),
                Ok(false) => return Err(LeaderError::Lost(self.name.clone())),
                Err(error) => tracing::warn!(%error, "lease renewal failed"),
            }
            if last_renewal.elapsed() >= self.lease_duration {
                return Err(LeaderError::Lost(self.name.clone()));
            }
        }
    }

    /// Gives the lease up so another replica can take over at once.
    pub async fn release(&self) -> Result<(), LeaderError> {
        let Some(mut lease) = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| self.api_error(e))?
        else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_mut() else {
            return Ok(());
        };
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.renew_time = None;
        self.api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
            .map_err(|e| self.api_error(e))?;
        tracing::info!(lease = %self.name, "released leadership");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_secs(15);

    fn held_by(holder: &str, renewed: i64) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(holder.to_owned()),
            renew_time: Some(to_micro_time(at(renewed))),
            lease_duration_seconds: Some(15),
            lease_transitions: Some(2),
            ..LeaseSpec::default()
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).expect("ts")
    }

    #[test]
    fn decision_table() {
        assert_eq!(decide(None, "a", at(100), D), Decision::Create);
        assert_eq!(
            decide(Some(&held_by("a", 10)), "a", at(100), D),
            Decision::Renew
        );
        assert_eq!(
            decide(Some(&held_by("b", 90)), "a", at(100), D),
            Decision::Follow {
                holder: "b".to_owned()
            }
        );
        assert_eq!(
            decide(Some(&held_by("b", 85)), "a", at(100), D),
            Decision::TakeOver,
            "expired exactly now"
        );
        assert_eq!(
            decide(Some(&held_by("", 99)), "a", at(100), D),
            Decision::TakeOver,
            "released lease"
        );
        assert_eq!(
            decide(Some(&LeaseSpec::default()), "a", at(100), D),
            Decision::TakeOver
        );
    }

    #[test]
    fn take_over_counts_a_transition_and_renew_does_not() {
        let taken = next_spec(
            Some(&held_by("b", 10)),
            &Decision::TakeOver,
            "a",
            at(100),
            D,
        )
        .expect("spec");
        assert_eq!(taken.holder_identity.as_deref(), Some("a"));
        assert_eq!(taken.lease_transitions, Some(3));
        assert_eq!(taken.acquire_time, Some(to_micro_time(at(100))));
        let renewed =
            next_spec(Some(&held_by("a", 10)), &Decision::Renew, "a", at(100), D).expect("spec");
        assert_eq!(renewed.lease_transitions, Some(2));
        assert_eq!(renewed.renew_time, Some(to_micro_time(at(100))));
        assert!(
            next_spec(
                None,
                &Decision::Follow {
                    holder: "b".to_owned()
                },
                "a",
                at(1),
                D
            )
            .is_none()
        );
    }
}
