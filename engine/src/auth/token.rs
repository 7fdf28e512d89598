//! Static bearer tokens: a secret file of `subject:token` lines, checked in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use thiserror::Error;

/// A malformed token file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TokenFileError {
    /// A line is not `subject:token` with both parts non-empty.
    #[error("token file line {line}: expected `subject:token`")]
    Malformed {
        /// 1-based line number (the token itself is never echoed).
        line: usize,
    },
    /// The file holds no token at all.
    #[error("token file holds no `subject:token` line")]
    Empty,
}

/// The accepted tokens. Only SHA-256 digests are kept, so every comparison has the same length.
#[derive(Clone)]
pub struct TokenTable {
    entries: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenTable")
            .field("subjects", &self.subjects().collect::<Vec<_>>())
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The `(subject, token)` entries of a secret file. Blank lines and `#` comments are
/// skipped; the subject is everything before the last `:` (so it may contain colons), the token
/// everything after it.
fn entries(text: &str) -> impl Iterator<Item = Result<(&str, &str), TokenFileError>> {
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let entry = line
            .rsplit_once(':')
            .map(|(s, t)| (s.trim(), t.trim()))
            .filter(|(s, t)| !s.is_empty() && !t.is_empty())
            .ok_or(TokenFileError::Malformed { line: i + 1 });
        Some(entry)
    })
}

/// The token of `subject` in a secret file of `subject:token` lines (what a client holding the
/// whole file, such as the operator's backup Job, sends). `Ok(None)` when no line names it; a
/// malformed line anywhere is an error, as it is for the engine.
pub fn token_of<'a>(text: &'a str, subject: &str) -> Result<Option<&'a str>, TokenFileError> {
    let mut found = None;
    for entry in entries(text) {
        let (name, token) = entry?;
        if name == subject && found.is_none() {
            found = Some(token);
        }
    }
    Ok(found)
}

impl TokenTable {
    /// Parses the secret file (see [`token_of`] for the line format).
    pub fn parse(text: &str) -> Result<TokenTable, TokenFileError> {
        let entries = entries(text)
            .map(|e| e.map(|(subject, token)| (subject.to_string(), digest(token))))
            .collect::<Result<Vec<_>, _>>()?;
        if entries.is_empty() {
            return Err(TokenFileError::Empty);
        }
        Ok(TokenTable { entries })
    }

    /// The subject owning `presented`, if any. Every entry is compared, without early exit.
    pub fn subject_of(&self, presented: &str) -> Option<&str> {
        let wanted = digest(presented);
        let mut found = None;
        for (subject, expected) in &self.entries {
            if bool::from(expected.ct_eq(&wanted)) && found.is_none() {
                found = Some(subject.as_str());
            }
        }
        found
    }

    /// The subjects named in the file.
    pub fn subjects(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(s, _)| s.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# engine API tokens\nalice:s3cret-a\n\n  grafana : tok-g  \nsystem:serviceaccount:ops:bot:tok-b\n";

    #[test]
    fn tokens_map_to_their_subjects() {
        let table = TokenTable::parse(FILE).unwrap();
        assert_eq!(table.subject_of("s3cret-a"), Some("alice"));
        assert_eq!(table.subject_of("tok-g"), Some("grafana"));
        assert_eq!(
            table.subject_of("tok-b"),
            Some("system:serviceaccount:ops:bot")
        );
        assert_eq!(table.subject_of("s3cret-"), None);
        assert_eq!(table.subject_of("s3cret-aa"), None);
        assert_eq!(table.subject_of(""), None);
        assert_eq!(
            table.subjects().collect::<Vec<_>>(),
            ["alice", "grafana", "system:serviceaccount:ops:bot"]
        );
    }

    #[test]
    fn malformed_lines_are_reported_without_the_secret() {
        let err = TokenTable::parse("alice:a\nno-colon-secret\n").unwrap_err();
        assert_eq!(err, TokenFileError::Malformed { line: 2 });
        assert!(!err.to_string().contains("no-colon-secret"));
        assert_eq!(
            TokenTable::parse("alice:\n").unwrap_err(),
            TokenFileError::Malformed { line: 1 }
        );
        assert_eq!(
            TokenTable::parse(":tok\n").unwrap_err(),
            TokenFileError::Malformed { line: 1 }
        );
        assert_eq!(
            TokenTable::parse("# only a comment\n").unwrap_err(),
            TokenFileError::Empty
        );
    }

    #[test]
    fn a_subjects_token_is_found_by_name() {
        assert_eq!(token_of(FILE, "grafana"), Ok(Some("tok-g")));
        assert_eq!(
            token_of(FILE, "system:serviceaccount:ops:bot"),
            Ok(Some("tok-b"))
        );
        assert_eq!(token_of(FILE, "graf"), Ok(None));
        assert_eq!(
            token_of("alice:a\nbad-line\n", "alice"),
            Err(TokenFileError::Malformed { line: 2 })
        );
    }

    #[test]
    fn debug_output_never_shows_tokens() {
        let table = TokenTable::parse(FILE).unwrap();
        let shown = format!("{table:?}");
        assert!(shown.contains("alice"));
        assert!(!shown.contains("s3cret"));
    }
}
