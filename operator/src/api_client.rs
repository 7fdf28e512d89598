//! The operator's API client: kube's default stack behind a client-side token bucket, so a burst
//! of reconciles cannot flood the API server (`--kube-api-qps`, `--kube-api-burst`).
//!
//! Every request takes one token; tokens refill at `qps` per second up to `burst`. A request that
//! finds the bucket empty reserves the next token and waits for it outside any lock, so waiting
//! requests are served in arrival order. A watch takes one token when it (re)connects.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;
use tower::{Layer, Service};

/// Client-side request rate limits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Sustained requests per second.
    pub qps: f64,
    /// Requests allowed at once after an idle period.
    pub burst: u32,
}

/// Failure to build the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No kubeconfig or in-cluster configuration was found, or it was invalid.
    #[error("loading the Kubernetes client configuration: {0}")]
    Config(#[from] kube::config::InferConfigError),
    /// The HTTP stack could not be built from the configuration.
    #[error("building the Kubernetes client: {0}")]
    Build(#[from] kube::Error),
    /// `qps` or `burst` is not positive.
    #[error("--kube-api-qps and --kube-api-burst must be positive (got {qps} and {burst})")]
    Limits {
        /// The configured rate.
        qps: f64,
        /// The configured burst.
        burst: u32,
    },
}

/// A client for the inferred configuration (in-cluster or kubeconfig) limited to `limits`.
pub async fn client(limits: Limits) -> Result<kube::Client, ClientError> {
    if !(limits.qps.is_finite() && limits.qps > 0.0) || limits.burst == 0 {
        return Err(ClientError::Limits {
            qps: limits.qps,
            burst: limits.burst,
        });
    }
    let config = kube::Config::infer().await?;
    let builder = kube::client::ClientBuilder::try_from(config)?;
    Ok(builder.with_layer(&RateLimitLayer::new(limits)).build())
}

/// A token bucket shared by every request of one client.
#[derive(Debug)]
pub struct TokenBucket {
    limits: Limits,
    /// Tokens available (negative: reserved by waiting requests) and when they were counted.
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            state: Mutex::new((f64::from(limits.burst), Instant::now())),
        }
    }

    /// Takes one token; returns how long the caller must wait before using it.
    pub fn reserve(&self) -> Duration {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let refilled = state.0 + now.duration_since(state.1).as_secs_f64() * self.limits.qps;
        let tokens = refilled.min(f64::from(self.limits.burst)) - 1.0;
        *state = (tokens, now);
        if tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-tokens / self.limits.qps)
        }
    }
}

/// Tower layer putting a [`TokenBucket`] in front of a service.
#[derive(Clone, Debug)]
pub struct RateLimitLayer {
    bucket: Arc<TokenBucket>,
}

impl RateLimitLayer {
    /// A layer with a fresh, full bucket.
    pub fn new(limits: Limits) -> Self {
        Self {
            bucket: Arc::new(TokenBucket::new(limits)),
        }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimited<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimited {
            inner,
            bucket: self.bucket.clone(),
        }
    }
}

/// A service whose requests wait for a token first.
#[derive(Clone, Debug)]
pub struct RateLimited<S> {
    inner: S,
    bucket: Arc<TokenBucket>,
}

impl<S, Request> Service<Request> for RateLimited<S>
where
    S: Service<Request>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let wait = self.bucket.reserve();
        // The inner future does nothing until polled: the request leaves after the wait.
        let response = self.inner.call(request);
        Box::pin(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            response.await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_then_requests_are_paced() {
        let bucket = TokenBucket::new(Limits { qps: 2.0, burst: 3 });
        let waits: Vec<Duration> = (0..5).map(|_| bucket.reserve()).collect();
        assert_eq!(waits[..3], [Duration::ZERO; 3], "the burst is free");
        assert_eq!(waits[3], Duration::from_millis(500));
        assert_eq!(waits[4], Duration::from_secs(1), "waiters queue up");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(bucket.reserve(), Duration::ZERO, "an idle bucket refills");
    }
}
