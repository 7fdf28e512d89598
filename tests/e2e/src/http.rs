//! A minimal HTTP/1.0 client over `TcpStream` for loopback servers the suite starts (engine,
//! Prometheus): enough for readiness probes, small POSTs and JSON answers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A request failed before a status line was read.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {method} http://{addr}{path}: {source}")]
pub struct HttpError {
    method: &'static str,
    addr: String,
    path: String,
    source: std::io::Error,
}

/// Status code and body of an answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status code (0 when the status line could not be parsed).
    pub status: u16,
    /// The body as text.
    pub body: String,
}

fn exchange(
    method: &'static str,
    addr: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> Result<Response, HttpError> {
    let wrap = |source| HttpError {
        method,
        addr: addr.to_owned(),
        path: path.to_owned(),
        source,
    };
    let mut stream = TcpStream::connect(addr).map_err(wrap)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(wrap)?;
    let request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).map_err(wrap)?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).map_err(wrap)?;
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = raw
        .split_once("\r\n\r\n")
        .map_or_else(String::new, |(_, b)| b.to_owned());
    Ok(Response { status, body })
}

/// `GET http://addr/path`.
pub fn get(addr: &str, path: &str) -> Result<Response, HttpError> {
    exchange("GET", addr, path, "text/plain", "")
}

/// `POST http://addr/path` with `body` of `content_type`.
pub fn post(addr: &str, path: &str, content_type: &str, body: &str) -> Result<Response, HttpError> {
    exchange("POST", addr, path, content_type, body)
}

/// True when `GET http://addr/path` answers 200.
pub fn ok(addr: &str, path: &str) -> bool {
    get(addr, path).is_ok_and(|r| r.status == 200)
}
