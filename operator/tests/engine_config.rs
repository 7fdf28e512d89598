//! The rendered `engine.toml` of every valid sample is accepted by the engine's own config parser.

mod support;

use vexfs_operator::controller::build::render_engine_toml;
use vexfs_operator::controller::validate::validate;

#[test]
fn engine_accepts_the_rendered_config_of_every_valid_sample() {
    for sample in ["minimal.yaml", "full.yaml"] {
        let spec = validate(&support::load_sample(sample)).expect("valid sample");
        let toml = render_engine_toml(&spec).expect("renders");
        if let Err(error) = vexfs_engine::config::Config::from_toml(&toml, sample) {
            panic!("{sample}: the engine rejects the rendered engine.toml: {error}\n{toml}");
        }
    }
}

/// The file the StatefulSet projects the auth Secret key to, as the container sees it.
fn projected_auth_file(
    spec: &vexfs_operator::controller::validate::ValidatedSpec,
) -> Option<String> {
    let auth = spec.rbac.auth.as_ref()?;
    let sts = vexfs_operator::controller::build::statefulset(spec, "hash");
    let pod = sts.spec?.template.spec?;
    let container = pod.containers.first()?;
    let mount = container
        .volume_mounts
        .as_ref()?
        .iter()
        .find(|m| m.name == "config")?;
    let volume = pod.volumes?.into_iter().find(|v| v.name == "config")?;
    let secret = volume
        .projected?
        .sources?
        .into_iter()
        .filter_map(|s| s.secret)
        .find(|s| s.name == auth.secret_ref.name)?;
    let item = secret
        .items?
        .into_iter()
        .find(|i| i.key == auth.secret_ref.key)?;
    Some(format!("{}/{}", mount.mount_path, item.path))
}

#[test]
fn the_engine_enforces_the_rendered_rbac_from_the_mounted_secret() {
    use vexfs_engine::auth::{AuthMethod, Permission};
    let spec = validate(&support::load_sample("full.yaml")).expect("valid sample");
    let toml = render_engine_toml(&spec).expect("renders");
    let config = vexfs_engine::config::Config::from_toml(&toml, "full.yaml").expect("accepted");
    let auth = config.auth.expect("full.yaml sets spec.rbac.auth");
    assert!(auth.enabled);
    assert_eq!(auth.method, AuthMethod::Jwt);
    assert_eq!(
        projected_auth_file(&spec).as_deref(),
        Some(auth.secret_file.to_str().expect("UTF-8 path")),
        "engine.toml must name the file the StatefulSet mounts"
    );
    let policy = vexfs_engine::auth::Policy::from_section(&auth);
    let perm = |p: &str| p.parse::<Permission>().expect("permission");
    assert!(policy.allows("alice", perm("analytics:write")));
    assert!(policy.allows("grafana", perm("dashboard:read")));
    assert!(!policy.allows("grafana", perm("analytics:read")));
}

#[test]
fn without_spec_rbac_auth_the_api_stays_open() {
    let spec = validate(&support::load_sample("minimal.yaml")).expect("valid sample");
    let toml = render_engine_toml(&spec).expect("renders");
    assert!(!toml.contains("[auth]"), "{toml}");
    let config = vexfs_engine::config::Config::from_toml(&toml, "minimal.yaml").expect("accepted");
    assert_eq!(config.auth, None);
    assert_eq!(projected_auth_file(&spec), None);
}
