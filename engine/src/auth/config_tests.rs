//! The `[auth]` section inside the engine's `Config`: parsing, checks and `AUTH_METHOD`.

use super::{AuthMethod, Permission};
use crate::config::{Config, apply_env};

const AUTH: &str = r#"
[auth]
method = "token"
secret_file = "/etc/vexfs/secrets/auth/secret"

[[auth.roles]]
name = "admin"
permissions = ["analytics:read", "analytics:write", "production:write"]

[[auth.subjects]]
kind = "user"
name = "alice"
roles = ["admin"]
"#;

#[test]
fn no_section_means_no_auth() {
    assert_eq!(Config::default().auth, None);
    assert_eq!(Config::from_toml("", "t").unwrap().auth, None);
}

#[test]
fn the_section_parses_into_the_config() {
    let config = Config::from_toml(AUTH, "t").unwrap();
    let auth = config.auth.unwrap();
    assert!(auth.enabled);
    assert_eq!(auth.method, AuthMethod::Token);
    let admin = &auth.roles[0];
    assert!(
        admin
            .permissions
            .contains(&"production:write".parse::<Permission>().unwrap())
    );
    assert_eq!(auth.subjects[0].roles, ["admin"]);
}

#[test]
fn errors_name_the_auth_key() {
    let unknown_role = AUTH.replace("roles = [\"admin\"]", "roles = [\"root\"]");
    let err = Config::from_toml(&unknown_role, "t")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`auth`") && err.contains("root"), "{err}");
    let bad_perm = AUTH.replace("production:write", "production:own");
    let err = Config::from_toml(&bad_perm, "t").unwrap_err().to_string();
    assert!(err.contains("production:own"), "{err}");
    let typo = AUTH.replace("secret_file", "secretfile");
    assert!(Config::from_toml(&typo, "t").is_err());
    let err = Config::from_toml("[auth]\nmethod = \"jwt\"\n", "t").unwrap_err();
    assert!(err.to_string().contains("secret_file"), "{err}");
}

#[test]
fn auth_method_overrides_the_method() {
    let mut config = Config::from_toml(AUTH, "t").unwrap();
    apply_env(&mut config, [("AUTH_METHOD".into(), "jwt".into())]).unwrap();
    assert_eq!(config.auth.as_ref().unwrap().method, AuthMethod::Jwt);
    let err = apply_env(&mut config, [("AUTH_METHOD".into(), "oauth2".into())]).unwrap_err();
    assert!(err.to_string().contains("AUTH_METHOD"), "{err}");
}

#[test]
fn auth_method_alone_enables_auth_and_then_needs_a_secret_file() {
    let mut config = Config::default();
    apply_env(&mut config, [("AUTH_METHOD".into(), "token".into())]).unwrap();
    assert!(config.auth.as_ref().is_some_and(|a| a.enabled));
    assert!(config.check().is_err());
}
