//! `connect_udp_host` takes addresses as people write them: `localhost:PORT` resolves (once,
//! at the call) and connects over 127.0.0.1 end to end, `[::1]:PORT` over IPv6; a name that
//! does not resolve, or an address without a port, is an error that says what to write, and
//! spawns no peer.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

fn peer_count(app: &mut App) -> usize {
    app.world_mut().query::<&Peer>().iter(app.world()).count()
}

#[test]
fn localhost_with_a_port_connects_over_127_0_0_1() {
    let mut listener = listener_app(1);
    let mut client = connecting_app();
    let port = listen_addr(&listener).port();
    let peer = client.world_mut().connect_udp_host(&format!("localhost:{port}")).unwrap();
    let remote = client.world().get::<UdpPeer>(peer).unwrap().listen_addr;
    assert_eq!(remote, Some((Ipv4Addr::LOCALHOST, port).into()), "resolved once, at the call");
    let connected = run_until(&mut [&mut listener, &mut client], |apps| {
        is_connected(apps[1], peer) && connected_accepted(apps[0]).len() == 1
    });
    assert!(connected, "never connected: {:?}", state(&client, peer));
    send::<Chat>(&mut client, peer, b"by name").unwrap();
    let delivered = run_until(&mut [&mut listener, &mut client], |apps| {
        received::<Chat>(apps[0]).iter().any(|(_, bytes)| bytes == b"by name")
    });
    assert!(delivered, "the message never arrived");
}

#[test]
fn an_ipv6_literal_in_brackets_connects_over_ipv6() {
    if UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let listen = SocketAddr::from((Ipv6Addr::LOCALHOST, 0));
    let mut listener =
        app_with(UdpConfig { listen: Some(listen), peer_ports: vec![0], ..UdpConfig::default() });
    let mut client = connecting_app();
    let port = listen_addr(&listener).port();
    let peer = client.world_mut().connect_udp_host(&format!("[::1]:{port}")).unwrap();
    let connected = run_until(&mut [&mut listener, &mut client], |apps| {
        is_connected(apps[1], peer) && connected_accepted(apps[0]).len() == 1
    });
    assert!(connected, "never connected: {:?}", state(&client, peer));
    let remote = client.world().get::<UdpPeer>(peer).unwrap().remote;
    assert_eq!(remote.ip(), Ipv6Addr::LOCALHOST);
}

#[test]
fn an_unresolvable_name_is_an_error_and_spawns_nothing() {
    let mut client = connecting_app();
    let result = client.world_mut().connect_udp_host("nobody-here.invalid:7777");
    let Err(error @ ResolveError::Lookup { .. }) = result else {
        panic!("a name under .invalid resolved: {result:?}");
    };
    let text = error.to_string();
    assert!(text.contains("nobody-here.invalid") && text.contains("127.0.0.1:7777"), "{text}");
    assert_eq!(peer_count(&mut client), 0);
    run_rounds(&mut [&mut client], 3);
}

#[test]
fn an_address_without_a_port_is_an_error_and_spawns_nothing() {
    let mut client = connecting_app();
    for input in ["localhost", "127.0.0.1", "[::1]"] {
        let result = client.world_mut().connect_udp_host(input);
        let Err(error @ ResolveError::MissingPort { .. }) = result else {
            panic!("`{input}` without a port gave {result:?}");
        };
        assert!(error.to_string().contains("localhost:7777"), "{error}");
    }
    assert_eq!(peer_count(&mut client), 0);
}
