//! While 8 peers exchange reliable messages over real UDP, plain sockets flood the listen port,
//! every peer port and every client port with garbage: random bytes, empty and one-byte
//! datagrams, truncated zero messages, zero headers with bad JSON, well-formed close and accept
//! messages, valid-looking game packets (even one carrying a message on a real channel), and
//! datagrams far past the size limit. No peer is disturbed: all stay connected, every message
//! arrives once and in order, no forged message is delivered, and the drops are counted (on
//! the listen and peer ports; each client port here carries one connection, so its socket is
//! connected to that peer and the kernel drops strangers' datagrams before they are read).
//!
//! Sources: spoofing a peer's address is impossible on loopback, so the garbage comes from
//! sockets the transport never saw: one long-lived socket and a fresh one every few rounds.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;
use stardust::udp::{UdpPortKind, UdpPortStats};

const PEERS: usize = 8;
const ROUNDS: u32 = 150;
const PER_ROUND: u32 = 4;
const FORGED: &[u8] = b"forged by a stranger";

/// Every kind of garbage, freshly drawn from `rng`.
fn garbage(rng: &mut Bytes64) -> Vec<Vec<u8>> {
    let chat_wire_id = (Chat::ID.get() + 1).to_be_bytes();
    // A data packet: type 1, seq, no ack block, then one frame on the Chat channel.
    let mut game = vec![0x01, rng.next_u64() as u8, rng.next_u64() as u8, 0x00];
    game.extend_from_slice(&chat_wire_id[1..]);
    game.push(0x00);
    game.extend_from_slice(&[0x00, 0x00]);
    game.extend_from_slice(&(FORGED.len() as u16).to_be_bytes());
    game.extend_from_slice(FORGED);
    // An ack packet acknowledging everything recent.
    let mut ack = vec![0x02, 0x00, 0x01, 0x01, rng.next_u64() as u8, rng.next_u64() as u8];
    ack.extend_from_slice(&[0xFF; 8]);
    let random_len = 1 + rng.below(1200) as usize;
    let huge_len = 2_000 + rng.below(60_000) as usize;
    vec![
        rng.bytes(random_len),
        Vec::new(),
        vec![0x00],
        vec![0x00, 0x00, 0x00],
        b"\0\0\0{\"type\":0,\"transport\":1,\"vers".to_vec(),
        b"\0\0\0this is not json}".to_vec(),
        b"\0\0\0{\"type\":99}".to_vec(),
        b"\0\0\0{\"type\":3,\"code\":0,\"data\":null}".to_vec(),
        b"\0\0\0{\"type\":1,\"ack\":1,\"seq\":2,\"port\":9}".to_vec(),
        game,
        ack,
        [&[0x01, 0x00, 0x05, 0x00][..], &rng.bytes(40)].concat(),
        rng.bytes(huge_len),
    ]
}

/// The listen, peer and client ports of both Apps, as addresses on 127.0.0.1.
fn every_port(listener: &App, client: &App) -> Vec<SocketAddr> {
    let listening = listener.world().resource::<UdpTransport>();
    let connecting = client.world().resource::<UdpTransport>();
    let ports = [listening.listen_addr().unwrap().port()]
        .into_iter()
        .chain(listening.peer_ports())
        .chain(connecting.client_ports());
    ports.map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port))).collect()
}

fn stats(app: &App) -> Vec<(u16, UdpPortKind, UdpPortStats)> {
    app.world().resource::<UdpTransport>().iter_port_stats().collect()
}

fn message(from: u8, index: u32) -> Vec<u8> {
    [&[from][..], &index.to_be_bytes()].concat()
}

/// Whether `app` got every numbered message of `from` from each of `peers`, in order.
fn got_all(app: &App, from: u8, peers: &[Entity]) -> bool {
    peers.iter().all(|&peer| {
        let got: Vec<&Vec<u8>> =
            received::<Chat>(app).iter().filter(|(p, _)| *p == peer).map(|(_, m)| m).collect();
        got.len() == (ROUNDS * PER_ROUND) as usize
            && got.iter().enumerate().all(|(i, m)| **m == message(from, i as u32))
    })
}

#[test]
fn garbage_at_every_port_leaves_peers_connected_and_is_counted() {
    let mut listener = app_with(UdpConfig {
        parallel_min_peers: 0,
        parallel_min_work: Duration::ZERO,
        ..UdpConfig::loopback(4)
    });
    let mut client = connecting_app();
    let outgoing = connect_many(&mut client, listen_addr(&listener), PEERS);
    let connected = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        all_connected(apps[1], &outgoing) && connected_accepted(apps[0]).len() == PEERS
    });
    assert!(connected, "the peers did not connect");
    let accepted = counterparts(&mut listener, &client, &outgoing);
    let targets = every_port(&listener, &client);
    assert_eq!(targets.len(), 1 + 4 + PEERS, "one client port per connection to one listener");
    let before = (stats(&listener), stats(&client));
    let endpoint_before = listener.world().resource::<UdpTransport>().endpoint_stats().unwrap();

    let stranger = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let mut rng = Bytes64::new(0x5EED);
    let mut sent_garbage = 0u64;
    for round in 0..ROUNDS {
        let range = round * PER_ROUND..(round + 1) * PER_ROUND;
        send_all::<Chat>(
            &mut client,
            outgoing.iter().flat_map(|&p| range.clone().map(move |i| (p, message(1, i)))).collect(),
        );
        send_all::<Chat>(
            &mut listener,
            accepted.iter().flat_map(|&p| range.clone().map(move |i| (p, message(2, i)))).collect(),
        );
        let fresh = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let source = if round % 5 == 0 { &fresh } else { &stranger };
        for target in &targets {
            for datagram in garbage(&mut rng) {
                // The OS may refuse a datagram (e.g. past its size limit); that is not a failure.
                if source.send_to(&datagram, target).is_ok() {
                    sent_garbage += 1;
                }
            }
        }
        listener.update();
        client.update();
        std::thread::sleep(FRAME_PAUSE);
    }
    assert!(sent_garbage > u64::from(ROUNDS) * targets.len() as u64 * 10, "{sent_garbage}");
    let delivered = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        got_all(apps[0], 1, &accepted) && got_all(apps[1], 2, &outgoing)
    });
    assert!(delivered, "messages were lost, reordered or forged under garbage");
    run_rounds(&mut [&mut listener, &mut client], 20);

    assert!(all_connected(&client, &outgoing) && all_connected(&listener, &accepted));
    assert!(lifecycle(&listener).disconnected.is_empty(), "{:?}", lifecycle(&listener));
    assert!(lifecycle(&client).disconnected.is_empty(), "{:?}", lifecycle(&client));
    for app in [&listener, &client] {
        let forged = received::<Chat>(app).iter().any(|(_, m)| m == FORGED);
        assert!(!forged, "a stranger's game packet was delivered as a message");
        assert_eq!(received::<Chat>(app).len(), PEERS * (ROUNDS * PER_ROUND) as usize);
    }

    // Every port dropped the strangers' datagrams: the listen port counted them in its
    // handshake counters and as oversize, peer ports as unknown sources and oversize; client
    // ports never saw them (their sockets are connected to their one peer).
    let after = (stats(&listener), stats(&client));
    let endpoint = listener.world().resource::<UdpTransport>().endpoint_stats().unwrap();
    assert!(endpoint.zero.dropped_total() > endpoint_before.zero.dropped_total(), "{endpoint:?}");
    assert_eq!(endpoint.accepted, PEERS as u64, "a stranger was accepted: {endpoint:?}");
    for (then, now) in [(&before.0, &after.0), (&before.1, &after.1)] {
        assert_eq!(then.len(), now.len(), "ports came or went");
        for ((port, kind, old), (_, _, new)) in then.iter().zip(now) {
            if *kind == UdpPortKind::Client {
                assert_eq!(
                    (new.dropped_oversize, new.dropped_unknown_source),
                    (old.dropped_oversize, old.dropped_unknown_source),
                    "client port {port} read a stranger's datagram: {new:?}"
                );
                continue;
            }
            assert!(new.dropped_oversize > old.dropped_oversize, "{kind:?} port {port}: {new:?}");
            if *kind != UdpPortKind::Listen {
                assert!(
                    new.dropped_unknown_source > old.dropped_unknown_source,
                    "{kind:?} port {port} did not count strangers: {new:?}"
                );
            }
        }
    }
}
