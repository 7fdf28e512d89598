//! The semantic event model: types and codes, attributes, context blocks, validation, decoding
//! and encoding.

mod attrs;
mod context;
mod decode;
mod encode;
mod model;
mod rfc3339;
mod sym;
pub mod synth;
mod types;
mod validate;

pub use attrs::{Flags, Priority, timestamp};
pub use context::{
    AgentContext, Causality, Context, FileType, FilesystemContext, GraphContext,
    ObservabilityContext, SemanticContext, SystemContext, VectorContext,
};
pub use decode::{BatchLimits, DecodeError, Decoded, decode, decode_batch, decode_limited};
pub use encode::write_json;
pub use model::Event;
pub use sym::Sym;
pub use types::{EventCategory, EventType};
pub use validate::{ValidationError, validate};
