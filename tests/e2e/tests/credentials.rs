//! API credentials: a resource without `spec.rbac.auth` gets a generated admin token in a Secret
//! of its own, which the engine is configured to require, which status names, and which the
//! operator creates once and again only after someone deletes it; every resource gets a separate
//! backup token for its backup Jobs.

use std::time::Duration;

use serde_json::Value;
use vexfs_e2e::{Result, Scenario, Stack, ensure, object, wait};

const READY: Duration = Duration::from_secs(120);
const SECRET: &str = "minimal-admin-token";

/// The admin token in the generated Secret, decoded, and the Secret's uid.
fn admin_token(s: &Scenario) -> Result<(String, String)> {
    token_of(s, SECRET)
}

/// The token in the generated Secret `name`, decoded, and the Secret's uid.
fn token_of(s: &Scenario, name: &str) -> Result<(String, String)> {
    let kubectl = s.cluster.kubectl();
    let secret = kubectl
        .get("secret", name, s.ns())?
        .ok_or_else(|| vexfs_e2e::Error::Expectation(format!("Secret {name} missing")))?;
    let token = kubectl.run(&[
        "get",
        &format!("secret/{name}"),
        "-n",
        s.ns(),
        "-o",
        "go-template={{.data.token | base64decode}}",
    ])?;
    Ok((token, object::uid(&secret).to_owned()))
}

fn engine_toml(stack: &Stack) -> Result<String> {
    let maps = stack.children_of("configmaps")?;
    let text = maps
        .first()
        .and_then(|m| m.pointer("/data/engine.toml"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(text.to_owned())
}

#[test]
fn without_rbac_the_engine_requires_a_generated_admin_token() -> Result<()> {
    let s = Scenario::new("credentials")?;
    let (_operator, stack) = s.ready_sample("minimal.yaml", READY)?;
    let cr = stack.get()?;
    ensure(
        cr.pointer("/status/auth/adminTokenSecret") == Some(&Value::from(SECRET)),
        || format!("status.auth names the Secret: {}", cr["status"]),
    )?;
    let (token, uid) = admin_token(&s)?;
    ensure(
        token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit()),
        || format!("32 random bytes as hex, got {} characters", token.len()),
    )?;
    let secret = s
        .cluster
        .kubectl()
        .get("secret", SECRET, s.ns())?
        .unwrap_or_default();
    ensure(object::controlled_by(&secret, object::uid(&cr)), || {
        format!(
            "the Secret is owned by the resource: {}",
            secret["metadata"]
        )
    })?;
    ensure(secret["immutable"] == Value::Bool(true), || {
        "the Secret is immutable".into()
    })?;
    let toml = engine_toml(&stack)?;
    ensure(
        toml.contains("[auth]")
            && toml.contains("method = \"token\"")
            && toml.contains("backup_token_file = "),
        || format!("engine.toml requires a token and knows the backup token:\n{toml}"),
    )?;
    let (backup, _) = token_of(&s, "minimal-backup-token")?;
    ensure(backup.len() == 64 && backup != token, || {
        "the backup Jobs have a token of their own".into()
    })?;
    let sts = stack.children_of("statefulsets")?;
    let mounted = sts.first().is_some_and(|s| s.to_string().contains(SECRET));
    ensure(mounted, || "the engine mounts the generated Secret".into())?;

    // A spec change reconciles again without touching the token.
    stack.patch_spec(serde_json::json!({"analytics": {"slidingWindowSize": 25000}}))?;
    stack.wait_ready(READY)?;
    ensure(admin_token(&s)? == (token.clone(), uid.clone()), || {
        "a reconcile must not rotate the admin token".into()
    })?;

    // Deleting the Secret is how it is rotated.
    s.cluster
        .kubectl()
        .run(&["delete", "secret", SECRET, "-n", s.ns(), "--wait=true"])?;
    let (fresh, fresh_uid) =
        wait::until("a new admin token Secret", READY, || {
            match admin_token(&s) {
                Ok((t, u)) if u != uid => Ok((t, u)),
                Ok(_) => Err("still the old Secret".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        })?;
    ensure(fresh != token && fresh.len() == 64, || {
        format!("a new random token (uid {fresh_uid})")
    })
}
