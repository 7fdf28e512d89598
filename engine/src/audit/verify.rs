//! Chain verification: every line must be a record whose `prev` is the hash of the line before
//! it and whose `seq` follows it. The first line checked anchors the chain (older files may have
//! been removed by retention).

use super::{AuditError, Record, hash_line, parse_file_name};
use serde::Serialize;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Broken {
    /// The file.
    pub file: String,
    /// 1-based line number in that file.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
    /// The line itself (its first [`SHOWN_CHARS`] characters).
    pub text: String,
}

/// How much of a broken line [`Broken`] keeps.
pub const SHOWN_CHARS: usize = 200;

/// An intact chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    /// Files checked.
    pub files: usize,
    /// Records checked.
    pub records: u64,
    /// `seq` of the first record (0 unless retention removed older files).
    pub first_seq: Option<u64>,
    /// Hash of the last record's line: the head to compare with a later run.
    pub head: Option<String>,
}

/// Running state of a verification.
#[derive(Debug, Default)]
struct Chain {
    previous: Option<(u64, String)>,
    first_seq: Option<u64>,
    records: u64,
}

impl Chain {
    fn check(&mut self, line: &str) -> Result<(), String> {
        let record: Record =
            serde_json::from_str(line).map_err(|e| format!("not an audit record: {e}"))?;
        if let Some((seq, hash)) = &self.previous {
            if record.prev != *hash {
                return Err(format!(
                    "prev {} does not match the hash {hash} of record {seq}: a record was edited, \
                     removed or inserted",
                    record.prev
                ));
            }
            if record.seq != seq + 1 {
                return Err(format!("seq {} does not follow {seq}", record.seq));
            }
        }
        self.first_seq.get_or_insert(record.seq);
        self.previous = Some((record.seq, hash_line(line)));
        self.records += 1;
        Ok(())
    }
}

/// Verifies `(file, lines)` pairs in order; the chain continues from one file to the next.
pub fn verify_lines<'a, I, L>(files: I) -> Result<Verified, Broken>
where
    I: IntoIterator<Item = (&'a str, L)>,
    L: IntoIterator<Item = String>,
{
    let mut chain = Chain::default();
    let mut count = 0;
    for (file, lines) in files {
        count += 1;
        for (i, line) in lines.into_iter().enumerate() {
            chain.check(&line).map_err(|reason| Broken {
                file: file.to_string(),
                line: i + 1,
                reason,
                text: line.chars().take(SHOWN_CHARS).collect(),
            })?;
        }
    }
    Ok(Verified {
        files: count,
        records: chain.records,
        first_seq: chain.first_seq,
        head: chain.previous.map(|(_, hash)| hash),
    })
}

/// The audit files in `dir`, oldest first.
pub fn audit_files(dir: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let io = |source| AuditError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some(day) = parse_file_name(name) {
            files.push((day, path));
        }
    }
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// Reads a file's lines (a line that is not UTF-8 becomes an error of the chain, not of I/O).
fn read_lines(path: &Path) -> Result<Vec<String>, AuditError> {
    let file = std::fs::File::open(path).map_err(|source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(std::io::BufReader::new(file)
        .split(b'\n')
        .map_while(Result::ok)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect())
}

/// Verifies every audit file in `dir`, oldest first. The outer error is I/O; the inner one is
/// the first broken line.
pub fn verify_dir(dir: &Path) -> Result<Result<Verified, Broken>, AuditError> {
    let files = audit_files(dir)?;
    let mut contents = Vec::with_capacity(files.len());
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        contents.push((name, read_lines(path)?));
    }
    Ok(verify_lines(
        contents
            .iter()
            .map(|(name, lines)| (name.as_str(), lines.clone())),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::GENESIS;
    use super::*;

    pub(crate) fn chain(n: u64) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|seq| {
                let line = Record {
                    seq,
                    time_ns: seq as i64,
                    subject: Some("alice".into()),
                    role: Some("admin".into()),
                    client: None,
                    method: "GET".into(),
                    route: "/api/v1/stats".into(),
                    status: 200,
                    bytes: Some(10),
                    request_id: format!("r{seq}"),
                    action: None,
                    prev: prev.clone(),
                }
                .to_line()
                .unwrap();
                prev = hash_line(&line);
                line
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_across_files() {
        let lines = chain(5);
        let got = verify_lines([("a", lines[..2].to_vec()), ("b", lines[2..].to_vec())]).unwrap();
        assert_eq!(got.files, 2);
        assert_eq!(got.records, 5);
        assert_eq!(got.first_seq, Some(0));
        assert_eq!(got.head, Some(hash_line(&lines[4])));
    }

    #[test]
    fn an_edited_line_breaks_the_chain_at_the_next_line() {
        let mut lines = chain(4);
        lines[1] = lines[1].replace("\"status\":200", "\"status\":403");
        let broken = verify_lines([("a", lines)]).unwrap_err();
        assert_eq!((broken.file.as_str(), broken.line), ("a", 3));
        assert!(broken.reason.contains("edited"), "{}", broken.reason);
        assert!(broken.text.starts_with("{\"seq\":2,"), "{}", broken.text);
    }

    #[test]
    fn a_removed_line_and_a_torn_tail_are_found() {
        let mut lines = chain(4);
        lines.remove(2);
        assert_eq!(verify_lines([("a", lines)]).unwrap_err().line, 3);
        let mut lines = chain(3);
        lines[2].truncate(20);
        let broken = verify_lines([("a", lines)]).unwrap_err();
        assert_eq!(broken.line, 3);
        assert!(
            broken.reason.contains("not an audit record"),
            "{}",
            broken.reason
        );
    }

    #[test]
    fn the_first_checked_line_anchors_the_chain() {
        let lines = chain(5);
        let got = verify_lines([("b", lines[3..].to_vec())]).unwrap();
        assert_eq!(got.first_seq, Some(3));
        assert_eq!(got.records, 2);
    }
}
