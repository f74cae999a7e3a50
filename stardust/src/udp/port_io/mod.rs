//! Per-port I/O: one bound port with its peers, the unit of parallel work.
//!
//! A [`PortIo`] owns its socket, its counters and its peers ([`PortPeers`], the record of who
//! is behind each source address, in `peers.rs`), each a [`PeerSlot`] holding the peer's
//! protocol engine (`slot.rs`), and nothing else, so the receive and send phases run one
//! task per port with no lock: each task has `&mut` to its own port only. The ECS is touched
//! afterwards, in a short serial pass that swaps buffers with the peer components.

mod buffers;
mod peers;
mod slot;

use std::net::SocketAddr;
use std::time::Instant;

use stardust_proto::ConnectionEvent;

pub(crate) use self::buffers::{BufferShape, Buffers};
pub(crate) use self::peers::PortPeers;
pub(crate) use self::slot::PeerSlot;
use super::socket::{self, PortSocket, Sender, UdpPortStats};

/// Receive batches taken per port per frame at most, so a flood cannot hold a frame forever.
const MAX_RECV_BATCHES: usize = 64;

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
}

impl PortIo {
    /// A port over `socket` with buffers of its own (`Some`), or borrowing them per phase.
    pub(crate) fn new(socket: PortSocket, own: Option<Buffers>) -> Self {
        Self {
            socket,
            own: own.map(Box::new),
            peers: PortPeers::default(),
            stats: UdpPortStats::default(),
        }
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

    /// The first half of the receive phase: takes the waiting datagrams off the socket
    /// (bounded) with the port's own buffers, or `shared`, and feeds each to the engine of
    /// the peer behind its source as arrived at `now`. Unknown sources are dropped and
    /// counted. Returns how many datagrams the socket gave; the buffers are left empty.
    pub(crate) fn read(&mut self, now: Instant, shared: Option<&mut Buffers>) -> usize {
        let mut own = self.own.take();
        let Some(buffers) = own.as_deref_mut().or(shared) else { return 0 };
        let Self { socket, peers, stats, .. } = self;
        let read =
            socket::receive(socket, &mut buffers.recv, stats, MAX_RECV_BATCHES, |d, stats| {
                match peers.route(d.from) {
                    Some(slot) => slot.conn_mut().handle_datagram(now, d.bytes),
                    None => stats.dropped_unknown_source += 1,
                }
            });
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

    /// The send phase of this port: hands each peer's pending messages to its engine, runs
    /// due timers, and sends every datagram the engines produce in batches, with the port's
    /// own buffers or `shared`. With shared buffers, what the OS would not take now is
    /// dropped (they must be empty for the next port; the engines resend reliable data);
    /// own buffers keep it for the next frame.
    fn transmit(&mut self, now: Instant, shared: Option<&mut Buffers>) {
        let mut own = self.own.take();
        let keep_unsent = own.is_some();
        let Some(Buffers { send, scratch, .. }) = own.as_deref_mut().or(shared) else { return };
        let Self { socket, peers, stats, .. } = self;
        let mut dropped_messages = 0;
        let mut sender = Sender::new(socket, send, stats);
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
                sender.push(slot.remote(), scratch);
            }
        }
        sender.flush();
        if !keep_unsent {
            sender.discard_unsent();
        }
        self.stats.dropped_messages += dropped_messages;
        self.own = own;
        self.collect_events();
    }

    /// Sends `datagram` once to every peer whose connection is established (the goodbye when
    /// the transport is dropped), with the port's own buffers or `shared`.
    pub(crate) fn send_to_established(&mut self, datagram: &[u8], shared: &mut Buffers) {
        let mut own = self.own.take();
        let send = &mut own.as_deref_mut().unwrap_or(shared).send;
        let mut sender = Sender::new(&self.socket, send, &mut self.stats);
        for slot in self.peers.iter().filter(|slot| slot.conn().is_connected()) {
            sender.push(slot.remote(), datagram);
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
            while let Some(event) = slot.poll_event() {
                if let (ConnectionEvent::Connected { port }, Some(listen)) =
                    (&event, slot.listen_addr())
                {
                    connected_to = Some(SocketAddr::new(listen.ip(), *port));
                }
                slot.keep_event(event);
            }
            let Some(data) = connected_to else { continue };
            self.peers.move_to(index, data);
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
