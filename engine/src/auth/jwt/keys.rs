//! The HS256 keys in force: the current signing key and, during a rotation, the previous one.

use super::{Claims, JwtError, JwtVerifier, header_key_id};

/// Verifies tokens signed by any key in force. A token naming a key id is checked with that key
/// only; a token without one (minted before key ids existed) is tried with each key.
#[derive(Debug, Clone)]
pub struct JwtKeys {
    keys: Vec<JwtVerifier>,
}

impl JwtKeys {
    /// The `current` key and, while clients move to it, the `previous` one.
    pub fn new(
        current: &[u8],
        previous: Option<&[u8]>,
        leeway_seconds: u64,
    ) -> Result<JwtKeys, JwtError> {
        let mut keys = vec![JwtVerifier::new(current, leeway_seconds)?];
        if let Some(previous) = previous {
            keys.push(JwtVerifier::new(previous, leeway_seconds)?);
        }
        Ok(JwtKeys { keys })
    }

    /// The key ids in force, current first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(JwtVerifier::key_id).collect()
    }

    /// Checks `token` at `now` (Unix seconds) with the key it names, or with each key.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, JwtError> {
        if let Some(kid) = header_key_id(token)? {
            return self
                .keys
                .iter()
                .find(|k| k.key_id() == kid)
                .ok_or(JwtError::UnknownKeyId(kid))?
                .verify(token, now);
        }
        for key in &self.keys {
            match key.verify(token, now) {
                Err(JwtError::Signature) => {}
                decided => return decided,
            }
        }
        Err(JwtError::Signature)
    }
}

#[cfg(test)]
mod tests {
    use super::super::URL_SAFE_NO_PAD;
    use super::*;
    use base64::Engine as _;
    use hmac::Mac;

    const OLD: &[u8] = b"old-key-old-key-old-key-old-key-0";
    const NEW: &[u8] = b"new-key-new-key-new-key-new-key-1";
    const NOW: i64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims {
            sub: "alice".into(),
            exp: NOW + 60,
            nbf: None,
        }
    }

    #[test]
    fn both_keys_verify_during_a_rotation_and_only_the_current_after() {
        let old = JwtVerifier::new(OLD, 0).unwrap();
        let new = JwtVerifier::new(NEW, 0).unwrap();
        let rotating = JwtKeys::new(NEW, Some(OLD), 0).unwrap();
        assert_eq!(rotating.key_ids(), [new.key_id(), old.key_id()]);
        assert_eq!(rotating.verify(&old.sign(&claims()), NOW), Ok(claims()));
        assert_eq!(rotating.verify(&new.sign(&claims()), NOW), Ok(claims()));
        let done = JwtKeys::new(NEW, None, 0).unwrap();
        assert_eq!(
            done.verify(&old.sign(&claims()), NOW),
            Err(JwtError::UnknownKeyId(old.key_id().to_string()))
        );
    }

    #[test]
    fn tokens_without_a_key_id_are_tried_with_each_key() {
        // Signed with OLD, header without kid, as before key ids existed.
        let old = JwtVerifier::new(OLD, 0).unwrap();
        let with_kid = old.sign(&claims());
        let payload = with_kid.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let input = format!("{header}.{payload}");
        let sig = URL_SAFE_NO_PAD.encode(old.mac(&input).finalize().into_bytes());
        let legacy = format!("{input}.{sig}");
        let rotating = JwtKeys::new(NEW, Some(OLD), 0).unwrap();
        assert_eq!(rotating.verify(&legacy, NOW), Ok(claims()));
        let done = JwtKeys::new(NEW, None, 0).unwrap();
        assert_eq!(done.verify(&legacy, NOW), Err(JwtError::Signature));
        let expired = rotating.verify(&legacy, NOW + 61);
        assert_eq!(expired, Err(JwtError::Expired));
    }

    #[test]
    fn a_weak_previous_key_is_refused() {
        assert_eq!(
            JwtKeys::new(NEW, Some(b"short"), 0).unwrap_err(),
            JwtError::WeakSecret(5)
        );
    }
}
