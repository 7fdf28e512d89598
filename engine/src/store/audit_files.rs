//! The audit files of a data directory in backup archives: each `audit/audit-YYYY-MM-DD.jsonl`
//! is one archive member of the same name, restored byte for byte so the hash chain still
//! verifies.

use super::StoreError;
use crate::audit::parse_file_name;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The directory under the data directory, and the member prefix in an archive.
pub const DIR: &str = "audit";

/// An audit file: its name (`audit-YYYY-MM-DD.jsonl`) and content.
pub type AuditFile = (String, Vec<u8>);

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The audit files in `data_dir/audit`, oldest first (none when the directory is absent).
pub fn read(data_dir: &Path) -> Result<Vec<AuditFile>, StoreError> {
    let dir = data_dir.join(DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(io(&dir))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if parse_file_name(name).is_some() {
            files.push((name.to_string(), std::fs::read(&path).map_err(io(&path))?));
        }
    }
    files.sort();
    Ok(files)
}

/// The file name of archive member `member` if it is an audit file (`audit/audit-….jsonl`).
pub fn member_name(member: &str) -> Option<&str> {
    let name = member.strip_prefix(DIR)?.strip_prefix('/')?;
    parse_file_name(name).map(|_| name)
}

/// Hex sha256 over every file's name, a newline, its length and its content, in order (`None`
/// when there are none).
pub fn digest(files: &[AuditFile]) -> Option<String> {
    if files.is_empty() {
        return None;
    }
    let mut hash = Sha256::new();
    for (name, content) in files {
        hash.update(name.as_bytes());
        hash.update(b"\n");
        hash.update((content.len() as u64).to_le_bytes());
        hash.update(content);
    }
    Some(hex::encode(hash.finalize()))
}

/// Writes `files` into `data_dir/audit`.
pub fn restore(data_dir: &Path, files: &[AuditFile]) -> Result<(), StoreError> {
    if files.is_empty() {
        return Ok(());
    }
    let dir = data_dir.join(DIR);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(io(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_audit_files_are_members_and_the_digest_covers_names() {
        assert_eq!(
            member_name("audit/audit-2026-11-29.jsonl"),
            Some("audit-2026-11-29.jsonl")
        );
        for other in [
            "audit-2026-11-29.jsonl",
            "audit/x.jsonl",
            "audit/../events.ndjson",
        ] {
            assert_eq!(member_name(other), None, "{other}");
        }
        let a = vec![("audit-2026-11-29.jsonl".to_string(), b"x\n".to_vec())];
        let b = vec![("audit-2026-11-30.jsonl".to_string(), b"x\n".to_vec())];
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest(&[]), None);
    }

    #[test]
    fn read_and_restore_round_trip() {
        let from = tempfile::tempdir().unwrap();
        assert!(read(from.path()).unwrap().is_empty());
        let files = vec![
            ("audit-2026-11-28.jsonl".to_string(), b"a\n".to_vec()),
            ("audit-2026-11-29.jsonl".to_string(), b"b\n".to_vec()),
        ];
        restore(from.path(), &files).unwrap();
        std::fs::write(from.path().join(DIR).join("notes.txt"), "x").unwrap();
        assert_eq!(read(from.path()).unwrap(), files);
    }
}
