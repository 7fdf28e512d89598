//! Standard 5-field cron expressions (minute hour day-of-month month day-of-week).
//!
//! Supports `*`, values, names (`JAN`..`DEC`, `SUN`..`SAT`), ranges `a-b`, lists `a,b`, and steps
//! `*/n`, `a-b/n` and `a/n` (from `a` to the field maximum). Day-of-week 7 is Sunday. When both
//! day-of-month and day-of-week are restricted, a day matches if either does (the Vixie cron rule).
//! Six-field (seconds) expressions are rejected, never reinterpreted.

use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

/// Why a cron expression was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CronError {
    /// The expression does not have exactly five fields.
    #[error(
        "schedule must have exactly 5 space-separated fields (minute hour day-of-month month day-of-week), found {found}"
    )]
    FieldCount {
        /// Number of fields found.
        found: usize,
    },
    /// A value is not a number or a known name.
    #[error("{field}: invalid value {value:?}")]
    InvalidValue {
        /// Field name.
        field: &'static str,
        /// Offending text.
        value: String,
    },
    /// A value is outside the field's range.
    #[error("{field}: {value} is outside {min}-{max}")]
    OutOfRange {
        /// Field name.
        field: &'static str,
        /// Offending value.
        value: u32,
        /// Smallest allowed value.
        min: u32,
        /// Largest allowed value.
        max: u32,
    },
    /// A range runs backwards or a step is zero.
    #[error("{field}: invalid range or step {value:?}")]
    InvalidRange {
        /// Field name.
        field: &'static str,
        /// Offending text.
        value: String,
    },
}

/// One field's allowed values as a bit set, plus whether it was written as `*...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FieldSet {
    bits: u64,
    star: bool,
}

impl FieldSet {
    fn contains(self, value: u32) -> bool {
        self.bits & (1u64 << value) != 0
    }

    fn values(self) -> impl Iterator<Item = u32> {
        (0..64u32).filter(move |v| self.bits & (1u64 << v) != 0)
    }
}

/// Static description of one cron field.
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

impl FieldSpec {
    /// A field written with numbers only.
    const fn numeric(name: &'static str, min: u32, max: u32) -> Self {
        Self {
            name,
            min,
            max,
            names: &[],
        }
    }
}

const MINUTE: FieldSpec = FieldSpec::numeric("minute", 0, 59);
const HOUR: FieldSpec = FieldSpec::numeric("hour", 0, 23);
const DAY_OF_MONTH: FieldSpec = FieldSpec::numeric("day-of-month", 1, 31);
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
const DAY_OF_WEEK: FieldSpec = FieldSpec {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};

/// A parsed 5-field cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    minutes: FieldSet,
    hours: FieldSet,
    days_of_month: FieldSet,
    months: FieldSet,
    days_of_week: FieldSet,
}

impl FromStr for CronExpr {
    type Err = CronError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError::FieldCount {
                found: fields.len(),
            });
        }
        let mut days_of_week = parse_field(fields[4], &DAY_OF_WEEK)?;
        if days_of_week.contains(7) {
            days_of_week.bits = (days_of_week.bits & !(1 << 7)) | 1;
        }
        Ok(Self {
            minutes: parse_field(fields[0], &MINUTE)?,
            hours: parse_field(fields[1], &HOUR)?,
            days_of_month: parse_field(fields[2], &DAY_OF_MONTH)?,
            months: parse_field(fields[3], &MONTH)?,
            days_of_week,
        })
    }
}

impl CronExpr {
    /// Whether the schedule fires on this calendar date (Vixie rule for day-of-month/day-of-week).
    pub fn matches_date(&self, date: NaiveDate) -> bool {
        if !self.months.contains(date.month()) {
            return false;
        }
        let dom = self.days_of_month.contains(date.day());
        let dow = self
            .days_of_week
            .contains(date.weekday().num_days_from_sunday());
        if self.days_of_month.star || self.days_of_week.star {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// Hours the schedule fires in, ascending.
    pub fn hours(&self) -> impl Iterator<Item = u32> {
        self.hours.values()
    }

    /// Minutes the schedule fires in, ascending.
    pub fn minutes(&self) -> impl Iterator<Item = u32> {
        self.minutes.values()
    }

    /// Whether the hour field was written as a wildcard (`*` or `*/n`).
    ///
    /// Wildcard-hour schedules follow the wall clock through DST changes; fixed-hour ones fire once.
    pub fn hour_is_wildcard(&self) -> bool {
        self.hours.star
    }
}

fn parse_field(text: &str, spec: &FieldSpec) -> Result<FieldSet, CronError> {
    let mut bits = 0u64;
    for part in text.split(',') {
        bits |= parse_part(part, spec)?;
    }
    Ok(FieldSet {
        bits,
        star: text.starts_with('*'),
    })
}

fn parse_part(part: &str, spec: &FieldSpec) -> Result<u64, CronError> {
    let invalid_range = || CronError::InvalidRange {
        field: spec.name,
        value: part.to_owned(),
    };
    let (range, step) = match part.split_once('/') {
        Some((range, step)) => {
            let step: u32 = step.parse().map_err(|_| invalid_range())?;
            (range, Some(step))
        }
        None => (part, None),
    };
    let (low, high) = if range == "*" {
        (spec.min, spec.max)
    } else if let Some((a, b)) = range.split_once('-') {
        (parse_value(a, spec)?, parse_value(b, spec)?)
    } else {
        let value = parse_value(range, spec)?;
        (value, if step.is_some() { spec.max } else { value })
    };
    if low > high || step == Some(0) {
        return Err(invalid_range());
    }
    let step = step.unwrap_or(1) as usize;
    Ok((low..=high)
        .step_by(step)
        .fold(0u64, |bits, v| bits | (1u64 << v)))
}

fn parse_value(text: &str, spec: &FieldSpec) -> Result<u32, CronError> {
    let upper = text.to_ascii_uppercase();
    let value = match spec.names.iter().position(|name| *name == upper) {
        Some(index) => index as u32 + spec.names_base(),
        None => text.parse::<u32>().map_err(|_| CronError::InvalidValue {
            field: spec.name,
            value: text.to_owned(),
        })?,
    };
    if value < spec.min || value > spec.max {
        return Err(CronError::OutOfRange {
            field: spec.name,
            value,
            min: spec.min,
            max: spec.max,
        });
    }
    Ok(value)
}

impl FieldSpec {
    /// The number the first name stands for (`JAN` = 1, `SUN` = 0).
    fn names_base(&self) -> u32 {
        u32::from(self.min == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn cron(text: &str) -> CronExpr {
        text.parse().expect("valid cron")
    }

    #[test]
    fn six_fields_are_rejected_not_reinterpreted() {
        assert_eq!(
            "0 0 2 * * *".parse::<CronExpr>(),
            Err(CronError::FieldCount { found: 6 })
        );
        assert_eq!(
            "* * * *".parse::<CronExpr>(),
            Err(CronError::FieldCount { found: 4 })
        );
        let message = "0 0 2 * * *"
            .parse::<CronExpr>()
            .expect_err("six fields")
            .to_string();
        assert!(message.contains("exactly 5"), "{message}");
    }

    #[test]
    fn lists_ranges_and_steps() {
        let expr = cron("*/15 8-10,22 * * *");
        assert_eq!(expr.minutes().collect::<Vec<_>>(), vec![0, 15, 30, 45]);
        assert_eq!(expr.hours().collect::<Vec<_>>(), vec![8, 9, 10, 22]);
        assert_eq!(
            cron("5-20/5 * * * *").minutes().collect::<Vec<_>>(),
            vec![5, 10, 15, 20]
        );
        assert_eq!(
            cron("50/4 * * * *").minutes().collect::<Vec<_>>(),
            vec![50, 54, 58]
        );
        assert!(!expr.hour_is_wildcard() && cron("0 */2 * * *").hour_is_wildcard());
    }

    #[test]
    fn names_are_case_insensitive_and_sunday_is_zero_or_seven() {
        let expr = cron("0 2 * jan-Mar MON,fri");
        assert!(expr.matches_date(date(2026, 1, 5))); // Monday
        assert!(!expr.matches_date(date(2026, 1, 6))); // Tuesday
        assert!(!expr.matches_date(date(2026, 4, 6))); // Monday in April
        assert!(cron("0 0 * * 7").matches_date(date(2026, 11, 29))); // Sunday
        assert!(cron("0 0 * * SUN").matches_date(date(2026, 11, 29)));
        assert!(!cron("0 0 * * 7").matches_date(date(2026, 11, 28)));
    }

    #[test]
    fn day_of_month_or_day_of_week_when_both_restricted() {
        let both = cron("0 0 13 * FRI");
        assert!(both.matches_date(date(2026, 11, 13))); // Friday the 13th
        assert!(both.matches_date(date(2026, 11, 20))); // any Friday
        assert!(both.matches_date(date(2026, 12, 13))); // any 13th (Sunday)
        assert!(!both.matches_date(date(2026, 12, 14)));
        let dom_only = cron("0 0 13 * *");
        assert!(!dom_only.matches_date(date(2026, 11, 20)));
        let starred_dom = cron("0 0 */1 * FRI");
        assert!(
            !starred_dom.matches_date(date(2026, 12, 13)),
            "`*/1` counts as a wildcard"
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        assert_eq!(
            "60 * * * *".parse::<CronExpr>(),
            Err(CronError::OutOfRange {
                field: "minute",
                value: 60,
                min: 0,
                max: 59
            })
        );
        assert_eq!(
            "0 0 0 * *".parse::<CronExpr>(),
            Err(CronError::OutOfRange {
                field: "day-of-month",
                value: 0,
                min: 1,
                max: 31
            })
        );
        assert!(matches!(
            "0 0 * FOO *".parse::<CronExpr>(),
            Err(CronError::InvalidValue { field: "month", .. })
        ));
        assert!(matches!(
            "0 10-2 * * *".parse::<CronExpr>(),
            Err(CronError::InvalidRange { field: "hour", .. })
        ));
        assert!(matches!(
            "*/0 * * * *".parse::<CronExpr>(),
            Err(CronError::InvalidRange {
                field: "minute",
                ..
            })
        ));
        assert!(matches!(
            "@daily".parse::<CronExpr>(),
            Err(CronError::FieldCount { found: 1 })
        ));
    }
}
