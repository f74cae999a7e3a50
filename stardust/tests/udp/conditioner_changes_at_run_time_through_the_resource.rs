//! The `NetworkConditioner` resource changes the conditions of a running App: set to 100 %
//! outbound loss, nothing the listener sends arrives any more (and the conditioner counts
//! the drops); set back to `OFF`, traffic flows again.

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

/// Sends `count` position updates from `from` to `peer` over a few frames, then lets them
/// land; returns how many more updates `to` has received than before.
fn burst(listener: &mut App, client: &mut App, peer: Entity, count: u8) -> usize {
    let before = received::<Moves>(client).len();
    for i in 0..count {
        send::<Moves>(listener, peer, &[i]).unwrap();
        run_rounds(&mut [&mut *listener, &mut *client], 1);
    }
    run_rounds(&mut [&mut *listener, &mut *client], 10);
    received::<Moves>(client).len() - before
}

#[test]
fn the_resource_switches_loss_on_and_off_while_connected() {
    let mut listener = listener_app(1);
    let mut client = connecting_app();
    let (_, accepted) = connect_one(&mut listener, &mut client);
    assert!(burst(&mut listener, &mut client, accepted, 20) > 0, "no conditions: traffic flows");

    let all_lost = Conditions { loss: 1.0, ..Conditions::default() };
    listener.insert_resource(NetworkConditioner { outbound: all_lost, ..NetworkConditioner::OFF });
    assert_eq!(burst(&mut listener, &mut client, accepted, 20), 0, "100 % loss: nothing arrives");
    let transport = listener.world().resource::<UdpTransport>();
    assert_eq!(transport.conditioner().outbound.loss, 1.0);
    let port = udp_peer(&listener, accepted).local_port;
    let outbound = transport.port_stats(port).unwrap().conditioner.outbound;
    assert!(outbound.dropped >= 20 && outbound.dropped == outbound.offered, "{outbound:?}");

    listener.insert_resource(NetworkConditioner::OFF);
    assert!(burst(&mut listener, &mut client, accepted, 20) > 0, "off again: traffic flows");
}
