//! `[auth]` configuration text for tests of an engine that enforces authentication.

use std::fmt::Write as _;
use std::path::Path;

/// One `[[auth.roles]]` entry: its name and permissions.
pub type Role<'a> = (&'a str, &'a [&'a str]);

/// One `[[auth.subjects]]` entry: kind (`user` or `service_account`), name and its one role.
pub type Subject<'a> = (&'a str, &'a str, &'a str);

/// The `[auth]` section for `method` with its secret at `secret_file`, `roles` and `subjects`.
pub fn auth_toml(
    method: &str,
    enabled: bool,
    secret_file: &Path,
    roles: &[Role],
    subjects: &[Subject],
) -> String {
    let mut text = format!(
        "[auth]\nenabled = {enabled}\nmethod = \"{method}\"\nsecret_file = \"{}\"\n",
        secret_file.display()
    );
    for (name, permissions) in roles {
        let permissions = permissions.iter().map(|p| format!("\"{p}\""));
        let permissions = permissions.collect::<Vec<_>>().join(", ");
        let _ = write!(
            text,
            "\n[[auth.roles]]\nname = \"{name}\"\npermissions = [{permissions}]\n"
        );
    }
    for (kind, name, role) in subjects {
        let _ = write!(
            text,
            "\n[[auth.subjects]]\nkind = \"{kind}\"\nname = \"{name}\"\nroles = [\"{role}\"]\n"
        );
    }
    text
}
