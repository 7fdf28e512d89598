//! Phase 1 of clustered pattern queries ahead of time: whenever this replica's session window
//! changed, its candidates are mined in the background, as a standalone engine refreshes its
//! pattern report on its tick. A query whose window is unchanged then pays only phase 2, and one
//! that arrives during a run waits for it instead of mining again.

use crate::core::analytics::Analytics;
use crate::server::state::AppState;
use std::sync::Arc;
use std::time::Duration;

/// How often the session window is checked for change.
const PERIOD: Duration = Duration::from_secs(2);

/// Keeps the candidate cache current until the engine stops.
pub async fn keep_warm(state: AppState) {
    let mut tick = tokio::time::interval(PERIOD);
    loop {
        tick.tick().await;
        let snapshot = {
            let shared = state.shared.lock();
            let Some(analytics) = shared.engine.hook::<Analytics>() else {
                return;
            };
            let (generation, sessions) = analytics.mining_generation();
            if state.pattern_phases.is_current(generation, sessions) {
                continue;
            }
            analytics.mining_snapshot()
        };
        if !snapshot.settings.patterns {
            return;
        }
        if let Err(e) = state.pattern_phases.candidates(Arc::new(snapshot)).await {
            tracing::warn!(error = %e, "mining pattern candidates ahead of queries failed");
        }
    }
}
