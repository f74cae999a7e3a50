//! The peer ports of a listener, and which one a new peer sits on.

use std::net::SocketAddr;
use std::time::Instant;

use bevy::ecs::entity::Entity;
use thiserror::Error;

use crate::udp::port_io::{PeerSlot, PortIo};

/// The bound peer ports, ascending, each with its peers; at most `max_peers` peers in all.
///
/// Invariants: the ports are distinct and ascending; an address belongs to at most one peer
/// over all ports; the number of peers never exceeds `max_peers`. Where each peer sits is
/// read from the ports' own address records ([`PortIo::peers`]), the ones datagrams are
/// routed by: there is no second record.
#[derive(Debug)]
pub(crate) struct PeerPorts {
    ports: Vec<PortIo>,
    max_peers: usize,
}

/// Why a new peer could not be seated. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum SeatError {
    /// Every peer slot is taken.
    #[error("all {max_peers} peer slots are taken; refuse the handshake or raise max_peers")]
    Full { max_peers: usize },
    /// The source address already belongs to another peer.
    #[error("address {addr} already belongs to peer {entity:?} on port {port}")]
    AddressTaken { addr: SocketAddr, entity: Entity, port: u16 },
    /// The port is not one of the peer ports.
    #[error("port {0} is not a peer port of this listener")]
    UnknownPort(u16),
}

impl PeerPorts {
    /// The peer ports `ports` (any order), holding at most `max_peers` peers.
    pub(crate) fn new(mut ports: Vec<PortIo>, max_peers: usize) -> Self {
        ports.sort_by_key(PortIo::port);
        Self { ports, max_peers }
    }

    /// The bound peer ports, ascending.
    pub(crate) fn ports(&self) -> impl ExactSizeIterator<Item = u16> + '_ {
        self.ports.iter().map(PortIo::port)
    }

    /// Every port with its peers, ascending.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, PortIo> {
        self.ports.iter()
    }

    /// Every port, mutably: what the phases run.
    pub(crate) fn as_mut_slice(&mut self) -> &mut [PortIo] {
        &mut self.ports
    }

    /// The port `port`, if it is a peer port.
    pub(crate) fn get(&self, port: u16) -> Option<&PortIo> {
        let index = self.ports.binary_search_by_key(&port, PortIo::port).ok()?;
        self.ports.get(index)
    }

    /// The number of peers over all ports.
    pub(crate) fn len(&self) -> usize {
        self.ports.iter().map(|port| port.peers().len()).sum()
    }

    /// The most peers held at once.
    pub(crate) fn max_peers(&self) -> usize {
        self.max_peers
    }

    /// Whether no new peer can be seated for lack of room.
    pub(crate) fn is_full(&self) -> bool {
        self.len() >= self.max_peers
    }

    /// Who is behind `addr`, on which port.
    #[cfg(test)]
    pub(crate) fn owner(&self, addr: SocketAddr) -> Option<(u16, Entity)> {
        self.ports.iter().find_map(|io| io.peers().entity_at(addr).map(|e| (io.port(), e)))
    }

    /// Who an insecure datagram from `addr` is routed to, on which port.
    fn routed_owner(&self, addr: SocketAddr) -> Option<(u16, Entity)> {
        self.ports.iter().find_map(|io| {
            let index = io.peers().route(addr, &[])?;
            io.peers().get(index).map(|slot| (io.port(), slot.entity()))
        })
    }

    /// The port a new peer from `addr` goes on: the one with the fewest peers, the lowest on
    /// a tie. Refused when the ports are full, or, for an insecure peer (routed by address),
    /// when `addr` already routes to a peer. Secure peers are told apart by connection id, so
    /// any number may share an address.
    pub(crate) fn place(&self, addr: SocketAddr, secure: bool) -> Result<u16, SeatError> {
        if let Some((port, entity)) = self.routed_owner(addr).filter(|_| !secure) {
            return Err(SeatError::AddressTaken { addr, entity, port });
        }
        if self.is_full() {
            return Err(SeatError::Full { max_peers: self.max_peers });
        }
        // Ports are ascending, and `min_by_key` keeps the first minimum: the lowest port.
        let emptiest = self.ports.iter().min_by_key(|io| io.peers().len());
        emptiest.map(PortIo::port).ok_or(SeatError::Full { max_peers: self.max_peers })
    }

    /// Seats `slot` on `port`, as [`place`](Self::place) chose it.
    pub(crate) fn seat(&mut self, port: u16, slot: PeerSlot) -> Result<(), SeatError> {
        let addr = slot.remote();
        if self.is_full() {
            return Err(SeatError::Full { max_peers: self.max_peers });
        }
        let index = self.ports.binary_search_by_key(&port, PortIo::port);
        let io = index.ok().and_then(|i| self.ports.get_mut(i));
        let io = io.ok_or(SeatError::UnknownPort(port))?;
        io.peers_mut().insert(slot).map_err(|entity| SeatError::AddressTaken { addr, entity, port })
    }

    /// Ends the peer behind `addr` (its remote side restarted and asks again): marks it
    /// finished and returns its entity.
    pub(crate) fn end_peer_at(&mut self, addr: SocketAddr) -> Option<Entity> {
        self.ports.iter_mut().find_map(|io| {
            let index = io.peers().route(addr, &[])?;
            let slot = io.peers_mut().get_mut(index)?;
            slot.finish();
            Some(slot.entity())
        })
    }

    /// How many accepted secure peers have not proven themselves yet.
    pub(crate) fn unproven(&self) -> usize {
        let unproven = |slot: &&PeerSlot| {
            let conn = slot.conn();
            conn.is_secure() && !conn.is_connected() && !conn.is_closed()
        };
        self.ports.iter().map(|io| io.peers().iter().filter(unproven).count()).sum()
    }

    /// Removes every finished peer from its port (retiring its connection id there, see
    /// `port_io/retired.rs`); yields each to `removed`.
    pub(crate) fn remove_finished(&mut self, now: Instant, mut removed: impl FnMut(&PeerSlot)) {
        for io in &mut self.ports {
            io.remove_finished(now, &mut removed);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Instant;

    use bevy::ecs::world::World;

    use super::*;
    use crate::udp::port_io::BufferShape;
    use crate::udp::socket::{PortSocket, SocketConfig};

    /// `count` peer ports bound on 127.0.0.1, holding at most `max_peers`.
    fn ports(count: usize, max_peers: usize) -> PeerPorts {
        let shape = BufferShape { batch: 4, max_datagram: 1472, mtu: 1200 };
        let ports = (0..count)
            .map(|_| {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
                let socket = PortSocket::bind(addr, &SocketConfig::default()).unwrap();
                PortIo::new(socket, Some(shape.make()))
            })
            .collect();
        PeerPorts::new(ports, max_peers)
    }

    fn slot(world: &mut World, port: u16) -> PeerSlot {
        let remote = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        crate::udp::port_io::slot_with(world.spawn_empty().id(), remote, None)
    }

    fn seat(table: &mut PeerPorts, world: &mut World, remote: u16) -> Result<u16, SeatError> {
        let slot = slot(world, remote);
        let port = table.place(slot.remote(), false)?;
        table.seat(port, slot)?;
        Ok(port)
    }

    fn loads(table: &PeerPorts) -> Vec<usize> {
        table.iter().map(|io| io.peers().len()).collect()
    }

    #[test]
    fn new_peers_go_to_the_emptiest_port_the_lowest_on_a_tie() {
        let mut world = World::new();
        let mut table = ports(3, 64);
        let lowest = table.ports().next().unwrap();
        assert_eq!(seat(&mut table, &mut world, 1000), Ok(lowest));
        for remote in 1001..1011 {
            seat(&mut table, &mut world, remote).unwrap();
            let loads = loads(&table);
            assert!(loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1, "{loads:?}");
        }
        assert_eq!(loads(&table), [4, 4, 3]);
    }

    #[test]
    fn a_port_left_by_its_peers_is_refilled_first() {
        let mut world = World::new();
        let mut table = ports(3, 64);
        for remote in 2000..2009 {
            seat(&mut table, &mut world, remote).unwrap();
        }
        let middle = table.ports().nth(1).unwrap();
        let gone: Vec<SocketAddr> =
            table.get(middle).unwrap().peers().iter().map(PeerSlot::remote).collect();
        for &addr in &gone {
            table.end_peer_at(addr).unwrap();
        }
        let mut removed = Vec::new();
        table.remove_finished(Instant::now(), |slot| removed.push(slot.remote()));
        assert_eq!(removed.len(), 3);
        assert_eq!(loads(&table), [3, 0, 3]);
        assert!(gone.iter().all(|&addr| table.owner(addr).is_none()), "a gone peer still routes");
        for remote in 3000..3003 {
            assert_eq!(seat(&mut table, &mut world, remote), Ok(middle));
        }
    }

    #[test]
    fn a_full_table_or_a_taken_address_is_refused_and_nothing_changes() {
        let mut world = World::new();
        let mut table = ports(2, 3);
        let first = seat(&mut table, &mut world, 4000).unwrap();
        let again = seat(&mut table, &mut world, 4000);
        let owner = table.owner(SocketAddr::from((Ipv4Addr::LOCALHOST, 4000))).unwrap();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 4000));
        assert_eq!(again, Err(SeatError::AddressTaken { addr, entity: owner.1, port: first }));
        seat(&mut table, &mut world, 4001).unwrap();
        seat(&mut table, &mut world, 4002).unwrap();
        assert!(table.is_full());
        assert_eq!(seat(&mut table, &mut world, 4003), Err(SeatError::Full { max_peers: 3 }));
        assert_eq!(table.len(), 3);
        let full = SeatError::Full { max_peers: 3 }.to_string();
        assert!(full.contains("raise max_peers"), "{full}");
    }
}
