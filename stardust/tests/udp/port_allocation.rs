//! A peer port maps only its own peers' source addresses: an unknown source, a known source on
//! another port, or a port not in the table all look up to nothing.

use std::net::{Ipv4Addr, SocketAddr};

use bevy::ecs::world::World;
use stardust::udp::PortTable;

#[test]
fn only_the_handshake_address_on_the_assigned_port_finds_the_peer() {
    let mut world = World::new();
    let mut table = PortTable::new([6000, 6001], 8).unwrap();
    let alice_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 40_001));
    let bob_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 40_002));
    let alice = world.spawn_empty().id();
    let bob = world.spawn_empty().id();
    assert_eq!(table.assign(alice, alice_addr).unwrap(), 6000);
    assert_eq!(table.assign(bob, bob_addr).unwrap(), 6001);

    assert_eq!(table.lookup(6000, alice_addr), Some(alice));
    assert_eq!(table.lookup(6001, bob_addr), Some(bob));

    let stranger = SocketAddr::from((Ipv4Addr::LOCALHOST, 40_003));
    assert_eq!(table.lookup(6000, stranger), None);
    // Same IP, other port: a different source.
    assert_eq!(table.lookup(6000, SocketAddr::from((Ipv4Addr::LOCALHOST, 40_002))), None);
    // Bob's address on Alice's port is not Bob's port.
    assert_eq!(table.lookup(6000, bob_addr), None);
    assert_eq!(table.lookup(6002, alice_addr), None);
}
