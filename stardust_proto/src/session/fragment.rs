//! Reassembly of messages split into fragments, with memory charged to the receive buffer.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::wire::packet::FragmentInfo;

/// Memory charged per stored fragment on top of its payload (map node share and handle), and
/// per incomplete message: a fragment count from the wire never sizes an allocation.
const FRAGMENT_CHARGE: usize = 48;
const PARTIAL_CHARGE: usize = 128;
/// Shortest fragment other than the last one. Keeps the per-fragment overhead of a message
/// (and the fragment count) proportional to its size; Stardust's own fragments are at least
/// 210 bytes (`MTU - 46` with the smallest MTU).
pub(crate) const MIN_FRAGMENT_LEN: usize = 128;

/// The result of adding one fragment.
#[derive(Debug)]
pub(crate) enum Insert {
    /// Stored; more fragments are missing.
    Incomplete,
    /// The last missing fragment: here is the whole message.
    Complete(Bytes),
    /// This fragment was already stored.
    Duplicate,
    /// Contradicts the fragments seen so far, or cannot fit the channel's `max_size`.
    Bad,
    /// Storing it would exceed the receive buffer.
    Full,
}

#[derive(Debug)]
struct Partial {
    shape: Shape,
    fragments: BTreeMap<u16, Bytes>,
    charge: usize,
    reliable: bool,
    created: Instant,
}

/// Incomplete messages of every channel, keyed by (channel index, message number).
///
/// Invariant: the sum of `charge` over partials equals what was added to `buffered`, and each
/// charge is proportional to the bytes actually received, never to a count read from the wire.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    partials: HashMap<(u32, u16), Partial>,
}

/// What the fragments of one message received so far say about its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    count: u16,
    /// Length of every non-final fragment, once one was seen.
    fragment_len: Option<usize>,
    final_len: Option<usize>,
}

impl Shape {
    /// The shape after fragment `info` of `len` bytes joins a message shaped `known` (`None`:
    /// its first fragment), or `None` when that fragment contradicts it or the channel's
    /// `max_size`: what [`Reassembler::insert`] refuses as [`Insert::Bad`].
    pub(crate) fn with(
        known: Option<Shape>,
        info: FragmentInfo,
        len: usize,
        max_size: usize,
    ) -> Option<Shape> {
        let known =
            known.unwrap_or(Shape { count: info.count, fragment_len: None, final_len: None });
        if known.count != info.count || len == 0 {
            return None;
        }
        let shape = if info.index + 1 == info.count {
            Shape { final_len: Some(len), ..known }
        } else if known.fragment_len.is_some_and(|f| f != len) || len < MIN_FRAGMENT_LEN {
            return None;
        } else {
            Shape { fragment_len: Some(len), ..known }
        };
        shape.fits(max_size).then_some(shape)
    }

    /// Whether these lengths can form a message of `count` fragments of at most `max_size`.
    fn fits(&self, max_size: usize) -> bool {
        let count = self.count as usize;
        match (self.fragment_len, self.final_len) {
            (Some(f), Some(last)) => last <= f && (count - 1) * f + last <= max_size,
            (Some(f), None) => (count - 1) * f < max_size,
            (None, Some(last)) => count - 1 + last <= max_size,
            (None, None) => count <= max_size,
        }
    }
}

impl Reassembler {
    /// Adds fragment `info` of message `seq` on channel `channel`.
    ///
    /// Unreliable fragments that would push `buffered` past `cap` are refused ([`Insert::Full`]);
    /// reliable ones were admitted by the caller and are always stored.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert(
        &mut self,
        channel: u32,
        seq: u16,
        info: FragmentInfo,
        payload: Bytes,
        max_size: usize,
        reliable: bool,
        now: Instant,
        buffered: &mut usize,
        cap: usize,
    ) -> Insert {
        let key = (channel, seq);
        let existing = self.partials.get(&key);
        if existing
            .is_some_and(|p| p.shape.count == info.count && p.fragments.contains_key(&info.index))
        {
            return Insert::Duplicate;
        }
        let Some(shape) = Shape::with(existing.map(|p| p.shape), info, payload.len(), max_size)
        else {
            return Insert::Bad;
        };
        let charge = payload.len() + FRAGMENT_CHARGE + existing.map_or(PARTIAL_CHARGE, |_| 0);
        if !reliable && *buffered + charge > cap {
            return Insert::Full;
        }
        let partial = self.partials.entry(key).or_insert_with(|| Partial {
            shape,
            fragments: BTreeMap::new(),
            charge: 0,
            reliable,
            created: now,
        });
        partial.shape = shape;
        partial.charge += charge;
        *buffered += charge;
        partial.fragments.insert(info.index, payload);
        if partial.fragments.len() < partial.shape.count as usize {
            return Insert::Incomplete;
        }
        let Some(done) = self.partials.remove(&key) else { return Insert::Incomplete };
        *buffered -= done.charge;
        let total: usize = done.fragments.values().map(Bytes::len).sum();
        let mut whole = BytesMut::with_capacity(total);
        for fragment in done.fragments.values() {
            whole.extend_from_slice(fragment);
        }
        Insert::Complete(whole.freeze())
    }

    /// Drops unreliable partials older than `timeout`; returns how many.
    pub(crate) fn expire(&mut self, now: Instant, timeout: Duration, buffered: &mut usize) -> u64 {
        let mut dropped = 0;
        self.partials.retain(|_, p| {
            let keep = p.reliable || p.created + timeout > now;
            if !keep {
                *buffered -= p.charge;
                dropped += 1;
            }
            keep
        });
        dropped
    }

    /// Drops the incomplete messages of `channel` not newer than `seq`: on a sequenced channel
    /// they can never be delivered once `seq` was, and their remaining fragments will be
    /// discarded as stale.
    pub(crate) fn discard_not_newer(&mut self, channel: u32, seq: u16, buffered: &mut usize) {
        self.partials.retain(|&(ch, s), p| {
            let keep = ch != channel || super::sequence::seq_newer(s, seq);
            if !keep {
                *buffered -= p.charge;
            }
            keep
        });
    }

    /// Whether no incomplete message is stored.
    /// Gives back the memory no longer needed (an idle peer's).
    pub(crate) fn shrink(&mut self) {
        self.partials.shrink_to_fit();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.partials.is_empty()
    }

    /// Whether an incomplete message with this key is stored.
    pub(crate) fn has(&self, channel: u32, seq: u16) -> bool {
        self.partials.contains_key(&(channel, seq))
    }

    /// What [`insert`](Self::insert) would make of fragment `info` of `len` bytes of message
    /// `seq` on `channel`, judged against the stored fragments and `pending` (shapes of this
    /// message from fragments not stored yet): `Some(shape)` with the shape it leaves, or
    /// `None` for [`Insert::Bad`]. A fragment already stored is fine (a duplicate).
    pub(crate) fn check(
        &self,
        (channel, seq): (u32, u16),
        info: FragmentInfo,
        len: usize,
        max_size: usize,
        pending: Option<Shape>,
    ) -> Option<Shape> {
        let stored = self.partials.get(&(channel, seq));
        if pending.is_none()
            && stored.is_some_and(|p| {
                p.shape.count == info.count && p.fragments.contains_key(&info.index)
            })
        {
            return stored.map(|p| p.shape);
        }
        Shape::with(pending.or(stored.map(|p| p.shape)), info, len, max_size)
    }
}
