//! Request decisions for both methods: 401 reasons, 403 naming the permission, open routes.

use super::*;
use crate::auth::BackupToken;
use crate::auth::jwt::{Claims, JwtVerifier};
use crate::auth::routes::required;

const NOW: i64 = 1_800_000_000;
const JWT_SECRET: &[u8] = b"a-jwt-signing-secret-of-32-bytes";

fn section(method: &str) -> AuthSection {
    toml::from_str(&format!(
        r#"
        method = "{method}"
        secret_file = "/etc/vexfs/secrets/auth/secret"
        [[roles]]
        name = "writer"
        permissions = ["analytics:read", "analytics:write"]
        [[roles]]
        name = "viewer"
        permissions = ["dashboard:read"]
        [[subjects]]
        name = "alice"
        roles = ["writer"]
        [[subjects]]
        kind = "service_account"
        name = "grafana"
        roles = ["viewer"]
        "#
    ))
    .unwrap()
}

fn token_gate() -> Gate {
    Gate::new(
        &section("token"),
        b"alice:tok-a\ngrafana:tok-g\nstray:tok-s\n",
    )
    .unwrap()
}

fn jwt(sub: &str, exp: i64) -> String {
    let verifier = JwtVerifier::new(JWT_SECRET, 0).unwrap();
    let claims = Claims {
        sub: sub.into(),
        exp,
        nbf: None,
    };
    format!("Bearer {}", verifier.sign(&claims))
}

#[test]
fn tokens_grant_their_subjects_permissions() {
    let gate = token_gate();
    let post = required("POST", "/api/v1/events");
    assert_eq!(
        gate.check(post, Some("Bearer tok-a"), NOW),
        Ok(Some("alice".into()))
    );
    assert_eq!(
        gate.check(post, Some("bearer  tok-g "), NOW),
        Err(Denial::Forbidden {
            subject: "grafana".into(),
            permission: "analytics:write".parse().unwrap()
        })
    );
    let dashboard = required("GET", "/api/v1/whoami");
    assert_eq!(
        gate.check(dashboard, Some("Bearer tok-g"), NOW),
        Ok(Some("grafana".into()))
    );
}

#[test]
fn missing_or_invalid_credentials_are_unauthenticated() {
    let gate = token_gate();
    let stats = required("GET", "/api/v1/stats");
    let cases = [
        (None, Denial::Missing),
        (Some("tok-a"), Denial::NotBearer),
        (Some("Basic dG9rLWE="), Denial::NotBearer),
        (Some("Bearer "), Denial::NotBearer),
        (Some("Bearer tok-x"), Denial::UnknownToken),
    ];
    for (header, want) in cases {
        let denial = gate.check(stats, header, NOW).unwrap_err();
        assert!(denial.is_unauthenticated());
        assert_eq!(denial, want, "{header:?}");
    }
}

#[test]
fn undeclared_token_subjects_hold_nothing_and_are_reported() {
    let gate = token_gate();
    assert_eq!(gate.undeclared_subjects(), ["stray"]);
    let denial = gate
        .check(required("GET", "/api/v1/whoami"), Some("Bearer tok-s"), NOW)
        .unwrap_err();
    assert!(!denial.is_unauthenticated());
    assert_eq!(
        denial.to_string(),
        "subject `stray` lacks permission `dashboard:read`"
    );
}

#[test]
fn open_routes_need_no_credentials() {
    let gate = token_gate();
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(gate.check(required("GET", path), None, NOW), Ok(None));
    }
}

#[test]
fn jwt_subjects_are_checked_with_the_injected_clock() {
    let gate = Gate::new(&section("jwt"), JWT_SECRET).unwrap();
    let read = required("GET", "/api/v1/patterns");
    let alice = jwt("alice", NOW + 60);
    assert_eq!(
        gate.check(read, Some(&alice), NOW),
        Ok(Some("alice".into()))
    );
    assert_eq!(
        gate.check(read, Some(&alice), NOW + 91),
        Err(Denial::Jwt(JwtError::Expired))
    );
    let forbidden = gate.check(read, Some(&jwt("grafana", NOW + 60)), NOW);
    assert!(matches!(forbidden, Err(Denial::Forbidden { .. })));
    assert_eq!(
        gate.check(read, Some("Bearer not.a.jwt"), NOW),
        Err(Denial::Jwt(JwtError::Malformed))
    );
}

#[test]
fn unusable_secrets_are_refused() {
    assert_eq!(
        Gate::new(&section("token"), b"no token here\n").unwrap_err(),
        GateError::Tokens(TokenFileError::Malformed { line: 1 })
    );
    assert_eq!(
        Gate::new(&section("token"), &[0xff, b':', b'x']).unwrap_err(),
        GateError::NotUtf8
    );
    assert_eq!(
        Gate::new(&section("jwt"), b"short").unwrap_err(),
        GateError::Jwt(JwtError::WeakSecret(5))
    );
}

#[test]
fn the_backup_token_takes_backups_and_nothing_else_with_any_method() {
    let backup = || BackupToken::parse(b"tok-backup\n", "vexfs-operator-backup");
    let jwt_gate = Gate::new(&section("jwt"), JWT_SECRET).unwrap();
    for gate in [token_gate(), jwt_gate] {
        let gate = gate.with_backup_token(backup());
        let header = Some("Bearer tok-backup");
        assert_eq!(
            gate.check(required("GET", "/api/v1/admin/backup"), header, NOW),
            Ok(Some("vexfs-operator-backup".into()))
        );
        for (method, path) in [
            ("POST", "/api/v1/admin/restore"),
            ("GET", "/api/v1/audit"),
            ("GET", "/api/v1/events"),
            ("POST", "/api/v1/events"),
            ("HEAD", "/api/v1/admin/backup"),
        ] {
            let denial = gate.check(required(method, path), header, NOW).unwrap_err();
            assert!(
                matches!(&denial, Denial::Forbidden { subject, .. } if subject == "vexfs-operator-backup"),
                "{method} {path}: {denial:?}"
            );
        }
        assert_eq!(
            gate.check(required("GET", "/healthz"), header, NOW),
            Ok(None)
        );
    }
}

#[test]
fn without_a_backup_token_the_backup_route_needs_production_write() {
    let gate = token_gate();
    let denial = gate
        .check(
            required("GET", "/api/v1/admin/backup"),
            Some("Bearer tok-a"),
            NOW,
        )
        .unwrap_err();
    assert_eq!(
        denial,
        Denial::Forbidden {
            subject: "alice".into(),
            permission: "production:write".parse().unwrap()
        }
    );
    let unknown = gate.check(
        required("GET", "/api/v1/admin/backup"),
        Some("Bearer tok-backup"),
        NOW,
    );
    assert_eq!(unknown, Err(Denial::UnknownToken));
}
