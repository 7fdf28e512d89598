//! `kubectl-vexfs` entry point: parses arguments, connects with the kubeconfig, dispatches.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kubectl_vexfs::PluginError;
use kubectl_vexfs::cli::{Cli, Command};
use kubectl_vexfs::commands::{self, Context};

async fn run(cli: Cli) -> Result<String, PluginError> {
    let client = kube::Client::try_default()
        .await
        .map_err(kubectl_vexfs::kube_err("connecting with the kubeconfig"))?;
    let namespace = cli
        .namespace
        .unwrap_or_else(|| client.default_namespace().to_owned());
    let ctx = Context { client, namespace };
    match cli.command {
        Command::Status { name } => commands::status(&ctx, &name).await,
        Command::Backup {
            name,
            timeout_seconds,
            no_wait,
        } => commands::backup(&ctx, &name, Duration::from_secs(timeout_seconds), no_wait).await,
        Command::Restore { backup, to } => commands::restore(&ctx, &backup, &to).await,
        Command::Analytics {
            name,
            view,
            token_file,
        } => {
            let token = match token_file {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|source| PluginError::Io {
                            path: path.display().to_string(),
                            source,
                        })?
                        .trim()
                        .to_owned(),
                ),
                None => None,
            };
            commands::analytics(&ctx, &name, view, token).await
        }
        Command::Logs { name, tail } => commands::logs(&ctx, &name, tail).await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // The workspace enables both of rustls' crypto back ends, so the client's is chosen here.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    match run(Cli::parse()).await {
        Ok(out) => {
            print!("{}", if out.ends_with('\n') { out } else { out + "\n" });
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kubectl vexfs: {e}");
            ExitCode::FAILURE
        }
    }
}
