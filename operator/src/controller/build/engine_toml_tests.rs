//! The rendered `[auth]` section: the user's roles and subjects plus the operator's backup identity.

use super::*;
use crate::crd::{AuthMethod, AuthSpec, Role, SecretKeyRef, Subject, SubjectKind};

fn rbac(auth: Option<AuthMethod>) -> RbacSpec {
    RbacSpec {
        roles: vec![Role {
            name: "viewer".to_owned(),
            permissions: vec!["dashboard:read".to_owned()],
        }],
        subjects: vec![Subject {
            kind: SubjectKind::User,
            name: "alice".to_owned(),
            roles: vec!["viewer".to_owned()],
        }],
        auth: auth.map(|method| AuthSpec {
            method,
            secret_ref: SecretKeyRef {
                name: "engine-auth".to_owned(),
                key: "tokens".to_owned(),
            },
        }),
    }
}

#[derive(Serialize)]
struct Doc {
    auth: Auth,
}

#[test]
fn auth_renders_the_users_rbac_then_the_backup_identity() {
    let section = auth(&rbac(Some(AuthMethod::Token))).expect("auth is set");
    let rendered = toml::to_string(&Doc { auth: section }).expect("serializes");
    let expected = r#"[auth]
enabled = true
method = "token"
secret_file = "/etc/vexfs/auth/credentials"

[[auth.roles]]
name = "viewer"
permissions = ["dashboard:read"]

[[auth.roles]]
name = "vexfs-operator-backup"
permissions = ["production:write"]

[[auth.subjects]]
kind = "user"
name = "alice"
roles = ["viewer"]

[[auth.subjects]]
kind = "service_account"
name = "vexfs-operator-backup"
roles = ["vexfs-operator-backup"]
"#;
    assert_eq!(rendered, expected);
}

#[test]
fn the_backup_identity_follows_the_method_and_needs_auth() {
    let section = auth(&rbac(Some(AuthMethod::Jwt))).expect("auth is set");
    assert_eq!(section.method, "jwt");
    assert_eq!(
        section.subjects.last().map(|s| s.name.as_str()),
        Some(BACKUP_IDENTITY)
    );
    assert!(auth(&rbac(None)).is_none(), "no auth, no backup identity");
}
