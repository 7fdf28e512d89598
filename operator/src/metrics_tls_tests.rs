//! The metrics server over HTTPS: flags, load errors, and a certificate replaced on disk taken up
//! by new connections without a restart.

use std::time::Duration;

use axum::routing::get;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use super::*;

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let pem = params.self_signed(&key).unwrap().pem();
    Ca {
        issuer: Issuer::new(params, key),
        pem,
    }
}

/// Writes a fresh leaf for `localhost` by rename; returns its certificate PEM.
fn write_leaf(ca: &Ca, files: &TlsFiles) -> String {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca.issuer)
        .unwrap()
        .pem();
    for (path, text) in [(&files.cert, &cert), (&files.key, &key.serialize_pem())] {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }
    cert
}

/// GETs `/healthz` over HTTPS trusting `ca`; returns the body and the certificate presented.
async fn get_healthz(addr: std::net::SocketAddr, ca: &Ca) -> (String, CertificateDer<'static>) {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
        .unwrap();
    let presented = tls.get_ref().1.peer_certificates().unwrap()[0].clone();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap();
    (response, presented)
}

fn der(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
}

#[test]
fn both_flags_or_neither() {
    let p = |s: &str| Some(PathBuf::from(s));
    assert_eq!(TlsFiles::from_flags(None, None), Ok(None));
    assert!(TlsFiles::from_flags(p("c"), p("k")).unwrap().is_some());
    let lone = TlsFiles::from_flags(p("c"), None).unwrap_err();
    assert!(lone.contains("--metrics-tls-key"), "{lone}");
    let lone = TlsFiles::from_flags(None, p("k")).unwrap_err();
    assert!(lone.contains("--metrics-tls-cert"), "{lone}");
}

#[test]
fn unusable_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
    };
    let missing = load(&files).unwrap_err().to_string();
    assert!(missing.contains("tls.crt"), "{missing}");
    let authority = ca();
    write_leaf(&authority, &files);
    let other = KeyPair::generate().unwrap().serialize_pem();
    std::fs::write(&files.key, other).unwrap();
    let mismatch = load(&files).unwrap_err();
    assert!(
        matches!(mismatch, MetricsTlsError::Config { .. }),
        "{mismatch}"
    );
}

#[tokio::test]
async fn a_replaced_certificate_is_served_to_new_connections() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
    };
    let authority = ca();
    let first = write_leaf(&authority, &files);
    let tls = start(files.clone(), Duration::from_millis(50)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/healthz", get(|| async { "ok" }));
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve(listener, router, tls, shutdown.clone()));

    let (response, presented) = get_healthz(addr, &authority).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok"), "{response}");
    assert_eq!(presented, der(&first));

    let second = write_leaf(&authority, &files);
    let mut served = presented;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        served = get_healthz(addr, &authority).await.1;
        if served == der(&second) {
            break;
        }
    }
    assert_eq!(served, der(&second), "the new certificate is served");
    shutdown.cancel();
    server.await.unwrap();
}
