//! Reassembly of messages split into fragments, with memory charged to the receive buffer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::packet::FragmentInfo;

/// Memory charged per fragment slot, on top of the payload bytes.
const SLOT_CHARGE: usize = size_of::<Option<Bytes>>();

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
    count: u16,
    /// Length of every non-final fragment, once one was seen.
    fragment_len: Option<usize>,
    final_len: Option<usize>,
    received: u16,
    slots: Vec<Option<Bytes>>,
    charge: usize,
    reliable: bool,
    created: Instant,
}

/// Incomplete messages of every channel, keyed by (channel index, message number).
///
/// Invariant: the sum of `charge` over partials equals what was added to `buffered`.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    partials: HashMap<(u32, u16), Partial>,
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
        let is_final = info.index + 1 == info.count;
        if payload.is_empty() || info.count as usize > max_size {
            return Insert::Bad;
        }
        let key = (channel, seq);
        let new_charge = payload.len()
            + SLOT_CHARGE * (!self.partials.contains_key(&key)) as usize * info.count as usize;
        if !reliable && *buffered + new_charge > cap {
            return Insert::Full;
        }
        let partial = self.partials.entry(key).or_insert_with(|| Partial {
            count: info.count,
            fragment_len: None,
            final_len: None,
            received: 0,
            slots: Vec::new(),
            charge: 0,
            reliable,
            created: now,
        });
        if partial.slots.is_empty() {
            partial.slots.resize(info.count as usize, None);
            partial.charge += SLOT_CHARGE * info.count as usize;
            *buffered += SLOT_CHARGE * info.count as usize;
        }
        if partial.count != info.count {
            return Insert::Bad;
        }
        if partial.slots[info.index as usize].is_some() {
            return Insert::Duplicate;
        }
        let (fragment_len, final_len) = if is_final {
            (partial.fragment_len, Some(payload.len()))
        } else {
            (Some(payload.len()), partial.final_len)
        };
        let consistent = match (fragment_len, partial.fragment_len, final_len) {
            (Some(f), Some(known), _) if f != known => false,
            (Some(f), _, Some(last)) => {
                last <= f && (info.count as usize - 1) * f + last <= max_size
            }
            (Some(f), _, None) => (info.count as usize - 1) * f < max_size,
            _ => true,
        };
        if !consistent {
            return Insert::Bad;
        }
        partial.fragment_len = fragment_len;
        partial.final_len = final_len;
        partial.charge += payload.len();
        *buffered += payload.len();
        partial.slots[info.index as usize] = Some(payload);
        partial.received += 1;
        if partial.received < partial.count {
            return Insert::Incomplete;
        }
        let Some(done) = self.partials.remove(&key) else { return Insert::Incomplete };
        *buffered -= done.charge;
        let total: usize = done.slots.iter().flatten().map(Bytes::len).sum();
        let mut whole = BytesMut::with_capacity(total);
        for slot in done.slots.iter().flatten() {
            whole.extend_from_slice(slot);
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
            let keep = ch != channel || crate::sequence::seq_newer(s, seq);
            if !keep {
                *buffered -= p.charge;
            }
            keep
        });
    }

    /// Whether no incomplete message is stored.
    pub(crate) fn is_empty(&self) -> bool {
        self.partials.is_empty()
    }

    /// Whether an incomplete message with this key is stored.
    pub(crate) fn has(&self, channel: u32, seq: u16) -> bool {
        self.partials.contains_key(&(channel, seq))
    }
}
