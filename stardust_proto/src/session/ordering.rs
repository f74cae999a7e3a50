//! One channel's incoming side: duplicate suppression and delivery order.

use std::collections::VecDeque;

use bytes::Bytes;

use super::send_queue::MESSAGE_WINDOW;
use super::sequence::seq_newer;
use crate::channel::{ChannelConfig, ChannelId, Ordering, Reliability};

/// What the channel thinks of an incoming message number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not delivered yet: accept it.
    Fresh,
    /// A reliable message already delivered (or buffered).
    Duplicate,
    /// A sequenced message not newer than the last delivered one.
    Stale,
    /// A reliable message number beyond the window the sender must respect.
    OutsideWindow,
}

#[derive(Debug)]
enum Kind {
    /// Reliable-ordered: `slots[i]` holds message `base + i` once it arrived out of order.
    Ordered { base: u16, slots: VecDeque<Option<Bytes>> },
    /// Reliable-unordered: `seen[i]` says message `base + i` was delivered.
    ReliableUnordered { base: u16, seen: VecDeque<bool> },
    /// Sequenced (reliable or not): only messages newer than `last` are delivered.
    Sequenced { last: Option<u16> },
    /// Unreliable-unordered: everything is delivered (packet-level dedup prevents doubles).
    Unordered,
}

/// The receive state of one channel.
///
/// Invariants: a message is delivered at most once; ordered channels deliver in number order;
/// sequenced channels deliver strictly increasing numbers; buffered memory is reported through
/// the `buffered` counters passed in.
#[derive(Debug)]
pub(crate) struct ChannelRecv {
    id: ChannelId,
    kind: Kind,
}

impl ChannelRecv {
    pub(crate) fn new(id: ChannelId, config: &ChannelConfig) -> ChannelRecv {
        let kind = match (config.reliability, config.ordering) {
            (_, Ordering::Sequenced) => Kind::Sequenced { last: None },
            (Reliability::Reliable, Ordering::Ordered) => {
                Kind::Ordered { base: 0, slots: VecDeque::new() }
            }
            (Reliability::Reliable, Ordering::Unordered) => {
                Kind::ReliableUnordered { base: 0, seen: VecDeque::new() }
            }
            (Reliability::Unreliable, _) => Kind::Unordered,
        };
        ChannelRecv { id, kind }
    }

    fn window_verdict(base: u16, seq: u16, taken: impl FnOnce(usize) -> bool) -> Verdict {
        let d = seq.wrapping_sub(base);
        if d >= 0x8000 {
            Verdict::Duplicate
        } else if d >= MESSAGE_WINDOW {
            Verdict::OutsideWindow
        } else if taken(d as usize) {
            Verdict::Duplicate
        } else {
            Verdict::Fresh
        }
    }

    /// Classifies message `seq` without changing anything.
    /// Gives back the memory the window no longer needs (an idle peer's).
    pub(crate) fn shrink(&mut self) {
        match &mut self.kind {
            Kind::Ordered { slots, .. } => slots.shrink_to_fit(),
            Kind::ReliableUnordered { seen, .. } => seen.shrink_to_fit(),
            _ => {}
        }
    }

    pub(crate) fn verdict(&self, seq: u16) -> Verdict {
        match &self.kind {
            Kind::Ordered { base, slots } => {
                Self::window_verdict(*base, seq, |d| slots.get(d).is_some_and(|s| s.is_some()))
            }
            Kind::ReliableUnordered { base, seen } => {
                Self::window_verdict(*base, seq, |d| seen.get(d).copied().unwrap_or(false))
            }
            Kind::Sequenced { last: Some(last) } if !seq_newer(seq, *last) => Verdict::Stale,
            Kind::Sequenced { .. } | Kind::Unordered => Verdict::Fresh,
        }
    }

    /// Whether accepting message `seq` would hold memory beyond this call (out-of-order data
    /// on an ordered channel). The message that unblocks the channel never does.
    pub(crate) fn would_buffer(&self, seq: u16) -> bool {
        match &self.kind {
            Kind::Ordered { base, .. } => seq != *base,
            _ => false,
        }
    }

    /// Whether `seq` is the message an ordered channel is blocked on.
    pub(crate) fn is_next_in_order(&self, seq: u16) -> bool {
        matches!(&self.kind, Kind::Ordered { base, .. } if *base == seq)
    }

    /// Accepts message `seq`, which [`verdict`](Self::verdict) found fresh, delivering into
    /// `out` everything it makes deliverable. `buffered` tracks out-of-order bytes held.
    pub(crate) fn accept(
        &mut self,
        seq: u16,
        payload: Bytes,
        out: &mut VecDeque<(ChannelId, Bytes)>,
        buffered: &mut usize,
    ) -> u64 {
        let id = self.id;
        match &mut self.kind {
            Kind::Ordered { base, slots } => {
                let d = seq.wrapping_sub(*base) as usize;
                if d == 0 {
                    slots.pop_front();
                    out.push_back((id, payload));
                    *base = base.wrapping_add(1);
                    let mut delivered = 1;
                    while let Some(Some(_)) = slots.front() {
                        if let Some(Some(bytes)) = slots.pop_front() {
                            *buffered -= bytes.len();
                            out.push_back((id, bytes));
                        }
                        *base = base.wrapping_add(1);
                        delivered += 1;
                    }
                    return delivered;
                }
                if slots.len() <= d {
                    slots.resize(d + 1, None);
                }
                *buffered += payload.len();
                slots[d] = Some(payload);
                0
            }
            Kind::ReliableUnordered { base, seen } => {
                let d = seq.wrapping_sub(*base) as usize;
                if seen.len() <= d {
                    seen.resize(d + 1, false);
                }
                seen[d] = true;
                while seen.front() == Some(&true) {
                    seen.pop_front();
                    *base = base.wrapping_add(1);
                }
                out.push_back((id, payload));
                1
            }
            Kind::Sequenced { last } => {
                *last = Some(seq);
                out.push_back((id, payload));
                1
            }
            Kind::Unordered => {
                out.push_back((id, payload));
                1
            }
        }
    }
}
