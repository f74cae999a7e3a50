//! Who is behind each source address of one port: the one record the transport routes every
//! datagram by, and the one the port table reads.

use std::collections::HashMap;
use std::net::SocketAddr;

use bevy::ecs::entity::Entity;

use stardust_proto::sealed::sealed_cid;

use super::slot::PeerSlot;

/// The peers of one port, and which of them each datagram belongs to: a sealed packet by the
/// connection id in its clear header, anything else by its source address.
///
/// Invariants: `by_cid` maps exactly the connection ids of `slots` to their index, and
/// `by_addr` exactly their [`PeerSlot::addresses`] (the listen address of an outgoing peer,
/// the remote of an insecure connection); a connection id or an address routes to one peer.
#[derive(Debug, Default)]
pub(crate) struct PortPeers {
    slots: Vec<PeerSlot>,
    by_cid: HashMap<u64, usize>,
    by_addr: HashMap<SocketAddr, usize>,
}

impl PortPeers {
    /// How many peers the port carries.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the port carries no peer.
    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The index of the peer `datagram` from `from` belongs to, if any: what the receive
    /// phase feeds it to. A datagram with a connection id this port knows goes by its id
    /// (wherever it comes from: the engine decides whether it authenticates); any other by
    /// its source.
    pub(crate) fn route(&self, from: SocketAddr, datagram: &[u8]) -> Option<usize> {
        sealed_cid(datagram)
            .and_then(|cid| self.by_cid.get(&cid))
            .or_else(|| self.by_addr.get(&from))
            .copied()
    }

    /// The entity whose packets come from `from` (a secure peer's current address, or an
    /// address that routes), if any.
    pub(crate) fn entity_at(&self, from: SocketAddr) -> Option<Entity> {
        let routed = self.by_addr.get(&from).and_then(|&index| self.slots.get(index));
        let current =
            || self.slots.iter().find(|slot| slot.cid().is_some() && slot.remote() == from);
        routed.or_else(current).map(PeerSlot::entity)
    }

    /// The entity of connection `cid`, if it is here.
    pub(crate) fn entity_of(&self, cid: u64) -> Option<Entity> {
        self.by_cid.get(&cid).and_then(|&index| self.slots.get(index)).map(PeerSlot::entity)
    }

    /// Whether some peer is behind `addr`.
    pub(crate) fn has_address(&self, addr: SocketAddr) -> bool {
        self.by_addr.contains_key(&addr)
    }

    /// Adds a peer. Refuses it, adding nothing, if one of its addresses already belongs to
    /// another peer of this port: returns that peer's entity.
    pub(crate) fn insert(&mut self, slot: PeerSlot) -> Result<(), Entity> {
        let taken_addr = slot.addresses().find_map(|addr| self.by_addr.get(&addr));
        let taken_cid = slot.cid().and_then(|cid| self.by_cid.get(&cid));
        if let Some(&owner) = taken_addr.or(taken_cid) {
            return Err(self.slots[owner].entity());
        }
        let index = self.slots.len();
        self.route_slot(&slot, index);
        self.slots.push(slot);
        Ok(())
    }

    /// Routes `slot`'s connection id and addresses to `index`.
    fn route_slot(&mut self, slot: &PeerSlot, index: usize) {
        for addr in slot.addresses() {
            self.by_addr.insert(addr, index);
        }
        if let Some(cid) = slot.cid() {
            self.by_cid.insert(cid, index);
        }
    }

    /// Routes the peer at `index` by `cid` from now on (an outgoing peer, accepted); its
    /// packets no longer route by its remote address. Refused (returns `false`) when another
    /// peer of this port has that id.
    pub(crate) fn set_cid(&mut self, index: usize, cid: u64) -> bool {
        if self.by_cid.contains_key(&cid) || index >= self.slots.len() {
            return false;
        }
        let slot = &mut self.slots[index];
        if self.by_addr.get(&slot.remote()) == Some(&index)
            && slot.listen_addr() != Some(slot.remote())
        {
            self.by_addr.remove(&slot.remote());
        }
        slot.set_cid(cid);
        self.by_cid.insert(cid, index);
        true
    }

    /// Follows the secure peer at `index` to `remote`, from where its newest packet
    /// authenticated.
    pub(crate) fn migrate(&mut self, index: usize, remote: SocketAddr) {
        if let Some(slot) = self.slots.get_mut(index).filter(|slot| slot.cid().is_some()) {
            slot.migrate(remote);
        }
    }

    /// Moves the peer at `index` to `remote` (an outgoing peer's assigned data port), unless
    /// another peer is behind that address already: then it stays where it is (and times out
    /// rather than steal that peer's packets). Returns whether it moved.
    pub(crate) fn move_to(&mut self, index: usize, remote: SocketAddr) -> bool {
        let Some(slot) = self.slots.get_mut(index) else { return false };
        if slot.remote() == remote || self.by_addr.contains_key(&remote) {
            return false;
        }
        // The old remote stays routed when it is the listen address.
        if slot.listen_addr() != Some(slot.remote()) {
            self.by_addr.remove(&slot.remote());
        }
        slot.set_remote(remote);
        self.by_addr.insert(remote, index);
        true
    }

    /// The outgoing secure peer at `index` was accepted: its packets come from `remote` and
    /// route by `cid` from now on. Refused (returns `false`) when another peer of this port
    /// has that id.
    pub(crate) fn connected(&mut self, index: usize, cid: u64, remote: SocketAddr) -> bool {
        if !self.set_cid(index, cid) {
            return false;
        }
        if let Some(slot) = self.slots.get_mut(index) {
            slot.set_remote(remote);
        }
        true
    }

    /// The peers, in no particular order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, PeerSlot> {
        self.slots.iter()
    }

    /// The peers, mutably, in no particular order.
    pub(crate) fn iter_mut(&mut self) -> std::slice::IterMut<'_, PeerSlot> {
        self.slots.iter_mut()
    }

    /// The peer at `index` (`0..len`).
    pub(crate) fn get(&self, index: usize) -> Option<&PeerSlot> {
        self.slots.get(index)
    }

    /// The peer at `index` (`0..len`), mutably.
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut PeerSlot> {
        self.slots.get_mut(index)
    }

    /// Removes every finished peer, keeping the routes exact; yields each removed one to
    /// `removed`.
    pub(crate) fn remove_finished(&mut self, mut removed: impl FnMut(&PeerSlot)) {
        let mut index = 0;
        while index < self.slots.len() {
            if !self.slots[index].is_finished() {
                index += 1;
                continue;
            }
            let slot = self.slots.swap_remove(index);
            for addr in slot.addresses() {
                if self.by_addr.get(&addr) == Some(&index) {
                    self.by_addr.remove(&addr);
                }
            }
            if let Some(cid) = slot.cid()
                && self.by_cid.get(&cid) == Some(&index)
            {
                self.by_cid.remove(&cid);
            }
            removed(&slot);
            // The last slot moved into the freed index: its routes follow it.
            if let Some(moved) = self.slots.get(index) {
                let (addresses, cid) = (moved.addresses(), moved.cid());
                for addr in addresses {
                    self.by_addr.insert(addr, index);
                }
                if let Some(cid) = cid {
                    self.by_cid.insert(cid, index);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::time::Instant;

    use bevy::ecs::world::World;
    use stardust_proto::crypto::SeededEntropy;
    use stardust_proto::{
        ChannelTable, ClientSecurity, ConnectParams, Connection, ConnectionConfig,
    };

    use super::*;

    /// A connecting peer's slot for `entity`, talking to the listener at `listen`.
    pub(crate) fn slot(entity: Entity, listen: SocketAddr) -> PeerSlot {
        slot_with(entity, listen, Some(listen))
    }

    /// An insecure peer's slot for `entity` at `remote`, an outgoing one when it has the
    /// `listen` address of its listener.
    pub(crate) fn slot_with(
        entity: Entity,
        remote: SocketAddr,
        listen: Option<SocketAddr>,
    ) -> PeerSlot {
        let channels = ChannelTable::new([]).unwrap();
        let params = ConnectParams {
            transport_id: 1,
            transport_version: 2,
            protocol_hash: 3,
            security: ClientSecurity::Insecure,
        };
        let mut entropy = SeededEntropy::from_u64(7);
        let conn = Connection::connect(
            ConnectionConfig::default(),
            channels,
            params,
            &mut entropy,
            Instant::now(),
        );
        PeerSlot::new(entity, remote, listen, conn)
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    }

    #[test]
    fn routes_stay_exact_when_slots_leave() {
        let mut world = World::new();
        let [a, b, c] = [(); 3].map(|_| world.spawn_empty().id());
        let mut peers = PortPeers::default();
        assert!(peers.insert(slot(a, addr(1001))).is_ok());
        assert!(peers.insert(slot(b, addr(1002))).is_ok());
        assert!(peers.insert(slot(c, addr(1003))).is_ok());
        assert!(peers.insert(slot(a, addr(1002))).is_err(), "an address routes to one peer only");

        peers.get_mut(0).unwrap().finish();
        let mut removed = Vec::new();
        peers.remove_finished(|slot| removed.push(slot.entity()));
        assert_eq!(removed, vec![a]);
        assert_eq!(peers.entity_at(addr(1001)), None);
        // `c` moved into the freed index; its route follows it.
        assert_eq!(peers.entity_at(addr(1002)), Some(b));
        assert_eq!(peers.entity_at(addr(1003)), Some(c));
        let routed = peers.route(addr(1003), b"a plaintext packet");
        assert_eq!(routed.and_then(|i| peers.get(i)).map(|slot| slot.entity()), Some(c));
        assert_eq!(peers.by_addr.len(), 2);
    }

    #[test]
    fn a_peer_moves_to_its_data_port_unless_that_address_is_taken() {
        let mut world = World::new();
        let [a, b] = [(); 2].map(|_| world.spawn_empty().id());
        let mut peers = PortPeers::default();
        peers.insert(slot(a, addr(2000))).unwrap();
        peers.insert(slot(b, addr(3000))).unwrap();
        assert!(peers.move_to(0, addr(2001)));
        assert_eq!(peers.entity_at(addr(2001)), Some(a));
        assert_eq!(peers.entity_at(addr(2000)), Some(a), "the listen address keeps routing");
        assert!(!peers.move_to(1, addr(2001)), "another peer is behind that address");
        assert_eq!(peers.entity_at(addr(2001)), Some(a));
    }
}
