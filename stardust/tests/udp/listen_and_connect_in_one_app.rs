//! One App listens and connects at the same time (even to itself), and two Apps exchange
//! reliable-ordered messages both ways over 127.0.0.1, then close gracefully with the
//! reason seen on both sides.

use std::time::Duration;

use crate::support::*;
use bevy::diagnostic::DiagnosticsStore;
use bevy::prelude::*;
use stardust::prelude::*;
use stardust::udp::UdpDiagnostics;

const MESSAGES: usize = 200;

fn payload(from: &str, i: usize) -> Vec<u8> {
    format!("{from}-{i:04}").into_bytes()
}

/// Sends `MESSAGES` numbered messages on `Chat` from `app` to `peer`, a few per frame.
fn send_numbered(app: &mut App, peer: Entity, from: &str, range: std::ops::Range<usize>) {
    for i in range {
        send::<Chat>(app, peer, &payload(from, i)).expect("connected peer accepts messages");
    }
}

/// Whether `app` received exactly the numbered messages of `from`, in order, from `peer`.
fn got_all_in_order(app: &App, peer: Entity, from: &str) -> bool {
    let got: Vec<&Vec<u8>> =
        received::<Chat>(app).iter().filter(|(p, _)| *p == peer).map(|(_, m)| m).collect();
    got.len() == MESSAGES && got.iter().enumerate().all(|(i, m)| **m == payload(from, i))
}

#[test]
fn one_app_connects_to_its_own_listener_and_both_ends_talk() {
    let mut app = listener_app(2);
    let addr = listen_addr(&app);
    let outgoing = connect(&mut app, addr);
    assert_eq!(state(&app, outgoing), Some(PeerState::Connecting));

    let connected = run_until(&mut [&mut app], |apps| {
        is_connected(apps[0], outgoing) && connected_accepted(apps[0]).len() == 1
    });
    assert!(connected, "the app did not connect to itself: {:?}", state(&app, outgoing));
    let accepted = connected_accepted(&mut app)[0];
    assert_ne!(accepted, outgoing);

    let on_outgoing = *app.world().get::<UdpPeer>(outgoing).unwrap();
    let on_accepted = *app.world().get::<UdpPeer>(accepted).unwrap();
    assert_eq!(on_outgoing.direction, UdpDirection::Outgoing);
    assert_eq!(on_outgoing.listen_addr, Some(addr));
    assert_eq!(on_accepted.direction, UdpDirection::Accepted);
    // Each end talks to the other's socket: the outgoing end to the assigned peer port, the
    // accepted end to the client port the connection was made from.
    assert_eq!(on_outgoing.remote.port(), on_accepted.local_port);
    assert_eq!(on_accepted.remote.port(), on_outgoing.local_port);
    let transport = app.world().resource::<UdpTransport>();
    let table = transport.port_table().unwrap();
    assert_eq!(table.peers(on_accepted.local_port).unwrap().collect::<Vec<_>>(), [accepted]);
    assert_eq!(table.len(), 1);

    // Both ends send at once, over several frames.
    for chunk in 0..4 {
        let range = chunk * MESSAGES / 4..(chunk + 1) * MESSAGES / 4;
        send_numbered(&mut app, outgoing, "out", range.clone());
        send_numbered(&mut app, accepted, "acc", range);
        app.update();
    }
    let delivered = run_until(&mut [&mut app], |apps| {
        got_all_in_order(apps[0], accepted, "out") && got_all_in_order(apps[0], outgoing, "acc")
    });
    assert!(delivered, "messages were lost or reordered");

    disconnect(&mut app, outgoing, "leaving myself");
    let closed = run_until(&mut [&mut app], |apps| {
        disconnect_reason(apps[0], outgoing).is_some()
            && disconnect_reason(apps[0], accepted).is_some()
    });
    assert!(closed, "the disconnection was not seen on both ends");
    let message = "leaving myself".to_string();
    assert_eq!(
        disconnect_reason(&app, outgoing),
        Some(DisconnectReason::Requested {
            by: DisconnectInitiator::Local,
            message: message.clone()
        })
    );
    assert_eq!(
        disconnect_reason(&app, accepted),
        Some(DisconnectReason::Requested { by: DisconnectInitiator::Remote, message })
    );
    run_rounds(&mut [&mut app], 3);
    let transport = app.world().resource::<UdpTransport>();
    assert!(transport.port_table().unwrap().is_empty(), "the port table kept a gone peer");
    assert_eq!(transport.client_ports().len(), 0, "the empty client port stayed bound");
    assert!(state(&app, outgoing).is_none() && state(&app, accepted).is_none());
}

#[test]
fn two_apps_exchange_both_ways_then_the_listener_closes() {
    // One task per port even for one peer, so that this test covers the parallel path.
    let mut listener = app_with(UdpConfig {
        parallel_min_peers: 0,
        parallel_min_work: Duration::ZERO,
        ..UdpConfig::loopback(2)
    });
    let mut client = connecting_app();
    let addr = listen_addr(&listener);
    let server = connect(&mut client, addr);

    let connected = run_until(&mut [&mut listener, &mut client], |apps| {
        is_connected(apps[1], server) && connected_accepted(apps[0]).len() == 1
    });
    assert!(connected, "the client did not connect: {:?}", state(&client, server));
    let peer = connected_accepted(&mut listener)[0];
    // A state set in the send phase is reported in the next frame's dispatch.
    run_rounds(&mut [&mut listener, &mut client], 1);
    assert_eq!(lifecycle(&client).connected, vec![server]);
    assert_eq!(lifecycle(&listener).connected, vec![peer]);

    for chunk in 0..4 {
        let range = chunk * MESSAGES / 4..(chunk + 1) * MESSAGES / 4;
        send_numbered(&mut client, server, "client", range.clone());
        send_numbered(&mut listener, peer, "listener", range);
        listener.update();
        client.update();
    }
    let delivered = run_until(&mut [&mut listener, &mut client], |apps| {
        got_all_in_order(apps[0], peer, "client") && got_all_in_order(apps[1], server, "listener")
    });
    assert!(delivered, "messages were lost or reordered");

    // Stats on both peers, and per-port rates in diagnostics.
    for (app, entity) in [(&listener, peer), (&client, server)] {
        let stats = app.world().get::<PeerStats>(entity).unwrap();
        assert!(stats.rtt.is_some(), "no rtt measured: {stats:?}");
        assert!(stats.bytes_sent > 0 && stats.bytes_received > 0, "{stats:?}");
    }
    let port = listener.world().get::<UdpPeer>(peer).unwrap().local_port;
    let port_stats = listener.world().resource::<UdpTransport>().port_stats(port).unwrap();
    assert!(port_stats.packets_in > 0 && port_stats.packets_out > 0, "{port_stats:?}");
    let store = listener.world().resource::<DiagnosticsStore>();
    for metric in UdpDiagnostics::METRICS {
        let diagnostic = store.get(&UdpDiagnostics::path(port, metric)).expect("registered");
        assert!(diagnostic.values().any(|&v| v > 0.0), "{metric} on port {port} stayed zero");
    }

    disconnect(&mut listener, peer, "server going down");
    let closed = run_until(&mut [&mut listener, &mut client], |apps| {
        disconnect_reason(apps[0], peer).is_some() && disconnect_reason(apps[1], server).is_some()
    });
    assert!(closed, "the disconnection was not seen on both sides");
    let message = "server going down".to_string();
    assert_eq!(
        disconnect_reason(&listener, peer),
        Some(DisconnectReason::Requested {
            by: DisconnectInitiator::Local,
            message: message.clone()
        })
    );
    assert_eq!(
        disconnect_reason(&client, server),
        Some(DisconnectReason::Requested { by: DisconnectInitiator::Remote, message })
    );
}
