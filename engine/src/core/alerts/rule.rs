//! Alert rules: what to watch (metric or pattern), how to compare it, and for how long.
//!
//! A rule's `condition` is text such as `"error_rate >"`, `"type_rate(FilesystemWrite) >="`,
//! `"latency_p99_ms > threshold"`,
//! `"stage_p95_ms(wal_append) >"` or `"pattern_appeared(FilesystemCreate,FilesystemWrite)"`;
//! the comparison defaults to `>` when left out, and the threshold is a separate number.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::inputs::AlertInputs;

/// Errors in a rule definition, each naming the rule.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RuleError {
    /// The severity is not one of info, warning, critical.
    #[error("rule {rule:?}: unknown severity {value:?} (expected info, warning or critical)")]
    Severity {
        /// Rule name.
        rule: String,
        /// Offending value.
        value: String,
    },
    /// The condition text could not be understood.
    #[error("rule {rule:?}: invalid condition {value:?}: {reason}")]
    Condition {
        /// Rule name.
        rule: String,
        /// Offending value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A metric condition without a finite threshold.
    #[error("rule {rule:?}: a metric condition needs a finite threshold")]
    Threshold {
        /// Rule name.
        rule: String,
    },
    /// The rule has no name.
    #[error("an alert rule needs a non-empty name")]
    EmptyName,
}

/// How urgent an alert is; escalation raises it one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information only.
    Info,
    /// Needs attention.
    Warning,
    /// Needs attention now.
    Critical,
}

impl Severity {
    /// Parses `info`, `warning` or `critical` (case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Self::Info),
            "warning" => Some(Self::Warning),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }

    /// The wire name, as used in labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    /// One step more urgent (critical stays critical).
    pub fn escalated(self) -> Self {
        match self {
            Self::Info => Self::Warning,
            Self::Warning | Self::Critical => Self::Critical,
        }
    }
}

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
    /// Highest anomaly score.
    AnomalyScore,
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

/// The borrowed fields of one configured rule, before validation.
#[derive(Debug, Clone, Copy)]
pub struct RuleSpec<'a> {
    /// Rule name, unique in practice.
    pub name: &'a str,
    /// `info`, `warning` or `critical`.
    pub severity: &'a str,
    /// Condition text, see the module docs.
    pub condition: &'a str,
    /// Threshold for metric conditions.
    pub threshold: Option<f64>,
    /// How long the condition must hold before the alert fires, seconds.
    pub for_seconds: u64,
    /// Receiver names; empty means every receiver.
    pub receivers: &'a [String],
}

/// A validated alert rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRule {
    /// Rule name.
    pub name: String,
    /// Severity of the alerts it raises.
    pub severity: Severity,
    /// The condition text as configured (used in the fingerprint and in messages).
    pub condition_text: String,
    /// The parsed condition.
    pub condition: Condition,
    /// Hold time before firing, nanoseconds.
    pub for_ns: i64,
    /// Receiver names; empty means every receiver.
    pub receivers: Vec<String>,
}

impl AlertRule {
    /// Validates a configured rule.
    pub fn parse(spec: RuleSpec<'_>) -> Result<Self, RuleError> {
        let name = spec.name.trim();
        if name.is_empty() {
            return Err(RuleError::EmptyName);
        }
        let severity = Severity::parse(spec.severity).ok_or_else(|| RuleError::Severity {
            rule: name.to_owned(),
            value: spec.severity.to_owned(),
        })?;
        let condition = parse_condition(spec.condition, spec.threshold).map_err(|e| match e {
            ConditionError::Text(reason) => RuleError::Condition {
                rule: name.to_owned(),
                value: spec.condition.to_owned(),
                reason,
            },
            ConditionError::Threshold => RuleError::Threshold {
                rule: name.to_owned(),
            },
        })?;
        Ok(Self {
            name: name.to_owned(),
            severity,
            condition_text: spec.condition.trim().to_owned(),
            condition,
            for_ns: i64::try_from(spec.for_seconds)
                .unwrap_or(i64::MAX)
                .saturating_mul(1_000_000_000),
            receivers: spec.receivers.to_vec(),
        })
    }

    /// Evaluates the condition: `Some((holds, value))`, or `None` without data.
    ///
    /// `seen` remembers whether a watched pattern was ever frequent (for disappearance).
    pub fn evaluate(&self, inputs: &AlertInputs, seen: &mut bool) -> Option<(bool, f64)> {
        match &self.condition {
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

enum ConditionError {
    Text(&'static str),
    Threshold,
}

fn parse_condition(text: &str, threshold: Option<f64>) -> Result<Condition, ConditionError> {
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
        "forecast_peak_rate" => plain(Metric::ForecastPeakRate),
        _ => Err(ConditionError::Text("unknown metric")),
    }
}
