//! Feeds an `Opener` arbitrary datagrams and the packets of a `Sealer` with the same key and
//! connection id (and of one with another key), delivered in any order and any number of
//! times, truncated, extended, with a bit flipped or another connection id, and across gaps of
//! thousands of packet numbers (so the 16-bit wire number wraps).
//!
//! Checks: nothing panics; a datagram that is not byte for byte a packet of the right sealer
//! never opens, and changes nothing; no packet opens twice; an untampered packet opens, to
//! exactly what was sealed, with its full number, flagged newest exactly when no higher number
//! opened before, unless it is older than the replay window or too far from the newest for its
//! 16-bit number to name it.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use stardust_fuzz::{Input, flip_bit};
use stardust_proto::crypto::{Opener, REPLAY_WINDOW, Sealer};
use stardust_proto::sealed::{SEAL_OVERHEAD, SEALED};

/// Most packets one input may seal: enough to wrap the 16-bit number once, few enough
/// that an input stays fast.
const MAX_SEALED: u64 = 70_000;
/// Sealed packets kept for delivery; older ones are dropped, as a network would.
const POOL: usize = 64;
/// How far from the next expected number a 16-bit wire number surely names the right packet
/// (half the number space, less one for the boundary, which may go either way).
const NAMEABLE: u64 = 0x7FFF;

struct Packet {
    pn: u64,
    plain: Vec<u8>,
    wire: Vec<u8>,
}

struct Run {
    cid: u64,
    sealer: Sealer,
    stranger: Sealer,
    opener: Opener,
    pool: Vec<Packet>,
    opened: HashSet<u64>,
    largest: Option<u64>,
    out: Vec<u8>,
}

impl Run {
    /// Seals the sealer's next packet: `kind`, its number, `body`.
    fn seal(&mut self, kind: u8, body: &[u8]) -> Packet {
        let pn = self.sealer.next_pn();
        let mut plain = vec![kind];
        plain.extend_from_slice(&(pn as u16).to_be_bytes());
        plain.extend_from_slice(body);
        let mut wire = Vec::new();
        assert!(self.sealer.seal(&plain, &mut wire), "a well-numbered packet did not seal");
        assert_eq!(wire.len(), plain.len() + SEAL_OVERHEAD);
        assert_eq!(self.sealer.next_pn(), pn + 1);
        Packet { pn, plain, wire }
    }

    /// Whether an untampered packet numbered `pn` must open now.
    fn must_open(&self, pn: u64) -> bool {
        let expected = self.largest.map_or(0, |largest| largest + 1);
        let in_window = self.largest.is_none_or(|l| pn > l || l - pn < REPLAY_WINDOW);
        !self.opened.contains(&pn) && in_window && pn.abs_diff(expected) < NAMEABLE
    }

    fn deliver_genuine(&mut self, at: usize) {
        let Packet { pn, ref plain, ref wire } = self.pool[at];
        let must_open = self.must_open(pn);
        match self.opener.open(wire, &mut self.out) {
            Ok(opened) => {
                assert_eq!(opened.pn, pn, "opened under another number");
                assert_eq!(&self.out, plain, "opened to other bytes than were sealed");
                assert!(self.opened.insert(pn), "packet {pn} opened twice");
                assert_eq!(opened.newest, self.largest.is_none_or(|l| pn > l), "wrong newest");
                self.largest = Some(self.largest.map_or(pn, |l| l.max(pn)));
            }
            Err(error) => assert!(!must_open, "packet {pn} did not open: {error}"),
        }
    }

    /// Anything that is not exactly one of the sealer's packets.
    fn deliver_forged(&mut self, datagram: &[u8]) {
        // Only a byte-for-byte copy of a kept packet may open (the fuzzer cannot compute a
        // tag, but it can be handed back a packet it saw).
        if let Some(at) = self.pool.iter().position(|p| p.wire == datagram) {
            return self.deliver_genuine(at);
        }
        let result = self.opener.open(datagram, &mut self.out);
        assert!(result.is_err(), "a forged or altered datagram opened: {result:?}");
    }

    fn pick(&self, input: &mut Input) -> Option<usize> {
        (!self.pool.is_empty()).then(|| usize::from(input.u8()) % self.pool.len())
    }
}

/// What the fuzzer can make happen.
impl Run {
    /// A packet sealed and kept for delivery.
    fn send(&mut self, input: &mut Input) {
        let kind = input.u8();
        let packet = self.seal(kind, input.body());
        if self.pool.len() == POOL {
            self.pool.remove(0);
        }
        self.pool.push(packet);
    }

    /// Packets sealed and lost in a row; and a misnumbered packet, which must be refused
    /// without using a number up.
    fn lose(&mut self, input: &mut Input) {
        // Gaps are short but for one byte value, half the number space, so that the wrap is
        // reached without every input paying for it.
        let gap = match input.u8() {
            0xFF => 0x8000,
            n => u64::from(n) * 8,
        };
        let gap = gap.min(MAX_SEALED.saturating_sub(self.sealer.next_pn()));
        let next = self.sealer.next_pn();
        let wrong = [0x01, (next as u16 ^ 0x8000).to_be_bytes()[0], 0];
        assert!(!self.sealer.seal(&wrong, &mut Vec::new()), "a misnumbered packet sealed");
        assert_eq!(self.sealer.next_pn(), next, "a refused seal used up a number");
        for _ in 0..gap {
            self.seal(0x01, &[]);
        }
    }

    /// A kept packet delivered as it is, and kept for another delivery or not.
    fn deliver(&mut self, input: &mut Input) {
        let Some(at) = self.pick(input) else { return };
        self.deliver_genuine(at);
        if input.bool() {
            self.pool.remove(at);
        }
    }

    /// A kept packet delivered altered: a bit flipped, cut short, extended, or another cid.
    fn deliver_altered(&mut self, input: &mut Input) {
        let Some(at) = self.pick(input) else { return };
        let mut altered = self.pool[at].wire.clone();
        match input.u8() % 4 {
            0 => flip_bit(&mut altered, usize::from(input.u16())),
            1 => altered.truncate(usize::from(input.u16()) % altered.len()),
            2 => altered.push(input.u8()),
            _ => {
                let other = self.cid ^ input.u64().max(1);
                altered[1..9].copy_from_slice(&other.to_be_bytes());
            }
        }
        self.deliver_forged(&altered);
    }

    /// A packet sealed with another key: same shape, same cid.
    fn deliver_stranger(&mut self, input: &mut Input) {
        let pn = self.stranger.next_pn();
        let mut plain = vec![input.u8()];
        plain.extend_from_slice(&(pn as u16).to_be_bytes());
        plain.extend_from_slice(input.body());
        let mut wire = Vec::new();
        if self.stranger.seal(&plain, &mut wire) {
            self.deliver_forged(&wire);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let key = input.array32();
    let cid = input.u64();
    let mut other_key = key;
    other_key[0] ^= 1;
    let mut run = Run {
        cid,
        sealer: Sealer::new(&key, cid),
        stranger: Sealer::new(&other_key, cid),
        opener: Opener::new(&key, cid),
        pool: Vec::new(),
        opened: HashSet::new(),
        largest: None,
        out: Vec::new(),
    };
    while !input.is_empty() {
        match input.u8() % 7 {
            0 => run.send(&mut input),
            1 => run.lose(&mut input),
            2 => run.deliver(&mut input),
            3 => run.deliver_altered(&mut input),
            4 => {
                let body = input.body();
                run.deliver_forged(body);
            }
            5 => {
                let datagram = [&[SEALED][..], &run.cid.to_be_bytes(), input.body()].concat();
                run.deliver_forged(&datagram);
            }
            _ => run.deliver_stranger(&mut input),
        }
    }
});
