//! Command-line interface of `kubectl vexfs`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// `kubectl vexfs`: status, backups, restores, analytics and logs of VexFS Semantic stacks.
#[derive(Debug, Parser)]
#[command(name = "kubectl-vexfs", version, about)]
pub struct Cli {
    /// Namespace of the objects (default: the kubeconfig context's namespace).
    #[arg(short, long, global = true)]
    pub namespace: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A VexfsSemantic, its conditions and its children as a tree.
    Status {
        /// The VexfsSemantic.
        name: String,
    },
    /// Creates an on-demand VexfsBackup of a VexfsSemantic and waits until it finishes.
    Backup {
        /// The VexfsSemantic to back up.
        name: String,
        /// How long to wait for the backup, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout_seconds: u64,
        /// Return once the VexfsBackup is created.
        #[arg(long)]
        no_wait: bool,
    },
    /// Creates a new VexfsSemantic that starts from a succeeded VexfsBackup.
    Restore {
        /// The VexfsBackup to restore.
        backup: String,
        /// Name of the new VexfsSemantic.
        #[arg(long)]
        to: String,
    },
    /// Reads the engine's analytics through the API server's service proxy.
    Analytics {
        /// The VexfsSemantic.
        name: String,
        /// Which analytics.
        view: View,
        /// File with a bearer token; without it, the admin token the operator generated (from the
        /// Secret in `status.auth.adminTokenSecret`) is sent.
        #[arg(long, env = "VEXFS_TOKEN_FILE")]
        token_file: Option<PathBuf>,
    },
    /// Logs of the engine pods, each line prefixed with its pod.
    Logs {
        /// The VexfsSemantic.
        name: String,
        /// Lines per pod.
        #[arg(long, default_value_t = 100)]
        tail: i64,
    },
}

/// The engine's analytics endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum View {
    /// Window statistics (`/api/v1/stats`).
    Stats,
    /// Frequent patterns and rules (`/api/v1/patterns`).
    Patterns,
    /// Detected anomalies (`/api/v1/anomalies`).
    Anomalies,
    /// Forecasts and next-event predictions (`/api/v1/predictions`).
    Predictions,
}

impl View {
    /// The engine path of the view.
    pub fn path(self) -> &'static str {
        match self {
            View::Stats => "/api/v1/stats",
            View::Patterns => "/api/v1/patterns",
            View::Anomalies => "/api/v1/anomalies",
            View::Predictions => "/api/v1/predictions",
        }
    }
}
