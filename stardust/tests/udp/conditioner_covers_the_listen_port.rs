//! The listening App's conditioner applies to its listen port too: with every received
//! datagram lost, connection requests are dropped there (and counted) and nobody connects;
//! with the conditions cleared, the same client connects.

use std::time::Duration;

use crate::scenarios::*;
use crate::support::*;
use stardust::prelude::*;
use stardust::udp::UdpPortKind;

#[test]
fn handshakes_meet_the_listeners_conditions() {
    let deaf = Conditions { loss: 1.0, ..Conditions::default() };
    let config = UdpConfig {
        conditioner: NetworkConditioner { inbound: deaf, ..NetworkConditioner::OFF },
        ..UdpConfig::loopback(1)
    };
    let mut listener = app_with(config);
    let mut client = connecting_app();
    let peer = connect(&mut client, listen_addr(&listener));
    let connected = drive(&mut [&mut listener, &mut client], Duration::from_millis(1500), |apps| {
        is_connected(apps[1], peer)
    });
    assert!(!connected, "a listener that loses every datagram accepted a peer");
    let transport = listener.world().resource::<UdpTransport>();
    let (_, _, listen) =
        transport.iter_port_stats().find(|(_, kind, _)| *kind == UdpPortKind::Listen).unwrap();
    assert!(listen.conditioner.inbound.dropped > 0, "{:?}", listen.conditioner);
    assert_eq!(listen.conditioner.inbound.dropped, listen.conditioner.inbound.offered);

    listener.insert_resource(NetworkConditioner::OFF);
    let connected =
        drive(&mut [&mut listener, &mut client], DEADLINE, |apps| is_connected(apps[1], peer));
    assert!(connected, "the client did not connect once the conditions were cleared");
}
