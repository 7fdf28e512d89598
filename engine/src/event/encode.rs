//! A hand-written JSON encoder for [`Event`]: byte for byte what `serde_json::to_writer` writes
//! for the derived `Serialize`, at a fraction of the cost. The log writer encodes every accepted
//! event, and serde_json escape-scans each field name and string value byte by byte; here field
//! names are constants, and a string value is checked for bytes that need escaping in one pass
//! the compiler vectorises, then copied whole. Numbers use the crates serde_json uses (`itoa`,
//! `zmij`), so their digits are the same.

use super::attrs::Flags;
use super::context::{
    AgentContext, Causality, Context, FileType, FilesystemContext, GraphContext,
    ObservabilityContext, SemanticContext, SystemContext, VectorContext,
};
use super::model::Event;
use super::rfc3339;

/// Appends `event` as one line of JSON (no trailing newline): the same bytes as
/// `serde_json::to_writer(out, event)`.
pub fn write_json(out: &mut Vec<u8>, event: &Event) {
    out.extend_from_slice(b"{\"id\":");
    write_u64(out, event.id);
    out.extend_from_slice(b",\"type\":\"");
    // Type names are Rust identifiers: nothing in them is escaped.
    out.extend_from_slice(event.event_type.name().as_bytes());
    out.extend_from_slice(b"\",\"timestamp\":\"");
    rfc3339::write(out, event.timestamp_ns);
    out.extend_from_slice(b"\",\"source\":");
    write_str(out, &event.source);
    out.extend_from_slice(b",\"priority\":\"");
    out.extend_from_slice(event.priority.name().as_bytes());
    out.push(b'"');
    if !event.flags.is_empty() {
        out.extend_from_slice(b",\"flags\":");
        write_flags(out, event.flags);
    }
    out.extend_from_slice(b",\"latencyNs\":");
    write_u64(out, event.latency_ns);
    out.extend_from_slice(b",\"sizeBytes\":");
    write_u64(out, event.size_bytes);
    if !event.context.is_empty() {
        out.extend_from_slice(b",\"context\":");
        write_context(out, &event.context);
    }
    if !event.causality.is_empty() {
        out.extend_from_slice(b",\"causality\":");
        write_causality(out, event.causality);
    }
    if let Some(payload) = &event.payload {
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(payload.get().as_bytes());
    }
    if let Some(key) = &event.idempotency_key {
        out.extend_from_slice(b",\"idempotencyKey\":");
        write_str(out, key);
    }
    out.push(b'}');
}

impl Event {
    /// Serializes the event as one JSON line (no trailing newline), as serde_json would.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(384);
        write_json(&mut out, self);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// A JSON object being written: `{` on creation, a comma before every field but the first, `}`
/// at [`Object::end`]. Each `Option` field is written only when it is `Some`, as the model's
/// `skip_serializing_if = "Option::is_none"` says.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Starts a field: `key` is its name quoted and followed by a colon, e.g. `"path":`.
    fn key(&mut self, key: &[u8]) -> &mut Vec<u8> {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        self.out.extend_from_slice(key);
        self.out
    }

    fn str(&mut self, key: &[u8], value: Option<&str>) {
        if let Some(value) = value {
            write_str(self.key(key), value);
        }
    }

    fn u64(&mut self, key: &[u8], value: Option<u64>) {
        if let Some(value) = value {
            write_u64(self.key(key), value);
        }
    }

    fn u32(&mut self, key: &[u8], value: Option<u32>) {
        self.u64(key, value.map(u64::from));
    }

    fn f64(&mut self, key: &[u8], value: Option<f64>) {
        if let Some(value) = value {
            write_f64(self.key(key), value);
        }
    }

    fn block<T>(&mut self, key: &[u8], value: Option<&T>, write: fn(&mut Vec<u8>, &T)) {
        if let Some(value) = value {
            write(self.key(key), value);
        }
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

fn write_context(out: &mut Vec<u8>, c: &Context) {
    let mut o = Object::new(out);
    o.str(b"\"transactionId\":", c.transaction_id.as_deref());
    o.str(b"\"sessionId\":", c.session_id.as_deref());
    o.str(b"\"agentId\":", c.agent_id.as_deref());
    o.block(
        b"\"filesystem\":",
        c.filesystem.as_deref(),
        write_filesystem,
    );
    o.block(b"\"graph\":", c.graph.as_deref(), write_graph);
    o.block(b"\"vector\":", c.vector.as_deref(), write_vector);
    o.block(b"\"agent\":", c.agent.as_deref(), write_agent);
    o.block(b"\"system\":", c.system.as_deref(), write_system);
    o.block(b"\"semantic\":", c.semantic.as_deref(), write_semantic);
    o.block(
        b"\"observability\":",
        c.observability.as_deref(),
        write_observability,
    );
    o.end();
}

fn write_filesystem(out: &mut Vec<u8>, f: &FilesystemContext) {
    let mut o = Object::new(out);
    o.str(b"\"path\":", Some(&f.path));
    o.u64(b"\"inode\":", f.inode);
    if let Some(file_type) = f.file_type {
        o.key(b"\"fileType\":")
            .extend_from_slice(file_type_name(file_type));
    }
    o.u32(b"\"mode\":", f.mode);
    o.str(b"\"targetPath\":", f.target_path.as_deref());
    o.end();
}

fn write_graph(out: &mut Vec<u8>, g: &GraphContext) {
    let mut o = Object::new(out);
    o.u64(b"\"nodeId\":", g.node_id);
    o.u64(b"\"edgeId\":", g.edge_id);
    o.str(b"\"label\":", g.label.as_deref());
    o.str(b"\"property\":", g.property.as_deref());
    o.end();
}

fn write_vector(out: &mut Vec<u8>, v: &VectorContext) {
    let mut o = Object::new(out);
    o.u64(b"\"vectorId\":", v.vector_id);
    o.str(b"\"collection\":", v.collection.as_deref());
    o.u32(b"\"dimensions\":", v.dimensions);
    o.u32(b"\"k\":", v.k);
    o.end();
}

fn write_agent(out: &mut Vec<u8>, a: &AgentContext) {
    let mut o = Object::new(out);
    o.str(b"\"intent\":", a.intent.as_deref());
    o.str(b"\"model\":", a.model.as_deref());
    o.f64(b"\"confidence\":", a.confidence);
    o.end();
}

fn write_system(out: &mut Vec<u8>, s: &SystemContext) {
    let mut o = Object::new(out);
    o.str(b"\"component\":", s.component.as_deref());
    o.str(b"\"host\":", s.host.as_deref());
    o.end();
}

fn write_semantic(out: &mut Vec<u8>, s: &SemanticContext) {
    let mut o = Object::new(out);
    o.str(b"\"relation\":", s.relation.as_deref());
    o.u64(b"\"relatedEventId\":", s.related_event_id);
    o.end();
}

fn write_observability(out: &mut Vec<u8>, s: &ObservabilityContext) {
    let mut o = Object::new(out);
    o.str(b"\"metric\":", s.metric.as_deref());
    o.f64(b"\"value\":", s.value);
    o.str(b"\"traceId\":", s.trace_id.as_deref());
    o.str(b"\"spanId\":", s.span_id.as_deref());
    o.end();
}

fn write_causality(out: &mut Vec<u8>, c: Causality) {
    let mut o = Object::new(out);
    o.u64(b"\"parentEventId\":", c.parent_event_id);
    o.u64(b"\"rootEventId\":", c.root_event_id);
    o.end();
}

/// The derived camelCase spelling, with its quotes.
fn file_type_name(t: FileType) -> &'static [u8] {
    match t {
        FileType::Regular => b"\"regular\"",
        FileType::Directory => b"\"directory\"",
        FileType::Symlink => b"\"symlink\"",
        FileType::Device => b"\"device\"",
        FileType::Pipe => b"\"pipe\"",
        FileType::Socket => b"\"socket\"",
    }
}

/// The flag names in bit order, as `Flags`' `Serialize` writes them.
fn write_flags(out: &mut Vec<u8>, flags: Flags) {
    out.push(b'[');
    let mut first = true;
    for (bit, name) in Flags::NAMES.iter().enumerate() {
        if flags.bits() & (1 << bit) != 0 {
            if !first {
                out.push(b',');
            }
            first = false;
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
        }
    }
    out.push(b']');
}

fn write_u64(out: &mut Vec<u8>, value: u64) {
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(value).as_bytes());
}

/// A finite float in its shortest round-trip form; NaN and the infinities as `null`, as
/// serde_json writes them.
fn write_f64(out: &mut Vec<u8>, value: f64) {
    if value.is_finite() {
        let mut digits = zmij::Buffer::new();
        out.extend_from_slice(digits.format_finite(value).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// 1 if JSON needs `byte` escaped inside a string (control bytes, `"` and `\`), else 0. An
/// integer rather than a `bool` so that or-ing it over a slice has no branch and vectorises.
fn needs_escape(byte: u8) -> u8 {
    u8::from(byte < 0x20) | u8::from(byte == b'"') | u8::from(byte == b'\\')
}

/// Bytes scanned per step of the escape check: wide enough for the vector units, small enough
/// that a string with an escape early on stops scanning soon.
const SCAN_CHUNK: usize = 32;

/// Appends `value` as a quoted JSON string.
fn write_str(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    let clean = bytes
        .chunks(SCAN_CHUNK)
        .all(|chunk| chunk.iter().fold(0, |any, &b| any | needs_escape(b)) == 0);
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if clean {
        out.extend_from_slice(bytes);
    } else {
        write_escaped(out, bytes);
    }
    out.push(b'"');
}

/// The slow path of [`write_str`], escaping as serde_json does: the two-character escapes
/// `\" \\ \b \f \n \r \t`, other control bytes as `\u00xx` with lower-case hex, every other byte
/// (DEL and multi-byte UTF-8 included) as it is.
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut run = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        if needs_escape(byte) == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[run..i]);
        run = i + 1;
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            _ => {
                let hex = [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]];
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex[0], hex[1]]);
                continue;
            }
        };
        out.extend_from_slice(&[b'\\', short]);
    }
    out.extend_from_slice(&bytes[run..]);
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
