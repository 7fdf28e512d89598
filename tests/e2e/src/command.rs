//! Running external programs with optional stdin and capturing their output.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Failure to run a program, or a run that exited unsuccessfully.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The program could not be started or its pipes failed.
    #[error("running {program}: {source}")]
    Io {
        /// The program path.
        program: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The program exited with a non-zero status.
    #[error("`{command}` exited with {code:?}:\n{stderr}")]
    Failed {
        /// The command line, for the message.
        command: String,
        /// Exit code, if any.
        code: Option<i32>,
        /// What the program wrote to stderr.
        stderr: String,
    },
}

/// What a finished program printed and whether it succeeded.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit status was zero.
    pub success: bool,
    /// Exit code, if the program was not killed by a signal.
    pub code: Option<i32>,
    /// Standard output (lossy UTF-8).
    pub stdout: String,
    /// Standard error (lossy UTF-8).
    pub stderr: String,
    /// The command line, for messages.
    pub command: String,
}

impl Output {
    /// Converts an unsuccessful run into [`CommandError::Failed`].
    pub fn checked(self) -> Result<Self, CommandError> {
        if self.success {
            return Ok(self);
        }
        Err(CommandError::Failed {
            command: self.command,
            code: self.code,
            stderr: self.stderr,
        })
    }
}

/// Runs `program` with `args` and `env`, feeding `stdin` if given, and waits for it.
pub fn run(
    program: &Path,
    args: &[OsString],
    env: &[(&str, OsString)],
    stdin: Option<&str>,
) -> Result<Output, CommandError> {
    let io_err = |source| CommandError::Io {
        program: program.to_path_buf(),
        source,
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().map_err(io_err)?;
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes()).map_err(io_err)?;
    }
    let out = child.wait_with_output().map_err(io_err)?;
    Ok(Output {
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        command: describe(program, args),
    })
}

fn describe(program: &Path, args: &[OsString]) -> String {
    let name = program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy();
    let rest: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
    format!("{name} {}", rest.join(" "))
}

/// Converts string-like arguments into the owned form [`run`] takes.
pub fn args<I, S>(items: I) -> Vec<OsString>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    items.into_iter().map(Into::into).collect()
}
