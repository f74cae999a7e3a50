//! The send half of [`Session`]: messages queued per channel, packets built from acks and
//! frames in priority order, loss detection and the resend backoff.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::send_error::SendError;
use super::{ACK_IMMEDIATELY_AFTER, MAX_BACKOFF, Session};
use crate::channel::ChannelId;
use crate::wire::packet::{
    ACK_BLOCK_LEN, FRAME_HEADER_LEN, MAX_ACK_BLOCKS, MAX_DATA_ACK_BLOCKS, PACKET_HEADER_BASE_LEN,
    PacketType, encode_header,
};

impl Session {
    /// Queues a message on `channel`. Errors: unknown channel, larger than the channel's
    /// `max_size`, or the channel's queue is full (retry once the peer has caught up).
    pub fn send(&mut self, channel: ChannelId, payload: Bytes) -> Result<(), SendError> {
        let index = self.channels.index_of(channel).ok_or(SendError::UnknownChannel(channel))?;
        let config = self.channels.config_at(index);
        let max = (config.max_size as usize).min(self.fragment_size * u16::MAX as usize);
        if payload.len() > max {
            return Err(SendError::TooLarge { channel, size: payload.len(), max });
        }
        let queue = &mut self.send[index];
        let (bytes, messages) = queue.held();
        if messages >= self.config.channel_queue_messages
            || (bytes > 0 && bytes + payload.len() > self.config.channel_queue_bytes)
        {
            return Err(SendError::QueueFull(channel));
        }
        queue.push(payload, self.single_frame_max, self.fragment_size);
        self.stats.messages_sent += 1;
        Ok(())
    }

    /// The resend timeout in force: the RTT-derived RTO, doubled for each consecutive timeout
    /// during which nothing arrived from the peer (so a silent peer is not flooded), at most
    /// `max_rto`.
    pub(super) fn effective_rto(&self) -> Duration {
        (self.rtt.rto() * (1 << self.backoff)).min(self.config.max_rto.max(self.rtt.rto()))
    }

    pub(super) fn detect_lost(&mut self, now: Instant) {
        let rto = self.effective_rto();
        let send = &mut self.send;
        let lost = self.sent.detect_lost(now, rto, |piece| {
            if let Some(q) = send.get_mut(piece.channel as usize) {
                q.on_lost(piece);
            }
        });
        if lost > 0 {
            if !self.heard_since_loss {
                self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
            }
            self.heard_since_loss = false;
        }
        self.stats.packets_declared_lost += lost;
        self.stats.rto = self.effective_rto();
        self.stats.packets_lost = self.sent.lost_total;
        self.refresh_loss_stats(now);
    }

    /// Copies the fates of the data packets into the stats: the window ending at `now` and
    /// the totals.
    pub(super) fn refresh_loss_stats(&mut self, now: Instant) {
        let recent = self.sent.fates.recent(now);
        self.stats.recent = recent;
        self.stats.total = self.sent.fates.total();
        self.stats.packet_loss = recent.loss().unwrap_or(0.0);
    }

    /// Writes the next datagram to send into `buf` (cleared first); returns `false` when
    /// nothing is due. Call it until it returns `false`.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        self.now = now;
        self.detect_lost(now);
        buf.clear();
        let (in_flight, window) = (self.in_flight, self.config.send_window);
        let has_data = self.send.iter().any(|q| q.has_work(in_flight, window));
        let ack_due = self.received.owes_acks()
            && (self.ack_pending >= ACK_IMMEDIATELY_AFTER
                || self.ack_deadline.is_some_and(|d| d <= now));
        let keepalive_due =
            self.keepalive_requested || now >= self.last_sent + self.config.keepalive_interval;
        if !has_data && !ack_due && !keepalive_due {
            return false;
        }
        if keepalive_due && !has_data && !self.keepalive_requested {
            // Nothing said for a keep-alive interval: an idle peer. Give back what its busy
            // moments grew, so idle peers cost little memory.
            self.shrink();
        }
        let packet_type =
            if has_data || keepalive_due { PacketType::Data } else { PacketType::Ack };
        let max_blocks = match packet_type {
            PacketType::Data => MAX_DATA_ACK_BLOCKS,
            PacketType::Ack => {
                MAX_ACK_BLOCKS.min((self.config.mtu - PACKET_HEADER_BASE_LEN) / ACK_BLOCK_LEN)
            }
        };
        let mut blocks = std::mem::take(&mut self.blocks);
        self.received.ack_blocks(max_blocks, &mut blocks);
        encode_header(packet_type, self.next_seq, &blocks, buf);
        self.blocks = blocks;
        let mut pieces = self.sent.take_pieces();
        if packet_type == PacketType::Data {
            for &index in &self.send_order {
                let outcome = self.send[index as usize].fill(
                    index,
                    buf,
                    self.config.mtu,
                    &mut self.in_flight,
                    self.config.send_window,
                    &mut pieces,
                );
                self.stats.frames_resent += outcome.resent;
                if buf.len() + FRAME_HEADER_LEN >= self.config.mtu {
                    break;
                }
            }
        }
        self.sent.push(self.next_seq, now, packet_type == PacketType::Data, pieces);
        self.finish_transmit(now, buf.len(), true);
        true
    }

    /// Reserves the next packet number for a packet the session does not write (a sealed
    /// close): the session's own packets go on numbering after it, so every packet of this
    /// side has its own number.
    pub fn take_packet_number(&mut self) -> u16 {
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        seq
    }

    /// Makes the next [`poll_transmit`](Self::poll_transmit) send a data packet even if there
    /// is nothing to say (a keep-alive, which the peer acknowledges): how a side makes itself
    /// heard at once, e.g. to confirm a handshake.
    pub fn request_keepalive(&mut self) {
        self.keepalive_requested = true;
    }

    fn finish_transmit(&mut self, now: Instant, len: usize, carries_current_acks: bool) {
        self.keepalive_requested = false;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.last_sent = now;
        if carries_current_acks {
            self.ack_pending = 0;
            self.ack_deadline = None;
        }
        self.stats.packets_sent += 1;
        self.stats.bytes_sent += len as u64;
        self.stats.bytes_in_flight = self.in_flight;
        self.refresh_loss_stats(now);
    }
}
