//! Decides, at one instant, whether a scheduled backup run starts now (pure, clock injected).
//!
//! The cursor is the last schedule time the operator has dealt with (started, skipped while
//! suspended, or missed); it is persisted as `status.backup.lastScheduleTime`. Runs between the cursor
//! and now that cannot start are counted as missed and reported, never silently dropped.

use chrono::{DateTime, Duration, Utc};

use crate::spec::schedule::Schedule;

/// Missed runs counted per evaluation at most (a long outage is reported as this many).
pub const MAX_COUNTED_RUNS: usize = 1000;

/// Inputs of one scheduling decision.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInput {
    /// The last schedule time already dealt with, or the resource's creation time at first.
    pub cursor: DateTime<Utc>,
    /// The current time.
    pub now: DateTime<Utc>,
    /// `spec.backup.suspend`.
    pub suspended: bool,
    /// A scheduled backup of this resource is still pending or running (concurrency Forbid).
    pub active: bool,
    /// `spec.backup.startingDeadlineSeconds`.
    pub starting_deadline: Option<Duration>,
}

/// What to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunAction {
    /// Nothing is due.
    Idle,
    /// Start the run scheduled at this time.
    Start(DateTime<Utc>),
    /// A run is due but the previous one is still active; retry on the next evaluation.
    Blocked(DateTime<Utc>),
    /// Suspended: due runs are skipped on purpose, not counted as missed.
    Suspended,
}

/// The decision and the state to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// What to do now.
    pub action: RunAction,
    /// New cursor (`status.backup.lastScheduleTime`).
    pub cursor: DateTime<Utc>,
    /// Whether the cursor moved to a new schedule time in this evaluation.
    pub advanced: bool,
    /// Runs newly given up on: superseded by a newer run or past the starting deadline.
    pub missed: Vec<DateTime<Utc>>,
    /// The next run after now (`status.backup.nextScheduleTime`); `None` while suspended.
    pub next_run: Option<DateTime<Utc>>,
}

/// Decides what to do at `input.now`.
pub fn plan(schedule: &Schedule, input: &PlanInput) -> RunPlan {
    let due = schedule.runs_between(input.cursor, input.now, MAX_COUNTED_RUNS);
    let next_run = schedule.next_after(input.now);
    let Some(&newest) = due.last() else {
        let next_run = next_run.filter(|_| !input.suspended);
        return RunPlan {
            action: idle_or_suspended(input),
            cursor: input.cursor,
            advanced: false,
            missed: Vec::new(),
            next_run,
        };
    };
    if input.suspended {
        return RunPlan {
            action: RunAction::Suspended,
            cursor: newest,
            advanced: true,
            missed: Vec::new(),
            next_run: None,
        };
    }
    let older = due[..due.len() - 1].to_vec();
    let past_deadline = input
        .starting_deadline
        .is_some_and(|deadline| input.now - newest > deadline);
    if past_deadline {
        return RunPlan {
            action: RunAction::Idle,
            cursor: newest,
            advanced: true,
            missed: due,
            next_run,
        };
    }
    if input.active {
        // Forbid: keep the cursor so the newest run can still start if the active one ends in time.
        return RunPlan {
            action: RunAction::Blocked(newest),
            cursor: input.cursor,
            advanced: false,
            missed: Vec::new(),
            next_run,
        };
    }
    RunPlan {
        action: RunAction::Start(newest),
        cursor: newest,
        advanced: true,
        missed: older,
        next_run,
    }
}

fn idle_or_suspended(input: &PlanInput) -> RunAction {
    if input.suspended {
        RunAction::Suspended
    } else {
        RunAction::Idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("RFC 3339 time")
    }

    fn input(cursor: &str, now: &str) -> PlanInput {
        PlanInput {
            cursor: utc(cursor),
            now: utc(now),
            suspended: false,
            active: false,
            starting_deadline: None,
        }
    }

    fn hourly() -> Schedule {
        Schedule::parse("0 * * * *", "UTC").expect("valid")
    }

    #[test]
    fn nothing_due_reports_the_next_run() {
        let plan = plan(
            &hourly(),
            &input("2026-11-27T10:00:00Z", "2026-11-27T10:30:00Z"),
        );
        assert_eq!(plan.action, RunAction::Idle);
        assert_eq!(plan.cursor, utc("2026-11-27T10:00:00Z"));
        assert_eq!(plan.next_run, Some(utc("2026-11-27T11:00:00Z")));
        assert!(plan.missed.is_empty());
    }

    #[test]
    fn due_run_starts_and_moves_the_cursor() {
        let plan = plan(
            &hourly(),
            &input("2026-11-27T10:00:00Z", "2026-11-27T11:00:05Z"),
        );
        assert_eq!(plan.action, RunAction::Start(utc("2026-11-27T11:00:00Z")));
        assert_eq!(plan.cursor, utc("2026-11-27T11:00:00Z"));
        assert_eq!(plan.next_run, Some(utc("2026-11-27T12:00:00Z")));
    }

    #[test]
    fn an_outage_starts_only_the_newest_run_and_reports_the_others() {
        let plan = plan(
            &hourly(),
            &input("2026-11-27T10:00:00Z", "2026-11-27T13:20:00Z"),
        );
        assert_eq!(plan.action, RunAction::Start(utc("2026-11-27T13:00:00Z")));
        assert_eq!(
            plan.missed,
            vec![utc("2026-11-27T11:00:00Z"), utc("2026-11-27T12:00:00Z")]
        );
    }

    #[test]
    fn runs_past_the_starting_deadline_are_missed() {
        let mut late = input("2026-11-27T10:00:00Z", "2026-11-27T11:05:00Z");
        late.starting_deadline = Some(Duration::seconds(120));
        let plan = plan(&hourly(), &late);
        assert_eq!(plan.action, RunAction::Idle);
        assert_eq!(plan.missed, vec![utc("2026-11-27T11:00:00Z")]);
        assert_eq!(
            plan.cursor,
            utc("2026-11-27T11:00:00Z"),
            "a missed run is not reconsidered"
        );
        late.now = utc("2026-11-27T11:01:59Z");
        assert_eq!(
            super::plan(&hourly(), &late).action,
            RunAction::Start(utc("2026-11-27T11:00:00Z"))
        );
    }

    #[test]
    fn forbid_blocks_while_active_then_starts_within_the_deadline() {
        let mut busy = input("2026-11-27T10:00:00Z", "2026-11-27T11:00:30Z");
        busy.active = true;
        busy.starting_deadline = Some(Duration::seconds(300));
        let blocked = plan(&hourly(), &busy);
        assert_eq!(
            blocked.action,
            RunAction::Blocked(utc("2026-11-27T11:00:00Z"))
        );
        assert_eq!(blocked.cursor, utc("2026-11-27T10:00:00Z"));
        busy.active = false;
        busy.now = utc("2026-11-27T11:03:00Z");
        assert_eq!(
            plan(&hourly(), &busy).action,
            RunAction::Start(utc("2026-11-27T11:00:00Z"))
        );
        busy.now = utc("2026-11-27T11:06:00Z");
        let too_late = plan(&hourly(), &busy);
        assert_eq!(
            (too_late.action, too_late.missed.len()),
            (RunAction::Idle, 1)
        );
    }

    #[test]
    fn suspended_skips_runs_without_counting_them() {
        let mut paused = input("2026-11-27T10:00:00Z", "2026-11-27T13:30:00Z");
        paused.suspended = true;
        let plan = plan(&hourly(), &paused);
        assert_eq!(plan.action, RunAction::Suspended);
        assert_eq!(plan.cursor, utc("2026-11-27T13:00:00Z"));
        assert!(plan.missed.is_empty());
        assert_eq!(plan.next_run, None);
    }
}
