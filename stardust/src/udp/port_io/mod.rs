//! Per-port I/O: one bound port with its peers, the unit of parallel work.
//!
//! A [`PortIo`] owns its socket, its counters and its peers ([`PortPeers`], the record of who
//! is behind each source address, in `peers.rs`), each a [`PeerSlot`] holding the peer's
//! protocol engine (`slot.rs`), and nothing else, so the receive and send phases run one
//! task per port with no lock: each task has `&mut` to its own port only. The ECS is touched
//! afterwards, in a short serial pass that swaps buffers with the peer components.

mod buffers;
mod peers;
mod refusals;
mod retired;
mod slot;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use stardust_proto::crypto::ResetKey;
use stardust_proto::sealed::{SEALED_MIN_LEN, sealed_cid};
use stardust_proto::{ConnectionEvent, ReasonCode, Received};

pub(crate) use self::buffers::{BufferShape, Buffers};
pub(crate) use self::peers::PortPeers;
#[cfg(test)]
pub(crate) use self::peers::tests::slot_with;
use self::retired::Retired;
pub(crate) use self::slot::PeerSlot;
use super::socket::{self, PortSocket, SendBatch, Sender, UdpPortStats};
use crate::conditioner::{DatagramConditioner, NetworkConditioner};

/// Receive batches taken per port per frame at most, so a flood cannot hold a frame forever.
const MAX_RECV_BATCHES: usize = 64;
/// Stateless resets a peer port sends per second at most, whatever it receives: each is
/// smaller than its cause, and the budget keeps the port from being a reflector at any rate.
pub(crate) const RESETS_PER_SECOND: u32 = 256;

/// Which half of the frame a port runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// [`PortIo::read`] then [`PortIo::settle`].
    Receive,
    /// [`PortIo::transmit`].
    Transmit,
}

/// A bound port, the peers it carries, and its reusable buffers.
#[derive(Debug)]
pub(crate) struct PortIo {
    socket: PortSocket,
    /// The port's own buffers (peer ports), or `None` for a client port, which borrows the
    /// buffers of the task that runs it: client ports are many and carry few peers each.
    own: Option<Box<Buffers>>,
    peers: PortPeers,
    stats: UdpPortStats,
    /// A listener's peer port answers packets of connections it does not know with a
    /// stateless reset; client ports never do.
    resets: Option<ResetBudget>,
    /// The network conditioner of this port, while one is on or still holds datagrams;
    /// `None` (the default) costs one branch per datagram.
    conditioner: Option<Box<DatagramConditioner<SocketAddr>>>,
}

/// What a peer port needs to answer unknown connections: the listener's reset key, and a
/// budget refilled every second.
#[derive(Debug)]
struct ResetBudget {
    key: ResetKey,
    left: u32,
    refill: Option<Instant>,
    /// Two bytes of filler per reset, varied so resets do not all look alike.
    filler: u16,
    /// Connections that ended here lately: not answered.
    retired: Retired,
}

impl ResetBudget {
    fn take(&mut self, now: Instant) -> bool {
        if self.refill.is_none_or(|at| now >= at) {
            self.left = RESETS_PER_SECOND;
            self.refill = Some(now + Duration::from_secs(1));
        }
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        self.filler = self.filler.wrapping_mul(31).wrapping_add(7);
        true
    }
}

/// What routing a received datagram to its peer's engine needs, borrowed from the port for
/// one read.
struct Route<'a> {
    socket: &'a PortSocket,
    peers: &'a mut PortPeers,
    resets: &'a mut Option<ResetBudget>,
    send: &'a mut SendBatch,
    scratch: &'a mut Vec<u8>,
}

impl Route<'_> {
    /// Feeds `bytes` from `from` to the engine of the peer behind it as arrived at `now`; a
    /// datagram from an unknown source is dropped and counted, and a sealed one answered with
    /// a stateless reset (within the budget) on a port that does so.
    fn deliver(
        &mut self,
        now: Instant,
        from: SocketAddr,
        bytes: &mut [u8],
        stats: &mut UdpPortStats,
    ) {
        let Some(index) = self.peers.route(from, bytes) else {
            stats.dropped_unknown_source += 1;
            let reset = self.resets.as_mut().filter(|_| bytes.len() >= SEALED_MIN_LEN);
            if let (Some(budget), Some(cid)) = (reset, sealed_cid(bytes))
                && !budget.retired.contains(cid, now)
                && budget.take(now)
            {
                budget.key.write_reset(cid, budget.filler.to_be_bytes(), self.scratch);
                stats.resets_sent += 1;
                Sender::new(self.socket, self.send, stats).push(from, self.scratch);
            }
            return;
        };
        let Some(slot) = self.peers.get_mut(index) else { return };
        // Opened where it lies: no copy, and no buffer kept per connection.
        let received = slot.conn_mut().handle_datagram_mut(now, bytes);
        // A secure peer follows its newest authenticated packet to a new address.
        if received == (Received::Authenticated { newest: true }) && slot.remote() != from {
            self.peers.migrate(index, from);
        }
    }
}

impl PortIo {
    /// A port over `socket` with buffers of its own (`Some`), or borrowing them per phase.
    pub(crate) fn new(socket: PortSocket, own: Option<Buffers>) -> Self {
        Self {
            socket,
            own: own.map(Box::new),
            peers: PortPeers::default(),
            stats: UdpPortStats::default(),
            resets: None,
            conditioner: None,
        }
    }

    /// Makes this port answer sealed packets of connections it does not know with a stateless
    /// reset derived from `key` (a listener's peer port).
    pub(crate) fn answer_unknown_with_resets(&mut self, key: ResetKey) {
        self.resets = Some(ResetBudget {
            key,
            left: 0,
            refill: None,
            filler: 0,
            retired: Retired::default(),
        });
    }

    /// Applies `settings` to this port's datagrams from now on: makes the port's conditioner
    /// when they are the first conditions set, drawing from stream `next_stream` of their
    /// seed (then counted up, so each conditioner of a transport has a stream of its own).
    pub(crate) fn condition(&mut self, settings: &NetworkConditioner, next_stream: &mut u64) {
        DatagramConditioner::apply(&mut self.conditioner, settings, next_stream);
    }

    /// Datagrams the port's conditioner holds back now, both ways.
    pub(crate) fn conditioner_held(&self) -> usize {
        self.conditioner.as_deref().map_or(0, DatagramConditioner::held)
    }

    /// The bound port number.
    pub(crate) fn port(&self) -> u16 {
        self.socket.port()
    }

    /// The bound socket.
    pub(crate) fn socket(&self) -> &PortSocket {
        &self.socket
    }

    /// The port's counters.
    pub(crate) fn stats(&self) -> UdpPortStats {
        self.stats
    }

    /// The peers of this port and who is behind each address.
    pub(crate) fn peers(&self) -> &PortPeers {
        &self.peers
    }

    pub(crate) fn peers_mut(&mut self) -> &mut PortPeers {
        &mut self.peers
    }

    /// Removes every finished peer, yielding each to `removed`; on a port that answers
    /// unknown connections with resets, their ids are retired first (see [`Retired`]).
    pub(crate) fn remove_finished(&mut self, now: Instant, mut removed: impl FnMut(&PeerSlot)) {
        let Self { peers, resets, .. } = self;
        peers.remove_finished(|slot| {
            if let (Some(budget), Some(cid)) = (resets.as_mut(), slot.cid()) {
                budget.retired.retire(cid, now);
            }
            removed(slot);
        });
    }

    /// Runs `phase` with the port's own buffers, or `shared` for a port without any.
    pub(crate) fn run(&mut self, phase: Phase, now: Instant, shared: Option<&mut Buffers>) {
        match phase {
            Phase::Receive => {
                self.read(now, shared);
                self.settle(now);
            }
            Phase::Transmit => self.transmit(now, shared),
        }
    }

    /// The first half of the receive phase: hands reported refusals to the connections being
    /// set up (a client port, while it reads them), then takes the waiting datagrams off the
    /// socket (bounded) with the port's own buffers, or `shared`, and feeds each to the engine
    /// of the peer behind its source as arrived at `now` (through the network conditioner when
    /// one is on, which may drop or hold some and release earlier ones now due). Unknown
    /// sources are dropped and counted. Returns how many datagrams the socket gave; the
    /// buffers are left empty.
    pub(crate) fn read(&mut self, now: Instant, shared: Option<&mut Buffers>) -> usize {
        // Reported refusals first: reading them clears the socket's pending error, which
        // would otherwise fail the receive below (see `refusals.rs`).
        self.take_refusals(now);
        let mut own = self.own.take();
        let Some(buffers) = own.as_deref_mut().or(shared) else { return 0 };
        let Self { socket, peers, stats, resets, conditioner, .. } = self;
        let Buffers { recv, send, scratch } = buffers;
        let socket: &PortSocket = socket;
        let mut route = Route { socket, peers, resets, send, scratch };
        let read = socket::receive(socket, recv, stats, MAX_RECV_BATCHES, |from, bytes, stats| {
            match conditioner.as_deref_mut() {
                None => route.deliver(now, from, bytes, stats),
                Some(conditioner) => {
                    let mut counts = stats.conditioner;
                    conditioner.inbound(now, from, bytes, &mut counts, |from, bytes| {
                        route.deliver(now, from, bytes, stats);
                    });
                    stats.conditioner = counts;
                }
            }
        });
        if let Some(held) = conditioner.as_deref_mut() {
            held.release_inbound(now, |from, bytes| route.deliver(now, from, bytes, stats));
            if held.is_idle() {
                *conditioner = None;
            }
        }
        if route.resets.is_some() {
            Sender::new(socket, route.send, stats).flush();
        }
        self.own = own;
        read
    }

    /// The second half of the receive phase, after the last [`read`](Self::read): runs the
    /// engines' due timers and moves received messages and events into the slots.
    pub(crate) fn settle(&mut self, now: Instant) {
        for slot in self.peers.iter_mut() {
            slot.settle(now);
        }
        self.collect_events();
    }

    /// The send phase of this port: sends the conditioner's held datagrams now due, hands
    /// each peer's pending messages to its engine, runs due timers, and sends every datagram
    /// the engines produce (through the conditioner when one is on) in batches, with the
    /// port's own buffers or `shared`. With shared buffers, what the OS would not take now is
    /// dropped (they must be empty for the next port; the engines resend reliable data);
    /// own buffers keep it for the next frame.
    fn transmit(&mut self, now: Instant, shared: Option<&mut Buffers>) {
        let mut own = self.own.take();
        let keep_unsent = own.is_some();
        let Some(Buffers { send, scratch, .. }) = own.as_deref_mut().or(shared) else { return };
        let Self { socket, peers, stats, conditioner, .. } = self;
        let mut dropped_messages = 0;
        let mut counts = stats.conditioner;
        let mut sender = Sender::new(socket, send, stats);
        if let Some(held) = conditioner.as_deref_mut() {
            held.release_outbound(now, |to, bytes| sender.push(to, bytes));
        }
        let mut room = true;
        for slot in peers.iter_mut() {
            dropped_messages += slot.prepare_transmit(now);
            // A full OS buffer: the engines keep what they could not send (reliable data is
            // resent), and the next frame tries again.
            while room {
                room = sender.has_room();
                if !room || !slot.conn_mut().poll_transmit(now, scratch) {
                    break;
                }
                match conditioner.as_deref_mut() {
                    None => sender.push(slot.remote(), scratch),
                    Some(held) => {
                        held.outbound(now, slot.remote(), scratch, &mut counts, |to, b| {
                            sender.push(to, b);
                        })
                    }
                }
            }
        }
        sender.flush();
        if !keep_unsent {
            sender.discard_unsent();
        }
        if conditioner.as_deref().is_some_and(DatagramConditioner::is_idle) {
            *conditioner = None;
        }
        self.stats.conditioner = counts;
        self.stats.dropped_messages += dropped_messages;
        self.own = own;
        self.collect_events();
    }

    /// Ends every connection of this port at once, sending each peer that may still be sent
    /// to its close with `code` (the goodbye when the transport is dropped), `close_copies`
    /// times back to back, with the port's own buffers or `shared`. Best effort: nothing is
    /// resent, and there is no time left to space the copies out.
    pub(crate) fn say_goodbye(&mut self, code: ReasonCode, shared: &mut Buffers) {
        let mut own = self.own.take();
        let Buffers { send, scratch, .. } = own.as_deref_mut().unwrap_or(shared);
        let mut sender = Sender::new(&self.socket, send, &mut self.stats);
        for slot in self.peers.iter_mut() {
            if slot.conn_mut().abort(code, scratch) {
                for _ in 0..slot.conn().config().close_copies.max(1) {
                    sender.push(slot.remote(), scratch);
                }
            }
        }
        sender.flush();
        sender.discard_unsent();
        self.own = own;
    }

    /// Moves the engines' events into their slots. An outgoing peer's accept moves it to its
    /// assigned remote port and, when it is the port's only peer, connects the socket to it
    /// (see [`PortSocket::connect`]: cheaper sends, and the kernel drops every other source,
    /// the peer's listen port included, whose part is over). A connected port takes no
    /// further peer (see `ClientPorts::open`).
    fn collect_events(&mut self) {
        let alone = self.peers.len() == 1;
        for index in 0..self.peers.len() {
            let Some(slot) = self.peers.get_mut(index) else { break };
            let mut connected_to = None;
            let cid = slot.conn().cid();
            while let Some(event) = slot.poll_event() {
                if let (ConnectionEvent::Connected { port }, Some(listen)) =
                    (&event, slot.listen_addr())
                {
                    connected_to = Some(SocketAddr::new(listen.ip(), *port));
                }
                slot.keep_event(event);
            }
            let Some(data) = connected_to else { continue };
            match cid {
                Some(cid) => {
                    // Another connection of this port has that id (2^-64): this one then
                    // hears nothing and times out rather than take the other's packets.
                    self.peers.connected(index, cid, data);
                }
                None => {
                    self.peers.move_to(index, data);
                }
            }
            let remote = self.peers.get_mut(index).map(|slot| slot.remote());
            if let (true, Some(remote)) = (alone, remote)
                && self.socket.connect(remote).is_err()
            {
                self.stats.io_errors += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use bevy::ecs::world::World;

    use super::*;
    use crate::udp::socket::SocketConfig;

    fn port() -> PortIo {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let socket = PortSocket::bind(addr, &SocketConfig::default()).unwrap();
        PortIo::new(socket, Some(Buffers::new(4, 1472, 1200)))
    }

    #[test]
    fn datagrams_from_unknown_sources_are_dropped_and_counted() {
        let mut world = World::new();
        let mut io = port();
        let listener = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let peer = peers::tests::slot(world.spawn_empty().id(), listener.local_addr().unwrap());
        assert!(io.peers_mut().insert(peer).is_ok());
        let stranger = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        for _ in 0..3 {
            stranger.send_to(b"not for you", io.socket().local_addr()).unwrap();
        }
        let start = Instant::now();
        while io.stats().packets_in < 3 && start.elapsed() < std::time::Duration::from_secs(5) {
            io.run(Phase::Receive, Instant::now(), None);
        }
        assert_eq!(io.stats().packets_in, 3);
        assert_eq!(io.stats().dropped_unknown_source, 3);
    }
}
