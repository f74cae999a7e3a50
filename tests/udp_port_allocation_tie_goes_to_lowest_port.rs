//! When several ports have the fewest peers, the lowest port number wins, whatever order the
//! ports were bound in.

use std::net::{Ipv4Addr, SocketAddr};

use bevy::ecs::world::World;
use stardust::udp::PortTable;

fn addr(i: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 30_000 + i))
}

#[test]
fn tie_between_emptiest_ports_goes_to_the_lowest() {
    let mut world = World::new();
    let mut table = PortTable::new([5005, 5001, 5003], 16).unwrap();
    assert_eq!(table.ports().collect::<Vec<_>>(), vec![5001, 5003, 5005]);

    let first = world.spawn_empty().id();
    assert_eq!(table.assign(first, addr(0)).unwrap(), 5001);
    let second = world.spawn_empty().id();
    assert_eq!(table.assign(second, addr(1)).unwrap(), 5003);

    // 5001 empties again: it ties with 5005 at zero peers and, being lower, wins.
    table.remove(first).unwrap();
    let third = world.spawn_empty().id();
    assert_eq!(table.assign(third, addr(2)).unwrap(), 5001);
    let fourth = world.spawn_empty().id();
    assert_eq!(table.assign(fourth, addr(3)).unwrap(), 5005);
}
