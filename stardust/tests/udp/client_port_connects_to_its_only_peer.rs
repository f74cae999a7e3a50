//! A client port whose only connection is established connects its socket to that peer: the
//! kernel drops strangers' datagrams before Stardust reads them. Such a port takes no further
//! connection: a connection to another listener gets a client port of its own, and both
//! carry messages.

use std::net::{Ipv4Addr, UdpSocket};

use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;
use stardust::udp::UdpPortStats;

fn client_port_stats(app: &App, port: u16) -> UdpPortStats {
    app.world().resource::<UdpTransport>().port_stats(port).expect("the client port is bound")
}

/// Sends `count` datagrams from a socket the transport never saw to `port` on 127.0.0.1.
fn strangers_send(port: u16, count: usize) {
    let stranger = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    for _ in 0..count {
        stranger.send_to(b"who are you", (Ipv4Addr::LOCALHOST, port)).unwrap();
    }
}

fn connect_and_wait(client: &mut App, listener: &mut App) -> Entity {
    let peer = connect(client, listen_addr(listener));
    let connected = run_until(&mut [&mut *listener, &mut *client], |apps| {
        is_connected(apps[1], peer) && connected_accepted(apps[0]).len() == 1
    });
    assert!(connected, "never connected: {:?}", state(client, peer));
    peer
}

#[test]
fn a_lone_connection_leaves_strangers_to_the_kernel_and_keeps_its_port() {
    let mut first = listener_app(1);
    let mut second = listener_app(1);
    let mut client = connecting_app();

    let to_first = connect_and_wait(&mut client, &mut first);
    let port = client.world().get::<UdpPeer>(to_first).unwrap().local_port;
    strangers_send(port, 5);
    run_rounds(&mut [&mut first, &mut client], 5);
    assert_eq!(
        client_port_stats(&client, port).dropped_unknown_source,
        0,
        "the port read strangers while connected to its only peer"
    );

    let to_second = connect_and_wait(&mut client, &mut second);
    let second_port = client.world().get::<UdpPeer>(to_second).unwrap().local_port;
    assert_ne!(second_port, port, "a connected client port took a second peer");
    strangers_send(port, 5);
    run_rounds(&mut [&mut first, &mut second, &mut client], 5);
    assert_eq!(client_port_stats(&client, port).dropped_unknown_source, 0);

    // Both connections carry messages both ways.
    for (listener, peer) in [(&mut first, to_first), (&mut second, to_second)] {
        send::<Chat>(&mut client, peer, b"ping").unwrap();
        let accepted = connected_accepted(listener)[0];
        send::<Chat>(listener, accepted, b"pong").unwrap();
        let delivered = run_until(&mut [&mut *listener, &mut client], |apps| {
            received::<Chat>(apps[0]).len() == 1
                && received::<Chat>(apps[1]).iter().any(|(from, _)| *from == peer)
        });
        assert!(delivered, "a message to or from a listener was lost");
    }
    assert!(is_connected(&client, to_first) && is_connected(&client, to_second));
}
