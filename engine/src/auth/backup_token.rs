//! The backup token: one bearer token, read from `[auth] backup_token_file`, that may call
//! `GET /api/v1/admin/backup` and nothing else, whatever the method. Backup jobs hold it instead
//! of the JWT signing key or an admin token, so a leaked job credential can copy the data but
//! cannot change anything.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The subject the backup token authenticates as when `backup_token_subject` is not set.
pub const DEFAULT_BACKUP_SUBJECT: &str = "backup";

/// The accepted backup token, kept as a SHA-256 digest and compared in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct BackupToken {
    digest: [u8; 32],
    subject: String,
}

impl std::fmt::Debug for BackupToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupToken")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl BackupToken {
    /// The token in a backup token file's content (surrounding whitespace ignored), for
    /// `subject`. `None` when the content is empty or not UTF-8: no backup token is accepted.
    pub fn parse(content: &[u8], subject: &str) -> Option<BackupToken> {
        let token = std::str::from_utf8(content).ok()?.trim();
        (!token.is_empty()).then(|| BackupToken {
            digest: Sha256::digest(token.as_bytes()).into(),
            subject: subject.to_owned(),
        })
    }

    /// Whether `credential` is this token.
    pub fn matches(&self, credential: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(credential.as_bytes()).into();
        bool::from(self.digest.ct_eq(&digest))
    }

    /// The subject requests with this token are recorded as.
    pub fn subject(&self) -> &str {
        &self.subject
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trimmed_content_is_the_token() {
        let token = BackupToken::parse(b"  s3cret\n", "backup").expect("a token");
        assert!(token.matches("s3cret"));
        assert!(!token.matches("s3cret\n"));
        assert!(!token.matches("s3cre"));
        assert!(!token.matches(""));
        assert_eq!(token.subject(), "backup");
        assert!(!format!("{token:?}").contains("s3cret"));
    }

    #[test]
    fn empty_or_binary_content_accepts_nothing() {
        assert_eq!(BackupToken::parse(b" \n", "backup"), None);
        assert_eq!(BackupToken::parse(b"", "backup"), None);
        assert_eq!(BackupToken::parse(&[0xff, 0xfe], "backup"), None);
    }
}
