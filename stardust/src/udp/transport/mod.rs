//! The [`UdpTransport`] resource: what it owns (the listen port, the peer ports, the client
//! ports, what new engines are made with) and the operations the systems call on it.
//!
//! `bind.rs` binds the sockets; `engines.rs` builds each connection's protocol engine.

mod bind;
mod engines;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bevy::ecs::entity::Entity;
use bevy::ecs::resource::Resource;
use serde_json::{Value, json};
use stardust_proto::crypto::{PublicKey, Ticket};
use stardust_proto::{ConnectRequest, CookiePolicy, EndpointConfig, EndpointStats, ReasonCode};
use thiserror::Error;

pub use self::bind::UdpBindError;
use self::engines::Engines;
use super::config::{UDP_TRANSPORT_ID, UdpConfig};
use super::connect::UdpConnectOptions;
use super::listener::ListenPort;
use super::phase::PhaseParts;
use super::port_io::{PeerSlot, Phase, PortIo};
use super::ports::{ClientPorts, OpenError, PeerPorts, PortTable, SeatError};
use super::security::{Admission, ConnectAttempt, Gate, Identity, UdpSecurity};
use super::socket::UdpPortStats;
use crate::channel::ChannelRegistry;
use crate::conditioner::NetworkConditioner;

/// Which role a bound port plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UdpPortKind {
    /// Receives handshakes; answers them.
    Listen,
    /// Carries accepted peers.
    Peer,
    /// Carries connections this App made (bound when connecting, closed when empty).
    Client,
}

/// The UDP transport's state: the listen port, the peer ports with their peers, the client
/// ports of outgoing connections, and their counters. Inserted by
/// [`UdpPlugin`](super::UdpPlugin) with every socket already bound, so the bound addresses
/// can be read right after adding the plugin.
///
/// Invariants: a peer entity is carried by exactly one port; accepted peers sit on peer
/// ports as the [`port_table`](Self::port_table) says; outgoing peers sit on client ports,
/// at most one per remote listen address on each, and a client port whose socket is connected
/// to its one peer (see [`PortSocket::connect`](super::socket::PortSocket::connect)) takes no
/// other.
#[derive(Resource, Debug)]
pub struct UdpTransport {
    config: UdpConfig,
    engines: Engines,
    listener: Option<ListenPort>,
    peer_ports: PeerPorts,
    client_ports: ClientPorts,
    /// How long the last run of each phase worked, over all its ports (`[receive, transmit]`):
    /// what decides whether the next run of that phase is worth spreading over the pool.
    phase_work: [Duration; 2],
    /// The listener's identity (configured, or made at bind); `None` when not listening or
    /// insecure.
    identity: Option<Identity>,
    /// The accept policy in force.
    gate: Gate,
    /// The network conditions applied to the peer and client ports' datagrams.
    conditioner: NetworkConditioner,
    /// The seed stream the next port conditioner draws from.
    next_stream: u64,
}

/// Why an outgoing connection could not start; the peer is disconnected with
/// `TransportClosed` and this is logged.
#[derive(Debug, Error)]
pub(crate) enum ConnectError {
    #[error("no channel table yet; add StardustPlugin before UdpPlugin")]
    NoChannels,
    #[error("{0}")]
    Open(#[from] OpenError),
}

/// What the accept pass did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// The peer sits on this peer port; the accept is on its way.
    OnPort {
        port: u16,
        /// The client's static key, unless anonymous or insecure.
        peer_key: Option<PublicKey>,
        /// The ticket it was admitted with, under a ticket policy.
        ticket: Option<Ticket>,
        secure: bool,
    },
    /// Refused (and answered, except without a channel table): the entity is not used.
    Refused,
}

impl UdpTransport {
    /// The configuration in force.
    pub fn config(&self) -> &UdpConfig {
        &self.config
    }

    /// The bound listen address (with the OS-chosen port if port 0 was configured), or `None`
    /// when this App does not listen. Connect other Apps here.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().map(ListenPort::local_addr)
    }

    /// The listener's static public key, for clients to pin (its `Display` is the 44-character
    /// base64 text they pass in [`UdpConnectOptions::listener_key`]); `None` when this App does
    /// not listen or is insecure.
    pub fn public_key(&self) -> Option<PublicKey> {
        self.identity.as_ref().map(Identity::public_key)
    }

    /// Whether connections are encrypted and authenticated.
    pub fn security(&self) -> UdpSecurity {
        self.config.security
    }

    /// The bound peer ports, ascending.
    pub fn peer_ports(&self) -> impl ExactSizeIterator<Item = u16> + '_ {
        self.peer_ports.ports()
    }

    /// The bound client ports (one per group of outgoing connections), in no order.
    pub fn client_ports(&self) -> impl ExactSizeIterator<Item = u16> + '_ {
        self.client_ports.iter().map(PortIo::port)
    }

    /// Port → accepted peer entities, with each peer's source address; `None` when this App
    /// does not listen. A peer appears here from the frame it is accepted until the frame its
    /// disconnection is applied.
    pub fn port_table(&self) -> Option<PortTable<'_>> {
        self.listener.as_ref().map(|_| PortTable::new(&self.peer_ports))
    }

    /// The peer entities a bound port carries (accepted or outgoing, connecting ones
    /// included), or `None` for a port that is not a peer or client port.
    pub fn peers_on(&self, port: u16) -> Option<impl ExactSizeIterator<Item = Entity> + '_> {
        let io = self.ports().find(|io| io.port() == port)?;
        Some(io.peers().iter().map(PeerSlot::entity))
    }

    /// The counters of one bound port, or `None` if no port of this transport has that number.
    pub fn port_stats(&self, port: u16) -> Option<UdpPortStats> {
        self.iter_port_stats().find(|&(p, _, _)| p == port).map(|(_, _, stats)| stats)
    }

    /// The counters of every bound port: listen first, then peer ports ascending, then
    /// client ports.
    pub fn iter_port_stats(&self) -> impl Iterator<Item = (u16, UdpPortKind, UdpPortStats)> + '_ {
        let listen =
            self.listener.iter().map(|l| (l.local_addr().port(), UdpPortKind::Listen, l.stats()));
        let peers = self.peer_ports.iter().map(|p| (p.port(), UdpPortKind::Peer, p.stats()));
        let clients = self.client_ports.iter().map(|p| (p.port(), UdpPortKind::Client, p.stats()));
        listen.chain(peers).chain(clients)
    }

    /// The listen port's handshake counters (requests accepted, rejected, duplicates, zero
    /// messages dropped per reason), or `None` when this App does not listen.
    pub fn endpoint_stats(&self) -> Option<EndpointStats> {
        self.listener.as_ref()?.endpoint_stats()
    }

    /// Whether new connection requests are accepted.
    pub fn is_accepting(&self) -> bool {
        self.config.accept_new_peers
    }

    /// Opens or closes the door to new peers (refused with reason `not accepting`);
    /// connected peers are unaffected.
    pub fn set_accepting(&mut self, accepting: bool) {
        self.config.accept_new_peers = accepting;
        if let Some(listener) = self.listener.as_mut() {
            listener.set_accepting(accepting);
        }
    }

    /// The network conditions the peer and client ports apply (see
    /// [`NetworkConditioner`]; change them through that resource).
    pub fn conditioner(&self) -> &NetworkConditioner {
        &self.conditioner
    }

    /// Datagrams the ports' conditioners hold back now (delayed), both ways.
    pub fn conditioner_held(&self) -> usize {
        self.ports().map(PortIo::conditioner_held).sum()
    }

    /// Applies `settings` to every peer and client port from now on, and to ports bound later.
    pub(crate) fn set_conditioner(&mut self, settings: &NetworkConditioner) {
        self.conditioner = *settings;
        let ports = self.peer_ports.as_mut_slice().iter_mut().chain(self.client_ports.iter_mut());
        for io in ports {
            io.condition(settings, &mut self.next_stream);
        }
    }

    /// Every peer and client port.
    fn ports(&self) -> impl Iterator<Item = &PortIo> + '_ {
        self.peer_ports.iter().chain(self.client_ports.iter())
    }

    /// Brings the channel table and the handshake identity up to date with the registry and
    /// the protocol hash. New connections use them; existing ones keep theirs.
    pub(crate) fn refresh(
        &mut self,
        registry: &ChannelRegistry,
        changed: bool,
        hash: u64,
        now: Instant,
    ) {
        self.engines.refresh_channels(registry, changed);
        if let Some(listener) = self.listener.as_mut() {
            let config = EndpointConfig {
                transport_id: UDP_TRANSPORT_ID,
                transport_version: self.config.transport_version,
                protocol_hash: hash,
                max_peers: self.config.max_peers,
                accepting: self.config.accept_new_peers,
                cookies: self.config.cookies,
            };
            let configured = listener.configure(config, now);
            if let CookiePolicy::WhenBusy { .. } = self.config.cookies {
                listener.set_unproven(self.peer_ports.unproven());
            }
            if !configured && self.engines.protocol_hash() != hash {
                bevy::log::warn!(
                    "the protocol hash changed while peers are connected; the listener keeps the \
                     old one until they leave: register every channel before the first frame"
                );
            }
        }
        self.engines.set_protocol_hash(hash);
    }

    /// The protocol hash new connections present.
    pub(crate) fn protocol_hash(&self) -> u64 {
        self.engines.protocol_hash()
    }

    /// The next request the listen port accepted for the accept pass.
    pub(crate) fn next_request(&mut self) -> Option<ConnectRequest> {
        self.listener.as_mut()?.next_request()
    }

    /// Ends the accepted peer at `addr` (its remote side restarted and asks again): marks it
    /// finished and returns its entity, for the caller to disconnect and then
    /// [`remove_finished`](Self::remove_finished).
    pub(crate) fn end_peer_at(&mut self, addr: SocketAddr) -> Option<Entity> {
        self.peer_ports.end_peer_at(addr)
    }

    /// Accepts `request` as `entity`, if the accept policy admits it: seats it on the
    /// emptiest peer port, answers it from the listen port and installs its engine there.
    /// Refuses (answering with the policy's reason, or `full` when there is no room).
    pub(crate) fn accept(
        &mut self,
        request: ConnectRequest,
        entity: Entity,
        now: Instant,
    ) -> Accepted {
        let Some(listener) = self.listener.as_mut() else { return Accepted::Refused };
        let from = request.from();
        let attempt = ConnectAttempt {
            addr: from,
            client_key: request.client_key(),
            payload: request.payload(),
        };
        let ticket = match self.gate.admit(&attempt) {
            Admission::Admit(ticket) => ticket,
            Admission::Refuse(code, data) => {
                bevy::log::debug!("the accept policy refused a peer from {from}: {data}");
                listener.reject(request, code, data);
                return Accepted::Refused;
            }
        };
        let port = match self.peer_ports.place(from, request.is_secure()) {
            Ok(port) => port,
            Err(error) => {
                bevy::log::debug!("refusing a peer from {from}: {error}");
                let data = match error {
                    SeatError::Full { max_peers } => json!({ "max_peers": max_peers }),
                    _ => Value::Null,
                };
                listener.reject(request, ReasonCode::FULL, data);
                return Accepted::Refused;
            }
        };
        let Some(peer) = listener.accept(now, request, port) else { return Accepted::Refused };
        let (cid, record, peer_key) = (peer.cid(), peer.record, peer.client_key);
        let Some(conn) = self.engines.accepted(now, peer) else {
            // No channel table (logged when it failed): the client times out.
            listener.forget(now, record);
            return Accepted::Refused;
        };
        match self.peer_ports.seat(port, PeerSlot::accepted(entity, from, cid, record, conn)) {
            Ok(()) => Accepted::OnPort { port, peer_key, ticket, secure: cid.is_some() },
            Err(error) => {
                bevy::log::warn!("could not seat the peer from {from}: {error}");
                listener.forget(now, record);
                Accepted::Refused
            }
        }
    }

    /// Sends the listen port's queued replies.
    pub(crate) fn flush_replies(&mut self) {
        if let Some(listener) = self.listener.as_mut() {
            listener.flush();
        }
    }

    /// Starts an outgoing connection for `entity` to the listener at `listen` from a client
    /// port that does not talk to that listener yet (binding one if needed). Returns the
    /// local port.
    pub(crate) fn start_connect(
        &mut self,
        entity: Entity,
        listen: SocketAddr,
        options: &UdpConnectOptions,
        now: Instant,
    ) -> Result<u16, ConnectError> {
        let conn = self.engines.connect(now, options).ok_or(ConnectError::NoChannels)?;
        let port = self.client_ports.open(PeerSlot::new(entity, listen, Some(listen), conn))?;
        if self.conditioner.is_active()
            && let Some(io) = self.client_ports.iter_mut().find(|io| io.port() == port)
        {
            io.condition(&self.conditioner, &mut self.next_stream);
        }
        Ok(port)
    }

    /// Every peer's slot, peer ports first, for the serial passes.
    pub(crate) fn slots_mut(&mut self) -> impl Iterator<Item = &mut PeerSlot> + '_ {
        let peers = self.peer_ports.as_mut_slice().iter_mut();
        peers.chain(self.client_ports.iter_mut()).flat_map(|io| io.peers_mut().iter_mut())
    }

    /// Tells the listen port that the accepted peer of `record` proved itself.
    pub(crate) fn proven(&mut self, record: stardust_proto::RecordKey) {
        if let Some(listener) = self.listener.as_mut() {
            listener.proven(record);
        }
    }

    /// Drops finished slots from their ports and the listen port's records; closes client
    /// ports left empty.
    pub(crate) fn remove_finished(&mut self, now: Instant) {
        let listener = &mut self.listener;
        self.peer_ports.remove_finished(now, |slot| {
            if let (Some(listener), Some(record)) = (listener.as_mut(), slot.record()) {
                listener.forget(now, record);
            }
        });
        self.client_ports.remove_finished();
    }

    /// The parts a phase runs on: the listen port (when `phase` reads it and it is due), the
    /// peer ports, the client ports, the time the phase worked last, and the configuration.
    pub(crate) fn phase_parts(&mut self, phase: Phase, now: Instant) -> PhaseParts<'_> {
        let listening = phase == Phase::Receive;
        PhaseParts {
            listener: self.listener.as_mut().filter(|l| listening && l.due(now)),
            peer_ports: self.peer_ports.as_mut_slice(),
            client_ports: &mut self.client_ports,
            work: &mut self.phase_work[phase as usize],
            config: &self.config,
        }
    }
}

impl Drop for UdpTransport {
    /// Tells every established peer that this App is going away (one close with reason
    /// `shutting down`, which the remote side reports as
    /// [`DisconnectReason::TransportClosed`](crate::peer::DisconnectReason::TransportClosed))
    /// instead of leaving it to time out. Best effort: nothing blocks, nothing is resent.
    fn drop(&mut self) {
        let mut spare = self.client_ports.spare_buffers();
        let peers = self.peer_ports.as_mut_slice().iter_mut();
        for io in peers.chain(self.client_ports.iter_mut()) {
            io.say_goodbye(ReasonCode::SHUTTING_DOWN, &mut spare);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};

    use bevy::ecs::world::World;

    use super::*;

    fn connecting_transport() -> UdpTransport {
        let config = UdpConfig {
            client_bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..UdpConfig::default()
        };
        let mut transport = UdpTransport::bind(config).unwrap();
        transport.refresh(&ChannelRegistry::default(), true, 7, Instant::now());
        transport
    }

    #[test]
    fn each_connection_to_one_listener_gets_its_own_client_port() {
        let mut world = World::new();
        let mut transport = connecting_transport();
        let listener = SocketAddr::from((Ipv4Addr::LOCALHOST, 9));
        let now = Instant::now();
        let first = transport
            .start_connect(world.spawn_empty().id(), listener, &UdpConnectOptions::default(), now)
            .unwrap();
        let second = transport
            .start_connect(world.spawn_empty().id(), listener, &UdpConnectOptions::default(), now)
            .unwrap();
        assert_ne!(first, second, "a listener tells its peers apart by address");
        assert_eq!(transport.client_ports().len(), 2);
    }

    #[test]
    fn connections_to_different_listeners_share_the_least_loaded_client_port() {
        let mut world = World::new();
        let mut transport = connecting_transport();
        let now = Instant::now();
        let mut ports = Vec::new();
        for listener in [9, 9, 10, 11] {
            let listener = SocketAddr::from((Ipv4Addr::LOCALHOST, listener));
            ports.push(
                transport
                    .start_connect(
                        world.spawn_empty().id(),
                        listener,
                        &UdpConnectOptions::default(),
                        now,
                    )
                    .unwrap(),
            );
        }
        assert_eq!(transport.client_ports().len(), 2);
        // Listener 10 goes to the first port (tie, first bound), listener 11 to the second.
        assert_eq!(ports[2], ports[0]);
        assert_eq!(ports[3], ports[1]);
    }
}
