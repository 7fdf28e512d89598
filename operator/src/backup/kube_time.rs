//! Conversions between `chrono` instants (used by the pure day-2 cores) and Kubernetes `Time`.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

/// A chrono instant as a Kubernetes `Time` (whole seconds, as the API server stores them).
pub fn to_time(instant: DateTime<Utc>) -> Time {
    Time(Timestamp::from_second(instant.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// A Kubernetes `Time` as a chrono instant.
pub fn from_time(time: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(time.0.as_second(), 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_whole_seconds() {
        let instant: DateTime<Utc> = "2026-11-27T02:00:05Z".parse().expect("time");
        assert_eq!(from_time(&to_time(instant)), instant);
        assert_eq!(
            serde_json::to_string(&to_time(instant)).expect("json"),
            "\"2026-11-27T02:00:05Z\""
        );
    }
}
