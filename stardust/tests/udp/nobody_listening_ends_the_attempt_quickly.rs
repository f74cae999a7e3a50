//! A connection attempt to a port where nothing listens (the kernel answers every copy of
//! the request with ICMP "port unreachable") ends with `NobodyListening` in about a second,
//! not after the 15 s handshake timeout; with `nobody_listening_after: None` it waits for the
//! timeout as before. Refusals count only for the attempt they are about: one beside it on
//! the same client port connects. An established connection whose peer's port refuses for a
//! while (a proxy's socket closed, then bound again) stays connected: ICMP errors never end
//! one.
//!
//! Linux and Android only: elsewhere client ports get no per-destination ICMP reports.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::proxy::{Proxy, Verdict, drive_through};
use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;

/// A port on `ip` that was free a moment ago and where nothing listens now, or `None` when
/// `ip` cannot be bound (no IPv6 loopback).
fn closed_port_on(ip: IpAddr) -> Option<SocketAddr> {
    UdpSocket::bind((ip, 0)).and_then(|socket| socket.local_addr()).ok()
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> SocketAddr {
    closed_port_on(Ipv4Addr::LOCALHOST.into()).expect("127.0.0.1 binds")
}

/// Connects `client` to `addr` and runs it until the game is told the attempt ended (a
/// `PeerDisconnected`; at most `limit`); returns the reason, which the peer's state shows
/// too, and how long it took.
fn attempt(client: &mut App, addr: SocketAddr, limit: Duration) -> (DisconnectReason, Duration) {
    let peer = connect(client, addr);
    let start = Instant::now();
    drive(&mut [&mut *client], limit, |apps| disconnect_reason(apps[0], peer).is_some());
    let took = start.elapsed();
    let reason = disconnect_reason(client, peer).expect("no PeerDisconnected for the attempt");
    if let Some(state) = state(client, peer) {
        assert_eq!(state, PeerState::Disconnected(reason.clone()));
    }
    (reason, took)
}

#[test]
fn connecting_where_nothing_listens_ends_as_nobody_listening_within_two_seconds() {
    let mut client = connecting_app();
    let (reason, took) = attempt(&mut client, closed_port(), DEADLINE);
    assert_eq!(reason, DisconnectReason::NobodyListening, "after {took:?}");
    // The third copy goes out at 750 ms; the bound leaves room for a loaded machine, and is
    // a third of the handshake timeout the old behaviour waited for.
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(reason.to_string().contains("nobody is listening"), "{reason}");
}

#[test]
fn connecting_where_nothing_listens_over_ipv6_ends_the_same_way() {
    let Some(addr) = closed_port_on(Ipv6Addr::LOCALHOST.into()) else {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    };
    let mut client = connecting_app();
    let (reason, took) = attempt(&mut client, addr, DEADLINE);
    assert_eq!(reason, DisconnectReason::NobodyListening, "after {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn an_attempt_sharing_the_client_port_with_a_refused_one_still_connects() {
    let mut listener = listener_app(1);
    let mut client = connecting_app();
    // Started in the same frame, to two listen addresses: one client port carries both.
    let live = connect(&mut client, listen_addr(&listener));
    let dead = connect(&mut client, closed_port());
    let ended = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        is_connected(apps[1], live) && disconnect_reason(apps[1], dead).is_some()
    });
    assert!(ended, "live {:?}, dead {:?}", state(&client, live), state(&client, dead));
    let port = |peer| client.world().get::<UdpPeer>(peer).map(|udp| udp.local_port);
    assert_eq!(port(live), port(dead), "the two attempts did not share a client port");
    assert_eq!(disconnect_reason(&client, dead), Some(DisconnectReason::NobodyListening));
    assert_eq!(disconnect_reason(&client, live), None);
    send::<Chat>(&mut client, live, b"unharmed").unwrap();
    let delivered = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        received::<Chat>(apps[0]).iter().any(|(_, bytes)| bytes == b"unharmed")
    });
    assert!(delivered, "the live connection did not carry a message");
}

#[test]
fn with_the_setting_off_the_attempt_waits_for_its_timeout() {
    let mut client = app_with(UdpConfig {
        nobody_listening_after: None,
        handshake_timeout: Duration::from_secs(2),
        ..UdpConfig::default()
    });
    let (reason, took) = attempt(&mut client, closed_port(), DEADLINE);
    assert_eq!(reason, DisconnectReason::TimedOut);
    assert!(took >= Duration::from_millis(1900), "ended after only {took:?}");
}

#[test]
fn an_established_connection_outlives_a_peer_port_that_refuses_for_a_while() {
    let timeout = Duration::from_secs(4);
    let mut listener = app_with(with_timeouts(UdpConfig::loopback(1), timeout));
    let mut client = app_with(with_timeouts(UdpConfig::default(), timeout));
    let ports = crate::proxy::listener_ports(&listener);
    let mut proxy = Proxy::new(ports.clone());
    let outgoing = connect(&mut client, Proxy::front(ports[0]));
    let up = drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        DEADLINE,
        |_| Verdict::Pass,
        |apps, _| is_connected(apps[1], outgoing) && connected_accepted(apps[0]).len() == 1,
    );
    assert!(up, "never connected: {:?}", state(&client, outgoing));
    let local_port = client.world().get::<UdpPeer>(outgoing).unwrap().local_port;
    let errors = |client: &App| {
        let transport = client.world().resource::<UdpTransport>();
        transport.port_stats(local_port).expect("the client port is bound").io_errors
    };
    let before = errors(&client);

    // The peer port "closes": every keep-alive the client sends draws a port unreachable.
    let peer_port = ports[1];
    proxy.close_front(peer_port);
    let refused_for = Duration::from_millis(1500);
    let held = drive_for(&mut [&mut listener, &mut client], refused_for, |apps| {
        is_connected(apps[1], outgoing)
    });
    assert_eq!(held, Ok(()), "ended while refused: {:?}", disconnect_reason(&client, outgoing));
    assert!(errors(&client) > before, "the kernel reported no refusal to the client port");

    proxy.reopen_front(peer_port);
    send::<Chat>(&mut client, outgoing, b"still here").unwrap();
    let delivered = drive_through(
        &mut proxy,
        &mut [&mut listener, &mut client],
        DEADLINE,
        |_| Verdict::Pass,
        |apps, _| received::<Chat>(apps[0]).iter().any(|(_, bytes)| bytes == b"still here"),
    );
    assert!(delivered, "the connection did not carry on: {:?}", state(&client, outgoing));
    assert!(is_connected(&client, outgoing));
}
