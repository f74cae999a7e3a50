//! Two [`Session`]s joined by a [`NetSim`], driven on a virtual clock.
//!
//! Include it after `netsim` from a test file:
//! `#[path = "support/netsim.rs"] mod netsim; #[path = "support/session_pair.rs"] mod session_pair;`

use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust_proto::{ChannelId, ChannelTable, Session, SessionConfig};

use crate::netsim::{LinkConfig, NetSim, Side};

/// Sender `a` and receiver `b` over a simulated link; `now` only moves forward.
pub struct SessionPair {
    /// Side A's session.
    pub a: Session,
    /// Side B's session.
    pub b: Session,
    /// The link between them.
    pub sim: NetSim,
    /// The virtual clock.
    pub now: Instant,
    /// When the pair was created.
    pub start: Instant,
    buf: Vec<u8>,
}

impl SessionPair {
    /// A pair over `link` (both directions) seeded with `seed`, using `config` on both sides.
    pub fn new(seed: u64, link: LinkConfig, channels: ChannelTable, config: SessionConfig) -> Self {
        let start = Instant::now();
        let a = Session::new(config.clone(), channels.clone(), start, 1000, 60000);
        let b = Session::new(config, channels, start, 60000, 1000);
        SessionPair { a, b, sim: NetSim::symmetric(seed, link), now: start, start, buf: Vec::new() }
    }

    /// The session on `side`.
    pub fn side(&mut self, side: Side) -> &mut Session {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// Sends everything due from both sides, delivers everything due, then advances the clock
    /// to the next event (at most `max_step` ahead).
    pub fn step(&mut self, max_step: Duration) {
        for side in [Side::A, Side::B] {
            let now = self.now;
            let mut sent = 0;
            while sent < 10_000 {
                let mut buf = std::mem::take(&mut self.buf);
                let more = self.side(side).poll_transmit(now, &mut buf);
                if more {
                    self.sim.send(side, now, &buf);
                }
                self.buf = buf;
                if !more {
                    break;
                }
                sent += 1;
            }
        }
        while let Some((to, bytes)) = self.sim.pop_due(self.now) {
            let now = self.now;
            self.side(to).handle_datagram(now, &bytes);
        }
        let next = [self.a.poll_timeout(), self.b.poll_timeout(), self.sim.next_delivery()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.now + max_step);
        let next = next.clamp(self.now, self.now + max_step);
        if next > self.now {
            self.now = next;
            let now = self.now;
            self.a.handle_timeout(now);
            self.b.handle_timeout(now);
        }
    }

    /// Steps until `done` returns true or `limit` of virtual time passes; returns whether done.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        let deadline = self.now + limit;
        let mut iterations = 0u64;
        while self.now < deadline && iterations < 50_000_000 {
            if done(self) {
                return true;
            }
            self.step(Duration::from_millis(5));
            iterations += 1;
        }
        done(self)
    }

    /// Drains side `side`'s received messages.
    pub fn drain(&mut self, side: Side) -> Vec<(ChannelId, Bytes)> {
        let s = self.side(side);
        std::iter::from_fn(|| s.poll_message()).collect()
    }
}
