//! The table refuses peers beyond its capacity, an entity seated twice, an address owned by
//! another peer, and bad port lists, and a refusal changes nothing.

use std::net::{Ipv4Addr, SocketAddr};

use bevy::ecs::world::World;
use stardust::udp::{AssignError, PortTable, PortTableError};

fn addr(i: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 50_000 + i))
}

#[test]
fn refusals_leave_the_table_unchanged() {
    let mut world = World::new();
    let mut table = PortTable::new([8000, 8001], 3).unwrap();
    let a = world.spawn_empty().id();
    let b = world.spawn_empty().id();
    table.assign(a, addr(0)).unwrap();

    assert_eq!(table.assign(a, addr(1)), Err(AssignError::EntityTaken { entity: a, port: 8000 }));
    assert_eq!(
        table.assign(b, addr(0)),
        Err(AssignError::AddressTaken { addr: addr(0), entity: a })
    );
    assert_eq!(table.len(), 1);
    assert_eq!(table.lookup(8001, addr(1)), None);

    table.assign(b, addr(1)).unwrap();
    table.assign(world.spawn_empty().id(), addr(2)).unwrap();
    assert!(table.is_full());
    let late = world.spawn_empty().id();
    assert_eq!(table.assign(late, addr(3)), Err(AssignError::Full { max_peers: 3 }));
    assert_eq!(table.seat(late), None);

    // Room again once someone leaves.
    table.remove(a).unwrap();
    assert_eq!(table.assign(late, addr(3)), Ok(8000));
}

#[test]
fn bad_port_lists_are_refused() {
    assert_eq!(PortTable::new([], 4).unwrap_err(), PortTableError::NoPorts);
    assert_eq!(PortTable::new([0, 7000], 4).unwrap_err(), PortTableError::ZeroPort);
    assert_eq!(
        PortTable::new([7001, 7000, 7001], 4).unwrap_err(),
        PortTableError::DuplicatePort(7001)
    );
}

#[test]
fn error_messages_say_what_to_do() {
    let full = AssignError::Full { max_peers: 3 }.to_string();
    assert!(full.contains("raise max_peers"), "{full}");
    assert!(PortTableError::NoPorts.to_string().starts_with("the port table needs"));
}
