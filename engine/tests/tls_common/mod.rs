//! Helpers for the HTTPS tests: certificate authorities and leaves made with rcgen, an engine
//! run in-process with a `[server.tls]` section, and a raw HTTP/1.1 client over rustls that
//! reports the certificate the server presented.

#![allow(dead_code)]

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_rustls::TlsConnector;
use vexfs_engine::config::{Config, TlsSection};

/// A certificate authority that signs server and client certificates.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub pem: String,
}

/// A certificate and its key, PEM.
pub struct Leaf {
    /// The certificate.
    pub cert_pem: String,
    /// The PKCS#8 key.
    pub key_pem: String,
}

impl Leaf {
    /// The certificate, DER (to compare with what a server presented).
    pub fn der(&self) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).expect("leaf PEM")
    }
}

impl Ca {
    /// A new self-signed CA.
    pub fn new() -> Ca {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("CA certificate");
        Ca {
            issuer: Issuer::new(params, key),
            pem: cert.pem(),
        }
    }

    /// A leaf for `names` (DNS names or IP addresses) signed by this CA.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let names = names.iter().map(|n| (*n).to_string()).collect::<Vec<_>>();
        let cert = CertificateParams::new(names)
            .expect("leaf params")
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// Writes `leaf` to `dir/tls.crt` and `dir/tls.key`, each by rename so a reader never sees half
/// a file; returns the two paths.
pub fn write_pair(dir: &Path, leaf: &Leaf) -> (PathBuf, PathBuf) {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        path
    };
    (
        write("tls.crt", &leaf.cert_pem),
        write("tls.key", &leaf.key_pem),
    )
}

/// An engine serving HTTPS in this process.
pub struct TlsEngine {
    /// `127.0.0.1:port`.
    pub addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl TlsEngine {
    /// Starts the engine on a free loopback port with `tls`; returns once it listens.
    pub async fn start(data_dir: &Path, tls: TlsSection) -> TlsEngine {
        let mut config = Config::default();
        config.server.tls = Some(tls);
        config.check().expect("test configuration is valid");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let dir = data_dir.to_path_buf();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            vexfs_engine::server::run(config, dir, listener, shutdown)
                .await
                .expect("engine runs");
        });
        TlsEngine {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Stops the engine and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(20), &mut self.task)
            .await
            .expect("engine stops")
            .expect("engine task ends cleanly");
    }
}

/// What one HTTPS request got back.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// The response, headers and body, as text.
    pub text: String,
    /// The leaf certificate the server presented.
    pub server_cert: CertificateDer<'static>,
}

/// A TLS client trusting `ca_pem`, optionally presenting `identity`.
pub fn connector(ca_pem: &str, identity: Option<&Leaf>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA certificate");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots);
    let config = match identity {
        Some(leaf) => builder
            .with_client_auth_cert(
                vec![leaf.der()],
                PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).expect("client key"),
            )
            .expect("client identity"),
        None => builder.with_no_client_auth(),
    };
    TlsConnector::from(Arc::new(config))
}

/// Sends one HTTP/1.1 request over TLS to `addr` (server name `localhost`) and reads the whole
/// reply. Fails with the I/O error when the handshake or the exchange fails.
pub async fn request(
    addr: std::net::SocketAddr,
    connector: &TlsConnector,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<Reply> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").expect("server name");
    let mut tls = connector.connect(name, tcp).await?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(head.as_bytes()).await?;
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw).await?;
    let server_cert = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first().cloned())
        .expect("the server presented a certificate");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP status in reply: {text:?}")))?;
    Ok(Reply {
        status,
        text,
        server_cert,
    })
}

/// Polls `/readyz` over TLS until it answers 200.
pub async fn wait_ready(addr: std::net::SocketAddr, connector: &TlsConnector) {
    for _ in 0..400 {
        if let Ok(reply) = request(addr, connector, "GET", "/readyz", "").await
            && reply.status == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("engine at {addr} never became ready over HTTPS");
}
