//! Datagrams the conditioner holds back, each with the time it is due.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::Instant;

/// A queue that gives back its items by due time (the earliest first; equal times in the
/// order they were held), so jittered datagrams come out reordered exactly as their due
/// times say.
#[derive(Debug)]
pub(crate) struct Held<T> {
    heap: BinaryHeap<Reverse<Entry<T>>>,
    /// Tie-breaker: keeps items due at the same time in the order they were held.
    next_seq: u64,
}

impl<T> Default for Held<T> {
    fn default() -> Self {
        Self { heap: BinaryHeap::new(), next_seq: 0 }
    }
}

#[derive(Debug)]
struct Entry<T> {
    due: Instant,
    seq: u64,
    item: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}

impl<T> Eq for Entry<T> {}

impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

impl<T> Held<T> {
    /// Holds `item` until `due`.
    pub(crate) fn push(&mut self, due: Instant, item: T) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.heap.push(Reverse(Entry { due, seq, item }));
    }

    /// The earliest item due at or before `now`, taken out of the queue.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<T> {
        if self.heap.peek().is_some_and(|Reverse(entry)| entry.due <= now) {
            return self.heap.pop().map(|Reverse(entry)| entry.item);
        }
        None
    }

    /// How many items are held.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn items_come_out_by_due_time_then_in_holding_order() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut held = Held::default();
        for (due, item) in [(30, 'a'), (10, 'b'), (20, 'c'), (10, 'd')] {
            held.push(at(due), item);
        }
        assert_eq!(held.pop_due(at(5)), None, "nothing is due yet");
        let mut out = Vec::new();
        while let Some(item) = held.pop_due(at(20)) {
            out.push(item);
        }
        assert_eq!(out, ['b', 'd', 'c']);
        assert_eq!(held.len(), 1);
        assert_eq!(held.pop_due(at(100)), Some('a'));
        assert!(held.is_empty());
    }
}
