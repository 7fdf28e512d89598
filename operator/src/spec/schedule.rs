//! A cron expression evaluated in an IANA time zone: next run, and all runs in an interval.
//!
//! DST rules, following Vixie cron: in a spring-forward gap, a fixed-hour run whose wall time does
//! not exist fires at the first instant after the gap; a wildcard-hour run is simply skipped. In a
//! fall-back overlap, a fixed-hour run fires once (at the first occurrence); a wildcard-hour run
//! fires at both occurrences, so "every 15 minutes" stays every 15 minutes.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use thiserror::Error;

use super::cron::{CronError, CronExpr};

/// How far past a wall time the search looks for a run; no cron schedule is sparser than this.
const SEARCH_DAYS: i64 = 366 * 9;
/// Largest UTC-offset change at a DST transition that the search tolerates.
const MAX_SHIFT: Duration = Duration::hours(3);

/// Why a schedule was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleError {
    /// The cron expression is invalid.
    #[error("invalid schedule: {0}")]
    Cron(#[from] CronError),
    /// The time zone is not an IANA name.
    #[error("unknown time zone {0:?}; use an IANA name such as Europe/Berlin")]
    TimeZone(String),
    /// The expression never fires (for example `0 0 30 2 *`).
    #[error("schedule {0:?} never fires")]
    NeverFires(String),
}

/// A cron schedule in a time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    cron: CronExpr,
    tz: Tz,
}

impl Schedule {
    /// Parses `expression` and `time_zone`, rejecting schedules that never fire.
    pub fn parse(expression: &str, time_zone: &str) -> Result<Self, ScheduleError> {
        let cron: CronExpr = expression.parse()?;
        let tz: Tz = time_zone
            .parse()
            .map_err(|_| ScheduleError::TimeZone(time_zone.to_owned()))?;
        let schedule = Self { cron, tz };
        let epoch = Utc
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        if schedule.next_after(epoch).is_none() {
            return Err(ScheduleError::NeverFires(expression.to_owned()));
        }
        Ok(schedule)
    }

    /// The first run strictly after `after`, or `None` if there is none within nine years.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = after.with_timezone(&self.tz).naive_local() - MAX_SHIFT;
        let mut best: Option<DateTime<Utc>> = None;
        for wall in self
            .wall_times_from(start)
            .take_while(|w| *w <= start + Duration::days(SEARCH_DAYS))
        {
            let instants = self.instants(wall);
            for instant in instants.iter().flatten().filter(|i| **i > after) {
                best = Some(best.map_or(*instant, |b| b.min(*instant)));
            }
            // The earliest instant of a wall time never decreases as wall time increases, so once a
            // wall time's earliest instant is a candidate nothing later can beat the best one.
            if instants[0].is_some_and(|first| first > after) {
                break;
            }
        }
        best
    }

    /// All runs in `(from, to]`, oldest first, at most `limit` of them (the newest ones are kept).
    pub fn runs_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let start = from.with_timezone(&self.tz).naive_local() - MAX_SHIFT;
        let end = to.with_timezone(&self.tz).naive_local() + MAX_SHIFT;
        let mut runs: Vec<DateTime<Utc>> = self
            .wall_times_from(start)
            .take_while(|w| *w <= end)
            .flat_map(|wall| self.instants(wall))
            .flatten()
            .filter(|i| *i > from && *i <= to)
            .collect();
        runs.sort_unstable();
        runs.dedup();
        let excess = runs.len().saturating_sub(limit);
        runs.drain(..excess);
        runs
    }

    /// Matching wall-clock times at or after `start`, ascending.
    fn wall_times_from(&self, start: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let first_day = start.date();
        (0..=SEARCH_DAYS)
            .filter_map(move |offset| first_day.checked_add_signed(Duration::days(offset)))
            .filter(|date| self.cron.matches_date(*date))
            .flat_map(move |date| self.times_on(date))
            .filter(move |wall| *wall >= start)
    }

    fn times_on(&self, date: NaiveDate) -> impl Iterator<Item = NaiveDateTime> + '_ {
        self.cron.hours().flat_map(move |h| {
            self.cron
                .minutes()
                .filter_map(move |m| NaiveTime::from_hms_opt(h, m, 0).map(|t| date.and_time(t)))
        })
    }

    /// The instants a wall time fires at: earliest first, then a second one in an overlap.
    fn instants(&self, wall: NaiveDateTime) -> [Option<DateTime<Utc>>; 2] {
        match self.tz.from_local_datetime(&wall) {
            LocalResult::Single(t) => [Some(t.to_utc()), None],
            LocalResult::Ambiguous(early, late) => {
                let second = self.cron.hour_is_wildcard().then(|| late.to_utc());
                [Some(early.to_utc()), second]
            }
            LocalResult::None if self.cron.hour_is_wildcard() => [None, None],
            LocalResult::None => [self.end_of_gap(wall), None],
        }
    }

    /// The first instant after the DST gap containing `wall` (transitions fall on whole minutes).
    fn end_of_gap(&self, wall: NaiveDateTime) -> Option<DateTime<Utc>> {
        (1..=MAX_SHIFT.num_minutes()).find_map(|minutes| {
            match self
                .tz
                .from_local_datetime(&(wall + Duration::minutes(minutes)))
            {
                LocalResult::Single(t) => Some(t.to_utc()),
                LocalResult::Ambiguous(early, _) => Some(early.to_utc()),
                LocalResult::None => None,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("RFC 3339 time")
    }

    fn schedule(expression: &str, tz: &str) -> Schedule {
        Schedule::parse(expression, tz).expect("valid schedule")
    }

    #[test]
    fn next_run_in_utc_and_in_a_zone() {
        let nightly = schedule("0 2 * * *", "UTC");
        assert_eq!(
            nightly.next_after(utc("2026-11-27T20:00:00Z")),
            Some(utc("2026-11-28T02:00:00Z"))
        );
        assert_eq!(
            nightly.next_after(utc("2026-11-28T02:00:00Z")),
            Some(utc("2026-11-29T02:00:00Z"))
        );
        let berlin = schedule("0 2 * * *", "Europe/Berlin");
        assert_eq!(
            berlin.next_after(utc("2026-11-27T20:00:00Z")),
            Some(utc("2026-11-28T01:00:00Z"))
        );
        assert_eq!(
            berlin.next_after(utc("2026-07-01T00:30:00Z")),
            Some(utc("2026-07-02T00:00:00Z"))
        );
    }

    #[test]
    fn fixed_time_in_spring_gap_fires_when_the_gap_ends() {
        // Europe/Berlin jumps from 02:00 CET to 03:00 CEST on 2026-03-29.
        let s = schedule("30 2 * * *", "Europe/Berlin");
        let in_gap = s.next_after(utc("2026-03-28T12:00:00Z"));
        assert_eq!(in_gap, Some(utc("2026-03-29T01:00:00Z")));
        assert_eq!(
            s.next_after(utc("2026-03-29T01:00:00Z")),
            Some(utc("2026-03-30T00:30:00Z"))
        );
    }

    #[test]
    fn wildcard_hour_skips_the_spring_gap() {
        let s = schedule("30 * * * *", "Europe/Berlin");
        let runs = s.runs_between(
            utc("2026-03-29T00:00:00Z"),
            utc("2026-03-29T02:00:00Z"),
            100,
        );
        assert_eq!(
            runs,
            vec![utc("2026-03-29T00:30:00Z"), utc("2026-03-29T01:30:00Z")]
        );
    }

    #[test]
    fn fixed_time_in_autumn_overlap_fires_once() {
        // Europe/Berlin falls back from 03:00 CEST to 02:00 CET on 2026-10-25.
        let s = schedule("30 2 * * *", "Europe/Berlin");
        assert_eq!(
            s.next_after(utc("2026-10-24T12:00:00Z")),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        assert_eq!(
            s.next_after(utc("2026-10-25T00:30:00Z")),
            Some(utc("2026-10-26T01:30:00Z"))
        );
        let day = s.runs_between(
            utc("2026-10-24T22:00:00Z"),
            utc("2026-10-25T23:00:00Z"),
            100,
        );
        assert_eq!(day, vec![utc("2026-10-25T00:30:00Z")]);
    }

    #[test]
    fn wildcard_hour_fires_in_both_passes_of_the_overlap() {
        let s = schedule("*/30 * * * *", "Europe/Berlin");
        let overlap = s.runs_between(
            utc("2026-10-25T00:00:00Z"),
            utc("2026-10-25T01:30:00Z"),
            100,
        );
        assert_eq!(
            overlap,
            vec![
                utc("2026-10-25T00:30:00Z"),
                utc("2026-10-25T01:00:00Z"),
                utc("2026-10-25T01:30:00Z")
            ]
        );
        let from_late = s.next_after(utc("2026-10-25T01:00:00Z"));
        assert_eq!(from_late, Some(utc("2026-10-25T01:30:00Z")));
        // The local day has 25 hours, so 50 half-hourly runs.
        let whole_day = s.runs_between(
            utc("2026-10-24T21:59:00Z"),
            utc("2026-10-25T22:59:00Z"),
            1000,
        );
        assert_eq!(whole_day.len(), 50);
    }

    #[test]
    fn new_york_nightly_across_both_transitions() {
        let s = schedule("0 1 * * *", "America/New_York");
        assert_eq!(
            s.next_after(utc("2026-03-08T00:00:00Z")),
            Some(utc("2026-03-08T06:00:00Z"))
        );
        assert_eq!(
            s.next_after(utc("2026-03-08T06:00:00Z")),
            Some(utc("2026-03-09T05:00:00Z"))
        );
        // 01:00 happens twice on 2026-11-01; the run fires at the first (EDT) one only.
        assert_eq!(
            s.next_after(utc("2026-10-31T12:00:00Z")),
            Some(utc("2026-11-01T05:00:00Z"))
        );
        assert_eq!(
            s.next_after(utc("2026-11-01T05:00:00Z")),
            Some(utc("2026-11-02T06:00:00Z"))
        );
    }

    #[test]
    fn runs_between_keeps_the_newest_within_the_limit() {
        let s = schedule("* * * * *", "UTC");
        let runs = s.runs_between(utc("2026-11-27T10:00:00Z"), utc("2026-11-27T11:00:00Z"), 3);
        assert_eq!(
            runs,
            vec![
                utc("2026-11-27T10:58:00Z"),
                utc("2026-11-27T10:59:00Z"),
                utc("2026-11-27T11:00:00Z")
            ]
        );
        assert!(
            s.runs_between(utc("2026-11-27T10:00:00Z"), utc("2026-11-27T10:00:30Z"), 3)
                .is_empty()
        );
    }

    #[test]
    fn leap_day_and_rejections() {
        let leap = schedule("0 0 29 2 *", "UTC");
        assert_eq!(
            leap.next_after(utc("2026-11-27T00:00:00Z")),
            Some(utc("2028-02-29T00:00:00Z"))
        );
        assert_eq!(
            Schedule::parse("0 0 30 2 *", "UTC"),
            Err(ScheduleError::NeverFires("0 0 30 2 *".into()))
        );
        assert_eq!(
            Schedule::parse("0 2 * * *", "Mars/Olympus"),
            Err(ScheduleError::TimeZone("Mars/Olympus".into()))
        );
        assert!(matches!(
            Schedule::parse("0 0 2 * * *", "UTC"),
            Err(ScheduleError::Cron(CronError::FieldCount { found: 6 }))
        ));
    }
}
