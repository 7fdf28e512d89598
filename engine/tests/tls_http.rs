//! HTTPS: the handshake and plain HTTP refused on the TLS port, the handshake deadline, reload
//! of changed certificate files without a restart (a broken pair keeps the old one), and client
//! certificates required for ingest.

mod tls_common;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::time::{Duration, Instant};
use tls_common::{Ca, TlsEngine, connector, request, wait_ready, write_pair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vexfs_engine::config::TlsSection;

const EVENT: &str = r#"[{"type":"FilesystemWrite","source":"node-a","latencyNs":2000,
"context":{"filesystem":{"path":"/data/a.bin"}}}]"#;

fn section(dir: &Path, ca: &Ca) -> TlsSection {
    let (cert_path, key_path) = write_pair(dir, &ca.leaf(&["localhost", "127.0.0.1"]));
    TlsSection {
        cert_path,
        key_path,
        reload_interval_ms: 100,
        handshake_timeout_ms: 500,
        ..TlsSection::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_and_refuses_plain_http_on_the_same_port() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    let engine = TlsEngine::start(&tmp.path().join("data"), section(tmp.path(), &ca)).await;
    let client = connector(&ca.pem, None);
    wait_ready(engine.addr, &client).await;
    let reply = request(engine.addr, &client, "GET", "/healthz", "")
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text);

    let mut plain = TcpStream::connect(engine.addr).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut raw = Vec::new();
    let _ = plain.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(
        !text.starts_with("HTTP/"),
        "plain HTTP on the TLS port got an HTTP reply: {text:?}"
    );

    let stranger = connector(&Ca::new().pem, None);
    let err = request(engine.addr, &stranger, "GET", "/healthz", "")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_dropped_at_the_handshake_deadline() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    let engine = TlsEngine::start(&tmp.path().join("data"), section(tmp.path(), &ca)).await;
    wait_ready(engine.addr, &connector(&ca.pem, None)).await;
    let started = Instant::now();
    let mut silent = TcpStream::connect(engine.addr).await.unwrap();
    let mut buf = [0_u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
        .await
        .expect("the server closes a silent connection well before 5 s");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(400),
        "closed after {waited:?}, before the 500 ms deadline"
    );
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_files_are_served_without_a_restart_and_a_broken_pair_keeps_the_old_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (old_ca, new_ca) = (Ca::new(), Ca::new());
    let tls = section(tmp.path(), &old_ca);
    let old_cert = CertificateDer::from_pem_file(&tls.cert_path).unwrap();
    let engine = TlsEngine::start(&tmp.path().join("data"), tls.clone()).await;
    let old_client = connector(&old_ca.pem, None);
    wait_ready(engine.addr, &old_client).await;
    let served = request(engine.addr, &old_client, "GET", "/healthz", "")
        .await
        .unwrap()
        .server_cert;
    assert_eq!(served, old_cert);

    // A key that does not match the certificate: logged, old pair kept.
    let mismatched = new_ca.leaf(&["localhost"]);
    std::fs::write(&tls.key_path, &mismatched.key_pem).unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let still = request(engine.addr, &old_client, "GET", "/healthz", "")
        .await
        .expect("the old certificate is still served after a broken change");
    assert_eq!(still.server_cert, served);

    let new_leaf = new_ca.leaf(&["localhost", "127.0.0.1"]);
    write_pair(tmp.path(), &new_leaf);
    let new_client = connector(&new_ca.pem, None);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(reply) = request(engine.addr, &new_client, "GET", "/healthz", "").await {
            assert_eq!(reply.status, 200);
            assert_eq!(reply.server_cert, new_leaf.der());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let err = request(engine.addr, &old_client, "GET", "/healthz", "")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_requires_a_client_certificate_from_the_client_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let (server_ca, client_ca, other_ca) = (Ca::new(), Ca::new(), Ca::new());
    let ca_path = tmp.path().join("client-ca.crt");
    std::fs::write(&ca_path, &client_ca.pem).unwrap();
    let tls = TlsSection {
        client_ca_path: Some(ca_path),
        ..section(tmp.path(), &server_ca)
    };
    let engine = TlsEngine::start(&tmp.path().join("data"), tls).await;
    let anonymous = connector(&server_ca.pem, None);
    wait_ready(engine.addr, &anonymous).await;

    let refused = request(engine.addr, &anonymous, "POST", "/api/v1/events", EVENT)
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert!(
        refused.text.contains("client_certificate_required"),
        "{}",
        refused.text
    );
    let query = request(engine.addr, &anonymous, "GET", "/api/v1/events", "")
        .await
        .unwrap();
    assert_eq!(query.status, 200, "queries need no client certificate");

    let forged = other_ca.leaf(&["ingest-client"]);
    let err = request(
        engine.addr,
        &connector(&server_ca.pem, Some(&forged)),
        "POST",
        "/api/v1/events",
        EVENT,
    )
    .await
    .expect_err("a client certificate from another CA is refused in the handshake");
    // The other CA has the same (default) name as the client CA, so the refusal is a bad
    // signature (decrypt_error) rather than an unknown issuer.
    assert!(err.to_string().contains("fatal alert"), "{err}");

    let good = client_ca.leaf(&["ingest-client"]);
    let accepted = request(
        engine.addr,
        &connector(&server_ca.pem, Some(&good)),
        "POST",
        "/api/v1/events",
        EVENT,
    )
    .await
    .unwrap();
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    engine.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_ingests_over_https_with_a_client_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let (server_ca, client_ca) = (Ca::new(), Ca::new());
    let write = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let tls = TlsSection {
        client_ca_path: Some(write("client-ca.crt", &client_ca.pem)),
        ..section(tmp.path(), &server_ca)
    };
    let engine = TlsEngine::start(&tmp.path().join("data"), tls).await;
    wait_ready(engine.addr, &connector(&server_ca.pem, None)).await;
    let events = write(
        "events.ndjson",
        EVENT.replace('\n', "").trim_matches(['[', ']']),
    );
    let ca = write("server-ca.crt", &server_ca.pem);
    let client = client_ca.leaf(&["replayer"]);
    let (cert, key) = (
        write("client.crt", &client.cert_pem),
        write("client.key", &client.key_pem),
    );
    let url = format!("https://localhost:{}", engine.addr.port());
    let replay = move |with_identity: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vexfs-engine"));
        cmd.args([
            "replay",
            "--no-progress",
            "--max-retries",
            "0",
            "--to",
            &url,
        ])
        .arg(&events)
        .arg("--ca-file")
        .arg(&ca);
        if with_identity {
            cmd.arg("--client-cert")
                .arg(&cert)
                .arg("--client-key")
                .arg(&key);
        }
        cmd.output().unwrap()
    };
    let refused = tokio::task::spawn_blocking({
        let replay = replay.clone();
        move || replay(false)
    })
    .await
    .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("client certificate"), "{stderr}");
    let done = tokio::task::spawn_blocking(move || replay(true))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(stdout.contains("\"accepted\":1"), "{stdout}");
    engine.stop().await;
}
