//! The conditioner's state at one port or link end: the generator, the datagrams held back
//! each way, and the counters.

use std::time::Instant;

use super::fate::{ConditionerRng, decide};
use super::held::Held;
use super::{ConditionerStats, Conditions, DirectionStats, NetworkConditioner};

/// Spare buffers kept for held datagrams, so steady conditioned traffic reuses its copies.
const MAX_SPARE: usize = 256;

/// The conditioner of one port (UDP) or one link end, `A` being what a datagram is addressed
/// with (a `SocketAddr`, or `()` on a link). Made only while conditions are set: an
/// unconditioned transport holds `None` and pays one branch per datagram.
///
/// Invariant: a datagram handed in comes out (at once or later) as many times as its
/// [`Fate`](super::fate::Fate) says, and is counted once in its direction's `offered` of the
/// [`ConditionerStats`] passed with it (the owner keeps them, so they outlive the conditioner).
#[derive(Debug)]
pub(crate) struct DatagramConditioner<A> {
    settings: NetworkConditioner,
    stream: u64,
    rng: ConditionerRng,
    inbound: Held<(A, Vec<u8>)>,
    outbound: Held<(A, Vec<u8>)>,
    spare: Vec<Vec<u8>>,
}

impl<A: Copy> DatagramConditioner<A> {
    /// A conditioner applying `settings`, drawing from stream `stream` of its seed (or of the
    /// operating system's randomness without one).
    pub(crate) fn new(settings: &NetworkConditioner, stream: u64) -> Self {
        Self {
            settings: *settings,
            stream,
            rng: rng_for(settings, stream),
            inbound: Held::default(),
            outbound: Held::default(),
            spare: Vec::new(),
        }
    }

    /// Applies `settings` from now on; datagrams already held keep their due times. A new
    /// seed restarts the generator.
    pub(crate) fn set(&mut self, settings: &NetworkConditioner) {
        if settings.seed != self.settings.seed {
            self.rng = rng_for(settings, self.stream);
        }
        self.settings = *settings;
    }

    /// Applies `settings` to the conditioner in `slot`: makes it when they are the first
    /// conditions set (drawing from stream `next_stream` of their seed, then counted up, so
    /// each conditioner of a transport has a stream of its own), updates it otherwise. Off
    /// conditions on an empty slot leave it empty: a port without conditions pays nothing.
    pub(crate) fn apply(
        slot: &mut Option<Box<Self>>,
        settings: &NetworkConditioner,
        next_stream: &mut u64,
    ) {
        match slot.as_deref_mut() {
            Some(conditioner) => conditioner.set(settings),
            None if settings.is_active() => {
                *slot = Some(Box::new(Self::new(settings, *next_stream)));
                *next_stream += 1;
            }
            None => {}
        }
    }

    /// Whether it holds nothing and has nothing to apply: its owner may drop it.
    pub(crate) fn is_idle(&self) -> bool {
        !self.settings.is_active() && self.inbound.is_empty() && self.outbound.is_empty()
    }

    /// Datagrams held back now, both ways.
    pub(crate) fn held(&self) -> usize {
        self.inbound.len() + self.outbound.len()
    }

    /// A datagram received from `from` at `now`: hands it to `deliver` at once, holds copies
    /// of it for later, or drops it, as the inbound conditions decide, counting in `stats`.
    /// The copies are taken before `deliver` sees the bytes, which it may change (a sealed
    /// packet is opened in place).
    pub(crate) fn inbound(
        &mut self,
        now: Instant,
        from: A,
        bytes: &mut [u8],
        stats: &mut ConditionerStats,
        deliver: impl FnOnce(A, &mut [u8]),
    ) {
        let Self { settings, rng, inbound, spare, .. } = self;
        let at_once =
            hold(&settings.inbound, rng, inbound, spare, &mut stats.inbound, now, from, bytes);
        if at_once {
            deliver(from, bytes);
        }
    }

    /// The inbound decision for a caller that cannot lend itself to a closure: holds the
    /// copies due later and returns whether the caller passes `bytes` on now.
    pub(crate) fn admit_inbound(
        &mut self,
        now: Instant,
        from: A,
        bytes: &[u8],
        stats: &mut ConditionerStats,
    ) -> bool {
        let Self { settings, rng, inbound, spare, .. } = self;
        hold(&settings.inbound, rng, inbound, spare, &mut stats.inbound, now, from, bytes)
    }

    /// The outbound decision for a caller that cannot lend itself to a closure: holds the
    /// copies due later and returns whether the caller sends `bytes` now.
    pub(crate) fn admit_outbound(
        &mut self,
        now: Instant,
        to: A,
        bytes: &[u8],
        stats: &mut ConditionerStats,
    ) -> bool {
        let Self { settings, rng, outbound, spare, .. } = self;
        hold(&settings.outbound, rng, outbound, spare, &mut stats.outbound, now, to, bytes)
    }

    /// The earliest held inbound datagram due at `now`, taken out; give its buffer back with
    /// [`recycle`](Self::recycle).
    pub(crate) fn pop_inbound(&mut self, now: Instant) -> Option<(A, Vec<u8>)> {
        self.inbound.pop_due(now)
    }

    /// Keeps `buffer` for a later copy.
    pub(crate) fn recycle(&mut self, buffer: Vec<u8>) {
        recycle(&mut self.spare, buffer);
    }

    /// Hands every held inbound datagram due at `now` to `deliver`, earliest first.
    pub(crate) fn release_inbound(&mut self, now: Instant, mut deliver: impl FnMut(A, &mut [u8])) {
        while let Some((from, mut bytes)) = self.inbound.pop_due(now) {
            deliver(from, &mut bytes);
            recycle(&mut self.spare, bytes);
        }
    }

    /// A datagram to send to `to` at `now`: hands it to `send` at once, holds copies for
    /// later, or drops it, as the outbound conditions decide, counting in `stats`.
    pub(crate) fn outbound(
        &mut self,
        now: Instant,
        to: A,
        bytes: &[u8],
        stats: &mut ConditionerStats,
        send: impl FnOnce(A, &[u8]),
    ) {
        let Self { settings, rng, outbound, spare, .. } = self;
        let at_once =
            hold(&settings.outbound, rng, outbound, spare, &mut stats.outbound, now, to, bytes);
        if at_once {
            send(to, bytes);
        }
    }

    /// Hands every held outbound datagram due at `now` to `send`, earliest first.
    pub(crate) fn release_outbound(&mut self, now: Instant, mut send: impl FnMut(A, &[u8])) {
        while let Some((to, bytes)) = self.outbound.pop_due(now) {
            send(to, &bytes);
            recycle(&mut self.spare, bytes);
        }
    }
}

fn rng_for(settings: &NetworkConditioner, stream: u64) -> ConditionerRng {
    match settings.seed {
        Some(seed) => ConditionerRng::new(seed, stream),
        None => ConditionerRng::from_os(stream),
    }
}

/// Decides one datagram's fate and holds the copies due later; returns whether one copy goes
/// on at once (the caller passes the original bytes on).
#[expect(clippy::too_many_arguments, reason = "the borrowed parts of one conditioner")]
fn hold<A: Copy>(
    conditions: &Conditions,
    rng: &mut ConditionerRng,
    held: &mut Held<(A, Vec<u8>)>,
    spare: &mut Vec<Vec<u8>>,
    stats: &mut DirectionStats,
    now: Instant,
    addr: A,
    bytes: &[u8],
) -> bool {
    stats.offered += 1;
    let fate = decide(conditions, rng, now);
    match fate.copies {
        0 => stats.dropped += 1,
        2 => stats.duplicated += 1,
        _ => {}
    }
    let mut at_once = false;
    for &due in fate.copies() {
        if due <= now && !at_once {
            at_once = true;
            continue;
        }
        let mut copy = spare.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(bytes);
        held.push(due, (addr, copy));
        stats.delayed += 1;
    }
    at_once
}

fn recycle(spare: &mut Vec<Vec<u8>>, buffer: Vec<u8>) {
    if spare.len() < MAX_SPARE {
        spare.push(buffer);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn delayed_datagrams_come_out_when_due_and_intact() {
        let settings = NetworkConditioner {
            inbound: Conditions { latency: Duration::from_millis(20), ..Conditions::default() },
            seed: Some(5),
            ..NetworkConditioner::OFF
        };
        let mut conditioner = DatagramConditioner::new(&settings, 0);
        let now = Instant::now();
        let mut stats = ConditionerStats::default();
        let mut out = Vec::new();
        for i in 0..10u8 {
            conditioner.inbound(now, i, &mut [i, i], &mut stats, |_, _| {
                panic!("latency holds every datagram")
            });
        }
        conditioner.release_inbound(now + Duration::from_millis(19), |_, b| out.push(b.to_vec()));
        assert!(out.is_empty());
        conditioner.release_inbound(now + Duration::from_millis(20), |_, b| out.push(b.to_vec()));
        assert_eq!(out, (0..10u8).map(|i| vec![i, i]).collect::<Vec<_>>());
        assert_eq!(stats.inbound.delayed, 10);
        assert_eq!(stats.inbound.offered, 10);
    }

    #[test]
    fn duplicates_are_copies_taken_before_delivery_changes_the_bytes() {
        let settings = NetworkConditioner {
            outbound: Conditions { duplicate: 1.0, ..Conditions::default() },
            seed: Some(5),
            ..NetworkConditioner::OFF
        };
        let mut conditioner = DatagramConditioner::new(&settings, 0);
        let now = Instant::now();
        let mut stats = ConditionerStats::default();
        let mut sent = Vec::new();
        conditioner.outbound(now, (), b"once", &mut stats, |_, b| sent.push(b.to_vec()));
        conditioner.release_outbound(now, |_, b| sent.push(b.to_vec()));
        assert_eq!(sent, [b"once".to_vec(), b"once".to_vec()]);
        let mut settings_in = settings;
        settings_in.inbound = settings.outbound;
        conditioner.set(&settings_in);
        let mut seen = Vec::new();
        conditioner.inbound(now, (), &mut b"open".to_vec(), &mut stats, |_, b| {
            seen.push(b.to_vec());
            b.fill(0);
        });
        conditioner.release_inbound(now, |_, b| seen.push(b.to_vec()));
        assert_eq!(seen, [b"open".to_vec(), b"open".to_vec()]);
        assert_eq!((stats.outbound.duplicated, stats.inbound.duplicated), (1, 1));
    }

    #[test]
    fn turned_off_it_is_idle_once_its_held_datagrams_are_out() {
        let on = NetworkConditioner {
            outbound: Conditions { latency: Duration::from_millis(5), ..Conditions::default() },
            seed: Some(1),
            ..NetworkConditioner::OFF
        };
        let mut conditioner = DatagramConditioner::new(&on, 0);
        let now = Instant::now();
        conditioner.outbound(now, (), b"late", &mut ConditionerStats::default(), |_, _| {});
        conditioner.set(&NetworkConditioner::OFF);
        assert!(!conditioner.is_idle(), "a held datagram is still owed");
        let mut sent = 0;
        conditioner.release_outbound(now + Duration::from_millis(5), |_, _| sent += 1);
        assert_eq!(sent, 1);
        assert!(conditioner.is_idle());
    }
}
