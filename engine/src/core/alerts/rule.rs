//! Alert rules: name, severity, condition (see the `condition` module), hold time, receivers.

use serde::{Deserialize, Serialize};

use super::condition::{Condition, ConditionError, parse_condition};
use super::inputs::{AlertInputs, InputNeeds};

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

    /// Which costly inputs this rule reads.
    pub fn needs(&self) -> InputNeeds {
        self.condition.needs()
    }

    /// Evaluates the condition: `Some((holds, value))`, or `None` without data.
    ///
    /// `seen` remembers whether a watched pattern was ever frequent (for disappearance).
    pub fn evaluate(&self, inputs: &AlertInputs, seen: &mut bool) -> Option<(bool, f64)> {
        self.condition.evaluate(inputs, seen)
    }
}
