//! API authentication and role-based access control, pure and clock-free: the `[auth]` section,
//! `area:verb` permissions, the route → permission table, static tokens, HS256 JWTs and the
//! per-request decision. The HTTP layer lives in `server::auth_layer`.

pub mod backup_token;
pub mod gate;
pub mod jwt;
pub mod oidc;
pub mod permission;
pub mod policy;
pub mod routes;
pub mod section;
pub mod token;

pub use backup_token::{BackupToken, DEFAULT_BACKUP_SUBJECT};
pub use gate::{Denial, Gate, GateError, Identity, KeySource};
pub use jwt::{Claims, JwtError, JwtKeys, JwtVerifier};
pub use permission::{Area, Permission, PermissionError, Verb};
pub use policy::Policy;
pub use routes::{Access, required};
pub use section::{AuthMethod, AuthSection, RoleConfig, SectionError, SubjectConfig, SubjectKind};
pub use token::{TokenFileError, TokenTable, token_of};

#[cfg(test)]
mod config_tests;
