//! Checkpoint bookkeeping of a partition consumer (pure): which delivered messages are new, and
//! the position the local log records with them.
//!
//! A partition's messages are applied in stream-sequence order and its high-water mark (the last
//! sequence applied) is written in the same log record as the events. A message at or below the
//! mark was applied before (a redelivery after a crash between commit and acknowledgement, or a
//! consumer recreated from an older point) and is skipped, so nothing is counted twice. A
//! message whose payload is not an event (something else published to the subject) is logged,
//! skipped and still covered by the position, so it is not read again.
//!
//! Stream order with no gap is checked on delivery: a consumer numbers its deliveries 1, 2, 3...
//! (the consumer sequence). A delivery that skips a number (a message lost with a connection to
//! a failed server) or a redelivery means something before it may not have been applied; the
//! consumer applies what came in order and is then recreated from the mark, so a later message
//! is never applied before an earlier one (which the mark would then skip for good).

use crate::event::Event;
use crate::store::LogPosition;

/// One delivered message: its stream sequence and its event (`None` when undecodable).
pub type Delivered = (u64, Option<Event>);

/// What to apply from a delivered chunk.
#[derive(Debug, Default, PartialEq)]
pub struct Fresh {
    /// Events above the high-water mark, in stream order.
    pub events: Vec<Event>,
    /// The position to record with them (the last new message), when any message was new.
    pub position: Option<LogPosition>,
    /// Messages at or below the mark.
    pub redelivered: usize,
    /// New messages without a decodable event.
    pub undecodable: usize,
}

/// Splits `chunk` (in delivery order) of `partition` against its high-water mark `mark`.
pub fn select(partition: u32, mark: u64, chunk: Vec<Delivered>) -> Fresh {
    let mut fresh = Fresh::default();
    let mut last = mark;
    for (sequence, event) in chunk {
        if sequence <= last {
            fresh.redelivered += 1;
            continue;
        }
        last = sequence;
        match event {
            Some(e) => fresh.events.push(e),
            None => fresh.undecodable += 1,
        }
    }
    if last > mark {
        fresh.position = Some(LogPosition {
            partition,
            sequence: last,
        });
    }
    fresh
}

/// Whether a delivery continues the consumer's order: the next consumer sequence, delivered
/// for the first time.
pub fn in_order(expected: u64, consumer_sequence: u64, delivered: i64) -> bool {
    consumer_sequence == expected && delivered == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::synth::Synthetic;

    #[test]
    fn messages_at_or_below_the_mark_are_skipped_and_the_position_is_the_last_new_one() {
        let mut events = Synthetic::new(1, 0, 1_000).take_events(4).into_iter();
        let mut next = || events.next();
        let chunk = vec![(5, next()), (9, next()), (12, None), (14, next())];
        let fresh = select(3, 9, chunk);
        assert_eq!(fresh.events.len(), 1);
        assert_eq!((fresh.redelivered, fresh.undecodable), (2, 1));
        assert_eq!(
            fresh.position,
            Some(LogPosition {
                partition: 3,
                sequence: 14
            })
        );
        let none = select(3, 20, vec![(14, next())]);
        assert_eq!((none.position, none.redelivered), (None, 1));
        let only_bad = select(0, 0, vec![(1, None)]);
        assert_eq!(only_bad.position.map(|p| p.sequence), Some(1));
        assert!(only_bad.events.is_empty());
    }

    #[test]
    fn a_skipped_delivery_or_a_redelivery_breaks_the_order() {
        assert!(in_order(4, 4, 1));
        assert!(!in_order(4, 5, 1));
        assert!(!in_order(4, 4, 2));
    }
}
