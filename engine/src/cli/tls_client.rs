//! HTTPS options of the commands that call a running engine (`backup --from`, `replay`): the CA
//! that signed the engine's certificate and, for an engine that requires client certificates
//! for ingest, the client certificate and key.

use super::CliError;
use clap::Args;
use std::path::{Path, PathBuf};

/// Options for calling an engine over HTTPS.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsClientArgs {
    /// PEM CA certificates to trust for the engine's HTTPS certificate, besides the system's.
    #[arg(long, env = "VEXFS_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (mTLS), for an engine with `[server.tls] client_ca_path`.
    #[arg(long, env = "VEXFS_CLIENT_CERT", requires = "client_key")]
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `--client-cert`.
    #[arg(long, env = "VEXFS_CLIENT_KEY", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|source| CliError::Io {
        context: format!("reading {what} {}", path.display()),
        source,
    })
}

fn bad(path: &Path, what: &str, e: &reqwest::Error) -> CliError {
    CliError::Tls(format!("{what} {}: {e}", path.display()))
}

impl TlsClientArgs {
    /// An HTTP client trusting `--ca-file` and presenting `--client-cert` when given.
    pub fn client(&self) -> Result<reqwest::Client, CliError> {
        let mut builder = reqwest::Client::builder();
        if let Some(path) = &self.ca_file {
            let certs = reqwest::Certificate::from_pem_bundle(&read(path, "CA file")?)
                .map_err(|e| bad(path, "CA file", &e))?;
            builder = builder.tls_certs_merge(certs);
        }
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            let mut pem = read(cert, "client certificate")?;
            pem.push(b'\n');
            pem.extend(read(key, "client key")?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| bad(cert, "client certificate", &e))?;
            builder = builder.identity(identity);
        }
        builder
            .build()
            .map_err(|e| CliError::Tls(format!("cannot build the HTTPS client: {e}")))
    }
}
