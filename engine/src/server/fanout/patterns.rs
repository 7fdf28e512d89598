//! `GET /api/v1/patterns` across the cluster, in the two phases of
//! `core::analytics::pattern_merge`: candidates mined at each share's proportional threshold
//! (`GET /api/v1/patterns?scope=local&phase=candidates`), then the exact support of their union
//! in every share (`POST /api/v1/patterns/support?scope=local`), filtered at the global
//! threshold. Phase 2 carries each share's session-window generation; when a share changed
//! between the phases (a session completed), both phases run again, at most [`ATTEMPTS`] times.

use super::{Coverage, FanoutError, MissingReplica, Peers};
use crate::core::analytics::pattern_merge::{self, Candidates, Supports};
use crate::core::analytics::report::PatternsReport;
use crate::core::analytics::{MiningSnapshot, PATTERN_LIMIT, pattern_report};
use axum::http::HeaderValue;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Patterns a share mines at most as candidates (phase 1).
pub const CANDIDATE_LIMIT: usize = PATTERN_LIMIT * 4;
/// Rounds of both phases before answering from the last one.
pub const ATTEMPTS: usize = 3;

/// Body of `POST /api/v1/patterns/support`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportRequest {
    /// Patterns (item sequences) to count.
    pub patterns: Vec<Vec<u32>>,
}

/// Patterns counted in phase 2, with the counts.
type Counted = (Arc<Vec<Vec<u32>>>, Arc<Supports>);

/// This replica's last answers to both phases, reused while its session window is unchanged
/// (pattern queries repeat, for example from a dashboard, far more often than sessions
/// complete): the phase-1 candidates, and the phase-2 counts with the patterns they counted (a
/// repeated query over unchanged replicas asks for the same union of candidates). One mining
/// run at a time: a query arriving while the window is being mined waits for that run instead
/// of starting another (the clustered replicas mine ahead of queries, see
/// `server::cluster::candidates`).
#[derive(Debug, Default)]
pub struct PhaseCache {
    last: Mutex<Option<Arc<Candidates>>>,
    mining: tokio::sync::Mutex<()>,
    counted: Mutex<Option<Counted>>,
}

impl PhaseCache {
    /// Whether the cached answer is that of the session window at `generation` with `sessions`.
    pub fn is_current(&self, generation: u64, sessions: usize) -> bool {
        self.last
            .lock()
            .as_ref()
            .is_some_and(|c| c.generation == generation && c.sessions == sessions)
    }

    fn cached(&self, snapshot: &MiningSnapshot) -> Option<Arc<Candidates>> {
        self.last
            .lock()
            .as_ref()
            .filter(|c| c.generation == snapshot.generation && c.sessions == snapshot.db.len())
            .cloned()
    }

    /// Phase 1 on this replica's snapshot: the cached answer for the snapshot's generation, or
    /// a new mining run (CPU-bound: off the async workers).
    pub async fn candidates(
        &self,
        snapshot: Arc<MiningSnapshot>,
    ) -> Result<Arc<Candidates>, FanoutError> {
        if let Some(c) = self.cached(&snapshot) {
            return Ok(c);
        }
        let _turn = self.mining.lock().await;
        if let Some(c) = self.cached(&snapshot) {
            return Ok(c);
        }
        let mined = tokio::task::spawn_blocking(move || {
            pattern_merge::candidates(
                &snapshot.db,
                snapshot.settings.min_support,
                snapshot.settings.max_pattern_length,
                CANDIDATE_LIMIT,
                snapshot.generation,
            )
        })
        .await
        .map_err(|e| FanoutError::Task(e.to_string()))?;
        let mined = Arc::new(mined);
        *self.last.lock() = Some(mined.clone());
        Ok(mined)
    }
}

/// Phase 2 on this replica's snapshot (CPU-bound: off the async workers).
async fn count_supports(
    snapshot: Arc<MiningSnapshot>,
    patterns: Arc<Vec<Vec<u32>>>,
) -> Result<Supports, FanoutError> {
    tokio::task::spawn_blocking(move || Supports {
        sessions: snapshot.db.len(),
        open_sessions: snapshot.open_sessions,
        generation: snapshot.generation,
        supports: pattern_merge::supports(&snapshot.db, &patterns),
    })
    .await
    .map_err(|e| FanoutError::Task(e.to_string()))
}

impl PhaseCache {
    /// Phase 2 on this replica's snapshot: the cached counts when the window and the patterns
    /// are the same, else a new counting pass.
    pub async fn supports(
        &self,
        snapshot: Arc<MiningSnapshot>,
        patterns: Arc<Vec<Vec<u32>>>,
    ) -> Result<Arc<Supports>, FanoutError> {
        let hit = self
            .counted
            .lock()
            .as_ref()
            .filter(|(asked, s)| {
                s.generation == snapshot.generation
                    && s.sessions == snapshot.db.len()
                    && **asked == *patterns
            })
            .map(|(_, s)| s.clone());
        if let Some(s) = hit {
            return Ok(s);
        }
        let counted = Arc::new(count_supports(snapshot, patterns.clone()).await?);
        *self.counted.lock() = Some((patterns, counted.clone()));
        Ok(counted)
    }
}

/// The patterns one engine would mine from every replica's sessions.
pub async fn merged(
    peers: &Peers,
    auth: Option<&HeaderValue>,
    snapshot: Arc<MiningSnapshot>,
    cache: &PhaseCache,
) -> Result<(PatternsReport, Coverage), FanoutError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let round = round(peers, auth, snapshot.clone(), cache).await?;
        if round.consistent || attempt >= ATTEMPTS {
            if !round.consistent {
                tracing::warn!(
                    attempts = attempt,
                    "sessions kept completing between the pattern phases; answering from the last round"
                );
            }
            return Ok((round.report, round.coverage));
        }
    }
}

struct Round {
    report: PatternsReport,
    coverage: Coverage,
    consistent: bool,
}

async fn round(
    peers: &Peers,
    auth: Option<&HeaderValue>,
    snapshot: Arc<MiningSnapshot>,
    cache: &PhaseCache,
) -> Result<Round, FanoutError> {
    let (mine, theirs) = tokio::join!(
        cache.candidates(snapshot.clone()),
        peers.get::<Candidates>(
            "/api/v1/patterns",
            |_| vec![("phase".into(), "candidates".into())],
            auth
        )
    );
    let mut missing: Vec<MissingReplica> = theirs.missing;
    let mut phase1: BTreeMap<u32, Candidates> = theirs.answers.into_iter().collect();
    phase1.insert(peers.ordinal(), mine?.as_ref().clone());
    let all: Vec<Candidates> = phase1.values().cloned().collect();
    let (union, complete_len) = pattern_merge::union(&all);
    let union = Arc::new(union);
    let body = SupportRequest {
        patterns: union.as_ref().clone(),
    };
    let (mine, theirs) = tokio::join!(
        cache.supports(snapshot.clone(), union.clone()),
        peers.post::<Supports, _>("/api/v1/patterns/support", &body, auth)
    );
    missing.extend(theirs.missing);
    let mut phase2: Vec<(u32, Supports)> = theirs.answers;
    phase2.push((peers.ordinal(), mine?.as_ref().clone()));
    let mut consistent = true;
    let mut total = vec![0usize; union.len()];
    let (mut sessions, mut open_sessions) = (0, 0);
    for (ordinal, s) in &phase2 {
        let Some(c) = phase1.get(ordinal) else {
            continue; // no candidates from it: its share cannot be counted exactly
        };
        consistent &= c.generation == s.generation && c.sessions == s.sessions;
        if s.supports.len() != union.len() {
            missing.push(MissingReplica {
                ordinal: *ordinal,
                url: None,
                reason: format!(
                    "counted {} patterns instead of {}",
                    s.supports.len(),
                    union.len()
                ),
                status: None,
            });
            continue;
        }
        sessions += s.sessions;
        open_sessions += s.open_sessions;
        for (t, n) in total.iter_mut().zip(&s.supports) {
            *t += n;
        }
    }
    let settings = &snapshot.settings;
    let min_support = pattern_merge::global_min_support(settings.min_support, sessions);
    let bounded = pattern_merge::select(
        &union,
        &total,
        complete_len,
        min_support,
        settings.max_pattern_length,
        PATTERN_LIMIT,
    );
    let report = pattern_report::build(&bounded, sessions, open_sessions, min_support, settings);
    Ok(Round {
        report,
        coverage: Coverage::lacking(missing),
        consistent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::analytics::config::AnalyticsConfig;

    fn snapshot(generation: u64, sessions: usize) -> Arc<MiningSnapshot> {
        Arc::new(MiningSnapshot {
            db: vec![vec![1, 2, 3]; sessions],
            generation,
            open_sessions: 0,
            settings: AnalyticsConfig::default(),
        })
    }

    #[tokio::test]
    async fn candidates_are_mined_again_only_when_the_session_window_changed() {
        let cache = PhaseCache::default();
        let first = cache.candidates(snapshot(4, 10)).await.expect("mined");
        assert!(first.patterns.contains(&vec![1, 2, 3]));
        let again = cache.candidates(snapshot(4, 10)).await.expect("cached");
        assert!(
            Arc::ptr_eq(&first, &again),
            "same generation: the cached answer"
        );
        let changed = cache.candidates(snapshot(5, 11)).await.expect("mined");
        assert!(!Arc::ptr_eq(&first, &changed));
        assert_eq!((changed.generation, changed.sessions), (5, 11));
    }

    #[tokio::test]
    async fn supports_are_counted_again_only_for_another_window_or_other_patterns() {
        let cache = PhaseCache::default();
        let asked = Arc::new(vec![vec![1, 2], vec![3]]);
        let first = cache
            .supports(snapshot(4, 10), asked.clone())
            .await
            .expect("counted");
        assert_eq!(first.supports, vec![10, 10]);
        let again = cache
            .supports(snapshot(4, 10), Arc::new(vec![vec![1, 2], vec![3]]))
            .await;
        assert!(
            Arc::ptr_eq(&first, &again.expect("cached")),
            "same window and patterns"
        );
        let other = cache
            .supports(snapshot(4, 10), Arc::new(vec![vec![2, 1]]))
            .await;
        assert_eq!(other.expect("counted").supports, vec![0]);
        let grown = cache
            .supports(snapshot(5, 12), asked)
            .await
            .expect("counted");
        assert_eq!(
            (grown.generation, grown.supports.clone()),
            (5, vec![12, 12])
        );
    }
}
