//! Packets sent and not yet resolved: matched against incoming acks, declared lost after the
//! resend timeout, and kept a while longer so that a late ack still counts.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::loss_window::{Fate, LossWindow};
use super::send_queue::PieceRef;

/// Most packets tracked at once; beyond it the oldest are declared lost and forgotten. Keeps
/// memory bounded when the peer stops acknowledging.
const MAX_TRACKED: usize = 4096;
/// A packet declared lost is remembered for this many resend timeouts after it was sent, so
/// an ack that was merely slow still acknowledges its frames and still measures the RTT.
const LINGER_RTOS: u32 = 3;

#[derive(Debug)]
struct SentPacket {
    sent_at: Instant,
    ack_eliciting: bool,
    acked: bool,
    lost: bool,
    pieces: Vec<PieceRef>,
}

/// Sent packets indexed by sequence number.
///
/// Invariants: `packets[i]` is packet `base_seq + i`; every packet before index `scan` is
/// acked, lost or an ack-only packet; every data packet's fate is recorded in `fates` as it
/// changes.
#[derive(Debug)]
pub(crate) struct SentPackets {
    base_seq: u16,
    packets: VecDeque<SentPacket>,
    scan: usize,
    pool: Vec<Vec<PieceRef>>,
    /// What became of the data packets, by send time.
    pub(crate) fates: LossWindow,
    /// Data packets forgotten without ever being acknowledged.
    pub(crate) lost_total: u64,
}

impl SentPackets {
    /// An empty history whose loss window counts time from `origin`.
    pub(crate) fn new(origin: Instant) -> SentPackets {
        SentPackets {
            base_seq: 0,
            packets: VecDeque::new(),
            scan: 0,
            pool: Vec::new(),
            fates: LossWindow::new(origin),
            lost_total: 0,
        }
    }

    /// Gives back the memory no longer needed (an idle peer's): recycled piece vectors, and
    /// the records' room beyond those in flight.
    pub(crate) fn shrink(&mut self) {
        self.pool = Vec::new();
        self.packets.shrink_to_fit();
    }

    /// An empty vector for the pieces of the next packet, reusing old allocations.
    pub(crate) fn take_pieces(&mut self) -> Vec<PieceRef> {
        self.pool.pop().unwrap_or_default()
    }

    fn recycle(&mut self, mut pieces: Vec<PieceRef>) {
        if self.pool.len() < 256 {
            pieces.clear();
            self.pool.push(pieces);
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
        let packet = SentPacket { sent_at, ack_eliciting, acked: false, lost: false, pieces };
        self.packets.push_back(packet);
        if ack_eliciting {
            self.fates.record(sent_at, Fate::Sent);
        }
        self.forget(None);
    }

    /// Pops resolved packets from the front: acked and ack-only ones always, lost ones once
    /// they are older than the linger time (`Some((now, rto))`) or beyond the tracking limit.
    fn forget(&mut self, linger: Option<(Instant, Duration)>) {
        while let Some(front) = self.packets.front() {
            let lost_long_ago = front.lost
                && linger.is_some_and(|(now, rto)| front.sent_at + rto * LINGER_RTOS <= now);
            let over_limit = self.packets.len() > MAX_TRACKED && self.scan > 0;
            if !(front.acked || !front.ack_eliciting || lost_long_ago || over_limit) {
                break;
            }
            let Some(p) = self.packets.pop_front() else { break };
            self.lost_total += (p.ack_eliciting && !p.acked) as u64;
            self.recycle(p.pieces);
            self.base_seq = self.base_seq.wrapping_add(1);
            self.scan = self.scan.saturating_sub(1);
        }
    }

    /// Of the 65 packet numbers an ack block covers, `top, top - 1, …, top - 64` (bit `i`
    /// stands for `top - i`), those this history still tracks: the others are already
    /// forgotten or were never sent, and [`on_ack`](Self::on_ack) would ignore them. Lets the
    /// caller skip them; a block mostly acknowledges packets acknowledged before.
    pub(crate) fn tracked_mask(&self, top: u16) -> u128 {
        let len = self.packets.len();
        if len == 0 {
            return 0;
        }
        // `top - i` is tracked when it is at or above `base_seq` (`i <= d`) and below
        // `base_seq + len` (`i > d - len`). A `top` behind `base_seq` wraps `d` far above 64.
        let d = usize::from(top.wrapping_sub(self.base_seq));
        let (lo, hi) = ((d + 1).saturating_sub(len), d.min(64));
        if lo > hi {
            return 0;
        }
        (u128::MAX >> (128 - (hi - lo + 1))) << lo
    }

    /// Matches an ack for packet `seq`; calls `on_piece` for each reliable frame it carried.
    /// Returns when the packet was sent if this is its first ack (`None` for unknown, ack-only
    /// or already acknowledged packets).
    pub(crate) fn on_ack(
        &mut self,
        seq: u16,
        mut on_piece: impl FnMut(PieceRef),
    ) -> Option<Instant> {
        let offset = seq.wrapping_sub(self.base_seq) as usize;
        let packet = self.packets.get_mut(offset)?;
        if packet.acked || !packet.ack_eliciting {
            return None;
        }
        packet.acked = true;
        for &piece in &packet.pieces {
            on_piece(piece);
        }
        let sent_at = packet.sent_at;
        let fate = if packet.lost { Fate::LateAck } else { Fate::Acked };
        self.fates.record(sent_at, fate);
        if offset == 0 {
            self.forget(None);
        }
        Some(sent_at)
    }

    /// Declares lost every data packet unacknowledged for `rto` (or beyond the tracking
    /// limit), calling `on_piece` for each reliable frame it carried. Returns how many.
    pub(crate) fn detect_lost(
        &mut self,
        now: Instant,
        rto: Duration,
        mut on_piece: impl FnMut(PieceRef),
    ) -> u64 {
        let mut lost = 0;
        let len = self.packets.len();
        while let Some(p) = self.packets.get_mut(self.scan) {
            let over_limit = len - self.scan > MAX_TRACKED;
            if p.sent_at + rto > now && !over_limit {
                break;
            }
            if p.ack_eliciting && !p.acked && !p.lost {
                p.lost = true;
                lost += 1;
                for &piece in &p.pieces {
                    on_piece(piece);
                }
                self.fates.record(p.sent_at, Fate::Lost);
            }
            self.scan += 1;
        }
        self.forget(Some((now, rto)));
        lost
    }

    /// When `detect_lost` or the forgetting of lingering packets next has work.
    pub(crate) fn loss_deadline(&self, rto: Duration) -> Option<Instant> {
        let declare = self.packets.get(self.scan).map(|p| p.sent_at + rto);
        let forget = self.packets.front().filter(|p| p.lost).map(|p| p.sent_at + rto * LINGER_RTOS);
        declare.into_iter().chain(forget).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask against a packet-by-packet check, across wraparound and history sizes.
    #[test]
    fn tracked_mask_matches_a_packet_by_packet_check() {
        let now = Instant::now();
        for base in [0u16, 10, 0xFFC0, 0xFFFF] {
            for len in [0usize, 1, 2, 64, 65, 66, 300] {
                let mut sent = SentPackets::new(now);
                for k in 0..len {
                    sent.push(base.wrapping_add(k as u16), now, true, Vec::new());
                }
                for offset in (-80i32..400).step_by(3) {
                    let top = base.wrapping_add(offset as u16);
                    let mask = sent.tracked_mask(top);
                    for i in 0..65u16 {
                        let seq = top.wrapping_sub(i);
                        let tracked = usize::from(seq.wrapping_sub(base)) < len;
                        let bit = mask >> i & 1 == 1;
                        assert_eq!(bit, tracked, "base {base} len {len} top {top} i {i}");
                    }
                    assert_eq!(mask >> 65, 0, "no bit beyond the block");
                }
            }
        }
    }
}
