//! The engine's endpoints as one table of method, path and handler: the router is built from
//! it, and the OpenAPI document (`openapi`) is tested against it, so neither can list a route
//! the other lacks.

use super::state::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodRouter, get, post};

/// One method on one path, with its handler (and any layers of its own).
pub struct Endpoint {
    /// The HTTP method (`GET` also answers `HEAD`).
    pub method: Method,
    /// The route path, with `{name}` captures.
    pub path: &'static str,
    route: MethodRouter<AppState>,
}

impl Endpoint {
    /// `GET path` answered by `handler`.
    pub fn get<H, T>(path: &'static str, handler: H) -> Endpoint
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Endpoint {
            method: Method::GET,
            path,
            route: get(handler),
        }
    }

    /// `POST path` answered by `handler`.
    pub fn post<H, T>(path: &'static str, handler: H) -> Endpoint
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Endpoint {
            method: Method::POST,
            path,
            route: post(handler),
        }
    }

    /// The endpoint with `wrap` applied to its handler (body limits, response headers).
    #[must_use]
    pub fn layered(
        mut self,
        wrap: impl FnOnce(MethodRouter<AppState>) -> MethodRouter<AppState>,
    ) -> Endpoint {
        self.route = wrap(self.route);
        self
    }
}

/// The router answering `endpoints`; endpoints sharing a path share its method router.
pub fn router_of(endpoints: Vec<Endpoint>) -> Router<AppState> {
    endpoints
        .into_iter()
        .fold(Router::new(), |router, e| router.route(e.path, e.route))
}
