//! Keeps the gate in step with its secret file: Kubernetes rewrites projected Secret files in
//! place when the Secret changes, so the file is re-read periodically and the gate rebuilt only
//! when its content changed. A broken new file keeps the previous gate; a deleted or emptied one
//! revokes every credential until the file has usable content again. The backup token file
//! (`backup_token_file`) is re-read with it; a missing or empty one accepts no backup token.

use super::AuthLoadError;
use crate::auth::{AuthMethod, AuthSection, BackupToken, Gate, KeySource};
use crate::server::audit_sink::{AuditSink, record_action};
use parking_lot::RwLock;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often the secret file is re-read.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(30);

/// The current gate and the digest of the secret it was built from.
#[derive(Debug)]
pub struct LiveGate {
    section: AuthSection,
    keys: Option<Arc<dyn KeySource>>,
    current: RwLock<(Arc<Gate>, [u8; 32])>,
}

impl LiveGate {
    /// Reads the section's secret file and builds the first gate.
    pub fn open(section: &AuthSection) -> Result<LiveGate, AuthLoadError> {
        LiveGate::open_with_keys(section, None)
    }

    /// [`LiveGate::open`] with the OIDC issuer's key source (`method = "oidc"` reads no file).
    pub fn open_with_keys(
        section: &AuthSection,
        keys: Option<Arc<dyn KeySource>>,
    ) -> Result<LiveGate, AuthLoadError> {
        let secret = read(section)?;
        let gate = build(section, &secret, keys.clone())?;
        Ok(LiveGate {
            section: section.clone(),
            keys,
            current: RwLock::new((Arc::new(gate), digest(&secret))),
        })
    }

    /// The gate to decide requests with.
    pub fn gate(&self) -> Arc<Gate> {
        self.current.read().0.clone()
    }

    /// Re-reads the secret file; rebuilds the gate if the content changed. Returns whether it
    /// did. A deleted or empty (whitespace only) file revokes every credential
    /// ([`Gate::revoked`]); on any other error the previous gate stays in force.
    pub fn reload(&self) -> Result<bool, AuthLoadError> {
        let secret = match read(&self.section) {
            Err(AuthLoadError::Read { path, source })
                if path == self.section.secret_file
                    && source.kind() == std::io::ErrorKind::NotFound =>
            {
                [Vec::new(), Vec::new(), Vec::new()]
            }
            other => other?,
        };
        let digest = digest(&secret);
        if self.current.read().1 == digest {
            return Ok(false);
        }
        let gate = if revokes(&self.section, &secret) {
            tracing::warn!(
                secret_file = %self.section.secret_file.display(),
                "auth secret file missing or empty; every credential is revoked"
            );
            Gate::revoked(&self.section)
        } else {
            build(&self.section, &secret, self.keys.clone())?
        };
        *self.current.write() = (Arc::new(gate), digest);
        Ok(true)
    }
}

/// Whether the secrets read mean "revoke everything": a secret file that is gone or holds only
/// whitespace (OIDC reads no file and is never revoked this way).
fn revokes(section: &AuthSection, [current, ..]: &[Vec<u8>; 3]) -> bool {
    section.method != AuthMethod::Oidc && current.trim_ascii().is_empty()
}

/// A digest of the secrets, to notice a change.
fn digest([current, previous, backup]: &[Vec<u8>; 3]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update((current.len() as u64).to_le_bytes());
    hash.update(current);
    hash.update((previous.len() as u64).to_le_bytes());
    hash.update(previous);
    hash.update(backup);
    hash.finalize().into()
}

/// The secret file's content, with `jwt_previous_secret_file` the previous key's, and with
/// `backup_token_file` the backup token's (empty when that file is missing). `oidc` reads no
/// secret file.
fn read(section: &AuthSection) -> Result<[Vec<u8>; 3], AuthLoadError> {
    let read_one = |path: &PathBuf| {
        std::fs::read(path).map_err(|source| AuthLoadError::Read {
            path: path.clone(),
            source,
        })
    };
    let backup = match &section.backup_token_file {
        Some(path) => match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            other => other.map_err(|source| AuthLoadError::Read {
                path: path.clone(),
                source,
            })?,
        },
        None => Vec::new(),
    };
    if section.method == AuthMethod::Oidc {
        return Ok([Vec::new(), Vec::new(), backup]);
    }
    let previous = match (&section.method, &section.jwt_previous_secret_file) {
        (AuthMethod::Jwt, Some(path)) => read_one(path)?,
        _ => Vec::new(),
    };
    Ok([read_one(&section.secret_file)?, previous, backup])
}

fn build(
    section: &AuthSection,
    [secret, previous, backup]: &[Vec<u8>; 3],
    keys: Option<Arc<dyn KeySource>>,
) -> Result<Gate, AuthLoadError> {
    let previous = (!previous.is_empty()).then_some(previous.as_slice());
    let backup = BackupToken::parse(backup, &section.backup_token_subject);
    Gate::with_keys(section, secret, previous, keys)
        .map(|gate| gate.with_backup_token(backup))
        .map_err(|source| AuthLoadError::Invalid {
            path: section.secret_file.clone(),
            source,
        })
}

/// What the audit log names a credentials reload after.
const RELOAD_TARGET: &str = "auth.secret_file";

/// Reloads `live` every [`RELOAD_INTERVAL`] until the last strong reference to it is gone,
/// recording each change (or failed change) as an `auth_reload` action in `audit`.
pub async fn watch(live: Weak<LiveGate>, audit: Option<Arc<AuditSink>>) {
    loop {
        tokio::time::sleep(RELOAD_INTERVAL).await;
        let Some(live) = live.upgrade() else { return };
        let succeeded = match live.reload() {
            Ok(true) => {
                tracing::info!(
                    secret_file = %live.section.secret_file.display(),
                    "auth secret changed; credentials reloaded"
                );
                true
            }
            Ok(false) => continue,
            Err(error) => {
                tracing::warn!(%error, "auth secret reload failed; keeping the previous credentials");
                false
            }
        };
        if let Some(sink) = &audit {
            record_action(sink, "auth_reload", RELOAD_TARGET, succeeded).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Access, Denial, required};

    fn section(file: PathBuf) -> AuthSection {
        toml::from_str(&format!(
            "secret_file = {:?}\n[[roles]]\nname = \"r\"\npermissions = [\"analytics:read\"]\n\
             [[subjects]]\nname = \"alice\"\nroles = [\"r\"]\n",
            file.display().to_string()
        ))
        .unwrap()
    }

    fn check(live: &LiveGate, token: &str) -> Result<Option<String>, Denial> {
        let access: Access = required("GET", "/api/v1/stats");
        live.gate()
            .check(access, Some(&format!("Bearer {token}")), 0)
    }

    #[test]
    fn a_changed_file_replaces_the_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "alice:old\n").unwrap();
        let live = LiveGate::open(&section(file.clone())).unwrap();
        assert_eq!(check(&live, "old"), Ok(Some("alice".into())));
        assert!(!live.reload().unwrap(), "unchanged content is not rebuilt");
        std::fs::write(&file, "alice:new\n").unwrap();
        assert!(live.reload().unwrap());
        assert_eq!(check(&live, "new"), Ok(Some("alice".into())));
        assert_eq!(check(&live, "old"), Err(Denial::UnknownToken));
    }

    #[test]
    fn a_previous_jwt_key_is_accepted_until_its_file_is_emptied() {
        use crate::auth::{Claims, JwtVerifier};
        let dir = tempfile::tempdir().unwrap();
        let (current, previous) = (dir.path().join("key"), dir.path().join("key.previous"));
        let (new_key, old_key) = ([b'n'; 32], [b'o'; 32]);
        std::fs::write(&current, new_key).unwrap();
        std::fs::write(&previous, old_key).unwrap();
        let mut s = section(current);
        s.method = AuthMethod::Jwt;
        s.jwt_previous_secret_file = Some(previous.clone());
        let live = LiveGate::open(&s).unwrap();
        let claims = Claims {
            sub: "alice".into(),
            exp: 60,
            nbf: None,
        };
        let old_token = JwtVerifier::new(&old_key, 0).unwrap().sign(&claims);
        let new_token = JwtVerifier::new(&new_key, 0).unwrap().sign(&claims);
        assert_eq!(check(&live, &old_token), Ok(Some("alice".into())));
        assert_eq!(check(&live, &new_token), Ok(Some("alice".into())));
        std::fs::write(&previous, "").unwrap();
        assert!(
            live.reload().unwrap(),
            "emptying the previous key file ends the rotation"
        );
        assert!(matches!(check(&live, &old_token), Err(Denial::Jwt(_))));
        assert_eq!(check(&live, &new_token), Ok(Some("alice".into())));
    }

    #[test]
    fn the_backup_token_file_is_reloaded_and_revoked_with_the_secret_file() {
        let dir = tempfile::tempdir().unwrap();
        let (file, backup) = (dir.path().join("tokens"), dir.path().join("backup"));
        std::fs::write(&file, "alice:tok\n").unwrap();
        let mut s = section(file.clone());
        s.backup_token_file = Some(backup.clone());
        let take = |live: &LiveGate, token: &str| {
            let header = format!("Bearer {token}");
            live.gate()
                .check(required("GET", "/api/v1/admin/backup"), Some(&header), 0)
        };
        let live = LiveGate::open(&s).unwrap();
        assert_eq!(take(&live, "b1"), Err(Denial::UnknownToken), "no file yet");
        std::fs::write(&backup, "b1\n").unwrap();
        assert!(live.reload().unwrap());
        assert_eq!(take(&live, "b1"), Ok(Some("backup".into())));
        std::fs::write(&backup, "b2\n").unwrap();
        assert!(live.reload().unwrap());
        assert_eq!(take(&live, "b1"), Err(Denial::UnknownToken));
        assert_eq!(take(&live, "b2"), Ok(Some("backup".into())));
        std::fs::write(&file, "").unwrap();
        assert!(live.reload().unwrap());
        assert_eq!(take(&live, "b2"), Err(Denial::Revoked));
    }

    #[test]
    fn a_broken_file_keeps_the_previous_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "alice:tok\n").unwrap();
        let live = LiveGate::open(&section(file.clone())).unwrap();
        std::fs::write(&file, "garbage\n").unwrap();
        assert!(matches!(live.reload(), Err(AuthLoadError::Invalid { .. })));
        assert_eq!(check(&live, "tok"), Ok(Some("alice".into())));
    }

    #[test]
    fn deleting_or_emptying_the_file_revokes_every_credential() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "alice:tok\n").unwrap();
        let live = LiveGate::open(&section(file.clone())).unwrap();
        std::fs::remove_file(&file).unwrap();
        assert!(live.reload().unwrap());
        assert_eq!(check(&live, "tok"), Err(Denial::Revoked));
        let open = live.gate().check(required("GET", "/healthz"), None, 0);
        assert_eq!(open, Ok(None), "open routes stay open");
        std::fs::write(&file, "alice:tok\n").unwrap();
        assert!(live.reload().unwrap());
        assert_eq!(check(&live, "tok"), Ok(Some("alice".into())));
        std::fs::write(&file, " \n").unwrap();
        assert!(live.reload().unwrap());
        assert_eq!(check(&live, "tok"), Err(Denial::Revoked));
        assert!(!live.reload().unwrap(), "still empty: nothing to rebuild");

        let key = dir.path().join("jwt");
        std::fs::write(&key, [b'k'; 32]).unwrap();
        let mut s = section(key.clone());
        s.method = AuthMethod::Jwt;
        let live = LiveGate::open(&s).unwrap();
        let token = crate::auth::JwtVerifier::new(&[b'k'; 32], 0)
            .unwrap()
            .mint("alice", 0, 60);
        assert_eq!(check(&live, &token), Ok(Some("alice".into())));
        std::fs::write(&key, "").unwrap();
        assert!(live.reload().unwrap());
        assert_eq!(check(&live, &token), Err(Denial::Revoked));
    }
}
