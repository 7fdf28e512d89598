//! `GET /api/v1/cluster`: the replica's place in the cluster (mode, ordinal, owned partitions,
//! applied sequence and consumer lag per partition); in standalone mode, the mode alone.

use super::cluster_status::ClusterReport;
use super::endpoints::Endpoint;
use super::state::AppState;
use axum::Json;
use axum::extract::State;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::get("/api/v1/cluster", get_cluster)]
}

/// `GET /api/v1/cluster`: ownership and progress of this replica.
#[utoipa::path(
    get,
    path = "/api/v1/cluster",
    tag = "operations",
    responses((status = 200, description = "This replica's partitions, applied sequences and lag \
        (standalone: `mode` only, no partitions)", body = ClusterReport))
)]
pub async fn get_cluster(State(state): State<AppState>) -> Json<ClusterReport> {
    Json(match state.cluster.get() {
        Some(status) => status.report(),
        None => ClusterReport {
            mode: match state.config.cluster.mode {
                crate::config::ClusterMode::Standalone => "standalone",
                crate::config::ClusterMode::Nats => "nats",
            },
            stream: String::new(),
            partitions: 0,
            replicas: 1,
            ordinal: 0,
            peers: Vec::new(),
            owned: Vec::new(),
            rebuilt: false,
            resumed_from: std::collections::BTreeMap::new(),
            caught_up: false,
            progress: Vec::new(),
            sessions: crate::server::cluster_status::SessionFeedProgress::default(),
        },
    })
}
