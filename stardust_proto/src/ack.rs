//! Which packets arrived: duplicate detection and the ack fields of outgoing headers.

use crate::sequence::seq_newer;

/// How far back (in packet numbers) arrivals are remembered; older packets are stale.
pub(crate) const PACKET_HISTORY: u16 = 1024;
const WORDS: usize = PACKET_HISTORY as usize / 64;

/// What happened to an incoming packet number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// First time seen: process it.
    New,
    /// Seen before.
    Duplicate,
    /// Older than the remembered history.
    Stale,
}

/// The receive history of packet numbers.
///
/// Invariant: bit `s % PACKET_HISTORY` is set iff packet `s` (within `PACKET_HISTORY` of
/// `latest`) was received; memory is a fixed 128 bytes whatever the peer sends.
#[derive(Debug, Clone)]
pub(crate) struct ReceivedPackets {
    latest: u16,
    bits: [u64; WORDS],
}

impl ReceivedPackets {
    /// A history in which the peer's first packet will be `first`.
    pub(crate) fn new(first: u16) -> ReceivedPackets {
        // Pretend the packet before `first` arrived, so `first..` are new and nothing older is
        // accepted, while the ack fields say nothing real (`ack_bits` is empty).
        let mut r = ReceivedPackets { latest: first.wrapping_sub(1), bits: [0; WORDS] };
        r.set(r.latest);
        r
    }

    fn bit(seq: u16) -> (usize, u64) {
        let i = (seq % PACKET_HISTORY) as usize;
        (i / 64, 1u64 << (i % 64))
    }

    fn set(&mut self, seq: u16) {
        let (w, m) = Self::bit(seq);
        self.bits[w] |= m;
    }

    fn clear(&mut self, seq: u16) {
        let (w, m) = Self::bit(seq);
        self.bits[w] &= !m;
    }

    fn is_set(&self, seq: u16) -> bool {
        let (w, m) = Self::bit(seq);
        self.bits[w] & m != 0
    }

    /// Classifies `seq` without recording it.
    pub(crate) fn check(&self, seq: u16) -> Arrival {
        if seq_newer(seq, self.latest) {
            return Arrival::New;
        }
        if self.latest.wrapping_sub(seq) >= PACKET_HISTORY {
            return Arrival::Stale;
        }
        if self.is_set(seq) { Arrival::Duplicate } else { Arrival::New }
    }

    /// Records `seq`, which [`check`](Self::check) classified as new.
    pub(crate) fn record(&mut self, seq: u16) {
        if seq_newer(seq, self.latest) {
            let advance = seq.wrapping_sub(self.latest);
            if advance >= PACKET_HISTORY {
                self.bits = [0; WORDS];
            } else {
                for s in 1..=advance {
                    self.clear(self.latest.wrapping_add(s));
                }
            }
            self.latest = seq;
        }
        self.set(seq);
    }

    /// The `(ack, ack_bits)` pair describing the newest 65 packet numbers.
    pub(crate) fn ack_fields(&self) -> (u16, u64) {
        let mut bits = 0u64;
        for i in 0..64u16 {
            if self.is_set(self.latest.wrapping_sub(i + 1)) {
                bits |= 1 << i;
            }
        }
        (self.latest, bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_duplicates_and_stale_packets_across_wraparound() {
        let mut r = ReceivedPackets::new(0xFFF0);
        for s in 0..40u16 {
            let seq = 0xFFF0u16.wrapping_add(s);
            if s % 3 == 0 {
                continue;
            }
            assert_eq!(r.check(seq), Arrival::New);
            r.record(seq);
            assert_eq!(r.check(seq), Arrival::Duplicate);
        }
        assert_eq!(r.check(0xFFF0), Arrival::New);
        let (ack, bits) = r.ack_fields();
        assert_eq!(ack, 0xFFF0u16.wrapping_add(38));
        assert_eq!(bits & 1, 1, "37 arrived");
        assert_eq!(bits & 2, 0, "36 is missing");
        r.record(0xFFF0u16.wrapping_add(38 + PACKET_HISTORY));
        assert_eq!(r.check(0xFFF1), Arrival::Stale);
    }
}
