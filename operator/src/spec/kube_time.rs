//! The one place the operator meets Kubernetes' time types: conversions between `chrono` instants
//! (the operator's only time library) and `Time` / `MicroTime`.

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use k8s_openapi::jiff::Timestamp;

/// A chrono instant as a Kubernetes `Time` (whole seconds, as the API server stores them).
pub fn to_time(instant: DateTime<Utc>) -> Time {
    Time(Timestamp::from_second(instant.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH))
}

/// A Kubernetes `Time` as a chrono instant.
pub fn from_time(time: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(time.0.as_second(), 0).unwrap_or_default()
}

/// A chrono instant as a Kubernetes `MicroTime` (microseconds, as Leases store them).
pub fn to_micro_time(instant: DateTime<Utc>) -> MicroTime {
    MicroTime(
        Timestamp::from_microsecond(instant.timestamp_micros()).unwrap_or(Timestamp::UNIX_EPOCH),
    )
}

/// A Kubernetes `MicroTime` as a chrono instant.
pub fn from_micro_time(time: &MicroTime) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.0.as_microsecond()).unwrap_or_default()
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

    #[test]
    fn micro_time_keeps_microseconds() {
        let instant: DateTime<Utc> = "2026-11-27T02:00:05.123456Z".parse().expect("time");
        assert_eq!(from_micro_time(&to_micro_time(instant)), instant);
    }
}
