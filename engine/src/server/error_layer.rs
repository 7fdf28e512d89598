//! The outermost middleware: gives every request an id (`x-request-id`, kept from the caller
//! when sane) and puts every 4xx and 5xx answer into the shape of [`super::error_shape`],
//! including answers made before a handler runs: unknown routes (404), wrong methods (405),
//! extractor rejections and the body layers' refusals.

use super::audit_layer::{REQUEST_ID, request_id};
use super::error_shape::{Origin, error_body};
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Largest error body read for reshaping; error texts are a few hundred bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Middleware: see the module documentation.
pub async fn uniform(mut req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let header = HeaderValue::from_str(&id).ok();
    if let Some(value) = &header {
        req.headers_mut().insert(REQUEST_ID, value.clone());
    }
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let mut response = next.run(req).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        let (mut parts, body) = response.into_parts();
        let is_json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"));
        // A body that cannot be read whole is replaced by the status's own message.
        let bytes = to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_default();
        let origin = Origin {
            method: &method,
            path: &path,
            request_id: &id,
        };
        let shaped = error_body(status, is_json, &bytes, &origin).to_string();
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_ENCODING);
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response = Response::from_parts(parts, Body::from(shaped));
    }
    if let Some(value) = header {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
