//! The 60 semantic event types in 7 categories, with their `0xCCNN` codes and wire names.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The category of an event type: the high byte of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventCategory {
    /// File system operations (0x01).
    Filesystem,
    /// Graph database operations (0x02).
    Graph,
    /// Vector store operations (0x03).
    Vector,
    /// Agent actions (0x04).
    Agent,
    /// System lifecycle (0x05).
    System,
    /// Semantic links and transactions (0x06).
    Semantic,
    /// Observability signals (0x08).
    Observability,
}

impl EventCategory {
    /// Every category, in code order.
    pub const ALL: [EventCategory; 7] = [
        Self::Filesystem,
        Self::Graph,
        Self::Vector,
        Self::Agent,
        Self::System,
        Self::Semantic,
        Self::Observability,
    ];

    /// The category's code (the high byte of its event type codes).
    pub const fn code(self) -> u8 {
        match self {
            Self::Filesystem => 0x01,
            Self::Graph => 0x02,
            Self::Vector => 0x03,
            Self::Agent => 0x04,
            Self::System => 0x05,
            Self::Semantic => 0x06,
            Self::Observability => 0x08,
        }
    }

    /// The category's name as used on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Filesystem => "Filesystem",
            Self::Graph => "Graph",
            Self::Vector => "Vector",
            Self::Agent => "Agent",
            Self::System => "System",
            Self::Semantic => "Semantic",
            Self::Observability => "Observability",
        }
    }

    /// Dense index 0..7, for arrays indexed by category.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Looks a category up by its wire name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }
}

macro_rules! event_types {
    ($($variant:ident = $code:literal, $cat:ident;)*) => {
        /// A semantic event type. Compact (`Copy`, one byte) with a stable dense `index()`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventType {
            $(
                #[doc = concat!("`", stringify!($variant), "` (code ", stringify!($code), ").")]
                $variant,
            )*
        }

        impl EventType {
            /// Every event type, in code order; `ALL[t.index()] == t`.
            pub const ALL: [EventType; 60] = [$(Self::$variant,)*];

            /// The `0xCCNN` code: category in the high byte, ordinal in the low byte.
            pub const fn code(self) -> u16 {
                match self { $(Self::$variant => $code,)* }
            }

            /// The category this type belongs to.
            pub const fn category(self) -> EventCategory {
                match self { $(Self::$variant => EventCategory::$cat,)* }
            }

            /// The wire name, e.g. `FilesystemWrite`.
            pub const fn name(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant),)* }
            }
        }
    };
}

event_types! {
    FilesystemCreate = 0x0101, Filesystem;
    FilesystemDelete = 0x0102, Filesystem;
    FilesystemRead = 0x0103, Filesystem;
    FilesystemWrite = 0x0104, Filesystem;
    FilesystemRename = 0x0105, Filesystem;
    FilesystemChmod = 0x0106, Filesystem;
    FilesystemChown = 0x0107, Filesystem;
    FilesystemTruncate = 0x0108, Filesystem;
    FilesystemMkdir = 0x0109, Filesystem;
    FilesystemRmdir = 0x010A, Filesystem;
    FilesystemSymlink = 0x010B, Filesystem;
    FilesystemHardlink = 0x010C, Filesystem;
    GraphNodeCreate = 0x0201, Graph;
    GraphNodeDelete = 0x0202, Graph;
    GraphNodeUpdate = 0x0203, Graph;
    GraphEdgeCreate = 0x0204, Graph;
    GraphEdgeDelete = 0x0205, Graph;
    GraphEdgeUpdate = 0x0206, Graph;
    GraphPropertySet = 0x0207, Graph;
    GraphPropertyDelete = 0x0208, Graph;
    GraphTraverse = 0x0209, Graph;
    GraphQuery = 0x020A, Graph;
    VectorCreate = 0x0301, Vector;
    VectorDelete = 0x0302, Vector;
    VectorUpdate = 0x0303, Vector;
    VectorSearch = 0x0304, Vector;
    VectorIndex = 0x0305, Vector;
    VectorSimilarity = 0x0306, Vector;
    VectorCluster = 0x0307, Vector;
    VectorEmbed = 0x0308, Vector;
    AgentQuery = 0x0401, Agent;
    AgentReasoning = 0x0402, Agent;
    AgentDecision = 0x0403, Agent;
    AgentOrchestration = 0x0404, Agent;
    AgentLearning = 0x0405, Agent;
    AgentInteraction = 0x0406, Agent;
    SystemMount = 0x0501, System;
    SystemUnmount = 0x0502, System;
    SystemSync = 0x0503, System;
    SystemCheckpoint = 0x0504, System;
    SystemRecovery = 0x0505, System;
    SystemOptimization = 0x0506, System;
    SemanticTransactionBegin = 0x0601, Semantic;
    SemanticTransactionEnd = 0x0602, Semantic;
    SemanticCausalityLink = 0x0603, Semantic;
    SemanticIntentCapture = 0x0604, Semantic;
    SemanticContextSwitch = 0x0605, Semantic;
    SemanticLink = 0x0606, Semantic;
    ObservabilityMetricCollected = 0x0801, Observability;
    ObservabilityLogGenerated = 0x0802, Observability;
    ObservabilityTraceSpanStart = 0x0803, Observability;
    ObservabilityTraceSpanEnd = 0x0804, Observability;
    ObservabilityAlertTriggered = 0x0805, Observability;
    ObservabilityHealthCheck = 0x0806, Observability;
    ObservabilityPerformanceCounter = 0x0807, Observability;
    ObservabilityErrorReported = 0x0808, Observability;
    ObservabilityAuditEvent = 0x0809, Observability;
    ObservabilitySystemStatus = 0x080A, Observability;
    ObservabilityResourceUsage = 0x080B, Observability;
    ObservabilityThreshold = 0x080C, Observability;
}

impl EventType {
    /// Number of event types.
    pub const COUNT: usize = Self::ALL.len();

    /// Dense index `0..60`, usable as a small integer id.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Looks a type up by its `0xCCNN` code.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Looks a type up by its wire name (exact match).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Parses a wire value: a name, or a code written as `"0x0104"` or `"260"`.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(t) = Self::from_name(text) {
            return Some(t);
        }
        let code = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => u16::from_str_radix(hex, 16).ok()?,
            None => text.parse::<u16>().ok()?,
        };
        Self::from_code(code)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

struct EventTypeVisitor;

impl Visitor<'_> for EventTypeVisitor {
    type Value = EventType;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event type name such as \"FilesystemWrite\" or a code such as 0x0104")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<EventType, E> {
        EventType::parse(v).ok_or_else(|| E::custom(format_args!("unknown event type `{v}`")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<EventType, E> {
        u16::try_from(v)
            .ok()
            .and_then(EventType::from_code)
            .ok_or_else(|| E::custom(format_args!("unknown event type code {v:#06x}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<EventType, E> {
        u64::try_from(v)
            .map_err(|_| E::custom(format_args!("unknown event type code {v}")))
            .and_then(|v| self.visit_u64(v))
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EventTypeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_types_in_seven_categories_with_unique_codes() {
        assert_eq!(EventType::ALL.len(), 60);
        let mut codes: Vec<u16> = EventType::ALL.iter().map(|t| t.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 60, "codes are sorted and unique");
        for (i, t) in EventType::ALL.iter().enumerate() {
            assert_eq!(t.index(), i);
            assert_eq!((t.code() >> 8) as u8, t.category().code());
            assert!(t.name().starts_with(t.category().name()));
        }
        let per_cat: Vec<usize> = EventCategory::ALL
            .iter()
            .map(|c| EventType::ALL.iter().filter(|t| t.category() == *c).count())
            .collect();
        assert_eq!(per_cat, vec![12, 10, 8, 6, 6, 6, 12]);
    }

    #[test]
    fn every_type_round_trips_by_name_and_code() {
        for t in EventType::ALL {
            assert_eq!(EventType::from_name(t.name()), Some(t));
            assert_eq!(EventType::from_code(t.code()), Some(t));
            assert_eq!(EventType::parse(&format!("{:#06x}", t.code())), Some(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(serde_json::from_str::<EventType>(&json).unwrap(), t);
            let by_code: EventType = serde_json::from_str(&t.code().to_string()).unwrap();
            assert_eq!(by_code, t);
        }
    }

    #[test]
    fn unknown_names_and_codes_are_rejected() {
        assert_eq!(EventType::parse("FilesystemFly"), None);
        assert_eq!(EventType::from_code(0x0700), None);
        let err = serde_json::from_str::<EventType>("\"Nope\"").unwrap_err();
        assert!(err.to_string().contains("unknown event type `Nope`"));
        assert!(serde_json::from_str::<EventType>("65536").is_err());
    }
}
