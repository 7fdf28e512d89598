//! Context blocks (filesystem, graph, vector, agent, system, semantic, observability) and causality.

use super::sym::Sym;
use serde::{Deserialize, Serialize};

/// Kinds of file system objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FileType {
    /// Regular file.
    Regular,
    /// Directory.
    Directory,
    /// Symbolic link.
    Symlink,
    /// Block or character device.
    Device,
    /// Named pipe.
    Pipe,
    /// Unix socket.
    Socket,
}

/// File system details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilesystemContext {
    /// Absolute path of the object.
    #[serde(deserialize_with = "super::sym::deserialize")]
    pub path: Sym,
    /// Inode number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inode: Option<u64>,
    /// Object kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_type: Option<FileType>,
    /// Permission bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// Destination path of a rename, symlink or hard link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_path: Option<Sym>,
}

/// Graph database details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GraphContext {
    /// Node id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<u64>,
    /// Edge id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_id: Option<u64>,
    /// Node or edge label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Sym>,
    /// Property key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<Sym>,
}

/// Vector store details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VectorContext {
    /// Vector id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_id: Option<u64>,
    /// Collection name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<Sym>,
    /// Dimensionality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// Number of neighbours requested by a search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<u32>,
}

/// Agent details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentContext {
    /// Captured intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Sym>,
    /// Model or policy name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Sym>,
    /// Confidence 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// System details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SystemContext {
    /// Component name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<Sym>,
    /// Host or node name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<Sym>,
}

/// Semantic link details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SemanticContext {
    /// Kind of relation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<Sym>,
    /// Related event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_event_id: Option<u64>,
}

/// Observability details.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObservabilityContext {
    /// Metric name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<Sym>,
    /// Metric value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Trace id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<Sym>,
    /// Span id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span_id: Option<Sym>,
}

/// Where an event happened and on behalf of whom.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Context {
    /// Transaction id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::sym::deserialize_opt"
    )]
    pub transaction_id: Option<Sym>,
    /// Session id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::sym::deserialize_opt"
    )]
    pub session_id: Option<Sym>,
    /// Agent id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::sym::deserialize_opt"
    )]
    pub agent_id: Option<Sym>,
    /// File system block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem: Option<Box<FilesystemContext>>,
    /// Graph block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<Box<GraphContext>>,
    /// Vector block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<Box<VectorContext>>,
    /// Agent block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Box<AgentContext>>,
    /// System block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<Box<SystemContext>>,
    /// Semantic block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic: Option<Box<SemanticContext>>,
    /// Observability block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observability: Option<Box<ObservabilityContext>>,
}

impl Context {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Context::default()
    }

    /// The file system path, if any.
    pub fn path(&self) -> Option<&Sym> {
        self.filesystem.as_ref().map(|f| &f.path)
    }
}

/// Causal links between events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Causality {
    /// Id of the event that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_event_id: Option<u64>,
    /// Id of the first event of the causal chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_event_id: Option<u64>,
}

impl Causality {
    /// Whether no link is set.
    pub fn is_empty(&self) -> bool {
        self.parent_event_id.is_none() && self.root_event_id.is_none()
    }
}
