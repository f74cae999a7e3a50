//! After traffic both ways over real UDP, every statistic the transport documents is filled:
//! `PeerStats` (RTT > 0, bytes and message counts matching what was sent) and `UdpPeerStats`
//! (packets) on both peers, `UdpPortStats` of the listen, peer and client ports, the listen
//! port's handshake counters, and a per-second diagnostic for each listen and peer port.

use std::time::Duration;

use crate::scenarios::*;
use crate::support::*;
use bevy::diagnostic::DiagnosticsStore;
use stardust::prelude::*;
use stardust::udp::{UdpDiagnostics, UdpPeerStats, UdpPortKind};

const MESSAGES: u64 = 300;
const SIZE: usize = 100;

#[test]
fn stats_and_diagnostics_are_non_zero_after_traffic() {
    let mut listener = listener_app(3);
    let mut client = connecting_app();
    let (outgoing, accepted) = connect_one(&mut listener, &mut client);

    for i in 0..MESSAGES {
        send::<Chat>(&mut client, outgoing, &[i as u8; SIZE]).unwrap();
        send::<Chat>(&mut listener, accepted, &[i as u8; SIZE]).unwrap();
        if i % 30 == 0 {
            listener.update();
            client.update();
        }
    }
    let delivered = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        apps.iter().all(|app| received::<Chat>(app).len() == MESSAGES as usize)
    });
    assert!(delivered, "messages did not arrive");
    // Diagnostics first, while the rates of the last frames still show the traffic:
    // registered for the listen port and every peer port, non-zero on the port that carried it.
    let peer_port = udp_peer(&listener, accepted).local_port;
    let transport = listener.world().resource::<UdpTransport>();
    let listen_port = transport.listen_addr().unwrap().port();
    let store = listener.world().resource::<DiagnosticsStore>();
    for port in std::iter::once(listen_port).chain(transport.peer_ports()) {
        for metric in UdpDiagnostics::METRICS {
            let path = UdpDiagnostics::path(port, metric);
            let diagnostic = store.get(&path).unwrap_or_else(|| panic!("{path} not registered"));
            if port == peer_port {
                assert!(diagnostic.values().any(|&v| v > 0.0), "{path} stayed zero");
            }
        }
    }

    for (app, peer) in [(&listener, accepted), (&client, outgoing)] {
        let stats = app.world().get::<PeerStats>(peer).unwrap();
        assert!(stats.rtt.is_some_and(|rtt| rtt > Duration::ZERO), "no rtt: {stats:?}");
        assert!(stats.rtt.unwrap() < DEADLINE, "an absurd rtt: {stats:?}");
        assert!((0.0..=1.0).contains(&stats.packet_loss), "{stats:?}");
        assert_eq!((stats.messages_sent, stats.messages_received), (MESSAGES, MESSAGES));
        let payload = MESSAGES * SIZE as u64;
        assert!(stats.bytes_sent >= payload && stats.bytes_received >= payload, "{stats:?}");
        let udp = app.world().get::<UdpPeerStats>(peer).unwrap();
        assert!(udp.packets_sent > 0 && udp.packets_received > 0, "{udp:?}");
    }

    // Port counters: the listen port answered one handshake; the peer's port and the client
    // port carried the traffic; the unused peer ports saw nothing.
    let client_port = udp_peer(&client, outgoing).local_port;
    let transport = listener.world().resource::<UdpTransport>();
    let endpoint = transport.endpoint_stats().unwrap();
    assert_eq!((endpoint.accepted, endpoint.rejected), (1, 0), "{endpoint:?}");
    for (port, kind, stats) in transport.iter_port_stats() {
        let used = kind == UdpPortKind::Listen || port == peer_port;
        assert_eq!(
            stats.packets_in > 0 && stats.packets_out > 0,
            used,
            "{kind:?} {port}: {stats:?}"
        );
        assert_eq!(stats.bytes_in > 0 && stats.bytes_out > 0, used, "{kind:?} {port}: {stats:?}");
        assert_eq!(stats.io_errors, 0, "{kind:?} {port}: {stats:?}");
    }
    let client_stats = client.world().resource::<UdpTransport>().port_stats(client_port).unwrap();
    assert!(client_stats.packets_in > 0 && client_stats.bytes_out > 0, "{client_stats:?}");
}
