//! `backup --from` and `replay` against a real engine enforcing `[auth]`: refused with a clear 401
//! without credentials, 403 for a subject lacking `production:write`, and working with a static
//! token picked by subject or with a minted HS256 JWT (options or environment variables).

mod common;

use common::auth::{Role, Subject, auth_toml};
use common::{BIN, Engine, run_cli};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

const BACKUP_SUBJECT: &str = "vexfs-operator-backup";
const TOKENS: &str = "writer:tok-writer\nreader:tok-reader\nvexfs-operator-backup:tok-backup\n";
const JWT_SECRET: &str = "0123456789abcdef0123456789abcdef-engine-signing";
const EVENTS: usize = 250;

/// Roles: `ingest` writes events, `reader` reads them, the backup identity takes backups.
const ROLES: &[Role] = &[
    ("ingest", &["analytics:write"]),
    ("reader", &["analytics:read"]),
    (BACKUP_SUBJECT, &["production:write"]),
];

/// Subjects: the users `writer` and `reader`, and the backup service account.
const SUBJECTS: &[Subject] = &[
    ("user", "writer", "ingest"),
    ("user", "reader", "reader"),
    ("service_account", BACKUP_SUBJECT, BACKUP_SUBJECT),
];

/// Starts an engine enforcing `method`, with its secret file and an NDJSON file of events in `root`.
async fn start(root: &Path, method: &str, secret: &str) -> Engine {
    start_with(root, method, secret, None).await
}

/// [`start`], with `backup_token_file` naming `root/backup-token` holding `backup_token` when given.
async fn start_with(root: &Path, method: &str, secret: &str, backup_token: Option<&str>) -> Engine {
    let secret_file = root.join("secret");
    std::fs::write(&secret_file, secret).unwrap();
    let config_file = root.join("engine.toml");
    let mut config = auth_toml(method, true, &secret_file, ROLES, SUBJECTS);
    if let Some(token) = backup_token {
        let file = root.join("backup-token");
        std::fs::write(&file, token).unwrap();
        let line = format!("backup_token_file = \"{}\"\nsecret_file = ", file.display());
        config = config.replacen("secret_file = ", &line, 1);
    }
    std::fs::write(&config_file, config).unwrap();
    let events: String = (0..EVENTS)
        .map(|i| {
            let e = json!({"type": "FilesystemWrite", "source": "node-1",
                "timestamp": 1_800_000_000_000_000_000i64 + i as i64 * 1_000_000,
                "context": {"filesystem": {"path": format!("/data/{i}")}}});
            e.to_string() + "\n"
        })
        .collect();
    std::fs::write(root.join("events.ndjson"), events).unwrap();
    Engine::start_with_config(&root.join("data"), &config_file).await
}

/// Runs `backup --from` the engine into `root/backups` with `extra` options and `env` variables.
fn backup(engine: &Engine, root: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(["backup", "--from", &engine.url, "--to"])
        .arg(root.join("backups"))
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .expect("binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the command's standard error mentions `needle`, showing it if not.
#[track_caller]
fn assert_stderr_has(out: &Output, needle: &str) {
    assert!(stderr(out).contains(needle), "{}", stderr(out));
}

fn event_count(out: &Output) -> Value {
    assert!(out.status.success(), "{}", stderr(out));
    let summary: Value = serde_json::from_slice(&out.stdout).expect("one JSON summary line");
    summary["eventCount"].clone()
}

fn replay(engine: &Engine, root: &Path, extra: &[&str]) -> Output {
    let file = root.join("events.ndjson");
    let mut args = vec![
        "replay",
        file.to_str().unwrap(),
        "--to",
        &engine.url,
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    run_cli(&args)
}

#[tokio::test]
async fn token_backups_need_the_backup_subjects_line() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let engine = start(root, "token", TOKENS).await;
    let secret = root.join("secret");
    let secret = secret.to_str().unwrap();

    let anonymous = replay(&engine, root, &[]);
    assert!(!anonymous.status.success());
    assert_stderr_has(&anonymous, "401 Unauthorized");
    let by_writer = replay(
        &engine,
        root,
        &["--token-file", secret, "--token-subject", "writer"],
    );
    assert!(by_writer.status.success(), "{}", stderr(&by_writer));

    let out = backup(&engine, root, &[], &[]);
    assert!(!out.status.success(), "no credentials, no backup");
    let message = stderr(&out);
    assert!(
        message.contains("401 Unauthorized") && message.contains("--token-file"),
        "{message}"
    );
    let reader = backup(
        &engine,
        root,
        &["--token-file", secret, "--token-subject", "reader"],
        &[],
    );
    assert_stderr_has(&reader, "403 Forbidden");
    assert_stderr_has(&reader, "production:write");

    let subject = ["--token-file", secret, "--token-subject", BACKUP_SUBJECT];
    assert_eq!(event_count(&backup(&engine, root, &subject, &[])), EVENTS);
    let lone_token = root.join("token");
    std::fs::write(&lone_token, "tok-backup\n").unwrap();
    let lone = ["--token-file", lone_token.to_str().unwrap()];
    assert_eq!(event_count(&backup(&engine, root, &lone, &[])), EVENTS);
    engine.stop();
}

#[tokio::test]
async fn jwt_backups_mint_a_token_for_the_backup_subject() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let engine = start(root, "jwt", JWT_SECRET).await;
    let secret = root.join("secret");
    let secret = secret.to_str().unwrap();
    let writer = ["--jwt-secret-file", secret, "--jwt-subject", "writer"];
    let ingested = replay(&engine, root, &writer);
    assert!(ingested.status.success(), "{}", stderr(&ingested));

    let out = backup(&engine, root, &[], &[]);
    assert_stderr_has(&out, "401 Unauthorized");
    let wrong = backup(&engine, root, &writer, &[]);
    assert_stderr_has(&wrong, "403 Forbidden");

    let by_flags = ["--jwt-secret-file", secret, "--jwt-subject", BACKUP_SUBJECT];
    assert_eq!(event_count(&backup(&engine, root, &by_flags, &[])), EVENTS);
    let env = [
        ("VEXFS_JWT_SECRET_FILE", secret),
        ("VEXFS_JWT_SUBJECT", BACKUP_SUBJECT),
    ];
    let by_env = backup(&engine, root, &[], &env);
    assert_eq!(event_count(&by_env), EVENTS);

    let other = root.join("other-secret");
    std::fs::write(&other, "another-secret-another-secret-another").unwrap();
    let forged = [
        "--jwt-secret-file",
        other.to_str().unwrap(),
        "--jwt-subject",
        BACKUP_SUBJECT,
    ];
    let refused = backup(&engine, root, &forged, &[]);
    let message = stderr(&refused);
    assert!(message.contains("rejected the credentials"), "{message}");
    engine.stop();
}

#[tokio::test]
async fn the_backup_token_takes_backups_without_the_signing_key_and_nothing_else() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let engine = start_with(root, "jwt", JWT_SECRET, Some("backup-only-token\n")).await;
    let secret = root.join("secret");
    let writer = [
        "--jwt-secret-file",
        secret.to_str().unwrap(),
        "--jwt-subject",
        "writer",
    ];
    let ingested = replay(&engine, root, &writer);
    assert!(ingested.status.success(), "{}", stderr(&ingested));

    let token_file = root.join("backup-token");
    let token = ["--token-file", token_file.to_str().unwrap()];
    assert_eq!(event_count(&backup(&engine, root, &token, &[])), EVENTS);
    let ingest = replay(&engine, root, &token);
    assert!(!ingest.status.success(), "the backup token cannot ingest");
    assert_stderr_has(&ingest, "403 Forbidden");
    let wrong = root.join("wrong-token");
    std::fs::write(&wrong, "not-the-backup-token\n").unwrap();
    let refused = backup(
        &engine,
        root,
        &["--token-file", wrong.to_str().unwrap()],
        &[],
    );
    assert_stderr_has(&refused, "rejected the credentials");
    engine.stop();
}
