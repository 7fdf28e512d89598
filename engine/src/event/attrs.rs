//! Small event attributes: priority, flags and timestamps with their wire encodings.

use chrono::DateTime;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Event priority, `Critical` (1) is the most important, `Background` (5) the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub enum Priority {
    /// Level 1.
    Critical = 1,
    /// Level 2.
    High = 2,
    /// Level 3 (the default).
    #[default]
    Normal = 3,
    /// Level 4.
    Low = 4,
    /// Level 5.
    Background = 5,
}

impl Priority {
    /// All priorities from most to least important.
    pub const ALL: [Priority; 5] = [
        Self::Critical,
        Self::High,
        Self::Normal,
        Self::Low,
        Self::Background,
    ];

    /// Numeric level 1..=5.
    pub const fn level(self) -> u8 {
        self as u8
    }

    /// Parses a name (case-insensitive) or a level `1..=5`.
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(level) = text.parse::<u64>() {
            return Self::from_level(level);
        }
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(text))
    }

    /// The variant's name, as the derived `Serialize` writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Critical => "Critical",
            Self::High => "High",
            Self::Normal => "Normal",
            Self::Low => "Low",
            Self::Background => "Background",
        }
    }

    fn from_level(level: u64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| u64::from(p.level()) == level)
    }

    /// Whether this priority is at least as important as `min`.
    pub fn at_least(self, min: Priority) -> bool {
        self.level() <= min.level()
    }
}

impl<'de> Deserialize<'de> for Priority {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Priority;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("Critical, High, Normal, Low, Background or a level 1..5")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Priority, E> {
                Priority::parse(v).ok_or_else(|| E::custom(format_args!("unknown priority `{v}`")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Priority, E> {
                Priority::from_level(v)
                    .ok_or_else(|| E::custom(format_args!("priority level {v} is not in 1..5")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Priority, E> {
                Err(E::custom(format_args!("priority level {v} is not in 1..5")))
            }
        }
        d.deserialize_any(V)
    }
}

/// The eight event flags as a bit set; on the wire a list of names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// Flag names in bit order.
    pub const NAMES: [&'static str; 8] = [
        "atomic",
        "transactional",
        "causal",
        "agentVisible",
        "deterministic",
        "compressed",
        "indexed",
        "replicated",
    ];
    /// Operation is atomic.
    pub const ATOMIC: Flags = Flags(1);
    /// Part of a transaction.
    pub const TRANSACTIONAL: Flags = Flags(1 << 1);
    /// Carries causality information.
    pub const CAUSAL: Flags = Flags(1 << 2);
    /// Visible to agents.
    pub const AGENT_VISIBLE: Flags = Flags(1 << 3);
    /// Deterministic operation.
    pub const DETERMINISTIC: Flags = Flags(1 << 4);
    /// Payload is compressed.
    pub const COMPRESSED: Flags = Flags(1 << 5);
    /// Indexed.
    pub const INDEXED: Flags = Flags(1 << 6);
    /// Replicated.
    pub const REPLICATED: Flags = Flags(1 << 7);

    /// The raw bits.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Builds a set from raw bits.
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits)
    }

    /// Whether no flag is set.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Looks a single flag up by name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Flags> {
        Self::NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .map(|i| Flags(1 << i))
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.count_ones() as usize))?;
        for (i, name) in Self::NAMES.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                seq.serialize_element(name)?;
            }
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of flag names such as [\"atomic\", \"indexed\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Flags, A::Error> {
                let mut flags = Flags::default();
                while let Some(name) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    let flag = Flags::from_name(&name)
                        .ok_or_else(|| de::Error::custom(format_args!("unknown flag `{name}`")))?;
                    flags = flags | flag;
                }
                Ok(flags)
            }
        }
        d.deserialize_seq(V)
    }
}

/// Serde helpers for timestamps: nanoseconds since the epoch internally, RFC 3339 on the wire
/// (integer nanoseconds are accepted too). Zero means "not given" and is filled in at ingest.
pub mod timestamp {
    use super::{DateTime, Deserializer, Serializer, Visitor, de, fmt};

    /// Formats nanoseconds since the epoch as RFC 3339 with nanosecond precision.
    pub fn format(ns: i64) -> String {
        super::super::rfc3339::format(ns)
    }

    /// Parses RFC 3339 text into nanoseconds since the epoch.
    pub fn parse(text: &str) -> Option<i64> {
        DateTime::parse_from_rfc3339(text)
            .ok()?
            .timestamp_nanos_opt()
    }

    /// Serializes nanoseconds as RFC 3339.
    pub fn serialize<S: Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*ns))
    }

    /// Deserializes RFC 3339 text or integer nanoseconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = i64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp or integer nanoseconds since the epoch")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
                parse(v).ok_or_else(|| E::custom(format_args!("invalid RFC 3339 timestamp `{v}`")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
                i64::try_from(v).map_err(|_| E::custom("timestamp out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
                Ok(v)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_parse_by_name_and_level() {
        assert_eq!(Priority::parse("critical"), Some(Priority::Critical));
        assert_eq!(Priority::parse("5"), Some(Priority::Background));
        assert_eq!(Priority::parse("6"), None);
        let p: Priority = serde_json::from_str("2").unwrap();
        assert_eq!(p, Priority::High);
        assert!(Priority::High.at_least(Priority::Normal));
        assert!(!Priority::Low.at_least(Priority::Normal));
    }

    #[test]
    fn flags_round_trip_as_names() {
        let f = Flags::ATOMIC | Flags::AGENT_VISIBLE | Flags::REPLICATED;
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, r#"["atomic","agentVisible","replicated"]"#);
        assert_eq!(serde_json::from_str::<Flags>(&json).unwrap(), f);
        assert!(f.contains(Flags::ATOMIC) && !f.contains(Flags::CAUSAL));
        let err = serde_json::from_str::<Flags>(r#"["atomic","shiny"]"#).unwrap_err();
        assert!(err.to_string().contains("unknown flag `shiny`"));
    }

    #[test]
    fn timestamps_keep_nanoseconds() {
        let ns = timestamp::parse("2026-11-27T10:00:00.000123456Z").unwrap();
        assert_eq!(ns % 1_000_000_000, 123_456);
        assert_eq!(timestamp::format(ns), "2026-11-27T10:00:00.000123456Z");
        assert_eq!(timestamp::parse("yesterday"), None);
    }
}
