//! Subjects → roles → permissions, resolved once from the `[auth]` section.

use super::permission::Permission;
use super::section::AuthSection;
use std::collections::{BTreeSet, HashMap};

/// Who holds which permissions. Unknown subjects hold none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    grants: HashMap<String, BTreeSet<Permission>>,
    roles: HashMap<String, BTreeSet<Permission>>,
}

impl Policy {
    /// Resolves every subject's roles into its permission set. Unknown role names grant nothing
    /// ([`AuthSection::check`] refuses them earlier).
    pub fn from_section(section: &AuthSection) -> Policy {
        let roles: HashMap<&str, &[Permission]> = section
            .roles
            .iter()
            .map(|r| (r.name.as_str(), r.permissions.as_slice()))
            .collect();
        let grants = section
            .subjects
            .iter()
            .map(|s| {
                let perms = s
                    .roles
                    .iter()
                    .filter_map(|r| roles.get(r.as_str()))
                    .flat_map(|p| p.iter().copied())
                    .collect();
                (s.name.clone(), perms)
            })
            .collect();
        let roles = roles
            .into_iter()
            .map(|(name, perms)| (name.to_string(), perms.iter().copied().collect()))
            .collect();
        Policy { grants, roles }
    }

    /// Whether any of `roles` (names of `[[auth.roles]]`, e.g. from a token claim) grants
    /// `permission`. Unknown role names grant nothing.
    pub fn roles_allow(&self, roles: &[String], permission: Permission) -> bool {
        roles
            .iter()
            .filter_map(|r| self.roles.get(r))
            .any(|p| p.contains(&permission))
    }

    /// Whether `subject` holds `permission`.
    pub fn allows(&self, subject: &str, permission: Permission) -> bool {
        self.grants
            .get(subject)
            .is_some_and(|p| p.contains(&permission))
    }

    /// Whether `subject` is declared at all.
    pub fn knows(&self, subject: &str) -> bool {
        self.grants.contains_key(subject)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::section::{RoleConfig, SubjectConfig, SubjectKind};

    fn role(name: &str, perms: &[&str]) -> RoleConfig {
        RoleConfig {
            name: name.into(),
            permissions: perms.iter().map(|p| p.parse().unwrap()).collect(),
        }
    }

    fn subject(name: &str, roles: &[&str]) -> SubjectConfig {
        SubjectConfig {
            kind: SubjectKind::User,
            name: name.into(),
            roles: roles.iter().map(std::string::ToString::to_string).collect(),
        }
    }

    #[test]
    fn permissions_are_the_union_of_the_subjects_roles() {
        let section = AuthSection {
            roles: vec![
                role("reader", &["analytics:read"]),
                role("writer", &["analytics:write"]),
                role("viewer", &["dashboard:read"]),
            ],
            subjects: vec![
                subject("alice", &["reader", "writer"]),
                subject("bob", &["viewer"]),
                subject("carol", &[]),
            ],
            ..AuthSection::default()
        };
        let policy = Policy::from_section(&section);
        let p = |t: &str| t.parse::<Permission>().unwrap();
        assert!(policy.allows("alice", p("analytics:read")));
        assert!(policy.allows("alice", p("analytics:write")));
        assert!(!policy.allows("alice", p("dashboard:read")));
        assert!(policy.allows("bob", p("dashboard:read")));
        assert!(!policy.allows("bob", p("dashboard:write")));
        assert!(policy.knows("carol"));
        assert!(!policy.allows("carol", p("analytics:read")));
        assert!(!policy.knows("mallory"));
        assert!(!policy.allows("mallory", p("analytics:read")));
    }
}
