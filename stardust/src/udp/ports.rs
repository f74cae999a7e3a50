//! The port table: which bound peer port carries which peer, and from which address.
//!
//! The UDP transport binds one listen port plus a range of peer ports. Every accepted peer
//! lives on exactly one peer port, and that port accepts the peer's packets only from the
//! source address the handshake came from. This module is the bookkeeping for that, with no
//! socket in sight, so the balancing rules are tested without a network.

use std::collections::HashMap;
use std::net::SocketAddr;

use bevy::ecs::entity::Entity;
use thiserror::Error;

/// The peers of every bound peer port, and the source address each peer is accepted from.
///
/// Invariants, upheld by every method:
/// - the ports are distinct, non-zero and kept in ascending order;
/// - a peer entity sits on at most one port, and appears once in that port's list;
/// - a source address belongs to at most one peer in the whole table;
/// - the number of peers never exceeds [`max_peers`](Self::max_peers).
///
/// The UDP transport wraps this in a resource; readers see it through the `&self` methods,
/// chiefly [`peers`](Self::peers) and [`iter`](Self::iter) (port → peer entities).
#[derive(Debug, Clone)]
pub struct PortTable {
    ports: Vec<PortPeers>,
    seats: HashMap<Entity, Seat>,
    max_peers: usize,
}

/// One bound peer port: its peer list and the source filter built from it.
#[derive(Debug, Clone)]
struct PortPeers {
    port: u16,
    peers: Vec<Entity>,
    sources: HashMap<SocketAddr, Entity>,
}

/// Where a peer sits: the port it was assigned and the address it is accepted from.
///
/// Returned by [`PortTable::seat`] and [`PortTable::remove`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seat {
    /// The bound peer port that carries this peer's packets.
    pub port: u16,
    /// The only source address that port accepts this peer's packets from.
    pub addr: SocketAddr,
}

/// Why a [`PortTable`] could not be built from the given ports.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PortTableError {
    /// No peer port was given.
    #[error(
        "the port table needs at least one peer port; bind a peer port range of one port or more"
    )]
    NoPorts,
    /// Port 0 was given; it means "any port" when binding and is never a bound port.
    #[error(
        "port 0 is not a bound port; pass the port the socket reports from local_addr after binding"
    )]
    ZeroPort,
    /// The same port was given twice.
    #[error("port {0} is listed twice; list each bound peer port once")]
    DuplicatePort(u16),
}

/// Why [`PortTable::assign`] refused a peer. The table is unchanged when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AssignError {
    /// Every peer slot is taken.
    #[error("all {max_peers} peer slots are taken; refuse the handshake or raise max_peers")]
    Full {
        /// The table's capacity.
        max_peers: usize,
    },
    /// The entity already sits on a port.
    #[error("peer {entity:?} already sits on port {port}; remove it before assigning it again")]
    EntityTaken {
        /// The entity that was assigned twice.
        entity: Entity,
        /// The port it already sits on.
        port: u16,
    },
    /// The source address already belongs to another peer.
    #[error(
        "address {addr} already belongs to peer {entity:?}; route its packets to that peer instead of accepting it again"
    )]
    AddressTaken {
        /// The address that was offered twice.
        addr: SocketAddr,
        /// The peer that already owns it.
        entity: Entity,
    },
}

impl PortTable {
    /// Builds an empty table over the given bound peer ports, holding at most `max_peers` peers.
    ///
    /// The ports may come in any order; they are kept sorted so that ties go to the lowest.
    pub fn new(
        ports: impl IntoIterator<Item = u16>,
        max_peers: usize,
    ) -> Result<Self, PortTableError> {
        let mut sorted: Vec<u16> = ports.into_iter().collect();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Err(PortTableError::NoPorts);
        }
        if sorted[0] == 0 {
            return Err(PortTableError::ZeroPort);
        }
        if let Some(pair) = sorted.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(PortTableError::DuplicatePort(pair[0]));
        }
        let ports = sorted
            .into_iter()
            .map(|port| PortPeers { port, peers: Vec::new(), sources: HashMap::new() })
            .collect();
        Ok(Self { ports, seats: HashMap::new(), max_peers })
    }

    /// Seats `entity` on the port with the fewest peers (the lowest port on a tie) and accepts
    /// its packets there from `addr` only. Returns that port.
    ///
    /// On error nothing changes: a full table, an entity already seated, or an address that
    /// already belongs to a peer are all refused.
    pub fn assign(&mut self, entity: Entity, addr: SocketAddr) -> Result<u16, AssignError> {
        if let Some(seat) = self.seats.get(&entity) {
            return Err(AssignError::EntityTaken { entity, port: seat.port });
        }
        if let Some(owner) = self.owner_of(addr) {
            return Err(AssignError::AddressTaken { addr, entity: owner });
        }
        if self.is_full() {
            return Err(AssignError::Full { max_peers: self.max_peers });
        }
        // `new` guarantees at least one port, so the minimum exists; the fallback is unreachable
        // but keeps the network path free of panics.
        let Some(target) = self.ports.iter_mut().min_by_key(|p| (p.peers.len(), p.port)) else {
            return Err(AssignError::Full { max_peers: self.max_peers });
        };
        target.peers.push(entity);
        target.sources.insert(addr, entity);
        let port = target.port;
        self.seats.insert(entity, Seat { port, addr });
        Ok(port)
    }

    /// Takes `entity` off its port and forgets its address. Returns where it sat, or `None` if
    /// it was not in the table. Its port's list shrinks, so the next peers fill it first.
    pub fn remove(&mut self, entity: Entity) -> Option<Seat> {
        let seat = self.seats.remove(&entity)?;
        if let Some(port) = self.port_mut(seat.port) {
            if let Some(index) = port.peers.iter().position(|&e| e == entity) {
                port.peers.swap_remove(index);
            }
            port.sources.remove(&seat.addr);
        }
        Some(seat)
    }

    /// The peer that `port` accepts packets from `from` for, or `None` for an unknown source
    /// (the caller drops and counts such packets) or a port that is not in the table.
    pub fn lookup(&self, port: u16, from: SocketAddr) -> Option<Entity> {
        self.port(port)?.sources.get(&from).copied()
    }

    /// Where `entity` sits, or `None` if it is not in the table.
    pub fn seat(&self, entity: Entity) -> Option<Seat> {
        self.seats.get(&entity).copied()
    }

    /// The peers on `port`, in no particular order, or `None` if `port` is not in the table.
    pub fn peers(&self, port: u16) -> Option<&[Entity]> {
        self.port(port).map(|p| p.peers.as_slice())
    }

    /// Every bound peer port with its peers, in ascending port order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u16, &[Entity])> + '_ {
        self.ports.iter().map(|p| (p.port, p.peers.as_slice()))
    }

    /// The bound peer ports, in ascending order.
    pub fn ports(&self) -> impl ExactSizeIterator<Item = u16> + '_ {
        self.ports.iter().map(|p| p.port)
    }

    /// The number of peers in the whole table.
    pub fn len(&self) -> usize {
        self.seats.len()
    }

    /// Whether no peer is seated.
    pub fn is_empty(&self) -> bool {
        self.seats.is_empty()
    }

    /// The most peers the table holds at once.
    pub fn max_peers(&self) -> usize {
        self.max_peers
    }

    /// Whether [`assign`](Self::assign) would refuse any new peer for lack of room.
    pub fn is_full(&self) -> bool {
        self.seats.len() >= self.max_peers
    }

    fn owner_of(&self, addr: SocketAddr) -> Option<Entity> {
        self.ports.iter().find_map(|p| p.sources.get(&addr).copied())
    }

    fn port(&self, port: u16) -> Option<&PortPeers> {
        let index = self.ports.binary_search_by_key(&port, |p| p.port).ok()?;
        self.ports.get(index)
    }

    fn port_mut(&mut self, port: u16) -> Option<&mut PortPeers> {
        let index = self.ports.binary_search_by_key(&port, |p| p.port).ok()?;
        self.ports.get_mut(index)
    }
}
