//! A deterministic synthetic workload (realistic type mix, paths, agents, transactions) for the
//! load generator and benchmarks.

use super::attrs::{Flags, Priority};
use super::context::FilesystemContext;
use super::model::Event;
use super::sym::Sym;
use super::types::EventType;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Types drawn by the generator with their relative weights.
const MIX: [(EventType, u32); 10] = [
    (EventType::FilesystemRead, 30),
    (EventType::FilesystemWrite, 20),
    (EventType::FilesystemCreate, 5),
    (EventType::FilesystemRename, 2),
    (EventType::VectorSearch, 15),
    (EventType::VectorEmbed, 5),
    (EventType::GraphTraverse, 8),
    (EventType::AgentQuery, 7),
    (EventType::SemanticTransactionBegin, 4),
    (EventType::ObservabilityMetricCollected, 4),
];

/// A seeded generator of plausible events, one every `step_ns` nanoseconds.
pub struct Synthetic {
    rng: StdRng,
    now_ns: i64,
    step_ns: i64,
    seq: u64,
    sources: Vec<Sym>,
    agents: Vec<Sym>,
    total_weight: u32,
}

impl Synthetic {
    /// A generator starting at `start_ns`.
    pub fn new(seed: u64, start_ns: i64, step_ns: i64) -> Self {
        Synthetic {
            rng: StdRng::seed_from_u64(seed),
            now_ns: start_ns,
            step_ns,
            seq: 0,
            sources: (0..8).map(|i| Sym::from(format!("node-{i}"))).collect(),
            agents: (0..16).map(|i| Sym::from(format!("agent-{i}"))).collect(),
            total_weight: MIX.iter().map(|(_, w)| w).sum(),
        }
    }

    fn pick_type(&mut self) -> EventType {
        let mut x = self.rng.random_range(0..self.total_weight);
        for (t, w) in MIX {
            if x < w {
                return t;
            }
            x -= w;
        }
        MIX[0].0
    }

    /// The next event (id 0; the engine assigns ids).
    pub fn next_event(&mut self) -> Event {
        self.seq += 1;
        self.now_ns += self.step_ns;
        let t = self.pick_type();
        let source = self.sources[self.rng.random_range(0..self.sources.len())].as_ref();
        let mut e = Event::new(t, self.now_ns, source);
        e.latency_ns = 2_000 + self.rng.random_range(0..50_000u64);
        e.size_bytes = 1u64 << self.rng.random_range(6..20u32);
        e.priority = Priority::ALL[self.rng.random_range(1..4usize)];
        if self.rng.random_bool(0.3) {
            e.flags = Flags::ATOMIC | Flags::INDEXED;
        }
        let agent = self.rng.random_range(0..self.agents.len());
        e.context.agent_id = Some(self.agents[agent].clone());
        e.context.transaction_id = Some(Sym::from(format!("tx-{}", self.seq / 8)));
        if t.category() == super::EventCategory::Filesystem {
            let dir = self.rng.random_range(0..64u32);
            let file = self.rng.random_range(0..256u32);
            e.context.filesystem = Some(Box::new(FilesystemContext {
                path: Sym::from(format!("/data/d{dir}/f{file}.bin")),
                inode: Some(u64::from(dir * 1000 + file)),
                ..FilesystemContext::default()
            }));
        }
        e.idempotency_key = Some(Sym::from(format!("synth-{}", self.seq)));
        e
    }

    /// `n` events.
    pub fn take_events(&mut self, n: usize) -> Vec<Event> {
        (0..n).map(|_| self.next_event()).collect()
    }

    /// `n` events as an NDJSON body.
    pub fn ndjson(&mut self, n: usize) -> String {
        let mut out = String::with_capacity(n * 320);
        for _ in 0..n {
            out.push_str(&self.next_event().to_json());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{decode_batch, validate};

    #[test]
    fn synthetic_events_are_valid_and_deterministic() {
        let a = Synthetic::new(7, 1_000, 10).take_events(500);
        let b = Synthetic::new(7, 1_000, 10).take_events(500);
        assert_eq!(a, b);
        assert!(a.iter().all(|e| validate(e).is_ok()));
        let kinds: std::collections::HashSet<_> = a.iter().map(|e| e.event_type).collect();
        assert_eq!(kinds.len(), MIX.len());
        let body = Synthetic::new(7, 1_000, 10).ndjson(500);
        assert_eq!(decode_batch(body.as_bytes(), 0, 1000).unwrap(), a);
    }
}
