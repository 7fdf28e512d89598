//! Semantic validation of decoded events; every error names the offending field.

use super::model::Event;
use super::types::EventCategory;
use thiserror::Error;

/// Longest accepted `source`.
pub const MAX_SOURCE_LEN: usize = 256;
/// Longest accepted file system path.
pub const MAX_PATH_LEN: usize = 4096;
/// Longest accepted idempotency key.
pub const MAX_KEY_LEN: usize = 256;

/// Why an event is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    /// A required field is absent.
    #[error("field `{field}` is required")]
    Missing {
        /// Dotted field path.
        field: &'static str,
    },
    /// A field has an unacceptable value.
    #[error("field `{field}` {reason}")]
    Invalid {
        /// Dotted field path.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl ValidationError {
    /// What is wrong, without the field name.
    pub fn reason(&self) -> &str {
        match self {
            Self::Missing { .. } => "is required",
            Self::Invalid { reason, .. } => reason,
        }
    }

    /// The dotted path of the offending field.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Missing { field } | Self::Invalid { field, .. } => field,
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ValidationError {
    ValidationError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Checks an event's fields beyond what decoding enforces.
pub fn validate(event: &Event) -> Result<(), ValidationError> {
    if event.source.is_empty() {
        return Err(ValidationError::Missing { field: "source" });
    }
    if event.source.len() > MAX_SOURCE_LEN {
        return Err(invalid(
            "source",
            format!("is longer than {MAX_SOURCE_LEN} bytes"),
        ));
    }
    if event.timestamp_ns < 0 {
        return Err(invalid("timestamp", "is before 1970-01-01T00:00:00Z"));
    }
    validate_context(event)?;
    if let Some(key) = &event.idempotency_key
        && (key.is_empty() || key.len() > MAX_KEY_LEN)
    {
        return Err(invalid(
            "idempotencyKey",
            format!("must be 1..{MAX_KEY_LEN} bytes long"),
        ));
    }
    if event.causality.parent_event_id == Some(0) {
        return Err(invalid(
            "causality.parentEventId",
            "must be a positive event id",
        ));
    }
    if event.causality.root_event_id == Some(0) {
        return Err(invalid(
            "causality.rootEventId",
            "must be a positive event id",
        ));
    }
    Ok(())
}

fn validate_context(event: &Event) -> Result<(), ValidationError> {
    let ctx = &event.context;
    match &ctx.filesystem {
        None if event.category() == EventCategory::Filesystem => {
            return Err(ValidationError::Missing {
                field: "context.filesystem.path",
            });
        }
        None => {}
        Some(fs) => {
            check_path("context.filesystem.path", &fs.path)?;
            if let Some(target) = &fs.target_path {
                check_path("context.filesystem.targetPath", target)?;
            }
        }
    }
    if let Some(conf) = ctx.agent.as_ref().and_then(|a| a.confidence)
        && !(0.0..=1.0).contains(&conf)
    {
        return Err(invalid(
            "context.agent.confidence",
            "must be between 0 and 1",
        ));
    }
    if let Some(value) = ctx.observability.as_ref().and_then(|o| o.value)
        && !value.is_finite()
    {
        return Err(invalid(
            "context.observability.value",
            "must be a finite number",
        ));
    }
    Ok(())
}

fn check_path(field: &'static str, path: &str) -> Result<(), ValidationError> {
    if !path.starts_with('/') {
        return Err(invalid(
            field,
            format!("must be an absolute path, got `{path}`"),
        ));
    }
    if path.len() > MAX_PATH_LEN {
        return Err(invalid(
            field,
            format!("is longer than {MAX_PATH_LEN} bytes"),
        ));
    }
    if path.contains('\0') {
        return Err(invalid(field, "contains a NUL byte"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;

    fn ok_event() -> Event {
        Event::new(EventType::FilesystemRead, 1, "node").with_path("/a")
    }

    #[test]
    fn a_complete_event_passes() {
        assert_eq!(validate(&ok_event()), Ok(()));
        assert_eq!(validate(&Event::new(EventType::AgentQuery, 1, "n")), Ok(()));
    }

    #[test]
    fn each_rule_names_its_field() {
        let mut e = ok_event();
        e.source = "".into();
        assert_eq!(validate(&e).unwrap_err().field(), "source");
        let e = Event::new(EventType::FilesystemRead, 1, "n");
        assert_eq!(validate(&e).unwrap_err().field(), "context.filesystem.path");
        let e = ok_event().with_path("relative/x");
        assert_eq!(validate(&e).unwrap_err().field(), "context.filesystem.path");
        let mut e = ok_event();
        e.timestamp_ns = -5;
        assert_eq!(validate(&e).unwrap_err().field(), "timestamp");
        let mut e = ok_event();
        e.idempotency_key = Some("".into());
        assert_eq!(validate(&e).unwrap_err().field(), "idempotencyKey");
        let mut e = ok_event();
        e.causality.parent_event_id = Some(0);
        assert_eq!(validate(&e).unwrap_err().field(), "causality.parentEventId");
    }
}
