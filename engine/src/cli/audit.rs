//! `vexfs-engine audit verify [DIR]`: checks the audit log's hash chain and names the first
//! broken line.

use super::CliError;
use crate::audit::{Verified, verify_dir};
use crate::config::Config;
use crate::server::audit_layer::AUDIT_DIR;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

/// Options of `audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// What to do with the audit log.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// Subcommands of `audit`.
#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of every audit file, oldest first.
    Verify {
        /// The audit directory, or a data directory holding `audit/` (default: the embedded
        /// configuration's data directory).
        dir: Option<PathBuf>,
    },
}

/// The audit directory `dir` names: `dir/audit` when it exists, else `dir` itself.
fn audit_dir(dir: Option<&Path>) -> PathBuf {
    let dir = dir.map_or_else(|| Config::embedded().data_dir(), Path::to_path_buf);
    let nested = dir.join(AUDIT_DIR);
    if nested.is_dir() { nested } else { dir }
}

/// Runs `audit verify`: the summary of an intact chain, or [`CliError::AuditBroken`].
pub fn verify(dir: Option<&Path>) -> Result<Verified, CliError> {
    let dir = audit_dir(dir);
    verify_dir(&dir)?.map_err(|broken| CliError::AuditBroken {
        file: dir.join(&broken.file).display().to_string(),
        line: broken.line,
        reason: broken.reason,
        text: broken.text,
    })
}

/// Runs `args`, printing one JSON line on success.
pub fn run(args: &AuditArgs) -> Result<(), CliError> {
    match &args.command {
        AuditCommand::Verify { dir } => {
            let verified = verify(dir.as_deref())?;
            println!("{}", serde_json::to_string(&verified).unwrap_or_default());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditWriter, Record, SystemClock};

    fn write(dir: &Path, n: i64) {
        let mut writer = AuditWriter::open(dir, 90, Box::new(SystemClock)).unwrap();
        for i in 0..n {
            writer
                .append(Record {
                    seq: 0,
                    time_ns: 1_795_910_400_000_000_000 + i,
                    subject: None,
                    role: None,
                    client: None,
                    method: "GET".into(),
                    route: "/api/v1/stats".into(),
                    status: 401,
                    bytes: None,
                    request_id: format!("r{i}"),
                    action: None,
                    prev: String::new(),
                })
                .unwrap();
        }
        writer.flush(true).unwrap();
    }

    #[test]
    fn verifies_a_data_directory_and_names_a_truncated_line() {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().join(AUDIT_DIR);
        write(&dir, 3);
        assert_eq!(verify(Some(data.path())).unwrap().records, 3);
        let file = dir.join("audit-2026-11-29.jsonl");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, &text[..text.len() - 30]).unwrap();
        let err = verify(Some(&dir)).unwrap_err().to_string();
        assert!(err.contains("audit-2026-11-29.jsonl:3"), "{err}");
        assert!(err.contains("not an audit record"), "{err}");
    }
}
