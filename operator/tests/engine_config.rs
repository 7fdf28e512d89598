//! The rendered `engine.toml` of every valid sample is accepted by the engine's own config parser.

mod support;

use clap::Parser;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use vexfs_engine::auth::{Gate, required};
use vexfs_engine::cli::credentials::Credential;
use vexfs_engine::cli::{Cli, Command};
use vexfs_operator::backup::job::{JobContext, backup_job};
use vexfs_operator::backup::stream_restore::restore_job;
use vexfs_operator::backup::target::Location;
use vexfs_operator::controller::build::render_engine_toml;
use vexfs_operator::crd::AuthMethod;
use vexfs_operator::spec::cluster::configured_replicas;
use vexfs_operator::spec::identity::{BACKUP_IDENTITY, CREDENTIALS_FILE};
use vexfs_operator::spec::images::Images;
use vexfs_operator::spec::{ValidatedSpec, validate};

#[test]
fn engine_accepts_the_rendered_config_of_every_valid_sample() {
    for sample in [
        "minimal.yaml",
        "full.yaml",
        "clustered.yaml",
        "autoscaled.yaml",
    ] {
        let spec =
            validate(&support::load_sample(sample), &Images::default()).expect("valid sample");
        let toml =
            render_engine_toml(&spec, configured_replicas(&spec.engine, None)).expect("renders");
        if let Err(error) = vexfs_engine::config::Config::from_toml(&toml, sample) {
            panic!("{sample}: the engine rejects the rendered engine.toml: {error}\n{toml}");
        }
    }
}

/// The file the StatefulSet projects the auth Secret key to, as the container sees it.
fn projected_auth_file(spec: &vexfs_operator::spec::ValidatedSpec) -> Option<String> {
    let auth = spec.api_auth.auth_spec();
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
    let spec =
        validate(&support::load_sample("full.yaml"), &Images::default()).expect("valid sample");
    let toml = render_engine_toml(&spec, configured_replicas(&spec.engine, None)).expect("renders");
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
fn without_spec_rbac_auth_the_engine_requires_the_generated_admin_token() {
    use vexfs_operator::spec::credentials::{CREDENTIALS_KEY, generated_secret};
    let spec =
        validate(&support::load_sample("minimal.yaml"), &Images::default()).expect("valid sample");
    let toml = render_engine_toml(&spec, configured_replicas(&spec.engine, None)).expect("renders");
    let config = vexfs_engine::config::Config::from_toml(&toml, "minimal.yaml").expect("accepted");
    let section = config
        .auth
        .expect("[auth] is rendered without spec.rbac.auth");
    assert!(section.enabled);
    assert_eq!(
        projected_auth_file(&spec).as_deref(),
        Some(section.secret_file.to_str().expect("UTF-8 path")),
        "engine.toml must name the file the StatefulSet mounts"
    );
    let secret = generated_secret(&spec, "minimal-admin-token", "a1b2").expect("generated");
    let list = &secret.string_data.expect("string data")[CREDENTIALS_KEY];
    let gate = Gate::new(&section, list.as_bytes()).expect("the engine accepts the token list");
    let now = 1_800_000_000;
    for (method, route) in [
        ("POST", "/api/v1/events"),
        ("GET", "/api/v1/stats"),
        ("GET", "/api/v1/admin/backup"),
        ("GET", "/api/v1/audit"),
    ] {
        let access = required(method, route);
        assert_eq!(
            gate.check(access, Some("Bearer a1b2"), now),
            Ok(Some("admin".to_owned())),
            "{method} {route}"
        );
        assert!(
            gate.check(access, None, now).is_err(),
            "{method} {route} open"
        );
        assert!(gate.check(access, Some("Bearer nope"), now).is_err());
    }
}

/// The credentials of the backup Job's engine container, loaded by the engine's own CLI from its
/// arguments, with the mounted credentials file replaced by `secret_file`.
fn backup_job_credential(spec: &ValidatedSpec, secret_file: &std::path::Path) -> Credential {
    let location = Location::Volume {
        claim: "archive".to_owned(),
        file: "b.tar.gz".to_owned(),
    };
    let job = backup_job(&JobContext {
        backup_name: "b",
        namespace: &spec.namespace,
        semantic: &spec.name,
        images: &Images::default(),
        location: &location,
        s3: None,
        identity: spec.backup_identity.as_ref(),
        encryption: None,
        cluster: None,
        owner: OwnerReference::default(),
    });
    let pod = job.spec.and_then(|s| s.template.spec).expect("pod spec");
    let args = pod.containers[0].args.clone().expect("args");
    let args = args.into_iter().map(|a| {
        if a == CREDENTIALS_FILE {
            secret_file.display().to_string()
        } else {
            a
        }
    });
    let cli = Cli::try_parse_from(std::iter::once("vexfs-engine".to_owned()).chain(args))
        .expect("the engine CLI accepts the Job's arguments");
    let Some(Command::Backup(backup)) = cli.command else {
        panic!("the Job runs `vexfs-engine backup`");
    };
    backup.credentials.load().expect("credentials load")
}

/// The files the StatefulSet projects into the config volume, by path as the container sees it,
/// with the Secret and key they come from.
fn projected_files(spec: &ValidatedSpec) -> Vec<(String, String, String)> {
    let sts = vexfs_operator::controller::build::statefulset(spec, "hash");
    let pod = sts.spec.and_then(|s| s.template.spec).expect("pod");
    let volume = pod
        .volumes
        .into_iter()
        .flatten()
        .find(|v| v.name == "config");
    let sources = volume.and_then(|v| v.projected).and_then(|p| p.sources);
    sources
        .into_iter()
        .flatten()
        .filter_map(|s| s.secret)
        .flat_map(|secret| {
            let name = secret.name.clone();
            secret
                .items
                .into_iter()
                .flatten()
                .map(move |item| (format!("/etc/vexfs/{}", item.path), name.clone(), item.key))
        })
        .collect()
}

#[test]
fn the_backup_job_takes_backups_with_its_own_token_and_nothing_else() {
    use vexfs_engine::auth::BackupToken;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-config-auth");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let backup_file = dir.join("backup-token");
    std::fs::write(&backup_file, "tok-backup\n").expect("token written");
    let cases = [
        (
            Some(AuthMethod::Jwt),
            "0123456789abcdef0123456789abcdef-signing",
        ),
        (Some(AuthMethod::Token), "alice:tok-a\n"),
        (None, "admin:tok-admin\n"),
    ];
    let now = 1_800_000_000;
    for (method, secret) in cases {
        let mut cr = support::load_sample("full.yaml");
        let rbac = cr.spec.rbac.as_mut().expect("full.yaml sets rbac");
        match method {
            Some(method) => rbac.auth.as_mut().expect("full.yaml sets auth").method = method,
            None => rbac.auth = None,
        }
        let spec = validate(&cr, &Images::default()).expect("valid sample");
        let toml =
            render_engine_toml(&spec, configured_replicas(&spec.engine, None)).expect("renders");
        let config = vexfs_engine::config::Config::from_toml(&toml, "full.yaml").expect("accepted");
        let section = config.auth.expect("[auth] rendered");
        let token_file = section
            .backup_token_file
            .clone()
            .expect("backup token file");
        let mounted = projected_files(&spec);
        assert!(
            mounted.contains(&(
                token_file.display().to_string(),
                "full-backup-token".to_owned(),
                "token".to_owned()
            )),
            "{method:?}: the engine mounts the backup token where engine.toml names it: {mounted:?}"
        );
        let backup = BackupToken::parse(b"tok-backup", &section.backup_token_subject);
        let gate = Gate::new(&section, secret.as_bytes())
            .expect("gate")
            .with_backup_token(backup);
        let credential = backup_job_credential(&spec, &backup_file);
        let header = format!("Bearer {}", credential.bearer(now).expect("a credential"));
        assert_eq!(
            gate.check(required("GET", "/api/v1/admin/backup"), Some(&header), now),
            Ok(Some(BACKUP_IDENTITY.to_owned())),
            "{method:?}"
        );
        for (verb, route) in [
            ("POST", "/api/v1/events"),
            ("GET", "/api/v1/events"),
            ("POST", "/api/v1/admin/restore"),
        ] {
            assert!(
                gate.check(required(verb, route), Some(&header), now)
                    .is_err(),
                "{method:?}: the backup token may not {verb} {route}"
            );
        }
    }
}

/// The clustered sample with NATS TLS (the autoscaled sample's) and scheduled backups.
fn clustered_with_tls() -> ValidatedSpec {
    validate(
        &support::clustered_with_tls_and_backups(),
        &Images::default(),
    )
    .expect("valid")
}

/// `args` of a Job's engine container, parsed by the engine's own CLI.
fn parse_job_args(job: k8s_openapi::api::batch::v1::Job, container: &str) -> Command {
    let pod = job.spec.and_then(|s| s.template.spec).expect("pod spec");
    let engine = pod
        .init_containers
        .into_iter()
        .flatten()
        .chain(pod.containers)
        .find(|c| c.name == container)
        .expect("engine container");
    let args = engine.args.unwrap_or_default();
    let cli = Cli::try_parse_from(std::iter::once("vexfs-engine".to_owned()).chain(args))
        .expect("the engine CLI accepts the Job's arguments");
    cli.command.expect("a command")
}

#[test]
fn clustered_backup_and_restore_jobs_reach_the_stream_the_engine_is_configured_for() {
    let spec = clustered_with_tls();
    let toml = render_engine_toml(&spec, 3).expect("renders");
    let cluster = vexfs_engine::config::Config::from_toml(&toml, "clustered")
        .expect("engine.toml")
        .cluster;
    let nats = spec.cluster.as_ref().expect("clustered");
    let location = Location::S3 {
        bucket: "vexfs-backups".to_owned(),
        key: "prod/b.tar.gz".to_owned(),
    };
    let ctx = JobContext::for_spec(&spec, "b", &location, OwnerReference::default());
    let Command::Backup(backup) = parse_job_args(backup_job(&ctx), "backup") else {
        panic!("the backup Job runs `vexfs-engine backup`");
    };
    assert_eq!(backup.from.as_deref(), Some(cluster.nats_url.as_str()));
    let Command::Restore(restore) = parse_job_args(restore_job(&ctx, nats), "restore") else {
        panic!("the restore Job runs `vexfs-engine restore`");
    };
    assert_eq!(restore.to.as_deref(), Some(cluster.nats_url.as_str()));
    assert_eq!(
        (restore.subject_prefix.as_str(), restore.stream_replicas),
        (cluster.subject_prefix.as_str(), cluster.stream_replicas)
    );
    for options in [&backup.nats, &restore.nats] {
        assert_eq!(options.stream, cluster.stream);
        assert_eq!(options.nats_credentials_file, cluster.credentials_file);
        assert_eq!(options.nats_ca_file, cluster.ca_file);
        assert_eq!(options.nats_cert_file, cluster.cert_file);
        assert_eq!(options.nats_key_file, cluster.key_file);
        assert!(options.nats_key_file.is_some(), "every NATS file is passed");
    }
}
