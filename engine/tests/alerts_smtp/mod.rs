//! A small SMTP server for tests: EHLO, optional STARTTLS (certificate from a throw-away CA made
//! with rcgen), AUTH PLAIN, MAIL FROM, RCPT TO, DATA and QUIT, recording what it receives.

#![allow(dead_code)]

use std::sync::Arc;

use parking_lot::Mutex;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// One message as the server saw it.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// Whether the session had been upgraded with STARTTLS before MAIL FROM.
    pub tls: bool,
    /// The AUTH command line, if any.
    pub auth: Option<String>,
    /// Envelope sender (inside the angle brackets).
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt_to: Vec<String>,
    /// The DATA content, dot-unstuffed, CRLF line endings.
    pub data: String,
}

impl Received {
    /// The value of a header (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let prefix = format!("{}:", name.to_ascii_lowercase());
        unfolded
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The body after the header block.
    pub fn body(&self) -> &str {
        self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b)
    }
}

/// A throw-away CA and a server certificate for `localhost` and `127.0.0.1`.
pub struct TestPki {
    /// CA certificate in PEM, for the client's trust store.
    pub ca_pem: String,
    acceptor: TlsAcceptor,
}

impl TestPki {
    pub fn new() -> Self {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().expect("leaf key");
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let leaf = CertificateParams::new(names)
            .expect("leaf params")
            .signed_by(&leaf_key, &issuer)
            .expect("leaf certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)
            .expect("server config");
        Self {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    }
}

/// Messages received so far.
pub type Inbox = Arc<Mutex<Vec<Received>>>;

/// Starts the server on 127.0.0.1; STARTTLS is offered when `pki` is given.
pub async fn start_smtp(pki: Option<TestPki>) -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("addr").port();
    let inbox = Inbox::default();
    let acceptor = pki.map(|p| p.acceptor);
    let shared = Arc::clone(&inbox);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (inbox, acceptor) = (Arc::clone(&shared), acceptor.clone());
            tokio::spawn(async move {
                let mut tcp = tcp;
                tcp.write_all(b"220 localhost ESMTP test\r\n")
                    .await
                    .expect("greeting");
                let offer = acceptor.is_some();
                if let Some(tcp) = converse(BufReader::new(tcp), offer, false, &inbox).await
                    && let Some(acceptor) = acceptor
                {
                    let tls = acceptor.accept(tcp).await.expect("TLS handshake");
                    converse(BufReader::new(tls), false, true, &inbox).await;
                }
            });
        }
    });
    (port, inbox)
}

/// Speaks SMTP until QUIT (returns `None`) or STARTTLS (returns the stream to upgrade).
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: BufReader<S>,
    offer_starttls: bool,
    tls: bool,
    inbox: &Inbox,
) -> Option<S> {
    let mut current = Received {
        tls,
        ..Received::default()
    };
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_owned();
        let verb = line
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" | "HELO" => ehlo_reply(offer_starttls),
            "STARTTLS" if offer_starttls => {
                stream.write_all(b"220 go ahead\r\n").await.ok()?;
                return Some(stream.into_inner());
            }
            "AUTH" => {
                current.auth = Some(line.clone());
                "235 authenticated\r\n".into()
            }
            "MAIL" => {
                current.mail_from = between_brackets(&line);
                "250 ok\r\n".into()
            }
            "RCPT" => {
                current.rcpt_to.push(between_brackets(&line));
                "250 ok\r\n".into()
            }
            "DATA" => {
                stream.write_all(b"354 end with .\r\n").await.ok()?;
                current.data = read_data(&mut stream).await?;
                inbox.lock().push(std::mem::take(&mut current));
                current.tls = tls;
                "250 queued\r\n".into()
            }
            "QUIT" => {
                stream.write_all(b"221 bye\r\n").await.ok()?;
                return None;
            }
            "RSET" | "NOOP" => "250 ok\r\n".into(),
            _ => "502 not implemented\r\n".into(),
        };
        stream.write_all(reply.as_bytes()).await.ok()?;
    }
}

fn ehlo_reply(offer_starttls: bool) -> String {
    let tls_line = if offer_starttls {
        "250-STARTTLS\r\n"
    } else {
        ""
    };
    format!("250-localhost\r\n{tls_line}250-AUTH PLAIN\r\n250 8BITMIME\r\n")
}

fn between_brackets(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line.rfind('>').unwrap_or(line.len());
    line[start..end].to_owned()
}

async fn read_data<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut BufReader<S>) -> Option<String> {
    let mut data = String::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line == ".\r\n" {
            return Some(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}
