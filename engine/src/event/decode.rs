//! Batch decoding: a JSON array or NDJSON body into validated events, errors naming line and field.

use super::model::Event;
use super::validate::{ValidationError, validate};
use serde_json::value::RawValue;
use thiserror::Error;

/// Why a batch was refused. A refused batch stores nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The body is not UTF-8 or not well-formed JSON.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// Parser message.
        message: String,
    },
    /// One event is malformed or invalid.
    #[error("line {line}, event {index}: field `{field}`: {message}")]
    Field {
        /// 1-based line where the event starts.
        line: usize,
        /// 0-based position of the event in the batch.
        index: usize,
        /// Dotted path of the offending field (`.` when the event itself is wrong).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The body holds no event.
    #[error("the batch holds no event")]
    Empty,
    /// The body holds more events than allowed.
    #[error("the batch holds more than {limit} events")]
    TooMany {
        /// The limit.
        limit: usize,
    },
    /// One event, or its payload, is larger than allowed.
    #[error("line {line}, event {index}: {what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// 1-based line where the event starts.
        line: usize,
        /// 0-based position of the event in the batch.
        index: usize,
        /// `event` or `payload`.
        what: &'static str,
        /// Its size in bytes (the JSON text as sent).
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
}

/// Bounds on one batch; see [`decode_limited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most events per batch.
    pub max_events: usize,
    /// Largest event, as JSON text.
    pub max_event_bytes: usize,
    /// Largest `payload` of one event, as JSON text.
    pub max_payload_bytes: usize,
}

impl BatchLimits {
    /// At most `max_events` events, of any size.
    pub fn events(max_events: usize) -> Self {
        BatchLimits {
            max_events,
            max_event_bytes: usize::MAX,
            max_payload_bytes: usize::MAX,
        }
    }
}

impl DecodeError {
    /// The line the error refers to, if any.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Syntax { line, .. } | Self::Field { line, .. } | Self::TooLarge { line, .. } => {
                Some(*line)
            }
            _ => None,
        }
    }

    /// The field the error refers to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Field { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// A decoded, not yet validated batch: events with the line each started on.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The events, in body order.
    pub events: Vec<Event>,
    lines: Vec<usize>,
}

impl Decoded {
    /// Validates every event; the first failure names its line, position and field.
    pub fn validate(&self) -> Result<(), DecodeError> {
        for (index, (event, line)) in self.events.iter().zip(&self.lines).enumerate() {
            validate(event).map_err(|e| field_error(*line, index, e))?;
        }
        Ok(())
    }
}

/// Decodes and validates a batch (see [`decode`]).
pub fn decode_batch(body: &[u8], now_ns: i64, limit: usize) -> Result<Vec<Event>, DecodeError> {
    let decoded = decode(body, now_ns, limit)?;
    decoded.validate()?;
    Ok(decoded.events)
}

/// Decodes a JSON array (first non-blank byte `[`) or NDJSON body, without validation.
///
/// Events without a timestamp get `now_ns`; client ids are cleared. At most `limit` events.
pub fn decode(body: &[u8], now_ns: i64, limit: usize) -> Result<Decoded, DecodeError> {
    decode_limited(body, now_ns, &BatchLimits::events(limit))
}

/// [`decode`] with bounds on the event count, each event's size and each payload's size. An
/// event over the size limit is refused before it is parsed.
pub fn decode_limited(
    body: &[u8],
    now_ns: i64,
    limits: &BatchLimits,
) -> Result<Decoded, DecodeError> {
    let limit = limits.max_events;
    let text = std::str::from_utf8(body).map_err(|e| DecodeError::Syntax {
        line: line_of(body, e.valid_up_to()),
        message: "body is not valid UTF-8".into(),
    })?;
    let items = if text.trim_start().starts_with('[') {
        split_array(text)?
    } else {
        split_lines(text)
    };
    if items.is_empty() {
        return Err(DecodeError::Empty);
    }
    if items.len() > limit {
        return Err(DecodeError::TooMany { limit });
    }
    let mut decoded = Decoded {
        events: Vec::with_capacity(items.len()),
        lines: Vec::with_capacity(items.len()),
    };
    for (index, (line, raw)) in items.into_iter().enumerate() {
        let too_large = |what, size, limit| DecodeError::TooLarge {
            line,
            index,
            what,
            size,
            limit,
        };
        if raw.len() > limits.max_event_bytes {
            return Err(too_large("event", raw.len(), limits.max_event_bytes));
        }
        let event = decode_one(raw, line, index, now_ns)?;
        let payload = event.payload.as_ref().map_or(0, |p| p.get().len());
        if payload > limits.max_payload_bytes {
            return Err(too_large("payload", payload, limits.max_payload_bytes));
        }
        decoded.events.push(event);
        decoded.lines.push(line);
    }
    Ok(decoded)
}

fn split_array(text: &str) -> Result<Vec<(usize, &str)>, DecodeError> {
    let raws: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| DecodeError::Syntax {
        line: e.line(),
        message: e.to_string(),
    })?;
    let base = text.as_ptr() as usize;
    let mut line = 1;
    let mut offset = 0;
    let mut out = Vec::with_capacity(raws.len());
    for raw in raws {
        let start = raw.get().as_ptr() as usize - base;
        line += text.as_bytes()[offset..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        offset = start;
        out.push((line, raw.get()));
    }
    Ok(out)
}

fn split_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect()
}

fn decode_one(raw: &str, line: usize, index: usize, now_ns: i64) -> Result<Event, DecodeError> {
    let mut event: Event = match serde_json::from_str(raw) {
        Ok(event) => event,
        Err(_) => return Err(describe_parse_error(raw, line, index)),
    };
    event.id = 0;
    if event.timestamp_ns == 0 {
        event.timestamp_ns = now_ns;
    }
    Ok(event)
}

/// Re-parses a failing event with path tracking to name the field (the slow path only).
fn describe_parse_error(raw: &str, line: usize, index: usize) -> DecodeError {
    let mut de = serde_json::Deserializer::from_str(raw);
    match serde_path_to_error::deserialize::<_, Event>(&mut de) {
        Ok(_) => DecodeError::Field {
            line,
            index,
            field: ".".into(),
            message: "could not be decoded".into(),
        },
        Err(err) => {
            let field = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return DecodeError::Syntax {
                    line: line + inner.line() - 1,
                    message: inner.to_string(),
                };
            }
            let message = strip_position(&inner.to_string());
            DecodeError::Field {
                line,
                index,
                field,
                message,
            }
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(pos) => message[..pos].to_string(),
        None => message.to_string(),
    }
}

fn field_error(line: usize, index: usize, e: ValidationError) -> DecodeError {
    DecodeError::Field {
        line,
        index,
        field: e.field().to_string(),
        message: e.reason().to_string(),
    }
}

fn line_of(body: &[u8], offset: usize) -> usize {
    1 + body[..offset].iter().filter(|b| **b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;

    const A: &str =
        r#"{"type":"FilesystemRead","source":"n","context":{"filesystem":{"path":"/a"}}}"#;
    const B: &str = r#"{"type":"0x0401","source":"n","timestamp":5}"#;

    #[test]
    fn ndjson_and_arrays_decode_alike() {
        let nd = format!("{A}\n\n{B}\n");
        let arr = format!("[\n{A},\n{B}\n]");
        let a = decode_batch(nd.as_bytes(), 77, 10).unwrap();
        let b = decode_batch(arr.as_bytes(), 77, 10).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a[0].timestamp_ns, 77,
            "missing timestamp is filled with now"
        );
        assert_eq!(a[1].timestamp_ns, 5);
        assert_eq!(a[1].event_type, EventType::AgentQuery);
    }

    #[test]
    fn ndjson_errors_name_line_and_field() {
        let bad = r#"{"type":"FilesystemRead","source":"n","context":{"filesystem":{"path":"/a","inode":"x"}}}"#;
        let body = format!("{A}\n{B}\n{bad}\n");
        let err = decode_batch(body.as_bytes(), 1, 10).unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert_eq!(err.field(), Some("context.filesystem.inode"));
        let missing = format!("{A}\n{{\"source\":\"n\"}}");
        let err = decode_batch(missing.as_bytes(), 1, 10).unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(err.to_string().contains("missing field `type`"), "{err}");
    }

    #[test]
    fn array_errors_name_the_element_line() {
        let body = format!("[\n{A},\n{A},\n{{\"type\":\"FilesystemRead\",\"source\":\"n\"}}\n]");
        let err = decode_batch(body.as_bytes(), 1, 10).unwrap_err();
        assert_eq!(err.line(), Some(4));
        assert_eq!(err.field(), Some("context.filesystem.path"));
    }

    #[test]
    fn syntax_errors_empty_and_oversized_batches() {
        let body = format!("{A}\n{{\"type\": ");
        assert!(matches!(
            decode_batch(body.as_bytes(), 1, 10),
            Err(DecodeError::Syntax { line: 2, .. })
        ));
        assert_eq!(decode_batch(b"  \n", 1, 10), Err(DecodeError::Empty));
        let body = format!("{A}\n{A}\n{A}");
        assert_eq!(
            decode_batch(body.as_bytes(), 1, 2),
            Err(DecodeError::TooMany { limit: 2 })
        );
        assert!(decode_batch(&[0xff, 0xfe], 1, 2).is_err());
    }

    #[test]
    fn oversized_events_and_payloads_name_their_index() {
        let big = r#"{"type":"AgentQuery","source":"n","payload":{"k":"0123456789"}}"#;
        let body = format!("{B}\n{big}\n");
        let limits = BatchLimits {
            max_events: 10,
            max_event_bytes: 1024,
            max_payload_bytes: 16,
        };
        let err = decode_limited(body.as_bytes(), 1, &limits).unwrap_err();
        assert_eq!(
            err,
            DecodeError::TooLarge {
                line: 2,
                index: 1,
                what: "payload",
                size: 18,
                limit: 16
            }
        );
        assert!(err.to_string().contains("event 1"), "{err}");
        let limits = BatchLimits {
            max_event_bytes: B.len(),
            ..limits
        };
        let arr = format!("[{B},{B},{A}]");
        let err = decode_limited(arr.as_bytes(), 1, &limits).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::TooLarge {
                    index: 2,
                    what: "event",
                    ..
                }
            ),
            "{err:?}"
        );
        let ok = format!("{B}\n{B}");
        assert_eq!(
            decode_limited(ok.as_bytes(), 1, &limits)
                .unwrap()
                .events
                .len(),
            2
        );
    }
}
