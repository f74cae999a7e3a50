//! One bound port with its peers: the unit of parallel work.
//!
//! A [`PortIo`] owns its socket, its batches and the protocol engines ([`Connection`]s) of
//! the peers it carries, and nothing else, so the receive and send phases run one task per
//! port with no lock: each task has `&mut` to its own port only. The ECS is touched
//! afterwards, in a short serial pass that swaps buffers with the peer components.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use bevy::ecs::entity::Entity;
use bytes::Bytes;
use serde_json::Value;
use stardust_proto::{
    ChannelId, Connection, ConnectionEvent, ConnectionSendError, ReasonCode, SendError,
};

use super::flush::flush;
use super::port_stats::UdpPortStats;
use super::socket::{PortSocket, RecvBatch, SendBatch};

/// Receive batches taken per port per frame at most, so a flood cannot hold a frame forever.
const MAX_RECV_BATCHES: usize = 64;

/// One peer on a port: its engine and the buffers exchanged with its entity.
#[derive(Debug)]
pub(crate) struct PeerSlot {
    pub(crate) entity: Entity,
    /// Where its datagrams go and come from (for an outgoing peer: the remote listen address
    /// until connected, then the assigned remote peer port).
    pub(crate) remote: SocketAddr,
    /// Outgoing peers: the remote listen address, which keeps routing to this slot.
    pub(crate) listen_addr: Option<SocketAddr>,
    /// Boxed: the engine is ~2 KB, and the slot vectors grow by doubling and move slots on
    /// removal; a small slot keeps both cheap.
    pub(crate) conn: Box<Connection>,
    /// Messages received this frame, swapped into the entity's `PeerInbox`.
    pub(crate) inbox: Vec<(ChannelId, Bytes)>,
    /// Messages taken from the entity's `PeerOutbox`, not yet accepted by the engine.
    pub(crate) outbox: Vec<(ChannelId, Bytes)>,
    /// Engine events not yet applied to the entity.
    pub(crate) events: Vec<ConnectionEvent>,
    /// Whether the entity has been seen in the ECS (it is spawned, or loses its pending
    /// marker, through deferred commands).
    pub(crate) seen: bool,
    /// Serial passes that did not find the entity before it was first seen.
    pub(crate) unseen_passes: u8,
    /// Whether the entity's close request was taken (into `pending_close`).
    pub(crate) close_requested: bool,
    /// A close to hand to the engine once the messages before it are.
    pub(crate) pending_close: Option<(ReasonCode, Value)>,
    /// Whether the entity is gone: the slot lives on only to finish the close.
    pub(crate) orphan: bool,
    /// Whether the slot's terminal event was applied: remove it.
    pub(crate) finished: bool,
}

/// Serial passes after which an entity never seen is taken as gone. Deferred commands
/// apply within one frame (two passes), so this leaves margin.
const UNSEEN_PASSES_LIMIT: u8 = 4;

impl PeerSlot {
    /// Records a pass that did not find the entity; returns whether it is to be taken as
    /// gone (it was seen before, or it never showed up).
    pub(crate) fn entity_missing(&mut self) -> bool {
        self.unseen_passes = self.unseen_passes.saturating_add(1);
        self.seen || self.unseen_passes > UNSEEN_PASSES_LIMIT
    }

    pub(crate) fn new(
        entity: Entity,
        remote: SocketAddr,
        listen_addr: Option<SocketAddr>,
        conn: Connection,
    ) -> Self {
        Self {
            entity,
            remote,
            listen_addr,
            conn: Box::new(conn),
            inbox: Vec::new(),
            outbox: Vec::new(),
            events: Vec::new(),
            seen: false,
            unseen_passes: 0,
            close_requested: false,
            pending_close: None,
            orphan: false,
            finished: false,
        }
    }
}

/// A bound port, the peers it carries, and its reusable buffers.
///
/// Invariants: `by_addr` maps exactly the addresses of `slots` (each slot's `remote`, plus
/// `listen_addr` for outgoing peers) to their index; a source address routes to one slot.
#[derive(Debug)]
pub(crate) struct PortIo {
    pub(crate) socket: PortSocket,
    /// The port's own buffers (peer ports), or `None` for a client port, which borrows the
    /// buffers of the task that runs it: client ports are many and carry few peers each.
    own: Option<Box<Buffers>>,
    pub(crate) slots: Vec<PeerSlot>,
    by_addr: HashMap<SocketAddr, usize>,
    pub(crate) stats: UdpPortStats,
}

/// The reusable memory of one port's receive and send phases.
///
/// Invariant: shared buffers are empty between two ports' phases (receive leaves nothing
/// behind; a transmit with shared buffers clears what the OS would not take), so one
/// `Buffers` can serve several ports in turn.
#[derive(Debug)]
pub(crate) struct Buffers {
    recv: RecvBatch,
    send: SendBatch,
    /// The engine writes each datagram here before it is copied into the send batch.
    scratch: Vec<u8>,
}

impl Buffers {
    /// Room for `batch` datagrams of at most `max_datagram` (received) and `mtu` (sent)
    /// bytes per syscall.
    pub(crate) fn new(batch: usize, max_datagram: usize, mtu: usize) -> Self {
        Self {
            recv: RecvBatch::new(batch.max(1), max_datagram),
            send: SendBatch::new(batch.max(1), mtu.max(max_datagram)),
            scratch: Vec::with_capacity(mtu.max(max_datagram)),
        }
    }
}

/// Which half of the frame a port runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// [`PortIo::receive`].
    Receive,
    /// [`PortIo::transmit`].
    Transmit,
}

impl PortIo {
    /// A port over `socket` with buffers of its own (`Some`), or borrowing them per phase.
    pub(crate) fn new(socket: PortSocket, own: Option<Buffers>) -> Self {
        Self {
            socket,
            own: own.map(Box::new),
            slots: Vec::new(),
            by_addr: HashMap::new(),
            stats: UdpPortStats::default(),
        }
    }

    /// The bound port number.
    pub(crate) fn port(&self) -> u16 {
        self.socket.port()
    }

    /// Whether an outgoing peer of this port already talks to the listener at `listen`.
    pub(crate) fn talks_to(&self, listen: SocketAddr) -> bool {
        self.by_addr.contains_key(&listen)
    }

    /// Adds a peer. Returns `false` (and adds nothing) if one of its addresses already routes
    /// to another peer of this port.
    pub(crate) fn insert(&mut self, slot: PeerSlot) -> bool {
        let taken = |addr: &SocketAddr| self.by_addr.contains_key(addr);
        if taken(&slot.remote) || slot.listen_addr.as_ref().is_some_and(taken) {
            return false;
        }
        let index = self.slots.len();
        self.by_addr.insert(slot.remote, index);
        if let Some(listen) = slot.listen_addr {
            self.by_addr.insert(listen, index);
        }
        self.slots.push(slot);
        true
    }

    /// Removes every finished slot, keeping `by_addr` exact; yields each removed slot's
    /// entity and remote address to `removed`.
    pub(crate) fn remove_finished(&mut self, mut removed: impl FnMut(&PeerSlot)) {
        let mut index = 0;
        while index < self.slots.len() {
            if !self.slots[index].finished {
                index += 1;
                continue;
            }
            let slot = self.slots.swap_remove(index);
            self.unroute(&slot, index);
            removed(&slot);
            if let Some(moved) = self.slots.get(index) {
                for addr in [Some(moved.remote), moved.listen_addr].into_iter().flatten() {
                    self.by_addr.insert(addr, index);
                }
            }
        }
    }

    fn unroute(&mut self, slot: &PeerSlot, index: usize) {
        for addr in [Some(slot.remote), slot.listen_addr].into_iter().flatten() {
            if self.by_addr.get(&addr) == Some(&index) {
                self.by_addr.remove(&addr);
            }
        }
    }

    /// Runs `phase` with the port's own buffers, or `shared` for a port without any: the
    /// whole receive phase ([`read`](Self::read) then [`settle`](Self::settle)) or the
    /// send phase.
    pub(crate) fn run(&mut self, phase: Phase, now: Instant, shared: Option<&mut Buffers>) {
        match phase {
            Phase::Receive => {
                self.read(now, shared);
                self.settle(now);
            }
            Phase::Transmit => {
                let mut own = self.own.take();
                let keep = own.is_some();
                if let Some(buffers) = own.as_deref_mut().or(shared) {
                    self.transmit(buffers, now, keep);
                }
                self.own = own;
            }
        }
    }

    /// The first half of the receive phase: takes the waiting datagrams off the socket
    /// (bounded) with the port's own buffers, or `shared`, and feeds each to its peer's
    /// engine as arrived at `now`. Unknown sources are dropped and counted. Returns how many
    /// datagrams the socket gave; the buffers are left empty either way.
    pub(crate) fn read(&mut self, now: Instant, shared: Option<&mut Buffers>) -> usize {
        let mut own = self.own.take();
        let read = match own.as_deref_mut().or(shared) {
            Some(buffers) => self.read_with(buffers, now),
            None => 0,
        };
        self.own = own;
        read
    }

    fn read_with(&mut self, buffers: &mut Buffers, now: Instant) -> usize {
        let recv = &mut buffers.recv;
        let mut read = 0;
        for _ in 0..MAX_RECV_BATCHES {
            let got = match self.socket.recv_batch(recv) {
                Ok(got) => got,
                Err(_) => {
                    self.stats.io_errors += 1;
                    break;
                }
            };
            read += got;
            self.stats.packets_in += got as u64;
            self.stats.dropped_oversize += recv.truncated() as u64;
            for datagram in recv.iter() {
                self.stats.bytes_in += datagram.bytes.len() as u64;
                match self.by_addr.get(&datagram.from) {
                    Some(&index) => self.slots[index].conn.handle_datagram(now, datagram.bytes),
                    None => self.stats.dropped_unknown_source += 1,
                }
            }
            if got < recv.capacity() {
                break;
            }
        }
        read
    }

    /// The second half of the receive phase, after the last [`read`](Self::read): runs the
    /// engines' due timers and moves received messages and events into the slots.
    pub(crate) fn settle(&mut self, now: Instant) {
        for index in 0..self.slots.len() {
            let slot = &mut self.slots[index];
            if slot.conn.poll_timeout().is_some_and(|due| due <= now) {
                slot.conn.handle_timeout(now);
            }
            while let Some(message) = slot.conn.poll_message() {
                slot.inbox.push(message);
            }
            self.collect_events(index);
        }
    }

    /// The send phase of this port: hands each peer's pending messages to its engine (keeping
    /// the rest when a channel queue is full), runs due timers, and sends every datagram the
    /// engines produce in batches.
    /// `keep_unsent`: whether datagrams the OS would not take may wait in `buffers` for the
    /// next frame (own buffers), or must be dropped (shared ones).
    fn transmit(&mut self, buffers: &mut Buffers, now: Instant, keep_unsent: bool) {
        let Buffers { send, scratch, .. } = buffers;
        let mut socket_full = false;
        for index in 0..self.slots.len() {
            let slot = &mut self.slots[index];
            let accepted = push_messages(&mut slot.conn, &slot.outbox, &mut self.stats);
            slot.outbox.drain(..accepted);
            if let Some((code, data)) = slot.pending_close.take() {
                self.stats.dropped_messages += slot.outbox.len() as u64;
                slot.outbox.clear();
                slot.conn.close(now, code, data);
            }
            if slot.conn.poll_timeout().is_some_and(|due| due <= now) {
                slot.conn.handle_timeout(now);
            }
            while !socket_full {
                if send.is_full() {
                    flush(&self.socket, send, &mut self.stats);
                    if send.is_full() {
                        // The OS buffer is full: the engines keep what they could not send
                        // (reliable data is resent), and the next frame tries again.
                        socket_full = true;
                        break;
                    }
                }
                if !slot.conn.poll_transmit(now, scratch) {
                    break;
                }
                match send.push(slot.remote, scratch) {
                    Ok(()) => self.stats.bytes_out += scratch.len() as u64,
                    Err(_) => self.stats.dropped_outgoing += 1,
                }
            }
            self.collect_events(index);
        }
        flush(&self.socket, send, &mut self.stats);
        if !keep_unsent {
            // Shared buffers must be empty for the next port: what the OS would not take
            // now is dropped (the engines resend reliable data).
            self.stats.dropped_outgoing += send.len() as u64;
            send.clear();
        }
    }

    /// Sends `datagram` once to every peer whose connection is established (used for the
    /// goodbye when the transport is dropped).
    pub(crate) fn send_to_established(&mut self, datagram: &[u8], shared: &mut Buffers) {
        let mut own = self.own.take();
        let send = &mut own.as_deref_mut().unwrap_or(shared).send;
        for slot in &self.slots {
            if !slot.conn.is_connected() {
                continue;
            }
            if send.is_full() {
                flush(&self.socket, send, &mut self.stats);
            }
            if send.push(slot.remote, datagram).is_ok() {
                self.stats.bytes_out += datagram.len() as u64;
            }
        }
        flush(&self.socket, send, &mut self.stats);
        send.clear();
        self.own = own;
    }

    /// Moves the engine's events into the slot; an outgoing peer's accept adds its assigned
    /// remote port to the routes and, when that peer is the port's only one, connects the
    /// socket to it (see [`PortSocket::connect`]: cheaper sends, and the kernel drops every
    /// other source, the peer's listen port included, whose part is over). A connected port
    /// takes no further peer (see `UdpTransport::start_connect`).
    fn collect_events(&mut self, index: usize) {
        let alone = self.slots.len() == 1;
        let slot = &mut self.slots[index];
        while let Some(event) = slot.conn.poll_event() {
            if let (ConnectionEvent::Connected { port }, Some(listen)) = (&event, slot.listen_addr)
            {
                let data = SocketAddr::new(listen.ip(), *port);
                // A route already taken would mean two peers behind one address; keep the
                // first and let this one time out rather than steal its packets.
                if data != slot.remote && !self.by_addr.contains_key(&data) {
                    slot.remote = data;
                    self.by_addr.insert(data, index);
                }
                if alone && self.socket.connect(slot.remote).is_err() {
                    self.stats.io_errors += 1;
                }
            }
            slot.events.push(event);
        }
    }
}

/// Hands `messages` to the engine in order; returns how many it took (accepted or dropped).
/// Stops at the first full channel queue so nothing is lost and per-channel order holds.
fn push_messages(
    conn: &mut Connection,
    messages: &[(ChannelId, Bytes)],
    stats: &mut UdpPortStats,
) -> usize {
    for (taken, (channel, payload)) in messages.iter().enumerate() {
        match conn.send(*channel, payload.clone()) {
            Ok(()) => {}
            Err(ConnectionSendError::Session(SendError::QueueFull(_))) => return taken,
            Err(ConnectionSendError::NotConnected) if !conn.is_closed() => return taken,
            Err(_) => stats.dropped_messages += 1,
        }
    }
    messages.len()
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use bevy::ecs::world::World;
    use stardust_proto::zero::Request;
    use stardust_proto::{ChannelTable, ConnectionConfig};

    use super::*;
    use crate::udp::socket::SocketConfig;

    fn port() -> PortIo {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let socket = PortSocket::bind(addr, &SocketConfig::default()).unwrap();
        PortIo::new(socket, Some(Buffers::new(4, 1472, 1200)))
    }

    fn slot(entity: Entity, listen: SocketAddr) -> PeerSlot {
        let channels = ChannelTable::new([]).unwrap();
        let request = Request { transport_id: 1, transport_version: 1, protocol_hash: 2, seq: 3 };
        let conn =
            Connection::connect(ConnectionConfig::default(), channels, request, Instant::now());
        PeerSlot::new(entity, listen, Some(listen), conn)
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    }

    #[test]
    fn routes_stay_exact_when_slots_leave() {
        let mut world = World::new();
        let [a, b, c] = [(); 3].map(|_| world.spawn_empty().id());
        let mut io = port();
        assert!(io.insert(slot(a, addr(1001))));
        assert!(io.insert(slot(b, addr(1002))));
        assert!(io.insert(slot(c, addr(1003))));
        assert!(!io.insert(slot(a, addr(1002))), "an address routes to one peer only");

        io.slots[0].finished = true;
        let mut removed = Vec::new();
        io.remove_finished(|slot| removed.push(slot.entity));
        assert_eq!(removed, vec![a]);
        assert!(!io.talks_to(addr(1001)));
        // `c` moved into the freed index; its route follows it.
        for (index, slot) in io.slots.iter().enumerate() {
            assert_eq!(io.by_addr.get(&slot.remote), Some(&index));
        }
        assert_eq!(io.by_addr.len(), 2);
    }

    #[test]
    fn datagrams_from_unknown_sources_are_dropped_and_counted() {
        let mut world = World::new();
        let mut io = port();
        let listener = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        assert!(io.insert(slot(world.spawn_empty().id(), listener.local_addr().unwrap())));
        let stranger = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        for _ in 0..3 {
            stranger.send_to(b"not for you", io.socket.local_addr()).unwrap();
        }
        let start = Instant::now();
        while io.stats.packets_in < 3 && start.elapsed() < std::time::Duration::from_secs(5) {
            io.run(Phase::Receive, Instant::now(), None);
        }
        assert_eq!(io.stats.packets_in, 3);
        assert_eq!(io.stats.dropped_unknown_source, 3);
    }
}
