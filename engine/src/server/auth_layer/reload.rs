//! Keeps the gate in step with its secret file: Kubernetes rewrites projected Secret files in
//! place when the Secret changes, so the file is re-read periodically and the gate rebuilt only
//! when its content changed. A broken new file keeps the previous gate.

use super::AuthLoadError;
use crate::auth::{AuthMethod, AuthSection, Gate, KeySource};
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
            current: RwLock::new((Arc::new(gate), Sha256::digest(&secret).into())),
        })
    }

    /// The gate to decide requests with.
    pub fn gate(&self) -> Arc<Gate> {
        self.current.read().0.clone()
    }

    /// Re-reads the secret file; rebuilds the gate if the content changed. Returns whether it
    /// did. On error the previous gate stays in force.
    pub fn reload(&self) -> Result<bool, AuthLoadError> {
        let secret = read(&self.section)?;
        let digest: [u8; 32] = Sha256::digest(&secret).into();
        if self.current.read().1 == digest {
            return Ok(false);
        }
        let gate = build(&self.section, &secret, self.keys.clone())?;
        *self.current.write() = (Arc::new(gate), digest);
        Ok(true)
    }
}

/// The secret file's content (empty for `oidc`, which has none).
fn read(section: &AuthSection) -> Result<Vec<u8>, AuthLoadError> {
    if section.method == AuthMethod::Oidc {
        return Ok(Vec::new());
    }
    let path: &PathBuf = &section.secret_file;
    std::fs::read(path).map_err(|source| AuthLoadError::Read {
        path: path.clone(),
        source,
    })
}

fn build(
    section: &AuthSection,
    secret: &[u8],
    keys: Option<Arc<dyn KeySource>>,
) -> Result<Gate, AuthLoadError> {
    Gate::with_keys(section, secret, keys).map_err(|source| AuthLoadError::Invalid {
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
    fn a_broken_or_missing_file_keeps_the_previous_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "alice:tok\n").unwrap();
        let live = LiveGate::open(&section(file.clone())).unwrap();
        std::fs::write(&file, "garbage\n").unwrap();
        assert!(matches!(live.reload(), Err(AuthLoadError::Invalid { .. })));
        assert_eq!(check(&live, "tok"), Ok(Some("alice".into())));
        std::fs::remove_file(&file).unwrap();
        assert!(matches!(live.reload(), Err(AuthLoadError::Read { .. })));
        assert_eq!(check(&live, "tok"), Ok(Some("alice".into())));
    }
}
