//! Every builder's output for every valid sample, compared whole with committed snapshots.

mod support;

use serde::Serialize;
use vexfs_operator::controller::build::{ClusterFacts, build_all};
use vexfs_operator::spec::images::Images;
use vexfs_operator::spec::{ValidatedSpec, validate};

fn yaml(value: &impl Serialize) -> String {
    serde_yaml::to_string(value).expect("serialises")
}

fn check_sample(sample: &str) {
    let spec =
        validate(&support::load_sample(sample), &Images::default()).expect("sample is valid");
    let children = build_all(
        &spec,
        ClusterFacts {
            monitoring_api: true,
            operator_namespace: Some("vexfs-system"),
            ..ClusterFacts::default()
        },
    )
    .expect("builds");
    let dir = support::repo_root()
        .join("operator/tests/snapshots")
        .join(sample.trim_end_matches(".yaml"));
    let engine_toml = children
        .config_map
        .data
        .as_ref()
        .and_then(|d| d.get("engine.toml"))
        .expect("engine.toml");
    support::assert_snapshot(&dir.join("engine.toml"), engine_toml);
    support::assert_snapshot(&dir.join("configmap.yaml"), &yaml(&children.config_map));
    support::assert_snapshot(&dir.join("statefulset.yaml"), &yaml(&children.statefulset));
    support::assert_snapshot(
        &dir.join("service-client.yaml"),
        &yaml(&children.client_service),
    );
    support::assert_snapshot(
        &dir.join("service-headless.yaml"),
        &yaml(&children.headless_service),
    );
    support::assert_snapshot(
        &dir.join("serviceaccount.yaml"),
        &yaml(&children.service_account),
    );
    support::assert_snapshot(
        &dir.join("poddisruptionbudget.yaml"),
        &yaml(&children.pod_disruption_budget),
    );
    support::assert_snapshot(
        &dir.join("networkpolicy.yaml"),
        &yaml(&children.network_policy),
    );
    support::assert_snapshot(
        &dir.join("servicemonitor.yaml"),
        &yaml(&children.service_monitor),
    );
    support::assert_snapshot(
        &dir.join("prometheusrule.yaml"),
        &yaml(&children.prometheus_rule),
    );
    support::assert_snapshot(
        &dir.join("horizontalpodautoscaler.yaml"),
        &yaml(&children.autoscaler),
    );
}

#[test]
fn minimal_sample_children_match_snapshots() {
    check_sample("minimal.yaml");
}

#[test]
fn tls_sample_children_match_snapshots() {
    check_sample("tls.yaml");
}

#[test]
fn full_sample_children_match_snapshots() {
    check_sample("full.yaml");
}

#[test]
fn clustered_sample_children_match_snapshots() {
    check_sample("clustered.yaml");
}

#[test]
fn autoscaled_sample_children_match_snapshots() {
    check_sample("autoscaled.yaml");
}

#[test]
fn auto_monitoring_without_the_api_builds_no_monitoring_objects() {
    let spec = validate(&support::load_sample("minimal.yaml"), &Images::default()).expect("valid");
    let children = build_all(
        &spec,
        ClusterFacts {
            monitoring_api: false,
            ..ClusterFacts::default()
        },
    )
    .expect("builds");
    assert!(children.service_monitor.is_none() && children.prometheus_rule.is_none());
    assert!(
        children.pod_disruption_budget.is_none(),
        "one replica needs no PDB"
    );
}

#[test]
fn config_hash_changes_only_with_the_rendered_config() {
    let cr = support::load_sample("minimal.yaml");
    let base = build_all(
        &validate(&cr, &Images::default()).expect("valid"),
        ClusterFacts::default(),
    )
    .expect("builds");
    let mut scaled = cr.clone();
    scaled.spec.engine = Some(vexfs_operator::crd::EngineSpec {
        replicas: 0,
        ..Default::default()
    });
    let scaled = build_all(
        &validate(&scaled, &Images::default()).expect("valid"),
        ClusterFacts::default(),
    )
    .expect("builds");
    assert_eq!(
        base.config_hash, scaled.config_hash,
        "replicas are not part of engine.toml"
    );
    let mut tuned = cr;
    tuned.spec.analytics = Some(vexfs_operator::crd::AnalyticsSpec {
        sliding_window_size: 5,
        ..Default::default()
    });
    let tuned = build_all(
        &validate(&tuned, &Images::default()).expect("valid"),
        ClusterFacts::default(),
    )
    .expect("builds");
    assert_ne!(base.config_hash, tuned.config_hash);
}

/// Several replicas, as clustered mode will resolve them: validation refuses `replicas > 1` from a
/// standalone spec, so the builders' multi-replica output is reached through [`ValidatedSpec`].
fn with_replicas(sample: &str, replicas: i32, stopped: bool) -> ValidatedSpec {
    let mut cr = support::load_sample(sample);
    cr.spec.stopped = stopped;
    let mut spec = validate(&cr, &Images::default()).expect("valid");
    spec.engine.replicas = replicas;
    spec
}

#[test]
fn several_replicas_get_a_disruption_budget_allowing_one_eviction() {
    let children = build_all(
        &with_replicas("minimal.yaml", 3, false),
        ClusterFacts::default(),
    )
    .expect("builds");
    assert_eq!(children.statefulset.spec.and_then(|s| s.replicas), Some(3));
    support::assert_snapshot(
        &support::repo_root().join("operator/tests/snapshots/replicated/poddisruptionbudget.yaml"),
        &yaml(&children.pod_disruption_budget),
    );
}

#[test]
fn stopped_scales_the_statefulset_to_zero_and_keeps_storage() {
    let children = build_all(
        &with_replicas("full.yaml", 3, true),
        ClusterFacts::default(),
    )
    .expect("builds");
    let sts = children.statefulset.spec.expect("spec");
    assert_eq!(sts.replicas, Some(0));
    assert_eq!(sts.volume_claim_templates.map(|v| v.len()), Some(1));
    assert!(children.pod_disruption_budget.is_none());
}

#[test]
fn children_never_carry_user_labels_or_annotations() {
    let mut cr = support::load_sample("full.yaml");
    cr.metadata.labels = Some([("argocd.argoproj.io/instance".to_owned(), "x".to_owned())].into());
    cr.metadata.annotations = Some([("team".to_owned(), "y".to_owned())].into());
    let children = build_all(
        &validate(&cr, &Images::default()).expect("valid"),
        ClusterFacts {
            monitoring_api: true,
            ..ClusterFacts::default()
        },
    )
    .expect("builds");
    let text = yaml(&children.statefulset)
        + &yaml(&children.config_map)
        + &yaml(&children.service_monitor);
    assert!(!text.contains("argocd.argoproj.io") && !text.contains("team:"));
}

#[test]
fn an_autoscaler_owns_the_count_the_configuration_follows_until_stopped() {
    let cr = support::load_sample("autoscaled.yaml");
    let spec = validate(&cr, &Images::default()).expect("valid");
    let scaled = ClusterFacts {
        live_replicas: Some(5),
        ..ClusterFacts::default()
    };
    let children = build_all(&spec, scaled).expect("builds");
    assert!(children.autoscaler.is_some());
    assert_eq!(children.statefulset.spec.and_then(|s| s.replicas), None);
    assert_eq!(
        (children.configured_replicas, children.desired_replicas),
        (5, 5)
    );
    assert!(children.pod_disruption_budget.is_some());
    let beyond = ClusterFacts {
        live_replicas: Some(20),
        ..ClusterFacts::default()
    };
    let clamped = build_all(&spec, beyond).expect("builds");
    assert_eq!(clamped.configured_replicas, 8, "autoscaling.maxReplicas");
    assert_ne!(children.config_hash, clamped.config_hash);

    let mut stopped = cr;
    stopped.spec.stopped = true;
    let stopped = validate(&stopped, &Images::default()).expect("valid");
    let children = build_all(&stopped, scaled).expect("builds");
    assert!(children.autoscaler.is_none(), "no autoscaler while stopped");
    assert_eq!(children.statefulset.spec.and_then(|s| s.replicas), Some(0));
    assert_eq!(children.desired_replicas, 0);
}
