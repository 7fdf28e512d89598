//! The rendered `[auth]` section: the user's roles and subjects, or the generated admin token's,
//! and the backup Jobs' token file.

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
fn auth_renders_the_users_rbac_and_the_backup_token() {
    let spec = rbac(Some(AuthMethod::Token));
    let section = auth(&spec, &resolved(&spec));
    let rendered = toml::to_string(&Doc { auth: section }).expect("serializes");
    let expected = r#"[auth]
enabled = true
method = "token"
secret_file = "/etc/vexfs/auth/credentials"
backup_token_file = "/etc/vexfs/auth/backup-token"
backup_token_subject = "vexfs-operator-backup"

[[auth.roles]]
name = "viewer"
permissions = ["dashboard:read"]

[[auth.subjects]]
kind = "user"
name = "alice"
roles = ["viewer"]
"#;
    assert_eq!(rendered, expected);
}

fn resolved(rbac: &RbacSpec) -> ApiAuth {
    ApiAuth::resolve("demo", rbac.auth.as_ref())
}

#[test]
fn the_method_follows_the_users_auth_and_the_backup_token_stays() {
    let spec = rbac(Some(AuthMethod::Jwt));
    let section = auth(&spec, &resolved(&spec));
    assert_eq!(section.method, "jwt");
    assert_eq!(section.backup_token_file, BACKUP_TOKEN_FILE);
    assert_eq!(section.backup_token_subject, BACKUP_IDENTITY);
}

#[test]
fn without_rbac_auth_only_the_generated_admin_exists() {
    let spec = rbac(None);
    let section = auth(&spec, &resolved(&spec));
    assert_eq!(section.method, "token");
    assert_eq!(section.secret_file, AUTH_SECRET_FILE);
    let subjects: Vec<&str> = section.subjects.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(subjects, [ADMIN], "alice is not rendered");
    let admin = &section.roles[0];
    assert_eq!(admin.name, ADMIN);
    assert_eq!(admin.permissions.len(), ADMIN_PERMISSIONS.len());
    assert!(admin.permissions.iter().any(|p| p == "production:write"));
}
