//! Retention: which backups to prune by `keepLast` and `maxAgeDays` (pure, clock injected).
//!
//! Successful and failed backups are counted separately, so a run of failures never pushes good
//! backups out. Pending and running backups are never pruned, and neither is the newest successful
//! backup, whatever its age.

use chrono::{DateTime, Duration, Utc};

/// What retention needs to know about one backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRecord {
    /// `VexfsBackup` name.
    pub name: String,
    /// Outcome so far.
    pub outcome: Outcome,
    /// Completion time, or creation time when not completed.
    pub time: DateTime<Utc>,
}

/// Outcome of one backup as far as retention cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Pending or running.
    InProgress,
    /// Archive written.
    Succeeded,
    /// Job failed.
    Failed,
}

/// The retention policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Keep at most this many successful backups (and, separately, this many failed ones).
    pub keep_last: usize,
    /// Prune backups that completed longer ago than this.
    pub max_age: Duration,
}

/// Why a backup is pruned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneReason {
    /// More than `keepLast` newer backups of the same outcome exist.
    ExceedsKeepLast,
    /// Older than `maxAgeDays`.
    ExceedsMaxAge,
}

/// One backup to prune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prune {
    /// `VexfsBackup` name.
    pub name: String,
    /// Why.
    pub reason: PruneReason,
}

/// Selects the backups to prune at `now`, oldest first.
pub fn select_prunes(
    records: &[BackupRecord],
    policy: RetentionPolicy,
    now: DateTime<Utc>,
) -> Vec<Prune> {
    let mut prunes = Vec::new();
    for outcome in [Outcome::Succeeded, Outcome::Failed] {
        let mut group: Vec<&BackupRecord> =
            records.iter().filter(|r| r.outcome == outcome).collect();
        group.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.name.cmp(&a.name)));
        // The newest successful backup is always kept, even with a zero keepLast or past maxAge.
        let protected = usize::from(outcome == Outcome::Succeeded);
        for (rank, record) in group.iter().enumerate().skip(protected) {
            let reason = if rank >= policy.keep_last {
                Some(PruneReason::ExceedsKeepLast)
            } else if now - record.time > policy.max_age {
                Some(PruneReason::ExceedsMaxAge)
            } else {
                None
            };
            if let Some(reason) = reason {
                prunes.push((
                    record.time,
                    Prune {
                        name: record.name.clone(),
                        reason,
                    },
                ));
            }
        }
    }
    prunes.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    prunes.into_iter().map(|(_, prune)| prune).collect()
}

/// Number of successful backups left after pruning.
pub fn retained_successes(records: &[BackupRecord], prunes: &[Prune]) -> usize {
    records
        .iter()
        .filter(|r| r.outcome == Outcome::Succeeded && !prunes.iter().any(|p| p.name == r.name))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-11-{day:02}T02:00:00Z").parse().expect("time")
    }

    fn record(name: &str, outcome: Outcome, day: u32) -> BackupRecord {
        BackupRecord {
            name: name.to_owned(),
            outcome,
            time: at(day),
        }
    }

    fn policy(keep_last: usize, max_age_days: i64) -> RetentionPolicy {
        RetentionPolicy {
            keep_last,
            max_age: Duration::days(max_age_days),
        }
    }

    fn names(prunes: &[Prune]) -> Vec<&str> {
        prunes.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn keeps_the_last_n_successful_backups() {
        let records: Vec<_> = (1..=5)
            .map(|d| record(&format!("b{d}"), Outcome::Succeeded, d))
            .collect();
        let prunes = select_prunes(&records, policy(3, 30), at(6));
        assert_eq!(names(&prunes), vec!["b1", "b2"]);
        assert!(
            prunes
                .iter()
                .all(|p| p.reason == PruneReason::ExceedsKeepLast)
        );
        assert_eq!(retained_successes(&records, &prunes), 3);
    }

    #[test]
    fn prunes_by_age_but_never_the_newest_success() {
        let records = vec![
            record("old", Outcome::Succeeded, 1),
            record("older", Outcome::Succeeded, 2),
            record("newest", Outcome::Succeeded, 3),
        ];
        let prunes = select_prunes(&records, policy(10, 1), at(27));
        assert_eq!(names(&prunes), vec!["old", "older"]);
        assert!(
            prunes
                .iter()
                .all(|p| p.reason == PruneReason::ExceedsMaxAge)
        );
    }

    #[test]
    fn failures_are_counted_separately_and_never_displace_successes() {
        let mut records = vec![record("good", Outcome::Succeeded, 1)];
        records.extend((2..=6).map(|d| record(&format!("fail{d}"), Outcome::Failed, d)));
        let prunes = select_prunes(&records, policy(2, 30), at(7));
        assert_eq!(names(&prunes), vec!["fail2", "fail3", "fail4"]);
    }

    #[test]
    fn in_progress_backups_are_never_pruned() {
        let records = vec![
            record("running", Outcome::InProgress, 1),
            record("a", Outcome::Succeeded, 2),
            record("b", Outcome::Succeeded, 3),
        ];
        assert_eq!(
            names(&select_prunes(&records, policy(1, 1), at(27))),
            vec!["a"]
        );
    }

    #[test]
    fn nothing_to_prune_within_policy() {
        let records = vec![
            record("a", Outcome::Succeeded, 20),
            record("f", Outcome::Failed, 21),
        ];
        assert!(select_prunes(&records, policy(7, 30), at(27)).is_empty());
        assert!(select_prunes(&[], policy(7, 30), at(27)).is_empty());
    }
}
