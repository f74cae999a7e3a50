//! Packets sent and not yet resolved: matched against incoming acks, declared lost after the
//! resend timeout.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::send_queue::PieceRef;

/// Most packets tracked at once; beyond it the oldest is declared lost. Keeps memory bounded
/// when the peer stops acknowledging.
const MAX_TRACKED: usize = 4096;

#[derive(Debug)]
struct SentPacket {
    sent_at: Instant,
    ack_eliciting: bool,
    acked: bool,
    pieces: Vec<PieceRef>,
}

/// The outcome of matching one ack against the tracked packets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Acked {
    /// When the packet was sent (for an RTT sample).
    pub(crate) sent_at: Instant,
    /// Whether it was a data packet (counts toward the loss estimate).
    pub(crate) ack_eliciting: bool,
}

/// Sent packets indexed by sequence number.
///
/// Invariant: `packets[i]` is packet `base_seq + i`; the front is never acked or an ack-only
/// packet (those are popped as soon as they reach it).
#[derive(Debug, Default)]
pub(crate) struct SentPackets {
    base_seq: u16,
    packets: VecDeque<SentPacket>,
    pool: Vec<Vec<PieceRef>>,
}

impl SentPackets {
    /// An empty vector for the pieces of the next packet, reusing old allocations.
    pub(crate) fn take_pieces(&mut self) -> Vec<PieceRef> {
        self.pool.pop().unwrap_or_default()
    }

    /// Returns an unused pieces vector to the pool.
    pub(crate) fn recycle_pieces(&mut self, pieces: Vec<PieceRef>) {
        Self::recycle(&mut self.pool, pieces);
    }

    fn recycle(pool: &mut Vec<Vec<PieceRef>>, mut pieces: Vec<PieceRef>) {
        if pool.len() < 256 {
            pieces.clear();
            pool.push(pieces);
        }
    }

    /// Records packet `seq`, which must be one past the last recorded packet.
    pub(crate) fn push(
        &mut self,
        seq: u16,
        sent_at: Instant,
        ack_eliciting: bool,
        pieces: Vec<PieceRef>,
    ) {
        if self.packets.is_empty() {
            self.base_seq = seq;
        }
        debug_assert_eq!(seq, self.base_seq.wrapping_add(self.packets.len() as u16));
        self.packets.push_back(SentPacket { sent_at, ack_eliciting, acked: false, pieces });
        self.trim();
    }

    fn trim(&mut self) {
        while self.packets.front().is_some_and(|p| p.acked || !p.ack_eliciting) {
            if let Some(p) = self.packets.pop_front() {
                Self::recycle(&mut self.pool, p.pieces);
            }
            self.base_seq = self.base_seq.wrapping_add(1);
        }
    }

    /// Matches an ack for packet `seq`; calls `on_piece` for each reliable frame it carried.
    /// Returns `None` if the packet is unknown or was already acknowledged.
    pub(crate) fn on_ack(&mut self, seq: u16, mut on_piece: impl FnMut(PieceRef)) -> Option<Acked> {
        let offset = seq.wrapping_sub(self.base_seq) as usize;
        let packet = self.packets.get_mut(offset)?;
        if packet.acked {
            return None;
        }
        packet.acked = true;
        for &piece in &packet.pieces {
            on_piece(piece);
        }
        let acked = Acked { sent_at: packet.sent_at, ack_eliciting: packet.ack_eliciting };
        if offset == 0 {
            self.trim();
        }
        Some(acked)
    }

    /// Declares lost every packet unacknowledged for `rto` (or beyond the tracking limit),
    /// calling `on_piece` for each reliable frame it carried. Returns how many were lost.
    pub(crate) fn detect_lost(
        &mut self,
        now: Instant,
        rto: Duration,
        mut on_piece: impl FnMut(PieceRef),
    ) -> u64 {
        let mut lost = 0;
        while let Some(front) = self.packets.front() {
            let expired = front.sent_at + rto <= now || self.packets.len() > MAX_TRACKED;
            if !expired {
                break;
            }
            if let Some(p) = self.packets.pop_front() {
                for &piece in &p.pieces {
                    on_piece(piece);
                }
                Self::recycle(&mut self.pool, p.pieces);
            }
            self.base_seq = self.base_seq.wrapping_add(1);
            lost += 1;
            self.trim();
        }
        lost
    }

    /// When the oldest unresolved data packet will be declared lost.
    pub(crate) fn loss_deadline(&self, rto: Duration) -> Option<Instant> {
        self.packets.front().map(|p| p.sent_at + rto)
    }
}
