//! Which packets arrived: duplicate detection, and the ack blocks that tell the peer.
//!
//! Every packet received is acknowledged in (at least) two ack blocks, so one lost ack does
//! not cause a resend. The first block of every outgoing packet names the newest packet; the
//! others cover older packets still owed an ack, which matters when heavy reordering delivers
//! packets far behind the newest (beyond what one 65-packet block can describe).

use super::sequence::seq_newer;
use crate::wire::packet::AckBlock;

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

/// A fixed ring of 1024 bits, indexed by packet number.
#[derive(Debug, Clone, Copy, Default)]
struct Bits([u64; WORDS]);

impl Bits {
    fn pos(seq: u16) -> (usize, u64) {
        let i = (seq % PACKET_HISTORY) as usize;
        (i / 64, 1u64 << (i % 64))
    }
    fn set(&mut self, seq: u16) {
        let (w, m) = Self::pos(seq);
        self.0[w] |= m;
    }
    fn clear(&mut self, seq: u16) {
        let (w, m) = Self::pos(seq);
        self.0[w] &= !m;
    }
    fn get(&self, seq: u16) -> bool {
        let (w, m) = Self::pos(seq);
        self.0[w] & m != 0
    }
    /// The 65 bits for `lo..=lo + 64`: bit `j` is `lo + j`.
    fn read65(&self, lo: u16) -> u128 {
        let p = (lo % PACKET_HISTORY) as usize;
        let (w, o) = (p / 64, p % 64);
        let pair = u128::from(self.0[w]) | u128::from(self.0[(w + 1) % WORDS]) << 64;
        (pair >> o) & WINDOW65
    }
    /// Clears (or sets) the bits of `lo..=lo + 64` selected by `mask` (bit `j` is `lo + j`).
    fn update65(&mut self, lo: u16, mask: u128, set: bool) {
        let p = (lo % PACKET_HISTORY) as usize;
        let (w, o) = (p / 64, p % 64);
        let shifted = mask << o; // o + 65 <= 128: nothing is lost
        for (k, part) in [(w, shifted as u64), ((w + 1) % WORDS, (shifted >> 64) as u64)] {
            if set {
                self.0[k] |= part;
            } else {
                self.0[k] &= !part;
            }
        }
    }
}

const WINDOW65: u128 = (1 << 65) - 1;

/// The receive history of packet numbers and the acks still owed.
///
/// Invariants: for `seq` within `PACKET_HISTORY` of `latest`, `received` says whether it
/// arrived, and `owed_twice`/`owed_once` say how many more ack blocks should cover it; bits
/// outside that range are clear. Memory is fixed whatever the peer sends.
#[derive(Debug, Clone)]
pub(crate) struct ReceivedPackets {
    latest: u16,
    /// Whether any packet was recorded: until one is, there is nothing to acknowledge.
    heard: bool,
    received: Bits,
    owed_twice: Bits,
    owed_once: Bits,
    owed: usize,
}

impl ReceivedPackets {
    /// A history in which the peer's first packet will be `first`.
    pub(crate) fn new(first: u16) -> ReceivedPackets {
        // `first - 1` counts as received so that only `first..` is new; it is never
        // acknowledged (no ack block is written before a packet is recorded).
        let mut r = ReceivedPackets {
            latest: first.wrapping_sub(1),
            heard: false,
            received: Bits::default(),
            owed_twice: Bits::default(),
            owed_once: Bits::default(),
            owed: 0,
        };
        r.received.set(r.latest);
        r
    }

    fn in_history(&self, seq: u16) -> bool {
        self.latest.wrapping_sub(seq) < PACKET_HISTORY
    }

    /// Classifies `seq` without recording it.
    pub(crate) fn check(&self, seq: u16) -> Arrival {
        if seq_newer(seq, self.latest) {
            Arrival::New
        } else if !self.in_history(seq) {
            Arrival::Stale
        } else if self.received.get(seq) {
            Arrival::Duplicate
        } else {
            Arrival::New
        }
    }

    /// Records `seq`, which [`check`](Self::check) classified as new; `needs_ack` for data
    /// packets (ack-only packets are remembered for duplicate detection but never owed an ack).
    pub(crate) fn record(&mut self, seq: u16, needs_ack: bool) {
        self.heard = true;
        if seq_newer(seq, self.latest) {
            let advance = seq.wrapping_sub(self.latest).min(PACKET_HISTORY);
            for s in 1..=advance {
                let s = seq.wrapping_sub(advance - s);
                self.received.clear(s);
                self.owed -= (self.owed_twice.get(s) || self.owed_once.get(s)) as usize;
                self.owed_twice.clear(s);
                self.owed_once.clear(s);
            }
            self.latest = seq;
        }
        self.received.set(seq);
        if needs_ack {
            self.owed_twice.set(seq);
            self.owed += 1;
        }
    }

    /// Whether some received packet is still owed an ack.
    pub(crate) fn owes_acks(&self) -> bool {
        self.owed > 0
    }

    /// The block whose newest packet is `top`, recording that it acknowledged its packets once.
    fn block(&mut self, top: u16) -> AckBlock {
        // Only packets still in the history may be reported: older ring bits belong to newer
        // packet numbers.
        let below = 64.min(PACKET_HISTORY - 1 - self.latest.wrapping_sub(top)) as u32;
        let lo = top.wrapping_sub(64);
        let in_range = (WINDOW65 >> (64 - below)) << (64 - below);
        let received = self.received.read65(lo) & in_range;
        let twice = self.owed_twice.read65(lo) & received;
        let once = self.owed_once.read65(lo) & received;
        self.owed_twice.update65(lo, twice, false);
        self.owed_once.update65(lo, once, false);
        self.owed_once.update65(lo, twice, true);
        self.owed -= once.count_ones() as usize;
        AckBlock { ack: top, ack_bits: (received as u64).reverse_bits() }
    }

    /// The newest packet still owed an ack at or below `below` (going down) and still in the
    /// history. Scans a word (64 packet numbers) at a time: at most 17 words, usually one.
    fn newest_owed(&self, below: u16) -> Option<u16> {
        let age = self.latest.wrapping_sub(below);
        if age >= PACKET_HISTORY {
            return None;
        }
        // Packet numbers `below`, `below - 1`, … that are still in the history.
        let mut remaining = u32::from(PACKET_HISTORY - age);
        let mut seq = below;
        while remaining > 0 {
            let position = (seq % PACKET_HISTORY) as usize;
            let (word, bit) = (position / 64, (position % 64) as u32);
            // Bits `bit - take + 1 ..= bit` of this word are `seq - take + 1 ..= seq`.
            let take = (bit + 1).min(remaining);
            let mask = (u64::MAX >> (64 - take)) << (bit + 1 - take);
            let owed = (self.owed_twice.0[word] | self.owed_once.0[word]) & mask;
            if owed != 0 {
                let newest = 63 - owed.leading_zeros();
                return Some(seq.wrapping_sub((bit - newest) as u16));
            }
            remaining -= take;
            seq = seq.wrapping_sub(take as u16);
        }
        None
    }

    /// Fills `out` with up to `max` ack blocks: the newest packet first, then older packets
    /// still owed an ack.
    pub(crate) fn ack_blocks(&mut self, max: usize, out: &mut Vec<AckBlock>) {
        out.clear();
        if max == 0 || !self.heard {
            return;
        }
        let first = self.block(self.latest);
        out.push(first);
        let mut below = self.latest.wrapping_sub(65);
        while out.len() < max && self.owed > 0 {
            let Some(top) = self.newest_owed(below) else { break };
            out.push(self.block(top));
            below = top.wrapping_sub(65);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acked(blocks: &[AckBlock], seq: u16) -> bool {
        blocks.iter().any(|b| {
            let d = b.ack.wrapping_sub(seq);
            d == 0 || (1..=64).contains(&d) && b.ack_bits & (1 << (d - 1)) != 0
        })
    }

    #[test]
    fn detects_duplicates_and_stale_packets_across_wraparound() {
        let mut r = ReceivedPackets::new(0xFFF0);
        for s in 0..40u16 {
            let seq = 0xFFF0u16.wrapping_add(s);
            if s % 3 == 0 {
                continue;
            }
            assert_eq!(r.check(seq), Arrival::New);
            r.record(seq, true);
            assert_eq!(r.check(seq), Arrival::Duplicate);
        }
        assert_eq!(r.check(0xFFF0), Arrival::New);
        let mut blocks = Vec::new();
        r.ack_blocks(1, &mut blocks);
        assert_eq!(blocks[0].ack, 0xFFF0u16.wrapping_add(38));
        assert!(acked(&blocks, 0xFFF0u16.wrapping_add(37)));
        assert!(!acked(&blocks, 0xFFF0u16.wrapping_add(36)));
        r.record(0xFFF0u16.wrapping_add(38 + PACKET_HISTORY), true);
        assert_eq!(r.check(0xFFF1), Arrival::Stale);
    }

    /// The word-at-a-time scan against a packet-by-packet one, at every word offset and
    /// across wraparound.
    #[test]
    fn newest_owed_matches_a_packet_by_packet_scan() {
        let naive = |r: &ReceivedPackets, below: u16| {
            (0..PACKET_HISTORY)
                .map(|k| below.wrapping_sub(k))
                .take_while(|&s| r.in_history(s))
                .find(|&s| r.owed_twice.get(s) || r.owed_once.get(s))
        };
        for latest in [0u16, 63, 64, 1000, 1023, 1024, 0xFFF0, 0xFFFF] {
            let mut r = ReceivedPackets::new(latest.wrapping_sub(1500));
            for k in [1500u16, 1400, 1100, 800, 700, 640, 300, 130, 129, 70, 65, 3, 0] {
                r.record(latest.wrapping_sub(k), true);
            }
            for below in (0..1100u16).map(|k| latest.wrapping_sub(k)) {
                assert_eq!(r.newest_owed(below), naive(&r, below), "latest {latest} below {below}");
            }
        }
    }

    #[test]
    fn late_packets_far_behind_the_newest_are_acked_twice() {
        let mut r = ReceivedPackets::new(0);
        r.record(500, true);
        r.record(100, true);
        let mut blocks = Vec::new();
        r.ack_blocks(4, &mut blocks);
        assert!(acked(&blocks, 500) && acked(&blocks, 100));
        r.ack_blocks(4, &mut blocks);
        assert!(acked(&blocks, 100), "second ack of the late packet");
        assert!(!r.owes_acks());
        r.ack_blocks(4, &mut blocks);
        assert_eq!(blocks.len(), 1, "only the newest block once everything is acked twice");
    }

    /// Against a plain set of received numbers, over random arrivals with gaps, reordering far
    /// behind the newest and wraparound: a block never acknowledges a packet that did not
    /// arrive, and every packet that arrived is acknowledged at least twice.
    #[test]
    fn blocks_never_ack_unreceived_packets_and_ack_everything_received_twice() {
        let mut rng = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let first = 65_000u16;
        let mut r = ReceivedPackets::new(first);
        let mut received = std::collections::HashSet::new();
        let mut acks = std::collections::HashMap::<u16, u32>::new();
        let mut newest = 0u32; // offset from `first`
        let mut blocks = Vec::new();
        for step in 0..20_000u32 {
            let offset = if next() % 4 == 0 {
                newest.saturating_sub((next() % 900) as u32)
            } else {
                newest += 1 + (next() % 3) as u32;
                newest
            };
            let seq = first.wrapping_add(offset as u16);
            if r.check(seq) == Arrival::New {
                assert!(received.insert(offset) || newest - offset >= 1024);
                r.record(seq, true);
            }
            if step % 3 == 0 {
                r.ack_blocks(1 + (next() % 8) as usize, &mut blocks);
                for b in &blocks {
                    for i in 0..=64u16 {
                        if i > 0 && b.ack_bits & (1 << (i - 1)) == 0 {
                            continue;
                        }
                        let seq = b.ack.wrapping_sub(i);
                        if seq == first.wrapping_sub(1) {
                            continue;
                        }
                        let back = u32::from(r.latest.wrapping_sub(seq));
                        let off =
                            newest.checked_sub(back).expect("acked a packet before the first");
                        assert!(received.contains(&off), "acked {seq} which never arrived");
                        *acks.entry(seq).or_default() += 1;
                    }
                }
            }
        }
        while r.owes_acks() {
            r.ack_blocks(MAX_BLOCKS_FOR_TEST, &mut blocks);
            for b in &blocks {
                for i in 0..=64u16 {
                    if i == 0 || b.ack_bits & (1 << (i - 1)) != 0 {
                        *acks.entry(b.ack.wrapping_sub(i)).or_default() += 1;
                    }
                }
            }
        }
        for off in received.iter().filter(|&&off| newest - off < 1024) {
            let seq = first.wrapping_add(*off as u16);
            assert!(acks.get(&seq).copied().unwrap_or(0) >= 2, "{seq} acked fewer than twice");
        }
    }

    const MAX_BLOCKS_FOR_TEST: usize = 32;
}
