//! A deterministic simulated network between two endpoints `A` and `B`.
//!
//! Seeded, virtual-clock, no threads: datagrams sent at `now` are delivered at
//! `now + latency ± jitter` (jitter reorders them), or lost, or duplicated, per
//! direction. The same seed and the same calls give the same deliveries, always.
//!
//! Include it from a test file with `#[path = "support/netsim.rs"] mod netsim;`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// One end of the simulated link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// The first endpoint (by convention the connecting side).
    A,
    /// The second endpoint (by convention the listening side).
    B,
}

impl Side {
    /// The other end.
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// Impairments of one direction of the link.
#[derive(Debug, Clone, Copy)]
pub struct LinkConfig {
    /// Probability in `0.0..=1.0` that a datagram is dropped.
    pub loss: f64,
    /// Probability in `0.0..=1.0` that a delivered datagram arrives twice (each copy with its own delay).
    pub duplicate: f64,
    /// Base one-way delay.
    pub latency: Duration,
    /// Uniform extra delay in `-jitter..=+jitter` (clamped at zero); reorders datagrams.
    pub jitter: Duration,
}

impl LinkConfig {
    /// A perfect link with `latency` and nothing else.
    pub fn clean(latency: Duration) -> LinkConfig {
        LinkConfig { loss: 0.0, duplicate: 0.0, latency, jitter: Duration::ZERO }
    }

    /// The stress link: 20% loss, 5% duplication, 50 ± 40 ms (reordering through jitter).
    pub fn harsh() -> LinkConfig {
        LinkConfig {
            loss: 0.20,
            duplicate: 0.05,
            latency: Duration::from_millis(50),
            jitter: Duration::from_millis(40),
        }
    }
}

/// Counters of what the simulated link did, per direction `[A→B, B→A]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimStats {
    /// Datagrams handed to `send`.
    pub sent: [u64; 2],
    /// Datagrams dropped by the loss model.
    pub lost: [u64; 2],
    /// Extra copies created by the duplication model.
    pub duplicated: [u64; 2],
    /// Datagrams handed out by `pop_due`.
    pub delivered: [u64; 2],
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    deliver_at: Instant,
    order: u64,
    to: Side,
    bytes: Vec<u8>,
}

/// The simulated network.
pub struct NetSim {
    rng: SplitMix64,
    a_to_b: LinkConfig,
    b_to_a: LinkConfig,
    queue: BinaryHeap<Reverse<InFlight>>,
    next_order: u64,
    /// What the link did so far.
    pub stats: SimStats,
}

impl NetSim {
    /// A network with the given impairments per direction, seeded with `seed`.
    pub fn new(seed: u64, a_to_b: LinkConfig, b_to_a: LinkConfig) -> NetSim {
        NetSim {
            rng: SplitMix64(seed),
            a_to_b,
            b_to_a,
            queue: BinaryHeap::new(),
            next_order: 0,
            stats: SimStats::default(),
        }
    }

    /// The same impairments both ways.
    pub fn symmetric(seed: u64, link: LinkConfig) -> NetSim {
        NetSim::new(seed, link, link)
    }

    /// Changes the impairments of the direction starting at `from`, for datagrams sent from
    /// now on (an outage, a recovery).
    #[allow(dead_code, reason = "the session tests change links; the connection tests do not")]
    pub fn set_link(&mut self, from: Side, link: LinkConfig) {
        match from {
            Side::A => self.a_to_b = link,
            Side::B => self.b_to_a = link,
        }
    }

    /// Hands a datagram from `from` to the network at time `now`.
    pub fn send(&mut self, from: Side, now: Instant, datagram: &[u8]) {
        let dir = from as usize;
        let link = match from {
            Side::A => self.a_to_b,
            Side::B => self.b_to_a,
        };
        self.stats.sent[dir] += 1;
        if self.rng.chance(link.loss) {
            self.stats.lost[dir] += 1;
            return;
        }
        let copies = if self.rng.chance(link.duplicate) {
            self.stats.duplicated[dir] += 1;
            2
        } else {
            1
        };
        for _ in 0..copies {
            let delay = self.delay(&link);
            let order = self.next_order;
            self.next_order += 1;
            self.queue.push(Reverse(InFlight {
                deliver_at: now + delay,
                order,
                to: from.other(),
                bytes: datagram.to_vec(),
            }));
        }
    }

    /// When the next datagram arrives, if any is in flight.
    pub fn next_delivery(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse(d)| d.deliver_at)
    }

    /// The next datagram due at or before `now`: `(destination, bytes)`.
    pub fn pop_due(&mut self, now: Instant) -> Option<(Side, Vec<u8>)> {
        if self.next_delivery()? > now {
            return None;
        }
        let Reverse(d) = self.queue.pop()?;
        self.stats.delivered[d.to.other() as usize] += 1;
        Some((d.to, d.bytes))
    }

    /// A value from the simulator's seeded generator, for tests that need more randomness
    /// (payload sizes, send times) from the same seed.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn delay(&mut self, link: &LinkConfig) -> Duration {
        let jitter = link.jitter.as_micros() as i64;
        let offset = if jitter == 0 {
            0
        } else {
            (self.rng.next_u64() % (2 * jitter as u64 + 1)) as i64 - jitter
        };
        let micros = (link.latency.as_micros() as i64 + offset).max(0);
        Duration::from_micros(micros as u64)
    }
}

/// SplitMix64: tiny, seedable, good enough for a network model, and the same everywhere.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        p > 0.0 && unit < p
    }
}
