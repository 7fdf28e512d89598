//! `vexfs-engine` command-line entry point: parses arguments, sets up logging, dispatches.

use std::io::IsTerminal;

use anyhow::Context;
use clap::Parser;
use vexfs_engine::cli::{Cli, Command, ServeArgs, audit, backup, convert, replay};
use vexfs_engine::config::{Config, LogFormat, check_log_filter};
use vexfs_engine::server;

/// mimalloc instead of the system allocator: ingest allocates and frees millions of small strings
/// and context blocks per second across threads, where glibc's malloc spent a fifth of the
/// engine's CPU (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Installs the stderr logger. `RUST_LOG`, when set, overrides `level`; either must be a valid
/// filter. `LogFormat::Auto` writes text on a terminal and JSON anywhere else; text carries ANSI
/// colours only on a terminal.
fn init_logging(level: &str, format: LogFormat) -> anyhow::Result<()> {
    let (key, filter) = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => ("RUST_LOG", value),
        _ => ("logging.level", level.to_owned()),
    };
    check_log_filter(key, &filter)?;
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .with_context(|| format!("{key} {filter:?} is not a valid log filter"))?;
    let terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format.resolve(terminal) {
        LogFormat::Json => builder.json().init(),
        _ => builder.with_ansi(terminal).init(),
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    if let Some(dir) = args.data_dir {
        config.storage.data_dir = dir;
    }
    init_logging(&config.logging.level, config.logging.format)?;
    let data_dir = config.data_dir();
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    server::run(config, data_dir, listener, server::shutdown_signal()).await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    if !matches!(command, Command::Serve(_)) {
        init_logging("warn", LogFormat::Text)?;
    }
    match command {
        Command::Serve(args) => serve(args).await?,
        Command::Backup(args) => println!(
            "{}",
            backup::backup(&args, server::now_ns()).await?.to_line()
        ),
        Command::Verify(args) => println!("{}", backup::verify(&args)?.to_line()),
        Command::Restore(args) => println!("{}", backup::restore(&args).await?.to_line()),
        Command::Replay(args) => {
            let report = replay::replay(&args).await?;
            println!("{}", serde_json::to_string(&report)?);
        }
        Command::Convert(args) => {
            convert::run(&args)?;
        }
        Command::Audit(args) => audit::run(&args)?,
    }
    Ok(())
}
