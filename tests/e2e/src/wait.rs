//! Bounded polling: every wait in the suite has a deadline and reports what it last saw.

use std::time::{Duration, Instant};

/// Interval between two probes.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A wait ran out of time.
#[derive(Debug, thiserror::Error)]
#[error("timed out after {timeout:?} waiting for {what}; last observation: {last}")]
pub struct WaitError {
    /// What was awaited.
    pub what: String,
    /// The deadline that passed.
    pub timeout: Duration,
    /// The last observation or probe error.
    pub last: String,
}

/// What one probe found: the awaited value, or a description of why it is not there yet.
pub type Probe<T> = Result<T, String>;

/// Calls `probe` until it returns `Ok`, at most for `timeout`.
pub fn until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Probe<T>,
) -> Result<T, WaitError> {
    let deadline = Instant::now() + timeout;
    loop {
        match probe() {
            Ok(value) => return Ok(value),
            Err(last) if Instant::now() >= deadline => {
                return Err(WaitError {
                    what: what.to_owned(),
                    timeout,
                    last,
                });
            }
            Err(_) => std::thread::sleep(POLL_INTERVAL),
        }
    }
}
