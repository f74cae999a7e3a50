//! One channel's outgoing side: queued messages split into frames, and for reliable channels
//! the frames in flight until acknowledged, resent when lost.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::channel::ChannelId;
use crate::wire::packet::{FragmentInfo, FrameHeader, encode_frame};

/// Most reliable messages a channel keeps in flight: a message is first sent only when its
/// number is less than this far ahead of the oldest unacknowledged one. The receiver relies
/// on it to tell old from new (it is well below half the 16-bit number space).
pub(crate) const MESSAGE_WINDOW: u16 = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitState {
    Unsent,
    InFlight,
    Lost,
    Acked,
}

/// One frame's worth of a message: the whole message, or one fragment.
#[derive(Debug)]
struct Unit {
    header: FrameHeader,
    payload: Bytes,
    state: UnitState,
    last_of_message: bool,
}

/// Where the reliable frames of a sent packet live, so an ack or a loss can find them: a run of
/// consecutive units of one channel (new frames are sent in id order, so a packet usually needs
/// one run per channel).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PieceRef {
    /// Index of the channel in the session's table.
    pub(crate) channel: u32,
    /// How many consecutive units, from `unit`.
    pub(crate) count: u32,
    /// The first unit's id within that channel (monotonic, never reused).
    pub(crate) unit: u64,
}

fn record(sent: &mut Vec<PieceRef>, channel: u32, unit: u64) {
    if let Some(last) = sent.last_mut()
        && last.channel == channel
        && last.unit + u64::from(last.count) == unit
    {
        last.count += 1;
        return;
    }
    sent.push(PieceRef { channel, count: 1, unit });
}

/// Counters a fill pass reports back to the session.
#[derive(Debug, Default)]
pub(crate) struct FillOutcome {
    pub(crate) frames: usize,
    pub(crate) resent: u64,
}

/// The outgoing queue of one channel.
///
/// Invariants: `units` holds, in id order starting at `base_id`, every unit not yet acked
/// (reliable) or not yet sent (unreliable); the front unit is never `Acked`; units at or
/// after `next_unsent` are `Unsent`.
#[derive(Debug)]
pub(crate) struct SendQueue {
    channel: ChannelId,
    reliable: bool,
    units: VecDeque<Unit>,
    base_id: u64,
    next_unsent: u64,
    resend: VecDeque<u64>,
    next_msg_seq: u16,
    queued_bytes: usize,
    queued_messages: usize,
}

impl SendQueue {
    pub(crate) fn new(channel: ChannelId, reliable: bool) -> SendQueue {
        SendQueue {
            channel,
            reliable,
            units: VecDeque::new(),
            base_id: 0,
            next_unsent: 0,
            resend: VecDeque::new(),
            next_msg_seq: 0,
            queued_bytes: 0,
            queued_messages: 0,
        }
    }

    /// Bytes and messages currently held (queued or unacknowledged).
    pub(crate) fn held(&self) -> (usize, usize) {
        (self.queued_bytes, self.queued_messages)
    }

    /// Whether nothing is queued or unacknowledged.
    /// Gives back the memory the queue no longer needs (an idle peer's).
    pub(crate) fn shrink(&mut self) {
        self.units.shrink_to_fit();
        self.resend.shrink_to_fit();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Queues `payload`, split into fragments of `fragment_size` bytes when it is longer than
    /// `single_frame_max`. The caller checked size and caps.
    pub(crate) fn push(&mut self, payload: Bytes, single_frame_max: usize, fragment_size: usize) {
        let msg_seq = self.next_msg_seq;
        self.next_msg_seq = msg_seq.wrapping_add(1);
        self.queued_bytes += payload.len();
        self.queued_messages += 1;
        let channel = self.channel;
        if payload.len() <= single_frame_max {
            self.units.push_back(Unit {
                header: FrameHeader { channel, msg_seq, fragment: None },
                payload,
                state: UnitState::Unsent,
                last_of_message: true,
            });
            return;
        }
        let count = payload.len().div_ceil(fragment_size) as u16;
        for index in 0..count {
            let start = index as usize * fragment_size;
            let end = (start + fragment_size).min(payload.len());
            self.units.push_back(Unit {
                header: FrameHeader {
                    channel,
                    msg_seq,
                    fragment: Some(FragmentInfo { index, count }),
                },
                payload: payload.slice(start..end),
                state: UnitState::Unsent,
                last_of_message: index + 1 == count,
            });
        }
    }

    fn unit_mut(&mut self, id: u64) -> Option<&mut Unit> {
        let offset = id.checked_sub(self.base_id)?;
        self.units.get_mut(usize::try_from(offset).ok()?)
    }

    /// Whether a fill pass into an empty packet would write something, with `in_flight` of
    /// `window` bytes used.
    pub(crate) fn has_work(&self, in_flight: usize, window: usize) -> bool {
        if !self.reliable {
            return !self.units.is_empty();
        }
        if !self.resend.is_empty() {
            return true;
        }
        self.sendable_new().is_some_and(|u| in_flight == 0 || in_flight + u.payload.len() <= window)
    }

    /// The next never-sent unit, if the message window allows sending it.
    fn sendable_new(&self) -> Option<&Unit> {
        let offset = usize::try_from(self.next_unsent - self.base_id).ok()?;
        let unit = self.units.get(offset)?;
        let oldest = self.units.front()?.header.msg_seq;
        (unit.header.msg_seq.wrapping_sub(oldest) < MESSAGE_WINDOW).then_some(unit)
    }

    /// Writes frames into `buf` while they fit under `limit` bytes: resends first, then new
    /// frames while `in_flight` stays within `window`. Reliable frames are reported to `sent`.
    pub(crate) fn fill(
        &mut self,
        index: u32,
        buf: &mut Vec<u8>,
        limit: usize,
        in_flight: &mut usize,
        window: usize,
        sent: &mut Vec<PieceRef>,
    ) -> FillOutcome {
        let mut out = FillOutcome::default();
        if !self.reliable {
            while let Some(unit) = self.units.front() {
                if buf.len() + unit.header.encoded_len() + unit.payload.len() > limit {
                    break;
                }
                encode_frame(&unit.header, &unit.payload, buf);
                self.queued_bytes -= unit.payload.len();
                self.queued_messages -= unit.last_of_message as usize;
                self.units.pop_front();
                self.base_id += 1;
                self.next_unsent = self.base_id;
                out.frames += 1;
            }
            return out;
        }
        while let Some(&id) = self.resend.front() {
            let Some(unit) = self.unit_mut(id) else {
                self.resend.pop_front();
                continue;
            };
            if unit.state != UnitState::Lost {
                self.resend.pop_front();
                continue;
            }
            if buf.len() + unit.header.encoded_len() + unit.payload.len() > limit {
                return out;
            }
            encode_frame(&unit.header, &unit.payload, buf);
            unit.state = UnitState::InFlight;
            self.resend.pop_front();
            record(sent, index, id);
            out.frames += 1;
            out.resent += 1;
        }
        while let Some(unit) = self.sendable_new() {
            let len = unit.payload.len();
            if *in_flight > 0 && *in_flight + len > window {
                break;
            }
            if buf.len() + unit.header.encoded_len() + len > limit {
                break;
            }
            let id = self.next_unsent;
            let Some(unit) = self.unit_mut(id) else { break };
            encode_frame(&unit.header, &unit.payload, buf);
            unit.state = UnitState::InFlight;
            *in_flight += len;
            self.next_unsent += 1;
            record(sent, index, id);
            out.frames += 1;
        }
        out
    }

    /// Marks the units of `piece` acknowledged; returns the payload bytes that were in flight
    /// (to leave the send window). Units already acknowledged or unknown count nothing.
    pub(crate) fn on_ack(&mut self, piece: PieceRef) -> usize {
        let mut freed = 0;
        for id in piece.unit..piece.unit + u64::from(piece.count) {
            if let Some(unit) = self.unit_mut(id)
                && matches!(unit.state, UnitState::InFlight | UnitState::Lost)
            {
                unit.state = UnitState::Acked;
                freed += unit.payload.len();
            }
        }
        while self.units.front().is_some_and(|u| u.state == UnitState::Acked) {
            if let Some(u) = self.units.pop_front() {
                self.queued_bytes -= u.payload.len();
                self.queued_messages -= u.last_of_message as usize;
            }
            self.base_id += 1;
        }
        freed
    }

    /// Marks the units of `piece` lost so the next fills resend them.
    pub(crate) fn on_lost(&mut self, piece: PieceRef) {
        for id in piece.unit..piece.unit + u64::from(piece.count) {
            if let Some(unit) = self.unit_mut(id)
                && unit.state == UnitState::InFlight
            {
                unit.state = UnitState::Lost;
                self.resend.push_back(id);
            }
        }
    }
}
