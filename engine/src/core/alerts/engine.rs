//! The alert engine: evaluates rules on each snapshot and drives every alert's lifecycle.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::alert::{Alert, AlertFilter, AlertId, AlertStatus, fingerprint};
use super::inputs::{AlertInputs, InputNeeds};
use super::limiter::{Limiter, SuppressionReason};
use super::rule::AlertRule;

const MINUTE_NS: i64 = 60 * 1_000_000_000;

/// Errors of alert operations.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AlertError {
    /// No alert has this id (or it was evicted from history).
    #[error("alert {0} not found")]
    NotFound(AlertId),
    /// The alert resolved already; there is nothing to acknowledge.
    #[error("alert {0} is resolved and cannot be acknowledged")]
    Resolved(AlertId),
}

/// Engine-wide alert settings (the `[alerts]` section, minus rules and receivers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertSettings {
    /// Minimum time between two alerts of the same fingerprint, minutes.
    pub cooldown_minutes: u64,
    /// Unacknowledged time after which a firing alert escalates, minutes (0: never).
    pub escalation_timeout_minutes: u64,
    /// Most alerts fired in any hour (0: unlimited).
    pub max_alerts_per_hour: u32,
    /// How many alerts the history keeps (resolved ones are evicted first).
    pub history_limit: usize,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            cooldown_minutes: 5,
            escalation_timeout_minutes: 15,
            max_alerts_per_hour: 10,
            history_limit: 1_000,
        }
    }
}

/// Something the edge must act on after an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum AlertEffect {
    /// A new alert fired: notify, append an `AlertTriggered` event, count it.
    Fired(Alert),
    /// An alert stayed unacknowledged past the timeout: notify again at raised severity.
    Escalated(Alert),
    /// An alert's condition cleared: notify resolution.
    Resolved(Alert),
    /// A would-be alert was suppressed (counted once per episode).
    Suppressed {
        /// Rule name.
        rule: String,
        /// Why.
        reason: SuppressionReason,
    },
}

/// Counts by state plus suppressions, for the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertSummary {
    /// Alerts firing now.
    pub firing: usize,
    /// Alerts acknowledged and not yet resolved.
    pub acknowledged: usize,
    /// Resolved alerts still in history.
    pub resolved: usize,
    /// Alerts fired in the last hour.
    pub fired_last_hour: usize,
    /// Suppressed would-be alerts by reason.
    pub suppressed: BTreeMap<SuppressionReason, u64>,
}

#[derive(Debug, Default)]
struct RuleState {
    pending_since: Option<i64>,
    active: Option<AlertId>,
    suppressed: Option<SuppressionReason>,
    pattern_seen: bool,
}

/// Rules, their state and the alert history; pure and driven by an injected clock.
#[derive(Debug)]
pub struct AlertEngine {
    rules: Vec<(AlertRule, String)>,
    settings: AlertSettings,
    states: HashMap<String, RuleState>,
    alerts: BTreeMap<AlertId, Alert>,
    limiter: Limiter,
    next_id: AlertId,
}

impl AlertEngine {
    /// An engine over validated rules.
    pub fn new(rules: Vec<AlertRule>, settings: AlertSettings) -> Self {
        let rules = rules
            .into_iter()
            .map(|r| {
                let fp = fingerprint(&r);
                (r, fp)
            })
            .collect();
        Self {
            rules,
            settings,
            states: HashMap::new(),
            alerts: BTreeMap::new(),
            limiter: Limiter::new(
                minutes_ns(settings.cooldown_minutes),
                settings.max_alerts_per_hour,
            ),
            next_id: 1,
        }
    }

    /// The configured rules.
    pub fn rules(&self) -> impl Iterator<Item = &AlertRule> {
        self.rules.iter().map(|(r, _)| r)
    }

    /// Which costly inputs any rule reads.
    pub fn needs(&self) -> InputNeeds {
        self.rules()
            .map(AlertRule::needs)
            .fold(InputNeeds::default(), |a, b| InputNeeds {
                patterns: a.patterns || b.patterns,
                forecast: a.forecast || b.forecast,
                anomalies: a.anomalies || b.anomalies,
            })
    }

    /// Evaluates every rule against `inputs` at `now_ns`, then escalates overdue alerts.
    pub fn evaluate(&mut self, inputs: &AlertInputs, now_ns: i64) -> Vec<AlertEffect> {
        let mut effects = Vec::new();
        for idx in 0..self.rules.len() {
            self.evaluate_rule(idx, inputs, now_ns, &mut effects);
        }
        self.escalate_overdue(now_ns, &mut effects);
        self.evict_history();
        effects
    }

    fn evaluate_rule(
        &mut self,
        idx: usize,
        inputs: &AlertInputs,
        now: i64,
        out: &mut Vec<AlertEffect>,
    ) {
        let (rule, fp) = &self.rules[idx];
        let state = self.states.entry(fp.clone()).or_default();
        let Some((holds, value)) = rule.evaluate(inputs, &mut state.pattern_seen) else {
            return;
        };
        if !holds {
            state.pending_since = None;
            state.suppressed = None;
            if let Some(id) = state.active.take()
                && let Some(alert) = self.alerts.get_mut(&id)
            {
                alert.status = AlertStatus::Resolved;
                alert.resolved_at_ns = Some(now);
                alert.value = value;
                out.push(AlertEffect::Resolved(alert.clone()));
            }
            return;
        }
        let since = *state.pending_since.get_or_insert(now);
        if let Some(id) = state.active {
            if let Some(alert) = self.alerts.get_mut(&id) {
                alert.value = value;
            }
            return;
        }
        if now.saturating_sub(since) >= rule.for_ns {
            self.fire_or_suppress(idx, value, now, out);
        }
    }

    /// Fires rule `idx` unless cooldown or the hourly cap forbid it (counted once per episode).
    fn fire_or_suppress(&mut self, idx: usize, value: f64, now: i64, out: &mut Vec<AlertEffect>) {
        let (rule, fp) = &self.rules[idx];
        let state = self.states.entry(fp.clone()).or_default();
        match self.limiter.admit(fp, now) {
            Ok(()) => {
                let alert = Alert::fire(self.next_id, rule, value, now);
                self.next_id += 1;
                state.active = Some(alert.id);
                state.suppressed = None;
                tracing::info!(rule = %alert.rule, id = alert.id, value, "alert fired");
                self.alerts.insert(alert.id, alert.clone());
                out.push(AlertEffect::Fired(alert));
            }
            Err(reason) if state.suppressed != Some(reason) => {
                state.suppressed = Some(reason);
                self.limiter.count_suppressed(reason);
                tracing::debug!(rule = %rule.name, reason = reason.as_str(), "alert suppressed");
                out.push(AlertEffect::Suppressed {
                    rule: rule.name.clone(),
                    reason,
                });
            }
            Err(_) => {}
        }
    }

    fn escalate_overdue(&mut self, now: i64, out: &mut Vec<AlertEffect>) {
        if self.settings.escalation_timeout_minutes == 0 {
            return;
        }
        let timeout = minutes_ns(self.settings.escalation_timeout_minutes);
        for alert in self.alerts.values_mut() {
            let overdue = now.saturating_sub(alert.fired_at_ns) >= timeout;
            if alert.status == AlertStatus::Firing && alert.escalated_at_ns.is_none() && overdue {
                alert.escalated_at_ns = Some(now);
                alert.severity = alert.severity.escalated();
                tracing::warn!(rule = %alert.rule, id = alert.id, "alert escalated");
                out.push(AlertEffect::Escalated(alert.clone()));
            }
        }
    }

    fn evict_history(&mut self) {
        while self.alerts.len() > self.settings.history_limit {
            let oldest_resolved = self
                .alerts
                .iter()
                .find(|(_, a)| !a.status.is_active())
                .map(|(&id, _)| id);
            match oldest_resolved {
                Some(id) => self.alerts.remove(&id),
                None => break,
            };
        }
    }

    /// Acknowledges an active alert (idempotent); it will no longer escalate.
    pub fn acknowledge(
        &mut self,
        id: AlertId,
        by: Option<String>,
        now_ns: i64,
    ) -> Result<Alert, AlertError> {
        let alert = self.alerts.get_mut(&id).ok_or(AlertError::NotFound(id))?;
        match alert.status {
            AlertStatus::Resolved => Err(AlertError::Resolved(id)),
            AlertStatus::Acknowledged => Ok(alert.clone()),
            AlertStatus::Firing => {
                alert.status = AlertStatus::Acknowledged;
                alert.acknowledged_at_ns = Some(now_ns);
                alert.acknowledged_by = by;
                tracing::info!(rule = %alert.rule, id, "alert acknowledged");
                Ok(alert.clone())
            }
        }
    }

    /// One alert by id.
    pub fn get(&self, id: AlertId) -> Option<&Alert> {
        self.alerts.get(&id)
    }

    /// Alerts passing `filter`, newest first, at most `filter.limit`.
    pub fn list(&self, filter: &AlertFilter) -> Vec<Alert> {
        self.alerts
            .values()
            .rev()
            .filter(|a| filter.matches(a))
            .take(filter.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect()
    }

    /// Counts by state, fired in the last hour and suppressed by reason.
    pub fn summary(&self, now_ns: i64) -> AlertSummary {
        let count = |s: AlertStatus| self.alerts.values().filter(|a| a.status == s).count();
        AlertSummary {
            firing: count(AlertStatus::Firing),
            acknowledged: count(AlertStatus::Acknowledged),
            resolved: count(AlertStatus::Resolved),
            fired_last_hour: self.limiter.fired_in_last_hour(now_ns),
            suppressed: self.limiter.suppressed().clone(),
        }
    }
}

fn minutes_ns(minutes: u64) -> i64 {
    i64::try_from(minutes)
        .unwrap_or(i64::MAX)
        .saturating_mul(MINUTE_NS)
}
