//! The anomaly records' way out of the analytics: loaded from `anomalies.jsonl` into the analytics at
//! start ([`open`]), then, after each batch, moved to the file, the record stream and the metrics
//! ([`publish`]). It sits above the handler state; the file format is in [`super::anomaly_log`].

use super::anomaly_log::{AnomalyLog, AnomalyLogError, FILE, io, load};
use super::state::AppState;
use crate::core::analytics::Analytics;
use crate::core::analytics::records::AnomalyRecord;
use std::path::Path;
use std::sync::Arc;

/// Loads `dir/anomalies.jsonl` into the analytics of `state` and opens it for appending;
/// `None` when analytics are disabled.
pub fn open(state: &AppState, dir: &Path) -> Result<Option<AnomalyLog>, AnomalyLogError> {
    let mut shared = state.shared.lock();
    let Some(mut analytics) = shared.engine.hook_mut::<Analytics>() else {
        return Ok(None);
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let records = load(&dir.join(FILE))?;
    let lines = records.len();
    tracing::info!(records = lines, "anomaly records loaded");
    analytics.restore_records(records);
    AnomalyLog::open(dir, lines).map(Some)
}

/// Moves the records made since the last call to the file, the stream and the metrics.
pub fn publish(state: &AppState) {
    let records = {
        let mut shared = state.shared.lock();
        match shared.engine.hook_mut::<Analytics>() {
            Some(mut a) => a.take_new_records(),
            None => return,
        }
    };
    if records.is_empty() {
        return;
    }
    for r in &records {
        state
            .metrics
            .anomalies_total
            .with_label_values(&[r.kind.name(), r.detector.name()])
            .inc();
        let _ = state.anomaly_stream.send(Arc::new(r.clone()));
    }
    let Some(log) = &state.anomaly_log else {
        return;
    };
    let mut log = log.lock();
    if let Err(e) = log.append(&records) {
        tracing::error!(error = %e, "anomaly records not persisted");
        return;
    }
    let kept: Option<Vec<AnomalyRecord>> = {
        let shared = state.shared.lock();
        shared.engine.hook::<Analytics>().and_then(|a| {
            let n = a.records().count();
            log.compaction_due(n)
                .then(|| a.records().cloned().collect())
        })
    };
    if let Some(kept) = kept
        && let Err(e) = log.compact(kept.iter())
    {
        tracing::error!(error = %e, "anomaly record file not compacted");
    }
}
