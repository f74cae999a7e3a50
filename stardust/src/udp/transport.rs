//! The [`UdpTransport`] resource: every bound port, the port table and the handshake state.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use bevy::ecs::entity::Entity;
use bevy::ecs::resource::Resource;
use serde_json::Value;
use stardust_proto::zero::Request;
use stardust_proto::zero::{Close, ZeroMessage};
use stardust_proto::{
    ChannelTable, Connection, ConnectionConfig, Endpoint, EndpointConfig, EndpointStats, ReasonCode,
};
use thiserror::Error;

use super::config::{UDP_TRANSPORT_ID, UdpConfig};
use super::listener::ListenIo;
use super::port_io::{Buffers, PeerSlot, PortIo};
use super::port_stats::UdpPortStats;
use super::ports::{PortTable, PortTableError};
use super::seq::SeqGenerator;
use super::socket::{BindError, PortSocket};
use crate::channel::ChannelRegistry;

/// Why the UDP transport could not start. Raised when the plugin is added, never later.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum UdpBindError {
    /// A listen address was given without peer ports.
    #[error(
        "listening on {listen} needs at least one peer port; set UdpConfig::peer_ports (0 binds an OS-chosen port)"
    )]
    NoPeerPorts {
        /// The configured listen address.
        listen: SocketAddr,
    },
    /// The listen port could not be bound.
    #[error("udp listen port: {0}")]
    Listen(#[source] BindError),
    /// A peer port could not be bound.
    #[error(
        "udp peer port {port}: {source}; choose another peer port range, or 0 for OS-chosen ports"
    )]
    PeerPort {
        /// The configured port.
        port: u16,
        /// The OS error.
        source: BindError,
    },
    /// The peer ports cannot form a port table (e.g. one listed twice).
    #[error("udp peer ports: {0}")]
    Ports(#[from] PortTableError),
    /// [`UdpConfig::busy_poll`] is longer than [`UdpConfig::MAX_BUSY_POLL`].
    #[error(
        "UdpConfig::busy_poll of {busy_poll:?} would stall every idle frame that long; keep it at most {max:?} (tens of microseconds are typical)",
        max = UdpConfig::MAX_BUSY_POLL
    )]
    BusyPollTooLong {
        /// The configured value.
        busy_poll: Duration,
    },
}

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
/// to its one peer (see [`PortSocket::connect`]) takes no other.
#[derive(Resource, Debug)]
pub struct UdpTransport {
    config: UdpConfig,
    connection: ConnectionConfig,
    pub(crate) listener: Option<ListenIo>,
    pub(crate) peer_ports: Vec<PortIo>,
    pub(crate) client_ports: Vec<PortIo>,
    /// Buffers lent to the tasks that run client ports, one per task; grown on demand.
    pub(crate) client_buffers: Vec<Buffers>,
    pub(crate) table: Option<PortTable>,
    channels: Option<ChannelTable>,
    protocol_hash: u64,
    pub(crate) seq: SeqGenerator,
    pub(crate) reply: Vec<u8>,
    /// How long the last run of each phase worked, over all its ports (`[receive, transmit]`):
    /// what decides whether the next run of that phase is worth spreading over the pool.
    pub(crate) phase_work: [Duration; 2],
}

impl UdpTransport {
    /// Binds the listen port and every peer port of `config`.
    pub fn bind(config: UdpConfig) -> Result<Self, UdpBindError> {
        if config.busy_poll > UdpConfig::MAX_BUSY_POLL {
            return Err(UdpBindError::BusyPollTooLong { busy_poll: config.busy_poll });
        }
        let mut listener = None;
        let mut peer_ports = Vec::new();
        if let Some(listen) = config.listen {
            if config.peer_ports.is_empty() {
                return Err(UdpBindError::NoPeerPorts { listen });
            }
            let socket = PortSocket::bind(listen, &config.socket).map_err(UdpBindError::Listen)?;
            listener = Some(ListenIo::new(
                socket,
                config.batch_size,
                config.max_datagram_size,
                config.listen_poll_interval,
            ));
            for &port in &config.peer_ports {
                let addr = SocketAddr::new(listen.ip(), port);
                let socket = PortSocket::bind(addr, &config.socket)
                    .map_err(|source| UdpBindError::PeerPort { port, source })?;
                peer_ports.push(PortIo::new(socket, Some(buffers(&config))));
            }
            peer_ports.sort_by_key(PortIo::port);
        }
        let table = if peer_ports.is_empty() {
            None
        } else {
            Some(PortTable::new(peer_ports.iter().map(PortIo::port), config.max_peers)?)
        };
        let seed = listener.as_ref().map_or(0, |l: &ListenIo| l.socket.port());
        Ok(Self {
            connection: config.connection_config(),
            config,
            listener,
            peer_ports,
            client_ports: Vec::new(),
            client_buffers: Vec::new(),
            table,
            channels: None,
            protocol_hash: 0,
            seq: SeqGenerator::from_time(u64::from(seed)),
            reply: Vec::new(),
            phase_work: [Duration::ZERO; 2],
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &UdpConfig {
        &self.config
    }

    /// The bound listen address (with the OS-chosen port if port 0 was configured), or `None`
    /// when this App does not listen. Connect other Apps here.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.listener.as_ref().map(|l| l.socket.local_addr())
    }

    /// The bound peer ports, ascending.
    pub fn peer_ports(&self) -> impl ExactSizeIterator<Item = u16> + '_ {
        self.peer_ports.iter().map(PortIo::port)
    }

    /// The bound client ports (one per group of outgoing connections), in no order.
    pub fn client_ports(&self) -> impl ExactSizeIterator<Item = u16> + '_ {
        self.client_ports.iter().map(PortIo::port)
    }

    /// Port → accepted peer entities, with each peer's source address; `None` when this App
    /// does not listen. A peer appears here from the frame it is accepted until the frame its
    /// disconnection is applied.
    pub fn port_table(&self) -> Option<&PortTable> {
        self.table.as_ref()
    }

    /// The peer entities a bound port carries (accepted or outgoing, connecting ones
    /// included), or `None` for a port that is not a peer or client port.
    pub fn peers_on(&self, port: u16) -> Option<impl ExactSizeIterator<Item = Entity> + '_> {
        let io = self.peer_ports.iter().chain(&self.client_ports).find(|io| io.port() == port)?;
        Some(io.slots.iter().map(|slot| slot.entity))
    }

    /// The counters of one bound port, or `None` if no port of this transport has that number.
    pub fn port_stats(&self, port: u16) -> Option<UdpPortStats> {
        self.iter_port_stats().find(|&(p, _, _)| p == port).map(|(_, _, stats)| stats)
    }

    /// The counters of every bound port: listen first, then peer ports ascending, then
    /// client ports.
    pub fn iter_port_stats(&self) -> impl Iterator<Item = (u16, UdpPortKind, UdpPortStats)> + '_ {
        let listen = self.listener.iter().map(|l| (l.socket.port(), UdpPortKind::Listen, l.stats));
        let peers = self.peer_ports.iter().map(|p| (p.port(), UdpPortKind::Peer, p.stats));
        let clients = self.client_ports.iter().map(|p| (p.port(), UdpPortKind::Client, p.stats));
        listen.chain(peers).chain(clients)
    }

    /// The listen port's handshake counters (requests accepted, rejected, duplicates, zero
    /// messages dropped per reason), or `None` when this App does not listen.
    pub fn endpoint_stats(&self) -> Option<EndpointStats> {
        self.listener.as_ref()?.endpoint.as_ref().map(|endpoint| *endpoint.stats())
    }

    /// Whether new connection requests are accepted.
    pub fn is_accepting(&self) -> bool {
        self.config.accept_new_peers
    }

    /// Opens or closes the door to new peers (refused with reason `not accepting`);
    /// connected peers are unaffected.
    pub fn set_accepting(&mut self, accepting: bool) {
        self.config.accept_new_peers = accepting;
        if let Some(endpoint) = self.listener.as_mut().and_then(|l| l.endpoint.as_mut()) {
            endpoint.set_accepting(accepting);
        }
    }

    /// Brings the channel table and the handshake identity up to date with the registry and
    /// the protocol hash. New connections use them; existing ones keep theirs.
    pub(crate) fn refresh(
        &mut self,
        registry: &ChannelRegistry,
        registry_changed: bool,
        protocol_hash: u64,
    ) {
        if self.channels.is_none() || registry_changed {
            let entries = registry.iter().map(|entry| (entry.id, entry.config));
            match ChannelTable::new(entries) {
                Ok(table) => self.channels = Some(table),
                Err(error) => bevy::log::error!("udp transport cannot use the channels: {error}"),
            }
        }
        let Some(listener) = self.listener.as_mut() else {
            self.protocol_hash = protocol_hash;
            return;
        };
        let stale = listener
            .endpoint
            .as_ref()
            .is_none_or(|e| e.config().protocol_hash != protocol_hash && e.peer_count() == 0);
        if stale {
            listener.endpoint = Some(Endpoint::new(EndpointConfig {
                transport_id: UDP_TRANSPORT_ID,
                transport_version: self.config.transport_version,
                protocol_hash,
                max_peers: self.config.max_peers,
                accepting: self.config.accept_new_peers,
            }));
        } else if self.protocol_hash != protocol_hash {
            bevy::log::warn!(
                "the protocol hash changed while peers are connected; the listener keeps the old \
                 one until they leave: register every channel before the first frame"
            );
        }
        self.protocol_hash = protocol_hash;
    }

    /// Makes sure at least `count` sets of client-port buffers exist.
    pub(crate) fn ensure_client_buffers(&mut self, count: usize) {
        while self.client_buffers.len() < count {
            self.client_buffers.push(buffers(&self.config));
        }
    }

    pub(crate) fn protocol_hash(&self) -> u64 {
        self.protocol_hash
    }

    /// The engine for an accepted peer.
    pub(crate) fn accepted_connection(
        &self,
        now: Instant,
        peer: &stardust_proto::AcceptedPeer,
    ) -> Option<Connection> {
        let channels = self.channels.clone()?;
        Some(Connection::accepted(self.connection.clone(), channels, now, peer))
    }

    /// Starts an outgoing connection for `entity` to the listener at `listen` from a client
    /// port that does not talk to that listener yet (binding one if needed). Returns the
    /// local port.
    pub(crate) fn start_connect(
        &mut self,
        entity: Entity,
        listen: SocketAddr,
        now: Instant,
    ) -> Result<u16, ConnectError> {
        let channels = self.channels.clone().ok_or(ConnectError::NoChannels)?;
        let index = match self
            .client_ports
            .iter()
            .enumerate()
            .filter(|(_, io)| {
                // A port connected to its one peer hears no one else: it takes no new peer.
                io.socket.connected_to().is_none()
                    && !io.talks_to(listen)
                    && io.socket.local_addr().is_ipv4() == listen.is_ipv4()
            })
            .min_by_key(|(_, io)| io.slots.len())
        {
            Some((index, _)) => index,
            None => {
                let bind = client_bind_for(self.config.client_bind, listen);
                let socket = PortSocket::bind(bind, &self.config.client_socket)?;
                self.client_ports.push(PortIo::new(socket, None));
                self.client_ports.len() - 1
            }
        };
        let request = Request {
            transport_id: UDP_TRANSPORT_ID,
            transport_version: self.config.transport_version,
            protocol_hash: self.protocol_hash,
            seq: self.seq.next_u16(),
        };
        let conn = Connection::connect(self.connection.clone(), channels, request, now);
        let io = &mut self.client_ports[index];
        if !io.insert(PeerSlot::new(entity, listen, Some(listen), conn)) {
            return Err(ConnectError::AddressInUse { listen });
        }
        Ok(io.port())
    }
}

impl Drop for UdpTransport {
    /// Tells every established peer that this App is going away (one `close` with reason
    /// `shutting down`, which the remote side reports as
    /// [`DisconnectReason::TransportClosed`](crate::peer::DisconnectReason::TransportClosed))
    /// instead of leaving it to time out. Best effort: nothing blocks, nothing is resent.
    fn drop(&mut self) {
        let mut close = Vec::new();
        let message =
            ZeroMessage::Close(Close { code: ReasonCode::SHUTTING_DOWN, data: Value::Null });
        message.encode(&mut close);
        let mut spare = self.client_buffers.pop().unwrap_or_else(|| buffers(&self.config));
        for io in self.peer_ports.iter_mut().chain(&mut self.client_ports) {
            io.send_to_established(&close, &mut spare);
        }
    }
}

/// Why an outgoing connection could not start; the peer is disconnected with
/// `TransportClosed` and this is logged.
#[derive(Debug, Error)]
pub(crate) enum ConnectError {
    #[error("no channel table yet; add StardustPlugin before UdpPlugin")]
    NoChannels,
    #[error("{0}")]
    Bind(#[from] BindError),
    #[error("a connection to {listen} already uses this client port")]
    AddressInUse { listen: SocketAddr },
}

/// Buffers sized by `config`.
pub(crate) fn buffers(config: &UdpConfig) -> Buffers {
    Buffers::new(config.batch_size, config.max_datagram_size, config.mtu)
}

/// The client bind address for reaching `remote`: the configured one when the address
/// families match, else the unspecified address of `remote`'s family.
fn client_bind_for(configured: SocketAddr, remote: SocketAddr) -> SocketAddr {
    if configured.is_ipv4() == remote.is_ipv4() {
        return configured;
    }
    let ip = match remote.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    SocketAddr::new(ip, 0)
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
        transport.refresh(&ChannelRegistry::default(), true, 7);
        transport
    }

    #[test]
    fn each_connection_to_one_listener_gets_its_own_client_port() {
        let mut world = World::new();
        let mut transport = connecting_transport();
        let listener = SocketAddr::from((Ipv4Addr::LOCALHOST, 9));
        let now = Instant::now();
        let first = transport.start_connect(world.spawn_empty().id(), listener, now).unwrap();
        let second = transport.start_connect(world.spawn_empty().id(), listener, now).unwrap();
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
            ports.push(transport.start_connect(world.spawn_empty().id(), listener, now).unwrap());
        }
        assert_eq!(transport.client_ports().len(), 2);
        // Listener 10 goes to the first port (tie, first bound), listener 11 to the second.
        assert_eq!(ports[2], ports[0]);
        assert_eq!(ports[3], ports[1]);
    }

    #[test]
    fn listening_without_peer_ports_is_refused_with_the_fix() {
        let config = UdpConfig {
            listen: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
            ..UdpConfig::default()
        };
        let error = UdpTransport::bind(config).unwrap_err();
        assert!(matches!(error, UdpBindError::NoPeerPorts { .. }));
        assert!(error.to_string().contains("set UdpConfig::peer_ports"), "{error}");
    }

    #[test]
    fn a_taken_peer_port_is_refused_naming_it() {
        let taken = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = taken.local_addr().unwrap().port();
        let config = UdpConfig {
            listen: Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
            peer_ports: vec![port],
            ..UdpConfig::default()
        };
        let error = UdpTransport::bind(config).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(&port.to_string()) && text.contains("choose another"), "{text}");
    }

    #[test]
    fn a_busy_poll_longer_than_a_frame_is_refused_with_the_limit() {
        let config = UdpConfig { busy_poll: Duration::from_millis(17), ..UdpConfig::default() };
        let error = UdpTransport::bind(config).unwrap_err();
        assert!(matches!(error, UdpBindError::BusyPollTooLong { .. }));
        assert!(error.to_string().contains("keep it at most 16ms"), "{error}");
        let config = UdpConfig { busy_poll: UdpConfig::MAX_BUSY_POLL, ..UdpConfig::default() };
        assert!(UdpTransport::bind(config).is_ok());
    }
}
