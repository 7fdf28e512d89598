//! Positions in an upstream log, recorded in the write-ahead log with the events applied from it.
//!
//! In clustered mode a record of the local log holds the events a replica applied from one
//! partition of the shared stream, preceded by one line `#position <partition> <sequence>`: the
//! stream sequence of the last message the record covers. Events and position are one
//! checksummed record, so they are durable together or not at all, and replay recovers the
//! high-water mark of every partition. Standalone records never hold such a line (an event line
//! is a JSON object and starts with `{`).

use std::collections::BTreeMap;

/// The high-water mark of each partition: the last stream sequence applied.
pub type Positions = BTreeMap<u32, u64>;

const PREFIX: &str = "#position ";

/// The last message of a partition that a record covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPosition {
    /// The partition.
    pub partition: u32,
    /// Its message's stream sequence.
    pub sequence: u64,
}

impl LogPosition {
    /// Appends the position line (with its newline) to `out`.
    pub fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{PREFIX}{} {}\n", self.partition, self.sequence).as_bytes());
    }

    /// Whether `line` is a position line rather than an event.
    pub fn is_position(line: &[u8]) -> bool {
        line.first() == Some(&b'#')
    }

    /// Parses a position line (without its newline); `None` when malformed.
    pub fn parse(line: &[u8]) -> Option<LogPosition> {
        let text = std::str::from_utf8(line).ok()?.strip_prefix(PREFIX)?;
        let (partition, sequence) = text.trim_end().split_once(' ')?;
        Some(LogPosition {
            partition: partition.parse().ok()?,
            sequence: sequence.parse().ok()?,
        })
    }

    /// Raises the partition's high-water mark in `positions` to this position.
    pub fn raise(self, positions: &mut Positions) {
        let mark = positions.entry(self.partition).or_default();
        *mark = (*mark).max(self.sequence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_line_round_trips_and_raises_only_upwards() {
        let mut out = Vec::new();
        LogPosition {
            partition: 7,
            sequence: 1234,
        }
        .encode(&mut out);
        assert_eq!(out, b"#position 7 1234\n");
        let line = &out[..out.len() - 1];
        assert!(LogPosition::is_position(line));
        assert!(!LogPosition::is_position(b"{\"type\":\"x\"}"));
        let parsed = LogPosition::parse(line).unwrap();
        let mut positions = Positions::new();
        parsed.raise(&mut positions);
        LogPosition {
            partition: 7,
            sequence: 10,
        }
        .raise(&mut positions);
        assert_eq!(positions.get(&7), Some(&1234));
        assert_eq!(LogPosition::parse(b"#position x 1"), None);
        assert_eq!(LogPosition::parse(b"#other 1 2"), None);
    }
}
