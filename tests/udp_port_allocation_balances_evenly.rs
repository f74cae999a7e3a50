//! 64 peers accepted over 4 peer ports end evenly spread, 16 on each.

use std::net::{Ipv4Addr, SocketAddr};

use bevy::ecs::world::World;
use stardust::udp::PortTable;

fn addr(i: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 20_000 + i))
}

#[test]
fn sixty_four_peers_over_four_ports_end_sixteen_each() {
    let mut world = World::new();
    let mut table = PortTable::new([7003, 7001, 7004, 7002], 64).unwrap();
    for i in 0..64 {
        let peer = world.spawn_empty().id();
        let port = table.assign(peer, addr(i)).unwrap();
        assert_eq!(table.seat(peer).map(|s| s.port), Some(port));
        // Round-robin falls out of "fewest peers, lowest port on a tie".
        assert_eq!(port, 7001 + i % 4, "peer {i} went to the wrong port");
    }
    let counts: Vec<(u16, usize)> = table.iter().map(|(port, peers)| (port, peers.len())).collect();
    assert_eq!(counts, vec![(7001, 16), (7002, 16), (7003, 16), (7004, 16)]);
    assert_eq!(table.len(), 64);
    assert!(table.is_full());
}
