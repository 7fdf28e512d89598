use super::write_json;
use crate::event::Event;
use crate::event::synth::Synthetic;
use crate::event::{
    AgentContext, Causality, Context, EventType, FileType, FilesystemContext, Flags, GraphContext,
    ObservabilityContext, Priority, SemanticContext, Sym, SystemContext, VectorContext,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::value::RawValue;

const FILE_TYPES: [FileType; 6] = [
    FileType::Regular,
    FileType::Directory,
    FileType::Symlink,
    FileType::Device,
    FileType::Pipe,
    FileType::Socket,
];

fn encode(event: &Event) -> Vec<u8> {
    let mut out = Vec::new();
    write_json(&mut out, event);
    out
}

/// Asserts the encoder writes serde_json's bytes for `event`, showing both texts if not.
fn assert_same_as_serde(event: &Event) {
    let ours = encode(event);
    let serde = serde_json::to_vec(event).unwrap();
    assert!(
        ours == serde,
        "encoder and serde_json differ\n ours: {}\nserde: {}",
        String::from_utf8_lossy(&ours),
        String::from_utf8_lossy(&serde)
    );
}

fn assert_round_trips(event: &Event) {
    let back: Event = serde_json::from_slice(&encode(event)).unwrap();
    assert_eq!(&back, event);
}

fn sym(text: &str) -> Sym {
    Sym::from(text)
}

/// Every field of the event and of every context block set. The literals name every field and
/// use no `..Default::default()`, on purpose: a field added to `Event`, `Context`, a context
/// block or `Causality` stops this test from compiling until it is set here, which is the
/// reminder to teach `encode.rs` to write it.
fn fully_populated() -> Event {
    Event {
        id: u64::MAX,
        event_type: EventType::SemanticCausalityLink,
        timestamp_ns: 1_798_765_432_123_456_789,
        source: Sym::from("node-\"a\"\\b"),
        priority: Priority::Critical,
        flags: Flags::from_bits(0xff),
        latency_ns: 0,
        size_bytes: u64::MAX,
        context: Context {
            transaction_id: Some(sym("tx-1\n")),
            session_id: Some(sym("s-\u{e9}t\u{e9}")),
            agent_id: Some(sym("agent-\u{1f600}")),
            filesystem: Some(Box::new(FilesystemContext {
                path: Sym::from("/data/\u{7f}/a b.bin"),
                inode: Some(u64::MAX),
                file_type: Some(FileType::Symlink),
                mode: Some(u32::MAX),
                target_path: Some(sym("/data/\t")),
            })),
            graph: Some(Box::new(GraphContext {
                node_id: Some(0),
                edge_id: Some(7),
                label: Some(sym("")),
                property: Some(sym("p\u{1}")),
            })),
            vector: Some(Box::new(VectorContext {
                vector_id: Some(42),
                collection: Some(sym("docs")),
                dimensions: Some(1536),
                k: Some(0),
            })),
            agent: Some(Box::new(AgentContext {
                intent: Some(sym("summarise \"q3\"")),
                model: Some(sym("m-1")),
                confidence: Some(0.1),
            })),
            system: Some(Box::new(SystemContext {
                component: Some(sym("wal")),
                host: Some(sym("host\r\n")),
            })),
            semantic: Some(Box::new(SemanticContext {
                relation: Some(sym("causes")),
                related_event_id: Some(u64::MAX - 1),
            })),
            observability: Some(Box::new(ObservabilityContext {
                metric: Some(sym("latency")),
                value: Some(-1e300),
                trace_id: Some(sym("t\u{8}\u{c}")),
                span_id: Some(sym("s\u{1f}")),
            })),
        },
        causality: Causality {
            parent_event_id: Some(1),
            root_event_id: Some(0),
        },
        payload: Some(
            RawValue::from_string(r#"{"a": {"b": [1, "x\"y\n\u0001"]}, "c" : null}"#.to_owned())
                .unwrap(),
        ),
        idempotency_key: Some(sym("key-\\-\u{0}")),
    }
}

#[test]
fn synthetic_events_encode_as_serde_does_and_round_trip() {
    for seed in [1, 2, 3, 42] {
        let mut synth = Synthetic::new(seed, 1_700_000_000_000_000_000, 1_234);
        for (i, mut event) in synth.take_events(5_000).into_iter().enumerate() {
            event.id = i as u64 * 7_919;
            assert_same_as_serde(&event);
            assert_round_trips(&event);
        }
    }
}

#[test]
fn the_fully_populated_event_encodes_as_serde_does_and_round_trips() {
    let event = fully_populated();
    assert_same_as_serde(&event);
    assert_round_trips(&event);
}

#[test]
fn every_type_priority_flag_set_and_file_type() {
    let mut event = fully_populated();
    for t in EventType::ALL {
        event.event_type = t;
        assert_same_as_serde(&event);
    }
    for p in Priority::ALL {
        event.priority = p;
        assert_same_as_serde(&event);
    }
    for bits in 0..=u8::MAX {
        event.flags = Flags::from_bits(bits);
        assert_same_as_serde(&event);
        assert_round_trips(&event);
    }
    for t in FILE_TYPES {
        event.context.filesystem.as_mut().unwrap().file_type = Some(t);
        assert_same_as_serde(&event);
        assert_round_trips(&event);
    }
}

#[test]
fn optional_parts_are_left_out_as_serde_leaves_them_out() {
    let minimal = Event::new(EventType::SystemSync, 0, "n");
    assert_same_as_serde(&minimal);
    assert_eq!(
        String::from_utf8(encode(&minimal)).unwrap(),
        r#"{"id":0,"type":"SystemSync","timestamp":"1970-01-01T00:00:00Z","source":"n","priority":"Normal","latencyNs":0,"sizeBytes":0}"#
    );
    let mut event = minimal.clone();
    event.context.graph = Some(Box::default());
    event.context.observability = Some(Box::default());
    assert_same_as_serde(&event);
    assert!(
        String::from_utf8(encode(&event))
            .unwrap()
            .contains(r#""context":{"graph":{},"observability":{}}"#)
    );
    let mut event = minimal.clone();
    event.context.filesystem = Some(Box::default());
    event.causality.root_event_id = Some(3);
    assert_same_as_serde(&event);
    let mut event = minimal;
    event.payload = Some(RawValue::from_string("[]".to_owned()).unwrap());
    event.idempotency_key = Some(sym(""));
    assert_same_as_serde(&event);
}

#[test]
fn strings_escape_as_serde_escapes_them() {
    let mut all = String::new();
    for byte in 0u8..0x20 {
        all.push(char::from(byte));
    }
    all.push_str("\"\\\u{7f}/<>&'\u{e9}\u{20ac}\u{1f600}plain");
    // An escape just past the first scan chunk, and one far into a long clean string.
    let late = format!("{}\n{}", "a".repeat(40), "b".repeat(100));
    let long_clean = "c".repeat(1000);
    let mut event = fully_populated();
    for text in [
        all.as_str(),
        late.as_str(),
        long_clean.as_str(),
        "",
        "\u{0}",
        "\\",
    ] {
        event.source = Sym::from(text);
        event.idempotency_key = Some(sym(text));
        event.context.agent_id = Some(sym(text));
        event.context.filesystem.as_mut().unwrap().path = Sym::from(text);
        event.context.graph.as_mut().unwrap().label = Some(sym(text));
        assert_same_as_serde(&event);
        assert_round_trips(&event);
    }
    event.source = Sym::from("\u{1}\u{1f}\u{8}\u{c}\n\r\t\"\\\u{7f}");
    let text = String::from_utf8(encode(&event)).unwrap();
    assert!(
        text.contains(r#""source":"\u0001\u001f\b\f\n\r\t\"\\"#),
        "{text}"
    );
}

#[test]
fn numbers_and_timestamps_write_as_serde_writes_them() {
    let mut event = fully_populated();
    for ns in [
        0,
        1,
        -1,
        -1_000_000_000,
        i64::MIN,
        i64::MAX,
        1_000_000_000,
        1_700_000_000_123_000_000,
        1_700_000_000_123_456_000,
    ] {
        event.timestamp_ns = ns;
        assert_same_as_serde(&event);
    }
    for n in [0, 1, 9, 10, u64::from(u32::MAX), u64::MAX] {
        event.id = n;
        event.latency_ns = n;
        event.context.semantic.as_mut().unwrap().related_event_id = Some(n);
        assert_same_as_serde(&event);
    }
    let floats = [
        0.0,
        -0.0,
        1e-300,
        1e300,
        0.1,
        1.0,
        123_456.789,
        f64::MIN_POSITIVE,
        f64::MAX,
        5e-324,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for x in floats {
        event.context.agent.as_mut().unwrap().confidence = Some(x);
        event.context.observability.as_mut().unwrap().value = Some(-x);
        assert_same_as_serde(&event);
        if x.is_finite() {
            assert_round_trips(&event);
        }
    }
}

/// A string from an alphabet heavy in bytes that need escaping.
fn random_text(rng: &mut StdRng) -> String {
    const PIECES: [&str; 12] = [
        "a",
        "Z9",
        "\"",
        "\\",
        "\n",
        "\u{0}",
        "\u{1f}",
        "\u{7f}",
        "\u{e9}",
        "\u{1f600}",
        "/",
        " ",
    ];
    let len = rng.random_range(0..48);
    (0..len)
        .map(|_| PIECES[rng.random_range(0..PIECES.len())])
        .collect()
}

fn random_opt<T>(rng: &mut StdRng, make: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
    rng.random_bool(0.5).then(|| make(rng))
}

fn random_event(rng: &mut StdRng) -> Event {
    let text = |rng: &mut StdRng| Sym::from(random_text(rng));
    let float = |rng: &mut StdRng| f64::from_bits(rng.random());
    Event {
        id: rng.random(),
        event_type: EventType::ALL[rng.random_range(0..EventType::COUNT)],
        timestamp_ns: rng.random(),
        source: text(rng),
        priority: Priority::ALL[rng.random_range(0..5)],
        flags: Flags::from_bits(rng.random()),
        latency_ns: rng.random(),
        size_bytes: rng.random_range(0..1 << 20),
        context: Context {
            transaction_id: random_opt(rng, text),
            session_id: random_opt(rng, text),
            agent_id: random_opt(rng, text),
            filesystem: random_opt(rng, |rng| {
                Box::new(FilesystemContext {
                    path: text(rng),
                    inode: random_opt(rng, Rng::random),
                    file_type: random_opt(rng, |rng| FILE_TYPES[rng.random_range(0..6)]),
                    mode: random_opt(rng, Rng::random),
                    target_path: random_opt(rng, text),
                })
            }),
            graph: random_opt(rng, |rng| {
                Box::new(GraphContext {
                    node_id: random_opt(rng, Rng::random),
                    edge_id: random_opt(rng, Rng::random),
                    label: random_opt(rng, text),
                    property: random_opt(rng, text),
                })
            }),
            vector: random_opt(rng, |rng| {
                Box::new(VectorContext {
                    vector_id: random_opt(rng, Rng::random),
                    collection: random_opt(rng, text),
                    dimensions: random_opt(rng, Rng::random),
                    k: random_opt(rng, Rng::random),
                })
            }),
            agent: random_opt(rng, |rng| {
                Box::new(AgentContext {
                    intent: random_opt(rng, text),
                    model: random_opt(rng, text),
                    confidence: random_opt(rng, float),
                })
            }),
            system: random_opt(rng, |rng| {
                Box::new(SystemContext {
                    component: random_opt(rng, text),
                    host: random_opt(rng, text),
                })
            }),
            semantic: random_opt(rng, |rng| {
                Box::new(SemanticContext {
                    relation: random_opt(rng, text),
                    related_event_id: random_opt(rng, Rng::random),
                })
            }),
            observability: random_opt(rng, |rng| {
                Box::new(ObservabilityContext {
                    metric: random_opt(rng, text),
                    value: random_opt(rng, float),
                    trace_id: random_opt(rng, text),
                    span_id: random_opt(rng, text),
                })
            }),
        },
        causality: Causality {
            parent_event_id: random_opt(rng, Rng::random),
            root_event_id: random_opt(rng, Rng::random),
        },
        payload: random_opt(rng, |rng| {
            let body = serde_json::to_string(&random_text(rng)).unwrap();
            RawValue::from_string(format!("{{\"k\": [{body}, 1.5e3, {{}}]}}")).unwrap()
        }),
        idempotency_key: random_opt(rng, text),
    }
}

#[test]
fn random_events_with_every_field_random_encode_as_serde_does() {
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..5_000 {
        assert_same_as_serde(&random_event(&mut rng));
    }
}
