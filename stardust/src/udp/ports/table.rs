//! [`PortTable`]: which peer port carries which accepted peer, and from which address.

use std::net::SocketAddr;

use bevy::ecs::entity::Entity;

use super::peer_ports::PeerPorts;

/// A read-only view of the listener's peer ports: port → accepted peer entities, and the
/// source address each is accepted from. Get it from
/// [`UdpTransport::port_table`](crate::udp::UdpTransport::port_table).
///
/// It reads the very records the transport routes datagrams by, so what it says is what a
/// datagram meets: [`lookup`](Self::lookup) names the peer a datagram from that address on
/// that port is fed to, or `None` when the port drops it as coming from an unknown source.
///
/// Invariants: a peer sits on one port; a source address belongs to at most one peer over
/// all ports; there are never more than [`max_peers`](Self::max_peers) peers. A new peer
/// goes on the port with the fewest peers, the lowest port on a tie.
#[derive(Debug, Clone, Copy)]
pub struct PortTable<'a> {
    ports: &'a PeerPorts,
}

/// Where a peer sits: the port it was assigned and the address it is accepted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seat {
    /// The bound peer port that carries this peer's packets.
    pub port: u16,
    /// The only source address that port accepts this peer's packets from.
    pub addr: SocketAddr,
}

impl<'a> PortTable<'a> {
    pub(crate) fn new(ports: &'a PeerPorts) -> Self {
        Self { ports }
    }

    /// The peer behind `from` on `port`: for an insecure connection the one that port feeds
    /// datagrams from `from` to (others from there are dropped and counted in
    /// `dropped_unknown_source`); for a secure one, the peer whose packets last authenticated
    /// from `from` (its packets route by connection id: see [`lookup_cid`](Self::lookup_cid)).
    /// `None` for an unknown source or a port that is not a peer port.
    pub fn lookup(&self, port: u16, from: SocketAddr) -> Option<Entity> {
        self.ports.get(port)?.peers().entity_at(from)
    }

    /// The peer of secure connection `cid` on `port`: where that port feeds sealed packets
    /// carrying `cid`, from any address (only those that authenticate reach the peer).
    pub fn lookup_cid(&self, port: u16, cid: u64) -> Option<Entity> {
        self.ports.get(port)?.peers().entity_of(cid)
    }

    /// Where `entity` sits, or `None` if it is not an accepted peer.
    pub fn seat(&self, entity: Entity) -> Option<Seat> {
        self.ports.iter().find_map(|io| {
            let slot = io.peers().iter().find(|slot| slot.entity() == entity)?;
            Some(Seat { port: io.port(), addr: slot.remote() })
        })
    }

    /// The peers on `port`, in no particular order, or `None` if `port` is not a peer port.
    pub fn peers(&self, port: u16) -> Option<impl ExactSizeIterator<Item = Entity> + 'a> {
        Some(self.ports.get(port)?.peers().iter().map(|slot| slot.entity()))
    }

    /// Every peer port with its peers, in ascending port order.
    pub fn iter(
        &self,
    ) -> impl ExactSizeIterator<Item = (u16, impl ExactSizeIterator<Item = Entity> + 'a)> + 'a {
        self.ports.iter().map(|io| (io.port(), io.peers().iter().map(|slot| slot.entity())))
    }

    /// The peer ports, ascending.
    pub fn ports(&self) -> impl ExactSizeIterator<Item = u16> + 'a {
        self.ports.ports()
    }

    /// The number of accepted peers over all ports.
    pub fn len(&self) -> usize {
        self.ports.len()
    }

    /// Whether no peer is seated.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most peers the listener holds at once ([`UdpConfig::max_peers`](crate::udp::UdpConfig::max_peers)).
    pub fn max_peers(&self) -> usize {
        self.ports.max_peers()
    }

    /// Whether the next request would be refused for lack of room.
    pub fn is_full(&self) -> bool {
        self.ports.is_full()
    }
}
