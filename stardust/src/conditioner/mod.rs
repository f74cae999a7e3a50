//! A network conditioner a game can switch on: loss, latency, jitter and duplication, per
//! direction, applied to datagrams below anything the protocol does, on the UDP and the link
//! transport.
//!
//! Set it in [`UdpConfig::conditioner`](crate::udp::UdpConfig::conditioner), or insert or
//! change the [`NetworkConditioner`] resource at any time (the transports read it when it
//! changes). It applies to every transport of the App that holds it:
//!
//! ```
//! use std::time::Duration;
//! use bevy::prelude::*;
//! use stardust::prelude::*;
//!
//! let mut app = App::new();
//! app.add_plugins((StardustPlugin, LinkPlugin));
//! // 20 % loss and 50 ± 10 ms each way, the same every run.
//! let bad = Conditions {
//!     loss: 0.2,
//!     latency: Duration::from_millis(50),
//!     jitter: Duration::from_millis(10),
//!     ..Conditions::default()
//! };
//! app.insert_resource(NetworkConditioner::both_ways(bad).with_seed(7));
//! // … and back to a perfect network later:
//! *app.world_mut().resource_mut::<NetworkConditioner>() = NetworkConditioner::OFF;
//! ```
//!
//! **Where it acts.** On UDP, in each port's I/O: inbound conditions right after the socket
//! receive, before the protocol engine sees the datagram; outbound conditions right after the
//! engine produced a datagram, before the socket send. A datagram held back waits in a queue
//! with its due time and is released by the first receive (inbound) or send (outbound) phase
//! at or after that time, so the delay is rounded up to the App's frame. The listen port's
//! handshake traffic is not conditioned on the listening side (a connecting App's conditioner
//! covers its whole handshake), nor are the goodbye closes a dropped transport sends.
//!
//! On the link, which is otherwise a reliable in-memory message pipe, a conditioned link
//! carries datagrams instead: from the first frame either App on it has conditions set, both
//! ends run the protocol engine's reliability layer ([`Session`](crate::proto::Session):
//! acks, resends, ordering, fragments) over an in-memory datagram pipe and condition those
//! datagrams exactly as a UDP port would, so reliable channels still lose nothing and
//! unreliable ones lose what the network loses. The link's hello and close stay on the
//! reliable pipe (they stand for a handshake the link does not have); the close waits until
//! everything reliable sent before it was acknowledged (at most 2 s). Once switched to
//! datagrams a link stays so, even if the conditions are later cleared.
//!
//! **What it costs off.** Nothing is allocated; each port and each link pays one branch per
//! datagram or frame. Turned on, a held datagram costs one buffer, reused afterwards.
//!
//! **Reproducible.** With a [`seed`](NetworkConditioner::seed), every port and link end
//! draws from its own stream of that seed (in the order they were made), so a run repeats
//! its decisions; without one it is seeded from the operating system's randomness.
//!
//! The decision itself is pure (`fate.rs`: given the conditions, a generator and the time,
//! drop, pass, duplicate or delay); `held.rs` is the due-time queue, `datagrams.rs` the state
//! of one port or link end.

mod datagrams;
mod fate;
mod held;

use std::time::Duration;

use bevy::ecs::resource::Resource;

pub(crate) use self::datagrams::DatagramConditioner;

/// What the network does to datagrams going one way. [`Conditions::default`] does nothing.
///
/// Probabilities are fractions: `0.2` is 20 %. Values outside `[0, 1]` are clamped, NaN
/// counts as 0.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Conditions {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram that is not lost arrives twice (each copy with its own
    /// delay).
    pub duplicate: f64,
    /// Delay added to every datagram.
    pub latency: Duration,
    /// Each datagram's delay is `latency` plus a uniform offset in `[-jitter, +jitter]`
    /// (never below zero). Datagrams whose delays cross arrive reordered.
    pub jitter: Duration,
}

impl Conditions {
    /// Whether these conditions change anything.
    pub fn is_active(&self) -> bool {
        self.loss_fraction() > 0.0
            || self.duplicate_fraction() > 0.0
            || !self.latency.is_zero()
            || !self.jitter.is_zero()
    }

    /// [`loss`](Self::loss) clamped to `[0, 1]` (NaN: 0).
    pub fn loss_fraction(&self) -> f64 {
        clamp_fraction(self.loss)
    }

    /// [`duplicate`](Self::duplicate) clamped to `[0, 1]` (NaN: 0).
    pub fn duplicate_fraction(&self) -> f64 {
        clamp_fraction(self.duplicate)
    }
}

fn clamp_fraction(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

/// The network conditions an App's transports apply to their datagrams (see the [module
/// documentation](self)). A resource: the UDP and link plugins insert it (off unless
/// [`UdpConfig::conditioner`](crate::udp::UdpConfig::conditioner) says otherwise), and the
/// transports apply a change from the next frame on. Off by default.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default)]
pub struct NetworkConditioner {
    /// Applied to datagrams this App receives.
    pub inbound: Conditions,
    /// Applied to datagrams this App sends.
    pub outbound: Conditions,
    /// Seeds the decisions, so a run repeats them; `None` seeds from the operating system.
    pub seed: Option<u64>,
}

impl NetworkConditioner {
    /// No conditions: datagrams go through untouched, and nothing is allocated.
    pub const OFF: Self = Self {
        inbound: Conditions {
            loss: 0.0,
            duplicate: 0.0,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
        },
        outbound: Conditions {
            loss: 0.0,
            duplicate: 0.0,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
        },
        seed: None,
    };

    /// The same `conditions` on datagrams received and sent: a datagram between this App and
    /// an unconditioned one meets them once, whichever way it goes.
    pub fn both_ways(conditions: Conditions) -> Self {
        Self { inbound: conditions, outbound: conditions, seed: None }
    }

    /// These conditions with their decisions seeded by `seed`.
    pub fn with_seed(self, seed: u64) -> Self {
        Self { seed: Some(seed), ..self }
    }

    /// Whether any condition is set, either way.
    pub fn is_active(&self) -> bool {
        self.inbound.is_active() || self.outbound.is_active()
    }
}

/// What a conditioner did to the datagrams going one way. Counters only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// Datagrams handed to the conditioner.
    pub offered: u64,
    /// Datagrams it dropped (lost).
    pub dropped: u64,
    /// Datagrams it sent on twice.
    pub duplicated: u64,
    /// Copies it held back for later (delayed).
    pub delayed: u64,
}

/// What the conditioner of one UDP port or link end did, each way
/// (see [`UdpPortStats::conditioner`](crate::udp::UdpPortStats::conditioner) and
/// [`Link::conditioner_stats`](crate::link::Link::conditioner_stats)). All zero while it was
/// never on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConditionerStats {
    /// Datagrams received.
    pub inbound: DirectionStats,
    /// Datagrams sent.
    pub outbound: DirectionStats,
}

impl ConditionerStats {
    /// Adds `other`'s counters to these (to sum over ports).
    pub fn add(&mut self, other: &ConditionerStats) {
        for (mine, theirs) in
            [(&mut self.inbound, &other.inbound), (&mut self.outbound, &other.outbound)]
        {
            mine.offered += theirs.offered;
            mine.dropped += theirs.dropped;
            mine.duplicated += theirs.duplicated;
            mine.delayed += theirs.delayed;
        }
    }
}
