//! The engine's one error shape, as pure functions: every 4xx and 5xx answer is a JSON object
//! `{"error": CODE, "message": TEXT, "requestId": ID, ...details}` where `error` is a stable
//! snake_case code, `message` says what is wrong in words, `requestId` echoes the response's
//! `x-request-id` header and any further keys are details of that code (`field`, `line`,
//! `permission`, `accepted`...). `error_layer` applies it to every response.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// The keys every error answer has; detail keys of some codes come after them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// Stable snake_case code (`invalid_query`, `unauthorized`, `rate_limited`, `not_found`...).
    #[schema(example = "invalid_query")]
    pub error: String,
    /// What is wrong, in words.
    pub message: String,
    /// The request id, as in the `x-request-id` response header.
    pub request_id: String,
}

/// What the error answer is about: the request as received and the id it was given.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The request's path, without the query.
    pub path: &'a str,
    /// The request id (`x-request-id`).
    pub request_id: &'a str,
}

/// The code of an error answer made outside the handlers, from its status alone.
pub fn code_for(status: StatusCode) -> String {
    let known = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::LENGTH_REQUIRED => "length_required",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable_entity",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        StatusCode::INTERNAL_SERVER_ERROR => "internal_error",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        StatusCode::GATEWAY_TIMEOUT => "timeout",
        other => return format!("http_{}", other.as_u16()),
    };
    known.to_string()
}

/// The message of an error answer that carried no text of its own.
fn default_message(status: StatusCode, origin: &Origin<'_>) -> String {
    let (method, path) = (origin.method, origin.path);
    match status {
        StatusCode::NOT_FOUND => {
            format!("no route `{method} {path}`; the API is described at /api/v1/openapi.json")
        }
        // The router adds `Allow` after every middleware has run.
        StatusCode::METHOD_NOT_ALLOWED => format!(
            "`{method}` is not allowed on `{path}`; the `Allow` header lists the methods it accepts"
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            format!("the request's content type or encoding is not accepted by `{path}`")
        }
        other => other
            .canonical_reason()
            .map_or_else(|| format!("HTTP {}", other.as_u16()), str::to_lowercase),
    }
}

/// Whether `body` already has the shape: an object with string `error` and `message`.
fn shaped(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map))
            if map.get("error").is_some_and(Value::is_string)
                && map.get("message").is_some_and(Value::is_string) =>
        {
            Some(map)
        }
        _ => None,
    }
}

/// The shaped body of an error answer with `status` and `body`: a body already in the shape
/// gains the request id; any other (empty, plain text from an extractor or layer, foreign
/// JSON) becomes `{"error", "message", "requestId"}`, keeping plain text as the message.
pub fn error_body(status: StatusCode, is_json: bool, body: &[u8], origin: &Origin<'_>) -> Value {
    if is_json && let Some(mut map) = shaped(body) {
        map.insert("requestId".into(), json!(origin.request_id));
        return Value::Object(map);
    }
    let text = if is_json {
        ""
    } else {
        std::str::from_utf8(body).map_or("", str::trim)
    };
    let message = if text.is_empty() {
        default_message(status, origin)
    } else {
        text.to_string()
    };
    json!(ErrorBody {
        error: code_for(status),
        message,
        request_id: origin.request_id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: Origin<'static> = Origin {
        method: "DELETE",
        path: "/api/v1/stats",
        request_id: "r-1",
    };

    #[test]
    fn shaped_bodies_keep_their_details_and_gain_the_request_id() {
        let body = br#"{"error":"invalid_query","message":"bad","field":"limit"}"#;
        let out = error_body(StatusCode::BAD_REQUEST, true, body, &ORIGIN);
        assert_eq!(
            out,
            json!({"error": "invalid_query", "message": "bad", "field": "limit", "requestId": "r-1"})
        );
    }

    #[test]
    fn plain_text_becomes_the_message_under_a_status_code() {
        let body = b"Failed to deserialize query string: unknown field `x`\n";
        let out = error_body(StatusCode::BAD_REQUEST, false, body, &ORIGIN);
        assert_eq!(out["error"], "bad_request");
        assert_eq!(
            out["message"],
            "Failed to deserialize query string: unknown field `x`"
        );
        assert_eq!(out["requestId"], "r-1");
    }

    #[test]
    fn empty_bodies_get_a_message_naming_the_request() {
        let out = error_body(StatusCode::METHOD_NOT_ALLOWED, false, b"", &ORIGIN);
        assert_eq!(out["error"], "method_not_allowed");
        assert_eq!(
            out["message"],
            "`DELETE` is not allowed on `/api/v1/stats`; the `Allow` header lists the methods it accepts"
        );
        let out = error_body(StatusCode::NOT_FOUND, false, b"", &ORIGIN);
        assert!(
            out["message"]
                .as_str()
                .unwrap()
                .contains("DELETE /api/v1/stats")
        );
        let out = error_body(StatusCode::BAD_GATEWAY, false, b"", &ORIGIN);
        assert_eq!(out["error"], "http_502");
        assert_eq!(out["message"], "bad gateway");
    }

    #[test]
    fn json_bodies_without_the_shape_are_replaced() {
        let out = error_body(StatusCode::NOT_FOUND, true, br#"{"status":"x"}"#, &ORIGIN);
        assert_eq!(out["error"], "not_found");
        assert!(out.get("status").is_none());
        let out = error_body(
            StatusCode::NOT_FOUND,
            true,
            br#"{"error":7,"message":"m"}"#,
            &ORIGIN,
        );
        assert_eq!(out["error"], "not_found");
    }
}
