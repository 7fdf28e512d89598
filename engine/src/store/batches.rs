//! The retained events as the shared batches the log writer acknowledged them in.
//!
//! The writer hands each acknowledged batch, as one [`SharedBatch`], to the retained set, to the
//! analytics feed and to stream subscribers alike, so no event is copied for them. Retention
//! drops events one at a time from the front; a batch is freed once its last event is dropped
//! here and every other holder is done with it.

use crate::event::Event;
use std::collections::VecDeque;
use std::sync::Arc;

/// One acknowledged batch as the retained set, the analytics feed and stream subscribers share
/// it: an `Arc` of the very `Vec` the request handler decoded, so sharing it moves no event.
pub type SharedBatch = Arc<Vec<Event>>;

/// Events in id order, held as shared batches; the oldest may be partly dropped.
#[derive(Default)]
pub struct Batches {
    chunks: VecDeque<SharedBatch>,
    /// Events already dropped from the front chunk.
    head: usize,
    len: usize,
}

impl Batches {
    /// Appends a batch whose ids follow those already held (an empty batch is ignored).
    pub fn push(&mut self, batch: SharedBatch) {
        if !batch.is_empty() {
            self.len += batch.len();
            self.chunks.push_back(batch);
        }
    }

    /// The oldest event.
    pub fn front(&self) -> Option<&Event> {
        self.chunks.front().map(|c| &c[self.head])
    }

    /// Drops the oldest event.
    pub fn pop_front(&mut self) {
        let Some(front) = self.chunks.front() else {
            return;
        };
        self.head += 1;
        self.len -= 1;
        if self.head == front.len() {
            self.chunks.pop_front();
            self.head = 0;
        }
    }

    /// Number of events held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The events, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Event> {
        self.iter_chunks_from(0, self.head)
    }

    /// The events with an id of at least `id`, oldest first.
    pub fn iter_from(&self, id: u64) -> impl Iterator<Item = &Event> {
        let (chunk, at) = self.locate(id);
        self.iter_chunks_from(chunk, at)
    }

    /// The event with id `id`, if held.
    pub fn get(&self, id: u64) -> Option<&Event> {
        let (chunk, at) = self.locate(id);
        let e = self.chunks.get(chunk)?.get(at)?;
        (e.id == id).then_some(e)
    }

    /// The chunk and offset of the first held event with an id of at least `id` (one past the
    /// last chunk when there is none). Two binary searches: ids rise across and within chunks.
    fn locate(&self, id: u64) -> (usize, usize) {
        let chunk = self
            .chunks
            .partition_point(|c| c[c.len() - 1].id < id)
            .min(self.chunks.len());
        let Some(c) = self.chunks.get(chunk) else {
            return (chunk, 0);
        };
        let skip = if chunk == 0 { self.head } else { 0 };
        (chunk, skip + c[skip..].partition_point(|e| e.id < id))
    }

    fn iter_chunks_from(&self, chunk: usize, at: usize) -> impl Iterator<Item = &Event> {
        self.chunks
            .iter()
            .enumerate()
            .skip(chunk)
            .flat_map(move |(i, c)| c[if i == chunk { at } else { 0 }..].iter())
    }
}

/// A batch of `AgentQuery` events with the ids `ids` (for tests of the batches' consumers).
#[cfg(test)]
pub(crate) fn test_batch(ids: std::ops::Range<u64>) -> SharedBatch {
    Arc::new(
        ids.map(|id| {
            let mut e = Event::new(crate::event::EventType::AgentQuery, 1, "n");
            e.id = id;
            e
        })
        .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<'a>(events: impl Iterator<Item = &'a Event>) -> Vec<u64> {
        events.map(|e| e.id).collect()
    }

    #[test]
    fn batches_read_as_one_sequence_while_the_front_is_dropped() {
        let mut b = Batches::default();
        b.push(test_batch(1..4));
        b.push(test_batch(4..4));
        b.push(test_batch(4..6));
        b.push(test_batch(6..7));
        assert_eq!((b.len(), ids(b.iter())), (6, vec![1, 2, 3, 4, 5, 6]));
        b.pop_front();
        b.pop_front();
        assert_eq!(b.front().map(|e| e.id), Some(3));
        assert_eq!((b.len(), ids(b.iter())), (4, vec![3, 4, 5, 6]));
        b.pop_front();
        assert_eq!(ids(b.iter()), vec![4, 5, 6], "the first batch is gone");
        for _ in 0..5 {
            b.pop_front();
        }
        assert_eq!((b.len(), b.front().map(|e| e.id)), (0, None));
    }

    #[test]
    fn ids_are_found_across_batches_and_dropped_ones_are_not() {
        let mut b = Batches::default();
        b.push(test_batch(1..4));
        b.push(test_batch(4..6));
        b.pop_front();
        assert_eq!(b.get(1), None, "dropped");
        assert_eq!(b.get(2).map(|e| e.id), Some(2));
        assert_eq!(b.get(4).map(|e| e.id), Some(4));
        assert_eq!(b.get(6), None, "not yet stored");
        assert_eq!(ids(b.iter_from(0)), vec![2, 3, 4, 5]);
        assert_eq!(ids(b.iter_from(3)), vec![3, 4, 5]);
        assert_eq!(ids(b.iter_from(4)), vec![4, 5]);
        assert_eq!(ids(b.iter_from(6)), Vec::<u64>::new());
    }
}
