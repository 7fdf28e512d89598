//! `vexfs-operator`: wiring only — flags, telemetry, leader election, controller and HTTP server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use tokio_util::sync::CancellationToken;
use vexfs_operator::api_client::{self, Limits};
use vexfs_operator::controller::cluster_probe::ClusterProbes;
use vexfs_operator::controller::memory::Memory;
use vexfs_operator::controller::run::{Handles, RunConfig, Shared, run};
use vexfs_operator::http::{HttpState, router};
use vexfs_operator::leader::LeaderElector;
use vexfs_operator::metrics::Metrics;
use vexfs_operator::metrics_tls::{self, TlsFiles};
use vexfs_operator::spec::images::{self, Images};

/// Log line format.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Json,
    Text,
}

/// Kubernetes operator for VexfsSemantic analytics stacks.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Namespaces to watch (comma separated); all namespaces when empty.
    #[arg(
        long,
        env = "WATCH_NAMESPACES",
        value_delimiter = ',',
        default_value = ""
    )]
    namespaces: Vec<String>,
    /// Objects reconciled concurrently.
    #[arg(long, env = "CONCURRENCY", default_value_t = 16)]
    concurrency: u16,
    /// Sustained requests per second to the Kubernetes API (client-side limit).
    #[arg(long, env = "KUBE_API_QPS", default_value_t = 100.0)]
    kube_api_qps: f64,
    /// Requests to the Kubernetes API allowed in a burst above the sustained rate.
    #[arg(long, env = "KUBE_API_BURST", default_value_t = 200)]
    kube_api_burst: u32,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "json")]
    log_format: LogFormat,
    /// Address of the /metrics, /healthz and /readyz server.
    #[arg(long, env = "METRICS_ADDR", default_value = "0.0.0.0:8080")]
    metrics_addr: SocketAddr,
    /// PEM certificate chain to serve /metrics, /healthz and /readyz over HTTPS (with
    /// --metrics-tls-key); reloaded when the file changes.
    #[arg(long, env = "METRICS_TLS_CERT")]
    metrics_tls_cert: Option<PathBuf>,
    /// PEM private key of --metrics-tls-cert.
    #[arg(long, env = "METRICS_TLS_KEY")]
    metrics_tls_key: Option<PathBuf>,
    /// Elect a leader through a Lease so several replicas can run.
    #[arg(long, env = "LEADER_ELECT", default_value_t = false)]
    leader_elect: bool,
    /// Name of the leader-election Lease.
    #[arg(long, env = "LEASE_NAME", default_value = "vexfs-operator")]
    lease_name: String,
    /// The operator's own namespace: it holds the leader-election Lease, and the engines'
    /// NetworkPolicies admit the operator's pods from it.
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    lease_namespace: String,
    /// Identity of this replica (the pod name).
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Engine image of resources that do not set `spec.engine.image`.
    #[arg(long, env = "ENGINE_IMAGE", default_value = images::ENGINE)]
    engine_image: String,
    /// `aws` CLI image of S3 backup, restore and cleanup containers.
    #[arg(long, env = "AWS_CLI_IMAGE", default_value = images::AWS_CLI)]
    aws_cli_image: String,
    /// Shell image deleting archives from backup volumes.
    #[arg(long, env = "SHELL_IMAGE", default_value = images::SHELL)]
    shell_image: String,
    /// Read clustered engines' /metrics for `status.cluster` and the Rebalancing condition; turn
    /// off when the operator runs outside the cluster's pod network (Ready then follows the pods'
    /// readiness alone).
    #[arg(long, env = "ENGINE_PROBES", default_value_t = true, action = clap::ArgAction::Set)]
    engine_probes: bool,
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown requested");
    token.cancel();
}

// One thread: the operator waits on the API server, not on its CPU (about a tenth of a core at
// 1,000 resources), and every extra runtime thread gets a glibc arena of its own whose free pages
// stay resident.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_tracing(args.log_format);
    // rustls is built with both crypto backends here (kube's ring, the workspace's aws-lc-rs),
    // so it cannot choose one by itself: install one before the first TLS connection.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let namespaces: Vec<String> = args
        .namespaces
        .into_iter()
        .filter(|ns| !ns.is_empty())
        .collect();
    let images = Images::new(&args.engine_image, &args.aws_cli_image, &args.shell_image)?;
    let limits = Limits {
        qps: args.kube_api_qps,
        burst: args.kube_api_burst,
    };
    let client = api_client::client(limits)
        .await
        .context("connecting to the Kubernetes API")?;
    let metrics = Metrics::new()?;
    let shared = Arc::new(Shared::default());
    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_signal(shutdown.clone()));

    let listener = tokio::net::TcpListener::bind(args.metrics_addr)
        .await
        .context("binding the metrics address")?;
    let app = router(HttpState {
        metrics: metrics.clone(),
        shared: shared.clone(),
    });
    let http_shutdown = shutdown.clone();
    let tls = TlsFiles::from_flags(args.metrics_tls_cert.clone(), args.metrics_tls_key.clone())
        .map_err(anyhow::Error::msg)?
        .map(|files| metrics_tls::start(files, metrics_tls::RELOAD_INTERVAL))
        .transpose()?;
    let server = tokio::spawn(async move {
        match tls {
            Some(tls) => {
                metrics_tls::serve(listener, app, tls, http_shutdown).await;
                Ok(())
            }
            None => {
                axum::serve(listener, app)
                    .with_graceful_shutdown(http_shutdown.cancelled_owned())
                    .await
            }
        }
    });
    tracing::info!(addr = %args.metrics_addr, ?namespaces, concurrency = args.concurrency, qps = limits.qps, burst = limits.burst, "operator starting");

    let identity = args
        .identity
        .unwrap_or_else(|| format!("vexfs-operator-{}", std::process::id()));
    let elector = args.leader_elect.then(|| {
        LeaderElector::new(
            client.clone(),
            &args.lease_namespace,
            &args.lease_name,
            &identity,
        )
    });
    let mut renewal = None;
    if let Some(elector) = elector {
        if !elector.acquire(&shutdown).await {
            return Ok(());
        }
        let token = shutdown.clone();
        renewal = Some(tokio::spawn(async move {
            let result = elector.keep_renewing(&token).await;
            token.cancel();
            result
        }));
    }

    let handles = Handles {
        client,
        metrics,
        instance: Some(identity),
        memory: Arc::new(Memory {
            cluster: ClusterProbes::enabled(args.engine_probes),
            ..Memory::default()
        }),
        images,
        operator_namespace: Some(args.lease_namespace.clone()),
    };
    let config = RunConfig {
        namespaces,
        concurrency: args.concurrency,
    };
    run(handles, config, shared, shutdown.clone()).await;
    shutdown.cancel();
    server.await?.context("HTTP server")?;
    if let Some(renewal) = renewal {
        renewal.await?.context("leader election")?;
    }
    tracing::info!("operator stopped");
    Ok(())
}
