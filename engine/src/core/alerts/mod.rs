//! Alerting core: rules over observed values, deduplication, cooldown, hourly cap, escalation
//! and acknowledgement. Pure and synchronous; the caller passes the clock (`now_ns`) and turns
//! the returned [`AlertEffect`]s into notifications, stream events and metrics.

mod alert;
mod collect;
mod condition;
mod engine;
mod inputs;
mod limiter;
mod rule;

pub use alert::{Alert, AlertFilter, AlertId, AlertStatus, fingerprint};
pub use collect::RATE_WINDOW;
pub use condition::{Comparison, Condition, Metric};
pub use engine::{AlertEffect, AlertEngine, AlertError, AlertSettings, AlertSummary};
pub use inputs::{AlertInputs, InputNeeds};
pub use limiter::{Limiter, SuppressionReason};
pub use rule::{AlertRule, RuleError, RuleSpec, Severity};
