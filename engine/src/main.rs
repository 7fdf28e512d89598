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

/// Turns transparent huge pages off for this process (Linux). mimalloc asks for huge pages on
/// the memory it maps, and the kernel then zeroes a whole 2 MiB page on the first touch of any
/// byte of it: during ingest, with request bodies, decoded batches and WAL buffers of a few MiB
/// each, `clear_page_erms` took 7-8% of the engine's CPU (see BENCHMARKS.md). The flag is the
/// one mimalloc itself sets under `MIMALLOC_ALLOW_THP=0`, set here because that variable must be
/// in the environment before the process starts. A kernel that refuses it costs only speed.
fn disable_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::warn!(error = %e, "cannot turn transparent huge pages off; ingest will be slower");
    }
}

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
    disable_transparent_huge_pages();
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
