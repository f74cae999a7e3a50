//! One App (the relay) both accepts a connection from one App and connects to a third App at
//! the same time, over real UDP; messages flow on both connections both ways, each reaching
//! the right peer, and closing one connection leaves the other up.

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

const MESSAGES: u32 = 100;

fn tagged(tag: &str, i: u32) -> Vec<u8> {
    format!("{tag}-{i}").into_bytes()
}

/// What `app` received from `peer`, as text.
fn texts_from(app: &App, peer: Entity) -> Vec<String> {
    received::<Chat>(app)
        .iter()
        .filter(|(p, _)| *p == peer)
        .map(|(_, m)| String::from_utf8_lossy(m).into_owned())
        .collect()
}

fn expected(tag: &str) -> Vec<String> {
    (0..MESSAGES).map(|i| format!("{tag}-{i}")).collect()
}

#[test]
fn an_app_accepts_one_peer_while_connected_to_another_listener() {
    let mut upstream = listener_app(2);
    let mut relay = listener_app(2);
    let mut downstream = connecting_app();
    let to_upstream = connect(&mut relay, listen_addr(&upstream));
    let to_relay = connect(&mut downstream, listen_addr(&relay));
    let mut apps = [&mut upstream, &mut relay, &mut downstream];
    let connected = drive(&mut apps, DEADLINE, |apps| {
        is_connected(apps[1], to_upstream)
            && is_connected(apps[2], to_relay)
            && connected_accepted(apps[0]).len() == 1
            && connected_accepted(apps[1]).len() == 1
    });
    assert!(connected, "the relay did not both accept and connect");
    let from_relay = connected_accepted(&mut upstream)[0];
    let from_downstream = connected_accepted(&mut relay)[0];

    // The relay has one peer of each direction: the outgoing one on a client port, the
    // accepted one on one of its peer ports.
    let out = udp_peer(&relay, to_upstream);
    let acc = udp_peer(&relay, from_downstream);
    assert_eq!((out.direction, acc.direction), (UdpDirection::Outgoing, UdpDirection::Accepted));
    let transport = relay.world().resource::<UdpTransport>();
    assert!(transport.client_ports().any(|port| port == out.local_port));
    assert!(transport.peer_ports().any(|port| port == acc.local_port));
    assert_eq!(transport.port_table().unwrap().len(), 1, "only the downstream peer is seated");

    for i in 0..MESSAGES {
        send::<Chat>(&mut upstream, from_relay, &tagged("up", i)).unwrap();
        send::<Chat>(&mut relay, to_upstream, &tagged("relay-up", i)).unwrap();
        send::<Chat>(&mut relay, from_downstream, &tagged("relay-down", i)).unwrap();
        send::<Chat>(&mut downstream, to_relay, &tagged("down", i)).unwrap();
    }
    let mut apps = [&mut upstream, &mut relay, &mut downstream];
    let delivered = drive(&mut apps, DEADLINE, |apps| {
        received::<Chat>(apps[0]).len() == MESSAGES as usize
            && received::<Chat>(apps[1]).len() == 2 * MESSAGES as usize
            && received::<Chat>(apps[2]).len() == MESSAGES as usize
    });
    assert!(delivered, "not every message arrived");
    assert_eq!(texts_from(&upstream, from_relay), expected("relay-up"));
    assert_eq!(texts_from(&relay, to_upstream), expected("up"));
    assert_eq!(texts_from(&relay, from_downstream), expected("down"));
    assert_eq!(texts_from(&downstream, to_relay), expected("relay-down"));

    // Closing the upstream connection leaves the downstream one working.
    disconnect(&mut relay, to_upstream, "upstream no longer needed");
    let mut apps = [&mut upstream, &mut relay, &mut downstream];
    let closed = drive(&mut apps, DEADLINE, |apps| {
        disconnect_reason(apps[0], from_relay).is_some()
            && disconnect_reason(apps[1], to_upstream).is_some()
    });
    assert!(closed, "the close was not reported on both sides");
    send::<Chat>(&mut downstream, to_relay, b"still there?").unwrap();
    let mut apps = [&mut upstream, &mut relay, &mut downstream];
    let answered = drive(&mut apps, DEADLINE, |apps| {
        received::<Chat>(apps[1]).len() == 2 * MESSAGES as usize + 1
    });
    assert!(answered, "the downstream connection stopped working");
    assert!(is_connected(&relay, from_downstream) && is_connected(&downstream, to_relay));
    assert_eq!(lifecycle(&relay).disconnected.len(), 1, "{:?}", lifecycle(&relay));
}
