//! The accept loop: HTTP/1 and HTTP/2 on a TCP listener, optionally inside TLS, with a cap on
//! open connections, deadlines for the TLS handshake and the request headers, and a graceful
//! shutdown that lets requests in flight finish.

use super::tls::ClientCertificate;
use super::tls::reload::TlsSource;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// Connection limits of [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections at most; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Time a client has to send a request's headers before the connection is closed.
    pub header_read_timeout: Duration,
}

/// Serves `app` on `listener` (HTTPS when `tls` is given) until `shutdown` resolves, then closes
/// idle connections, lets requests in flight finish and returns when every connection is closed.
pub async fn serve<F>(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsSource>,
    shutdown: F,
) where
    F: Future<Output = ()> + Send + 'static,
{
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let connection = Connection {
            builder: builder.clone(),
            app: app.clone(),
            peer,
            closed: closed.clone(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                Some(tls) => connection.serve_tls(stream, &tls).await,
                None => connection.serve(stream, None).await,
            }
        });
    }
    drop(listener);
    closing.send_replace(true);
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
}

/// One accepted connection and what serving it needs.
struct Connection {
    builder: Builder<TokioExecutor>,
    app: Router,
    peer: SocketAddr,
    closed: watch::Receiver<bool>,
}

impl Connection {
    /// Completes the TLS handshake within its deadline (or until shutdown), then serves HTTP.
    async fn serve_tls(mut self, stream: TcpStream, tls: &TlsSource) {
        let handshake =
            tokio::time::timeout(tls.handshake_timeout(), tls.acceptor().accept(stream));
        let stream = tokio::select! {
            done = handshake => match done {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    tracing::debug!(peer = %self.peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(peer = %self.peer, "TLS handshake timed out");
                    return;
                }
            },
            () = async { drop(self.closed.wait_for(|c| *c).await) } => return,
        };
        let client_cert = stream
            .get_ref()
            .1
            .peer_certificates()
            .is_some_and(|certs| !certs.is_empty())
            .then_some(ClientCertificate);
        self.serve(stream, client_cert).await;
    }

    /// Serves HTTP/1 or HTTP/2 on `io` until the client leaves or the server shuts down.
    async fn serve<I>(self, io: I, client_cert: Option<ClientCertificate>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            builder,
            app,
            peer,
            mut closed,
        } = self;
        let service =
            TowerToHyperService::new(app.map_request(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                if let Some(cert) = client_cert {
                    req.extensions_mut().insert(cert);
                }
                req
            }));
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
        tokio::pin!(conn);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
            () = async { drop(closed.wait_for(|c| *c).await) } => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    }
}
