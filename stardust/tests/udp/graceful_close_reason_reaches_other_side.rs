//! A graceful close over real UDP carries the closing side's message to the other side, from
//! either end: the closer sees `Requested { by: Local }`, the other `Requested { by: Remote }`
//! with the same text (non-ASCII included); reliable messages sent in the frame before the
//! close still arrive; neither side reports a timeout.

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

const LAST_WORDS: u32 = 50;

fn pair() -> (App, App, Entity, Entity) {
    let mut listener = listener_app(2);
    let mut client = connecting_app();
    let (outgoing, accepted) = connect_one(&mut listener, &mut client);
    (listener, client, outgoing, accepted)
}

/// `closer` sends `LAST_WORDS` messages to `peer`, runs a frame, then closes with `message`;
/// checks both sides' reasons and that the messages arrived.
fn close_and_check(apps: [&mut App; 2], peers: [Entity; 2], message: &str) {
    let [closer, other] = apps;
    let [peer, remote] = peers;
    for i in 0..LAST_WORDS {
        send::<Chat>(closer, peer, &i.to_be_bytes()).unwrap();
    }
    closer.update();
    disconnect(closer, peer, message);
    let ended = drive(&mut [&mut *closer, &mut *other], DEADLINE, |apps| {
        disconnect_reason(apps[0], peer).is_some() && disconnect_reason(apps[1], remote).is_some()
    });
    assert!(ended, "the close was not reported on both sides");
    let message = message.to_string();
    assert_eq!(
        disconnect_reason(closer, peer),
        Some(DisconnectReason::Requested {
            by: DisconnectInitiator::Local,
            message: message.clone()
        })
    );
    assert_eq!(
        disconnect_reason(other, remote),
        Some(DisconnectReason::Requested { by: DisconnectInitiator::Remote, message })
    );
    let got: Vec<Vec<u8>> = received::<Chat>(other)
        .iter()
        .filter(|(p, _)| *p == remote)
        .map(|(_, m)| m.clone())
        .collect();
    let sent: Vec<Vec<u8>> = (0..LAST_WORDS).map(|i| i.to_be_bytes().to_vec()).collect();
    assert_eq!(got, sent, "messages sent before the close were lost");
    run_rounds(&mut [closer, other], 3);
    assert!(state(closer, peer).is_none() && state(other, remote).is_none());
    for app in [&*closer, &*other] {
        assert_eq!(lifecycle(app).disconnected.len(), 1, "{:?}", lifecycle(app));
    }
}

#[test]
fn the_connecting_side_closes_and_the_listener_reads_why() {
    let (mut listener, mut client, outgoing, accepted) = pair();
    close_and_check([&mut client, &mut listener], [outgoing, accepted], "gg — à bientôt 👋");
    let transport = listener.world().resource::<UdpTransport>();
    assert!(transport.port_table().unwrap().is_empty());
}

#[test]
fn the_listener_closes_and_the_connecting_side_reads_why() {
    let (mut listener, mut client, outgoing, accepted) = pair();
    close_and_check(
        [&mut listener, &mut client],
        [accepted, outgoing],
        "server restarting in 5 min",
    );
    assert_eq!(client.world().resource::<UdpTransport>().client_ports().len(), 0);
}
