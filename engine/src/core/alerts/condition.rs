//! Rule conditions: the metrics a rule can watch, comparisons, pattern conditions, and the
//! parser of condition text.
//!
//! A condition is `METRIC [OP [threshold]]` with the threshold as a separate number, or
//! a pattern condition:
//! - metrics: `event_rate`, `type_rate(TYPE)`, `error_rate` (events/s); `latency_p95_ms`,
//!   `latency_p99_ms`, `stage_p95_ms(STAGE)` (ms); `memory_bytes`, `cpu_percent`;
//!   `anomaly_score` (relative to the detector threshold), `anomaly_count` (last minute);
//!   `forecast_peak_rate` (highest forecast upper bound over the horizon, events/s);
//! - `OP` is `>`, `>=`, `<` or `<=` (default `>`), e.g. `"latency_p99_ms > threshold"`;
//! - `pattern_appeared(A,B,...)` / `pattern_disappeared(A,B,...)` over frequent patterns.

use std::collections::BTreeSet;

use super::inputs::{AlertInputs, InputNeeds};

/// A numeric series a rule can watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Metric {
    /// Total events per second.
    EventRate,
    /// Events per second of one type.
    TypeRate(String),
    /// `ErrorReported` events per second.
    ErrorRate,
    /// Latency p95 in milliseconds.
    LatencyP95Ms,
    /// Latency p99 in milliseconds.
    LatencyP99Ms,
    /// One profiler stage's p95 in milliseconds.
    StageP95Ms(String),
    /// Engine memory in bytes.
    MemoryBytes,
    /// Engine CPU in percent.
    CpuPercent,
    /// Highest anomaly score relative to its threshold, last minute.
    AnomalyScore,
    /// Anomalies detected in the last minute.
    AnomalyCount,
    /// Highest forecast upper bound over the horizon.
    ForecastPeakRate,
}

impl Metric {
    /// Reads this metric from the inputs; `None` when there is no data.
    pub fn value(&self, inputs: &AlertInputs) -> Option<f64> {
        match self {
            Self::EventRate => inputs.event_rate,
            Self::TypeRate(name) => inputs.type_rates.get(name).copied(),
            Self::ErrorRate => inputs.error_rate,
            Self::LatencyP95Ms => inputs.latency_p95_ms,
            Self::LatencyP99Ms => inputs.latency_p99_ms,
            Self::StageP95Ms(stage) => inputs.stage_p95_ms.get(stage).copied(),
            Self::MemoryBytes => inputs.memory_bytes,
            Self::CpuPercent => inputs.cpu_percent,
            Self::AnomalyScore => inputs.anomaly_score,
            Self::AnomalyCount => inputs.anomaly_count,
            Self::ForecastPeakRate => inputs.forecast_peak_rate,
        }
    }
}

/// A comparison between the observed value and the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Strictly greater.
    Above,
    /// Greater or equal.
    AtLeast,
    /// Strictly lower.
    Below,
    /// Lower or equal.
    AtMost,
}

impl Comparison {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "" | ">" => Some(Self::Above),
            ">=" => Some(Self::AtLeast),
            "<" => Some(Self::Below),
            "<=" => Some(Self::AtMost),
            _ => None,
        }
    }

    /// Whether `value` satisfies the comparison against `threshold`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::Above => value > threshold,
            Self::AtLeast => value >= threshold,
            Self::Below => value < threshold,
            Self::AtMost => value <= threshold,
        }
    }
}

/// What makes a rule true.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A metric compared with a threshold.
    Threshold {
        /// The watched series.
        metric: Metric,
        /// How to compare.
        op: Comparison,
        /// The bound.
        threshold: f64,
    },
    /// True while the pattern is among the frequent patterns.
    PatternAppeared(Vec<String>),
    /// True while a pattern that was frequent earlier is no longer.
    PatternDisappeared(Vec<String>),
}

impl Condition {
    /// Which costly inputs this condition reads.
    pub fn needs(&self) -> InputNeeds {
        match self {
            Condition::PatternAppeared(_) | Condition::PatternDisappeared(_) => InputNeeds {
                patterns: true,
                ..InputNeeds::default()
            },
            Condition::Threshold { metric, .. } => InputNeeds {
                forecast: *metric == Metric::ForecastPeakRate,
                anomalies: matches!(metric, Metric::AnomalyScore | Metric::AnomalyCount),
                ..InputNeeds::default()
            },
        }
    }

    /// Evaluates the condition: `Some((holds, value))`, or `None` without data.
    ///
    /// `seen` remembers whether a watched pattern was ever frequent (for disappearance).
    pub fn evaluate(&self, inputs: &AlertInputs, seen: &mut bool) -> Option<(bool, f64)> {
        match self {
            Condition::Threshold {
                metric,
                op,
                threshold,
            } => metric.value(inputs).map(|v| (op.holds(v, *threshold), v)),
            Condition::PatternAppeared(p) => {
                let present = pattern_present(inputs.patterns.as_ref()?, p);
                *seen |= present;
                Some((present, f64::from(u8::from(present))))
            }
            Condition::PatternDisappeared(p) => {
                let present = pattern_present(inputs.patterns.as_ref()?, p);
                *seen |= present;
                Some((*seen && !present, f64::from(u8::from(present))))
            }
        }
    }
}

fn pattern_present(patterns: &BTreeSet<Vec<String>>, wanted: &[String]) -> bool {
    patterns.iter().any(|p| p == wanted)
}

/// Why condition text was rejected (the rule parser adds the rule's name).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum ConditionError {
    /// Malformed text.
    #[error("{0}")]
    Text(&'static str),
    /// A metric condition without a finite threshold.
    #[error("a metric condition needs a finite threshold")]
    Threshold,
}

pub(super) fn parse_condition(
    text: &str,
    threshold: Option<f64>,
) -> Result<Condition, ConditionError> {
    let text = text.trim();
    let split = text.find(['<', '>']).unwrap_or(text.len());
    let (head, op_text) = (text[..split].trim(), text[split..].trim());
    let op_text = op_text
        .strip_suffix("threshold")
        .map_or(op_text, str::trim_end);
    let (name, arg) = split_call(head)?;
    match name {
        "pattern_appeared" | "pattern_disappeared" => {
            let pattern = pattern_arg(arg)?;
            if !op_text.is_empty() {
                return Err(ConditionError::Text(
                    "pattern conditions take no comparison",
                ));
            }
            Ok(if name == "pattern_appeared" {
                Condition::PatternAppeared(pattern)
            } else {
                Condition::PatternDisappeared(pattern)
            })
        }
        _ => {
            let metric = parse_metric(name, arg)?;
            let op = Comparison::parse(op_text)
                .ok_or(ConditionError::Text("comparison must be >, >=, < or <="))?;
            let threshold = threshold
                .filter(|t| t.is_finite())
                .ok_or(ConditionError::Threshold)?;
            Ok(Condition::Threshold {
                metric,
                op,
                threshold,
            })
        }
    }
}

fn split_call(head: &str) -> Result<(&str, Option<&str>), ConditionError> {
    match head.split_once('(') {
        None => Ok((head, None)),
        Some((name, rest)) => {
            let arg = rest
                .strip_suffix(')')
                .ok_or(ConditionError::Text("missing closing parenthesis"))?;
            Ok((name.trim(), Some(arg.trim())))
        }
    }
}

fn pattern_arg(arg: Option<&str>) -> Result<Vec<String>, ConditionError> {
    let items: Vec<String> = arg
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if items.is_empty() {
        return Err(ConditionError::Text(
            "a pattern needs at least one event type",
        ));
    }
    Ok(items)
}

fn parse_metric(name: &str, arg: Option<&str>) -> Result<Metric, ConditionError> {
    let needs_arg = |arg: Option<&str>| {
        arg.filter(|a| !a.is_empty())
            .map(str::to_owned)
            .ok_or(ConditionError::Text(
                "this metric needs an argument in parentheses",
            ))
    };
    let plain = |metric: Metric| match arg {
        None => Ok(metric),
        Some(_) => Err(ConditionError::Text("this metric takes no argument")),
    };
    match name {
        "event_rate" => plain(Metric::EventRate),
        "type_rate" => Ok(Metric::TypeRate(needs_arg(arg)?)),
        "error_rate" => plain(Metric::ErrorRate),
        "latency_p95_ms" => plain(Metric::LatencyP95Ms),
        "latency_p99_ms" => plain(Metric::LatencyP99Ms),
        "stage_p95_ms" => Ok(Metric::StageP95Ms(needs_arg(arg)?)),
        "memory_bytes" => plain(Metric::MemoryBytes),
        "cpu_percent" => plain(Metric::CpuPercent),
        "anomaly_score" => plain(Metric::AnomalyScore),
        "anomaly_count" => plain(Metric::AnomalyCount),
        "forecast_peak_rate" => plain(Metric::ForecastPeakRate),
        _ => Err(ConditionError::Text("unknown metric")),
    }
}
