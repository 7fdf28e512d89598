//! Read-side of the analytics facade: anomaly records, session verdicts and forecasts.

use super::forecast::{self, backtest};
use super::records::AnomalyRecord;
use super::records::query::AnomalyQuery;
use super::report::{
    AnomaliesReport, ForestView, NextEventView, PredictionsReport, RecordTotals, SeriesForecast,
};
use super::verdicts::{SessionPage, SessionQuery, SessionVerdict};
use super::{Analytics, MAX_SEASON_SECONDS, name};
use crate::event::{EventCategory, EventType, timestamp};

/// Observed points returned with a forecast.
const OBSERVED_POINTS: usize = 300;

impl Analytics {
    /// A page of anomaly records, the totals per kind and detector, and the forest state.
    pub fn anomalies(&self, q: &AnomalyQuery) -> AnomaliesReport {
        let (kinds, detectors) = self.store.totals();
        let forest = self
            .detectors
            .as_ref()
            .map(super::anomaly::detectors::Detectors::forest);
        AnomaliesReport {
            page: self.store.query(q),
            totals: RecordTotals::new(&kinds, &detectors),
            forest: forest.map_or_else(ForestView::default, |f| ForestView {
                trained: f.trained(),
                window: f.window_fill(),
                threshold: f.threshold(),
                scored: f.scored(),
                flagged: f.flagged(),
            }),
        }
    }

    /// Kept anomaly records, oldest first.
    pub fn records(&self) -> impl DoubleEndedIterator<Item = &AnomalyRecord> {
        self.store.records()
    }

    /// Loads records persisted by an earlier run (before the log is replayed).
    pub fn restore_records(&mut self, records: Vec<AnomalyRecord>) {
        self.store.restore(records);
    }

    /// Records made since the last call, for persistence, streaming and metrics.
    pub fn take_new_records(&mut self) -> Vec<AnomalyRecord> {
        self.store.take_outbox()
    }

    /// A page of closed-session verdicts.
    pub fn sessions(&self, q: &SessionQuery) -> SessionPage {
        self.verdicts.query(q)
    }

    /// The most recent verdict of the session `key`, with its steps.
    pub fn session(&self, key: &str) -> Option<&SessionVerdict> {
        self.verdicts.get(key)
    }

    /// Refits the forecast of the total rate and of each active category, on event time.
    pub(super) fn refit_forecasts(&mut self) {
        let horizon = self.cfg.horizon_seconds as usize;
        let Some(newest) = self.rates.newest() else {
            return;
        };
        let mut series = vec![("rate:total".to_string(), self.rates.total_series())];
        for category in EventCategory::ALL {
            let xs = self
                .rates
                .series_where(|t| EventType::ALL[t].category() == category);
            if xs.iter().any(|&x| x > 0.0) {
                series.push((format!("rate:{}", category.name()), xs));
            }
        }
        let first_ns = (newest - self.rates.completed() as i64) * 1_000_000_000;
        self.forecasts = series
            .into_iter()
            .filter_map(|(name, xs)| {
                let mut fit = forecast::forecast(&xs, MAX_SEASON_SECONDS, horizon)?;
                for p in &mut fit.forecast {
                    // A rate is never negative.
                    p.value = p.value.max(0.0);
                    p.lower = p.lower.max(0.0);
                    p.upper = p.upper.max(0.0);
                }
                let backtest = backtest::backtest(&xs, fit.period, horizon);
                let skip = xs.len().saturating_sub(OBSERVED_POINTS);
                let observed_start_ns = first_ns + skip as i64 * 1_000_000_000;
                let forecast_start_ns = newest * 1_000_000_000;
                Some(SeriesForecast {
                    series: name,
                    observed_start_ns,
                    observed_start: timestamp::format(observed_start_ns),
                    observed: xs[skip..].to_vec(),
                    forecast_start_ns,
                    forecast_start: timestamp::format(forecast_start_ns),
                    fit,
                    backtest,
                })
            })
            .collect();
    }

    /// Rate forecasts (refitted at most every 10 s by `tick`) and next-event predictions with
    /// their backtests.
    pub fn predictions(&self) -> PredictionsReport {
        if !self.cfg.prediction {
            return PredictionsReport::default();
        }
        let backtest = self.model.backtest();
        PredictionsReport {
            horizon_seconds: self.cfg.horizon_seconds,
            rate_forecast: self
                .forecasts
                .iter()
                .find(|f| f.series == "rate:total")
                .map(|f| f.fit.clone()),
            forecasts: self.forecasts.clone(),
            next_events: self
                .model
                .ranked(&self.recent_history)
                .into_iter()
                .take(5)
                .map(|(i, p)| NextEventView {
                    event_type: name(i),
                    probability: p,
                })
                .collect(),
            next_event_backtest: backtest,
            next_event_accuracy: backtest.accuracy(),
        }
    }
}
