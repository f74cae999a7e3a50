//! The receive half of [`Session`]: a game datagram is checked whole, then its acks and
//! frames are applied (reassembly, per-channel delivery order, memory caps).

use std::time::Instant;

use bytes::Bytes;

use super::Session;
use super::ack::Arrival;
use super::fragment::{Insert, Shape};
use super::ordering::Verdict;
use super::stats::DropReason;
use crate::channel::{Ordering, Reliability};
use crate::wire::packet::{
    FrameHeader, FrameIter, PacketError, PacketType, ack_blocks, decode_header_fields,
};

impl Session {
    /// Feeds one game datagram from the peer (its first three bytes are not `00 00 00`).
    /// Bad input is dropped and counted in [`SessionStats::drops`](super::SessionStats::drops); nothing panics.
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        self.now = now;
        if let Err(reason) = self.receive(now, datagram) {
            self.stats.drops.add(reason);
        }
    }

    fn refresh_rtt_stats(&mut self) {
        self.stats.rtt = self.rtt.smoothed();
        self.stats.rtt_variance = self.rtt.variance();
        self.stats.rto = self.effective_rto();
        self.stats.bytes_in_flight = self.in_flight;
    }

    pub(super) fn receive(&mut self, now: Instant, datagram: &[u8]) -> Result<(), DropReason> {
        if datagram.len() > self.config.max_incoming_datagram {
            return Err(DropReason::Oversized);
        }
        let (packet_type, seq, frames_at) = decode_header_fields(datagram).map_err(drop_reason)?;
        self.validate_frames(datagram, frames_at)?;
        match self.received.check(seq) {
            Arrival::New => self.received.record(seq, packet_type == PacketType::Data),
            Arrival::Duplicate => return Err(DropReason::DuplicatePacket),
            Arrival::Stale => return Err(DropReason::StalePacket),
        }
        self.last_received = now;
        // The peer is alive: resends go back to the RTT-derived timeout.
        self.heard_since_loss = true;
        self.backoff = 0;
        self.stats.packets_received += 1;
        self.stats.bytes_received += datagram.len() as u64;
        self.process_acks(now, datagram);
        self.refresh_loss_stats(now);
        if packet_type == PacketType::Data {
            self.ack_pending += 1;
            self.ack_deadline.get_or_insert(now + self.config.max_ack_delay);
            if datagram.len() > frames_at {
                let data = Bytes::copy_from_slice(datagram);
                for frame in FrameIter::new(&data, frames_at) {
                    let Ok((frame, range)) = frame else { break };
                    self.receive_frame(now, frame, data.slice(range));
                }
            }
        }
        self.sweep(now);
        Ok(())
    }

    /// Checks every frame before anything is applied, so a packet is taken whole or not at all
    /// (an acknowledged packet must never have lost a reliable frame).
    ///
    /// Memory: past `receive_buffer`, reliable frames that start a new incomplete message or
    /// wait out of order are refused; past twice that, so are fragments of messages already
    /// started. The message an ordered channel is blocked on is always taken, so the channel
    /// can drain its buffer.
    fn validate_frames(&mut self, data: &[u8], frames_at: usize) -> Result<(), DropReason> {
        let mut shapes = std::mem::take(&mut self.shapes);
        shapes.clear();
        let result = self.validate_frames_with(data, frames_at, &mut shapes);
        self.shapes = shapes;
        result
    }

    /// [`validate_frames`](Self::validate_frames), with `shapes` for the fragments of this
    /// packet checked so far (the packet may carry several of one message).
    fn validate_frames_with(
        &self,
        data: &[u8],
        frames_at: usize,
        shapes: &mut Vec<((u32, u16), Shape)>,
    ) -> Result<(), DropReason> {
        let over_soft = self.buffered > self.config.receive_buffer;
        let over_hard = self.buffered / 2 > self.config.receive_buffer;
        for frame in FrameIter::new(data, frames_at) {
            let (frame, payload) = frame.map_err(drop_reason)?;
            let index = self.channels.index_of(frame.channel).ok_or(DropReason::UnknownChannel)?;
            let config = self.channels.config_at(index);
            if payload.len() > config.max_size as usize {
                return Err(DropReason::MessageTooLarge);
            }
            // A fragment the reassembler would refuse must not ride in a packet that is then
            // acknowledged: the sender would count it delivered, and a reliable channel would
            // wait for it forever.
            if let Some(info) = frame.fragment
                && self.recv[index].verdict(frame.msg_seq) == Verdict::Fresh
            {
                let key = (index as u32, frame.msg_seq);
                let pending = shapes.iter().find(|(k, _)| *k == key).map(|(_, shape)| *shape);
                let max = config.max_size as usize;
                let shape = self
                    .reassembler
                    .check(key, info, payload.len(), max, pending)
                    .ok_or(DropReason::BadFragment)?;
                match shapes.iter_mut().find(|(k, _)| *k == key) {
                    Some(entry) => entry.1 = shape,
                    None => shapes.push((key, shape)),
                }
            }
            if over_soft && config.reliability == Reliability::Reliable {
                let recv = &self.recv[index];
                let blocked = if recv.is_next_in_order(frame.msg_seq) {
                    false
                } else if frame.fragment.is_some() {
                    over_hard || !self.reassembler.has(index as u32, frame.msg_seq)
                } else {
                    recv.would_buffer(frame.msg_seq)
                };
                if blocked && recv.verdict(frame.msg_seq) == Verdict::Fresh {
                    return Err(DropReason::BufferFull);
                }
            }
        }
        Ok(())
    }

    fn receive_frame(&mut self, now: Instant, frame: FrameHeader, payload: Bytes) {
        let Some(index) = self.channels.index_of(frame.channel) else { return };
        let config = *self.channels.config_at(index);
        let recv = &self.recv[index];
        match recv.verdict(frame.msg_seq) {
            Verdict::Fresh => {}
            Verdict::Duplicate => return self.stats.drops.add(DropReason::DuplicateMessage),
            Verdict::Stale => return self.stats.drops.add(DropReason::StaleMessage),
            Verdict::OutsideWindow => return self.stats.drops.add(DropReason::OutsideWindow),
        }
        let payload = match frame.fragment {
            None => payload,
            Some(info) => match self.reassembler.insert(
                index as u32,
                frame.msg_seq,
                info,
                payload,
                config.max_size as usize,
                config.reliability == Reliability::Reliable,
                now,
                &mut self.buffered,
                self.config.receive_buffer,
            ) {
                Insert::Complete(whole) => whole,
                Insert::Incomplete => return,
                Insert::Duplicate => return self.stats.drops.add(DropReason::DuplicateMessage),
                Insert::Bad => return self.stats.drops.add(DropReason::BadFragment),
                Insert::Full => return self.stats.drops.add(DropReason::BufferFull),
            },
        };
        let delivered = self.recv[index].accept(
            frame.msg_seq,
            payload,
            &mut self.delivered,
            &mut self.buffered,
        );
        self.stats.messages_received += delivered;
        if config.ordering == Ordering::Sequenced && !self.reassembler.is_empty() {
            let buffered = &mut self.buffered;
            self.reassembler.discard_not_newer(index as u32, frame.msg_seq, buffered);
        }
    }

    fn process_acks(&mut self, now: Instant, datagram: &[u8]) {
        for block in ack_blocks(datagram) {
            // Bit i of `acked` stands for packet `block.ack - i`; visit only the set bits of
            // packets still tracked (most of a block re-acknowledges forgotten ones).
            let mut acked =
                ((u128::from(block.ack_bits) << 1) | 1) & self.sent.tracked_mask(block.ack);
            while acked != 0 {
                let i = acked.trailing_zeros() as u16;
                acked &= acked - 1;
                let (send, in_flight) = (&mut self.send, &mut self.in_flight);
                let first_ack = self.sent.on_ack(block.ack.wrapping_sub(i), |piece| {
                    if let Some(q) = send.get_mut(piece.channel as usize) {
                        *in_flight = in_flight.saturating_sub(q.on_ack(piece));
                    }
                });
                // Every packet's first ack leaves the peer within its ack delay of arrival, so
                // each one is an RTT sample (sampling only the newest would favour packets
                // that jitter delivered early).
                if let Some(sent_at) = first_ack {
                    self.rtt.sample(now.saturating_duration_since(sent_at));
                }
            }
        }
        self.refresh_rtt_stats();
    }
}

fn drop_reason(error: PacketError) -> DropReason {
    match error {
        PacketError::Truncated => DropReason::Truncated,
        PacketError::ZeroMessage => DropReason::ZeroMessage,
        PacketError::UnknownType(_) => DropReason::UnknownType,
        PacketError::BadFragment { .. } => DropReason::BadFragment,
        _ => DropReason::Malformed,
    }
}
