//! What the day-2 step hands to the status step: `status.backup`, `status.recovery`,
//! `status.restore`, their conditions, and a day-2 reason to stall.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::backup::restore::phases;
use crate::crd::{BackupStatus, RecoveryStatus, RestoreStatus, VexfsSemanticStatus};
use crate::recovery::status::{stall, state_from_status};
use crate::spec::conditions::{Stall, reasons, types};

/// Status reported by day-2 steps (backup, recovery, restore); carried over unchanged when absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DayTwoReport {
    /// `status.backup`.
    pub backup: Option<BackupStatus>,
    /// `status.recovery`.
    pub recovery: Option<RecoveryStatus>,
    /// `status.restore`.
    pub restore: Option<RestoreStatus>,
    /// Extra conditions, for example `BackupHealthy` or `RecoveryCircuitOpen`.
    pub conditions: Vec<Condition>,
    /// A day-2 reason that needs a human (recovery gave up, restore failed); makes `Stalled=True`.
    pub stall: Option<Stall>,
}

impl DayTwoReport {
    /// Keeps the day-2 parts of an existing status as they are.
    pub fn carry_over(previous: Option<&VexfsSemanticStatus>) -> Self {
        let Some(previous) = previous else {
            return Self::default();
        };
        Self {
            backup: previous.backup.clone(),
            recovery: previous.recovery.clone(),
            restore: previous.restore.clone(),
            conditions: previous
                .conditions
                .iter()
                .filter(|c| !types::CORE.contains(&c.type_.as_str()))
                .cloned()
                .collect(),
            stall: None,
        }
    }

    /// Replaces the conditions of the given types with `fresh`.
    pub fn replace_conditions(&mut self, fresh: &[Condition], replaced: &[&str]) {
        self.conditions
            .retain(|c| !replaced.contains(&c.type_.as_str()));
        self.conditions.extend(fresh.iter().cloned());
    }

    /// The day-2 reason for `Stalled`: recovery gave up, or the restore failed.
    pub fn stall_reason(&self) -> Option<Stall> {
        let recovery = self
            .recovery
            .as_ref()
            .and_then(|r| stall(&state_from_status(Some(r))));
        let restore = self
            .restore
            .as_ref()
            .filter(|r| r.phase == phases::FAILED)
            .map(|r| Stall {
                reason: reasons::RESTORE_FAILED,
                message: r.message.clone(),
            });
        recovery.or(restore)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::CircuitState;

    #[test]
    fn giving_up_outranks_a_failed_restore() {
        let mut report = DayTwoReport {
            restore: Some(RestoreStatus {
                phase: phases::FAILED.to_owned(),
                message: "exit 2".to_owned(),
            }),
            ..DayTwoReport::default()
        };
        assert_eq!(
            report.stall_reason().map(|s| s.reason),
            Some(reasons::RESTORE_FAILED)
        );
        report.recovery = Some(RecoveryStatus {
            circuit: CircuitState::Open,
            consecutive_failures: 3,
            phase: Some("GaveUp".to_owned()),
            ..RecoveryStatus::default()
        });
        let stall = report.stall_reason().expect("stalled");
        assert_eq!(stall.reason, reasons::RECOVERY_EXHAUSTED);
        assert!(
            stall.message.contains("3 failed actions"),
            "{}",
            stall.message
        );
        assert_eq!(DayTwoReport::default().stall_reason(), None);
    }
}
