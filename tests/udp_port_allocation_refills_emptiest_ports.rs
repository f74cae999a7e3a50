//! When peers leave, their ports' lists shrink and new peers fill the emptiest ports first.

use std::net::{Ipv4Addr, SocketAddr};

use bevy::ecs::entity::Entity;
use bevy::ecs::world::World;
use stardust::udp::PortTable;

fn addr(i: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 20_000 + i))
}

fn counts(table: &PortTable) -> Vec<usize> {
    table.iter().map(|(_, peers)| peers.len()).collect()
}

#[test]
fn new_peers_fill_the_ports_that_lost_peers_first() {
    let mut world = World::new();
    let mut table = PortTable::new([9000, 9001, 9002, 9003], 64).unwrap();
    let mut peers: Vec<(Entity, u16)> = Vec::new();
    for i in 0..64 {
        let peer = world.spawn_empty().id();
        peers.push((peer, table.assign(peer, addr(i)).unwrap()));
    }

    // 6 leave port 9002 and 4 leave port 9000: 12/16/10/16.
    let leaving: Vec<Entity> = peers
        .iter()
        .filter(|(_, port)| *port == 9002)
        .take(6)
        .chain(peers.iter().filter(|(_, port)| *port == 9000).take(4))
        .map(|(peer, _)| *peer)
        .collect();
    for peer in &leaving {
        let seat = table.remove(*peer).unwrap();
        assert!(seat.port == 9002 || seat.port == 9000);
        assert_eq!(table.lookup(seat.port, seat.addr), None, "a gone peer's address still routes");
        assert!(!table.peers(seat.port).unwrap().contains(peer));
    }
    assert_eq!(table.remove(leaving[0]), None, "removing twice must be a no-op");
    assert_eq!(counts(&table), vec![12, 16, 10, 16]);

    // The first two newcomers level 9002 up to 12, then 9000 and 9002 take turns.
    let mut landed = Vec::new();
    for i in 0..10 {
        let peer = world.spawn_empty().id();
        landed.push(table.assign(peer, addr(100 + i)).unwrap());
    }
    assert_eq!(landed, vec![9002, 9002, 9000, 9002, 9000, 9002, 9000, 9002, 9000, 9002]);
    assert_eq!(counts(&table), vec![16, 16, 16, 16]);
}
