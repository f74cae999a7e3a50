//! A conditioned link: the protocol engine's reliability layer over an in-memory datagram
//! pipe, with the network conditioner on those datagrams.
//!
//! The plain link hands messages over whole and loses nothing, so there is nothing for a
//! conditioner to act on "below the protocol". Once conditioned, each end runs a
//! [`Session`] (acks, resends, ordering, sequencing, fragments: what a UDP connection runs
//! after its handshake) and the pipe carries the session's datagrams, which the conditioner
//! drops, duplicates and delays. Reliable channels then lose nothing because the session
//! repairs the losses, as it does on a real network.

use std::time::{Duration, Instant};

use bytes::Bytes;
use stardust_proto::{ChannelTable, SendError, Session, SessionConfig};

use crate::channel::{ChannelId, ChannelRegistry};
use crate::conditioner::{ConditionerStats, DatagramConditioner, NetworkConditioner};
use crate::peer::PeerStats;

/// How long a closing end waits for its reliable messages to be acknowledged before it sends
/// the close anyway (as [`UdpConfig::close_linger`](crate::udp::UdpConfig::close_linger)).
pub(super) const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Most datagrams an end sends in one frame, so a bug can never spin a frame forever.
const MAX_DATAGRAMS_PER_FRAME: usize = 100_000;

/// One end's state once its link carries datagrams.
#[derive(Debug)]
pub(super) struct LinkSession {
    session: Session,
    /// The conditioner, while conditions are set or datagrams are held.
    conditioner: Option<Box<DatagramConditioner<()>>>,
    stats: ConditionerStats,
    /// Messages taken from the outbox that a full channel queue refused, for the next frame.
    waiting: Vec<(ChannelId, Bytes)>,
    /// The datagram being written by the session.
    buf: Vec<u8>,
    /// When this end started closing.
    closing_since: Option<Instant>,
}

/// Why the session cannot be made: the registry's channels do not form a valid table.
#[derive(Debug)]
pub(super) struct NoChannelTable;

impl LinkSession {
    /// A session over the channels of `registry`. Both ends start their packet numbers at
    /// 0, which is what each expects of the other (there is no handshake to exchange them).
    pub(super) fn new(registry: &ChannelRegistry, now: Instant) -> Result<Self, NoChannelTable> {
        let table = ChannelTable::new(registry.iter().map(|entry| (entry.id, entry.config)))
            .map_err(|_| NoChannelTable)?;
        Ok(Self {
            session: Session::new(SessionConfig::default(), table, now, 0, 0),
            conditioner: None,
            stats: ConditionerStats::default(),
            waiting: Vec::new(),
            buf: Vec::new(),
            closing_since: None,
        })
    }

    /// Follows the App's conditions: makes the conditioner when they are first set, drawing
    /// from `stream` of their seed.
    pub(super) fn condition(&mut self, settings: &NetworkConditioner, stream: u64) {
        match self.conditioner.as_deref_mut() {
            Some(conditioner) => conditioner.set(settings),
            None if settings.is_active() => {
                self.conditioner = Some(Box::new(DatagramConditioner::new(settings, stream)));
            }
            None => {}
        }
    }

    /// What the conditioner did so far.
    pub(super) fn conditioner_stats(&self) -> ConditionerStats {
        self.stats
    }

    /// A datagram from the pipe: through the inbound conditions, then to the session; then
    /// every message the session now has, in its channel's order, to `deliver`.
    pub(super) fn receive(
        &mut self,
        now: Instant,
        mut datagram: Vec<u8>,
        peer_stats: &mut PeerStats,
        deliver: impl FnMut(ChannelId, Bytes),
    ) {
        peer_stats.bytes_received += datagram.len() as u64;
        let Self { session, conditioner, stats, .. } = self;
        match conditioner.as_deref_mut() {
            None => session.handle_datagram(now, &datagram),
            Some(held) => held.inbound(now, (), &mut datagram, stats, |(), bytes| {
                session.handle_datagram(now, bytes);
            }),
        }
        self.drain_messages(deliver);
    }

    /// The end of a receive pass: inbound datagrams now due go to the session, timers run,
    /// and received messages go to `deliver`.
    pub(super) fn settle(&mut self, now: Instant, deliver: impl FnMut(ChannelId, Bytes)) {
        if let Some(held) = self.conditioner.as_deref_mut() {
            let session = &mut self.session;
            held.release_inbound(now, |(), bytes| session.handle_datagram(now, bytes));
        }
        self.run_timers(now);
        self.drain_messages(deliver);
    }

    fn drain_messages(&mut self, mut deliver: impl FnMut(ChannelId, Bytes)) {
        while let Some((channel, payload)) = self.session.poll_message() {
            deliver(channel, payload);
        }
    }

    fn run_timers(&mut self, now: Instant) {
        if self.session.poll_timeout().is_some_and(|due| due <= now) {
            self.session.handle_timeout(now);
        }
    }

    /// The send pass: hands `outgoing` (after the messages still waiting) to the session,
    /// runs its timers, and passes every datagram it produces, and every held one now due,
    /// through the outbound conditions to `send`. Returns how many messages the session
    /// refused for good (unknown channel or oversize; the runtime checks both before).
    pub(super) fn transmit(
        &mut self,
        now: Instant,
        outgoing: impl Iterator<Item = (ChannelId, Bytes)>,
        peer_stats: &mut PeerStats,
        mut send: impl FnMut(Vec<u8>),
    ) -> u64 {
        self.waiting.extend(outgoing);
        let mut taken = 0;
        let mut refused = 0;
        for (channel, payload) in &self.waiting {
            match self.session.send(*channel, payload.clone()) {
                Ok(()) => {}
                Err(SendError::QueueFull(_)) => break,
                Err(_) => refused += 1,
            }
            taken += 1;
        }
        self.waiting.drain(..taken);
        self.run_timers(now);
        let Self { session, conditioner, stats, buf, .. } = self;
        let mut out = |bytes: &[u8]| {
            peer_stats.bytes_sent += bytes.len() as u64;
            send(bytes.to_vec());
        };
        if let Some(held) = conditioner.as_deref_mut() {
            held.release_outbound(now, |(), bytes| out(bytes));
        }
        for _ in 0..MAX_DATAGRAMS_PER_FRAME {
            if !session.poll_transmit(now, buf) {
                break;
            }
            match conditioner.as_deref_mut() {
                None => out(buf),
                Some(held) => held.outbound(now, (), buf, stats, |(), bytes| out(bytes)),
            }
        }
        if conditioner.as_deref().is_some_and(DatagramConditioner::is_idle) {
            *conditioner = None;
        }
        let session_stats = session.stats();
        peer_stats.rtt = Some(session_stats.rtt);
        peer_stats.packet_loss = session_stats.packet_loss as f32;
        refused
    }

    /// Whether a closing end may send its close now: everything reliable it sent was
    /// acknowledged, or it waited [`CLOSE_LINGER`] since it started closing.
    pub(super) fn may_close(&mut self, now: Instant) -> bool {
        let since = *self.closing_since.get_or_insert(now);
        (self.waiting.is_empty() && self.session.is_flushed()) || now >= since + CLOSE_LINGER
    }
}
