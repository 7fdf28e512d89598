//! The HTTP edge of the fan-out: this replica's peers (`[cluster] peers`, by ordinal), asked
//! all at once for their share with the caller's credentials, each within the peer timeout.

use super::MissingReplica;
use crate::config::ClusterSection;
use axum::http::HeaderValue;
use futures::future::join_all;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
use std::time::Duration;

/// Longest part of a peer's error body quoted in `missingReplicas[].reason`.
const REASON_BODY_CHARS: usize = 200;

/// This replica's place among the replicas and a client to ask the others.
#[derive(Debug, Clone)]
pub struct Peers {
    ordinal: u32,
    replicas: u32,
    urls: Vec<String>,
    client: reqwest::Client,
    timeout: Duration,
}

/// The client for the peers cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum PeerClientError {
    /// `peer_ca_file` cannot be read.
    #[error("cannot read cluster.peer_ca_file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `peer_ca_file` holds no usable PEM certificate.
    #[error("cluster.peer_ca_file {path} holds no usable PEM certificate: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The TLS backend refused the client.
    #[error("cannot build the HTTP client for the peers: {0}")]
    Build(String),
}

/// What the peers answered: each answer with its ordinal, and who did not answer.
#[derive(Debug)]
pub struct PeerAnswers<T> {
    /// `(ordinal, answer)` of every peer that answered, ascending by ordinal.
    pub answers: Vec<(u32, T)>,
    /// The peers that did not.
    pub missing: Vec<MissingReplica>,
}

/// `base` + `path` with the query pairs `query`.
fn with_query(base: &str, path: &str, query: &[(String, String)]) -> Result<reqwest::Url, String> {
    let mut url = reqwest::Url::parse(&format!("{base}{path}"))
        .map_err(|e| format!("peer URL `{base}` is not a URL: {e}"))?;
    url.query_pairs_mut().extend_pairs(query);
    Ok(url)
}

impl Peers {
    /// The peers of replica `ordinal` as `section` lists them, trusting `peer_ca_file` (when
    /// set) besides the system's roots for `https://` peers.
    pub fn new(section: &ClusterSection, ordinal: u32) -> Result<Peers, PeerClientError> {
        let timeout = Duration::from_millis(section.peer_timeout_ms);
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout);
        if let Some(path) = &section.peer_ca_file {
            let pem = std::fs::read(path).map_err(|source| PeerClientError::Read {
                path: path.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| PeerClientError::Pem {
                    path: path.clone(),
                    reason: "no certificate found".into(),
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder
            .build()
            .map_err(|e| PeerClientError::Build(e.to_string()))?;
        Ok(Peers {
            ordinal,
            replicas: section.replicas,
            urls: section.peers.clone(),
            client,
            timeout,
        })
    }

    /// This replica's ordinal.
    pub fn ordinal(&self) -> u32 {
        self.ordinal
    }

    /// How many replicas share the stream.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// `GET path` with `query(ordinal)` plus `scope=local` on every other replica.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: impl Fn(u32) -> Vec<(String, String)>,
        auth: Option<&HeaderValue>,
    ) -> PeerAnswers<T> {
        self.ask(
            |(ordinal, base)| {
                let mut q = query(ordinal);
                q.push(("scope".into(), "local".into()));
                Ok(self.client.get(with_query(base, path, &q)?))
            },
            auth,
        )
        .await
    }

    /// `POST path?scope=local` with the JSON `body` on every other replica.
    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        auth: Option<&HeaderValue>,
    ) -> PeerAnswers<T> {
        self.ask(
            |(_, base)| {
                let q = [("scope".to_owned(), "local".to_owned())];
                Ok(self.client.post(with_query(base, path, &q)?).json(body))
            },
            auth,
        )
        .await
    }

    async fn ask<T: DeserializeOwned>(
        &self,
        request: impl Fn((u32, &str)) -> Result<reqwest::RequestBuilder, String>,
        auth: Option<&HeaderValue>,
    ) -> PeerAnswers<T> {
        let others: Vec<u32> = (0..self.replicas).filter(|o| *o != self.ordinal).collect();
        let calls = others.iter().map(|&ordinal| {
            let url = self.urls.get(ordinal as usize);
            let call = url.map(|u| {
                request((ordinal, u.trim_end_matches('/'))).map(|r| match auth {
                    Some(a) => r.header(axum::http::header::AUTHORIZATION, a.clone()),
                    None => r,
                })
            });
            async move {
                let result = match call {
                    Some(Ok(r)) => self.answer::<T>(r).await,
                    Some(Err(e)) => Err((None, e)),
                    None => Err((None, "no URL: `[cluster] peers` is not set".to_owned())),
                };
                (ordinal, url.cloned(), result)
            }
        });
        let mut out = PeerAnswers {
            answers: Vec::new(),
            missing: Vec::new(),
        };
        for (ordinal, url, result) in join_all(calls).await {
            match result {
                Ok(answer) => out.answers.push((ordinal, answer)),
                Err((status, reason)) => {
                    if status != Some(404) {
                        tracing::warn!(ordinal, url = ?url, %reason, "peer did not answer a query");
                    }
                    out.missing.push(MissingReplica {
                        ordinal,
                        url,
                        reason,
                        status,
                    });
                }
            }
        }
        out
    }

    /// The peer's answer, or the status it answered (if any) and why it is not usable.
    async fn answer<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, (Option<u16>, String)> {
        let response = request
            .send()
            .await
            .map_err(|e| (None, self.describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            let excerpt: String = body.chars().take(REASON_BODY_CHARS).collect();
            return Err((
                Some(status.as_u16()),
                format!("answered {status}: {excerpt}"),
            ));
        }
        response.json::<T>().await.map_err(|e| {
            (
                Some(status.as_u16()),
                format!("answered an unreadable body: {}", self.describe(&e)),
            )
        })
    }

    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!("no answer within {} ms", self.timeout.as_millis())
        } else if e.is_connect() {
            format!("connection failed: {e}")
        } else {
            e.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(ca: Option<PathBuf>) -> ClusterSection {
        ClusterSection {
            replicas: 3,
            peers: vec![
                "https://a:1".into(),
                "https://b:1".into(),
                "https://c:1".into(),
            ],
            peer_ca_file: ca,
            ..ClusterSection::default()
        }
    }

    #[test]
    fn a_peer_ca_file_is_read_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().expect("dir");
        let ca = rcgen::generate_simple_self_signed(vec!["peer".into()]).expect("cert");
        let good = dir.path().join("ca.pem");
        std::fs::write(&good, ca.cert.pem()).expect("write");
        let peers = Peers::new(&section(Some(good)), 1).expect("client");
        assert_eq!((peers.ordinal(), peers.replicas()), (1, 3));
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").expect("write");
        let err = Peers::new(&section(Some(junk.clone())), 1).expect_err("junk");
        assert!(
            err.to_string().contains(&junk.display().to_string()),
            "{err}"
        );
        let absent = dir.path().join("absent.pem");
        let err = Peers::new(&section(Some(absent)), 1).expect_err("absent");
        assert!(matches!(err, PeerClientError::Read { .. }), "{err}");
    }
}
