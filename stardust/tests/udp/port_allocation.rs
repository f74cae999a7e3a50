//! Port allocation through the path datagrams take: peers connect over real sockets, are
//! seated on the emptiest peer port (the lowest on a tie), and from then on a port feeds a
//! datagram to a peer's engine only if it routes to that peer: by address for an insecure
//! connection (the raw peers here, plain sockets speaking the insecure handshake), by
//! connection id for a secure one. What `UdpTransport::port_table` says is checked against
//! what datagrams actually meet.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Instant;

use bevy::prelude::*;
use stardust::prelude::*;
use stardust::proto::zero::{AcceptedBody, Request, RequestMode, ZeroMessage};
use stardust::udp::{UDP_TRANSPORT_ID, UDP_TRANSPORT_VERSION, UdpSecurity};

use crate::scenarios::*;
use crate::support::*;

/// A connecting side written by hand over a plain socket, so a test can send any datagram
/// from a peer's own address.
struct RawPeer {
    socket: UdpSocket,
    seq: u16,
}

impl RawPeer {
    fn new(seq: u16) -> Self {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        socket.set_nonblocking(true).unwrap();
        Self { socket, seq }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    /// Sends its request to `listener` until accepted (driving the App meanwhile); returns
    /// the data port it was given.
    fn join(&self, listener: &mut App) -> u16 {
        let hash = listener.world().resource::<ProtocolHash>().0;
        let request = Request {
            transport_id: UDP_TRANSPORT_ID,
            transport_version: UDP_TRANSPORT_VERSION,
            protocol_hash: hash,
            id: u64::from(self.seq),
            mode: RequestMode::Insecure { seq: self.seq },
        };
        let mut datagram = Vec::new();
        ZeroMessage::Request(request).encode(&mut datagram);
        let to = listen_addr(listener);
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            self.socket.send_to(&datagram, to).unwrap();
            for _ in 0..20 {
                listener.update();
                let mut buf = [0; 2048];
                if let Ok((len, _)) = self.socket.recv_from(&mut buf)
                    && let Ok(ZeroMessage::Accepted(accepted)) = ZeroMessage::decode(&buf[..len])
                    && accepted.id == u64::from(self.seq)
                    && let AcceptedBody::Insecure { port, .. } = accepted.body
                {
                    return port;
                }
                std::thread::sleep(FRAME_PAUSE);
            }
        }
        panic!("the listener never accepted {}", self.addr());
    }

    fn send_to(&self, port: u16, bytes: &[u8]) {
        self.socket.send_to(bytes, SocketAddr::from((Ipv4Addr::LOCALHOST, port))).unwrap();
    }
}

/// An insecure listener with `ports` peer ports: what a raw peer can talk to.
fn insecure_listener(ports: usize) -> App {
    app_with(UdpConfig { security: UdpSecurity::Insecure, ..UdpConfig::loopback(ports) })
}

fn transport(app: &App) -> &UdpTransport {
    app.world().resource::<UdpTransport>()
}

/// The listener's accepted peer at `addr`, on the port it sits on.
fn seated(app: &App, addr: SocketAddr) -> Option<(u16, Entity)> {
    let table = transport(app).port_table()?;
    table.ports().find_map(|port| table.lookup(port, addr).map(|peer| (port, peer)))
}

/// Runs `app` until `done` holds (bounded), pausing between frames.
fn settle(app: &mut App, done: impl FnMut(&mut [&mut App]) -> bool) -> bool {
    drive(&mut [app], DEADLINE, done)
}

#[test]
fn peers_joining_one_by_one_are_seated_round_robin_from_the_lowest_port() {
    let mut listener = insecure_listener(4);
    let ports: Vec<u16> = transport(&listener).peer_ports().collect();
    let raw: Vec<RawPeer> = (0..8).map(|i| RawPeer::new(100 + i)).collect();
    for (i, peer) in raw.iter().enumerate() {
        let port = peer.join(&mut listener);
        // "Fewest peers, lowest port on a tie" is round-robin when peers only arrive.
        assert_eq!(port, ports[i % 4], "peer {i} was seated on the wrong port");
        let (seat, entity) = seated(&listener, peer.addr()).expect("the table has the peer");
        assert_eq!(seat, port, "the table and the accept disagree");
        let on_entity = listener.world().get::<UdpPeer>(entity).expect("a udp peer");
        assert_eq!((on_entity.local_port, on_entity.remote), (port, peer.addr()));
    }
    assert_eq!(port_loads(&listener).iter().map(|(_, n)| *n).collect::<Vec<_>>(), [2; 4]);
}

#[test]
fn only_a_peers_own_address_on_its_own_port_reaches_its_engine() {
    let mut listener = insecure_listener(2);
    let (alice, bob) = (RawPeer::new(1), RawPeer::new(2));
    let alice_port = alice.join(&mut listener);
    let bob_port = bob.join(&mut listener);
    assert_ne!(alice_port, bob_port, "two peers on two empty ports take one each");
    let (_, alice_entity) = seated(&listener, alice.addr()).unwrap();
    let table = transport(&listener).port_table().unwrap();
    assert_eq!(table.lookup(alice_port, alice.addr()), Some(alice_entity));
    assert_eq!(table.lookup(bob_port, alice.addr()), None, "alice's address on bob's port");

    // A stranger, and alice on bob's port: dropped as unknown sources, by the port.
    let stranger = RawPeer::new(3);
    for _ in 0..3 {
        stranger.send_to(alice_port, b"\x01\x00\x00\x00");
    }
    alice.send_to(bob_port, b"\x01\x00\x00\x00");
    alice.send_to(bob_port, b"\x01\x00\x00\x00");
    let unknown = |app: &App, port| transport(app).port_stats(port).unwrap().dropped_unknown_source;
    let dropped = settle(&mut listener, |apps| {
        unknown(apps[0], alice_port) == 3 && unknown(apps[0], bob_port) == 2
    });
    assert!(dropped, "unknown sources were not all dropped by their ports");

    // Alice on her own port: fed to her engine (which drops a datagram this short, counted
    // on her peer), not counted as an unknown source.
    alice.send_to(alice_port, b"\x09");
    let reached = settle(&mut listener, |apps| {
        apps[0].world().get::<UdpPeerStats>(alice_entity).is_some_and(|s| s.dropped_incoming == 1)
    });
    assert!(reached, "alice's datagram on her own port did not reach her engine");
    assert_eq!(unknown(&listener, alice_port), 3);
}

#[test]
fn a_tie_between_emptiest_ports_goes_to_the_lowest() {
    let mut listener = listener_app(3);
    let mut client = connecting_app();
    let ports: Vec<u16> = transport(&listener).peer_ports().collect();
    let addr = listen_addr(&listener);
    let join = |listener: &mut App, client: &mut App| {
        let peer = connect(client, addr);
        let up = drive(&mut [&mut *listener, &mut *client], DEADLINE, |apps| {
            is_connected(apps[1], peer)
        });
        assert!(up, "a peer did not connect");
        (peer, udp_peer(client, peer).remote.port())
    };
    let (first, on) = join(&mut listener, &mut client);
    assert_eq!(on, ports[0]);
    let (_, on) = join(&mut listener, &mut client);
    assert_eq!(on, ports[1]);
    // The lowest port empties again: it ties with the third at zero peers and, being lower,
    // wins; the next peer then takes the third.
    disconnect(&mut client, first, "making room");
    let left = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        port_loads(apps[0]).iter().map(|(_, n)| *n).collect::<Vec<_>>() == [0, 1, 0]
    });
    assert!(left, "the first peer did not leave: {:?}", port_loads(&listener));
    assert_eq!(join(&mut listener, &mut client).1, ports[0]);
    assert_eq!(join(&mut listener, &mut client).1, ports[2]);
}

#[test]
fn a_gone_peers_address_no_longer_routes_and_its_port_is_filled_first() {
    let mut listener = insecure_listener(2);
    let raw: Vec<RawPeer> = (0..4).map(|i| RawPeer::new(10 + i)).collect();
    let ports: Vec<u16> = raw.iter().map(|peer| peer.join(&mut listener)).collect();
    // The first peer closes with a `close` zero message from its own address.
    let mut close = Vec::new();
    let message = stardust::proto::zero::Close {
        code: stardust::proto::ReasonCode::CLOSED,
        data: serde_json::Value::Null,
    };
    ZeroMessage::Close(message).encode(&mut close);
    raw[0].send_to(ports[0], &close);
    let gone = settle(&mut listener, |apps| seated(apps[0], raw[0].addr()).is_none());
    assert!(gone, "the closed peer is still seated");
    assert_eq!(port_loads(&listener).iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1, 2]);

    // Its address is a stranger now, on its old port.
    let before = transport(&listener).port_stats(ports[0]).unwrap().dropped_unknown_source;
    raw[0].send_to(ports[0], b"\x01\x00\x00\x00");
    let dropped = settle(&mut listener, |apps| {
        transport(apps[0]).port_stats(ports[0]).unwrap().dropped_unknown_source == before + 1
    });
    assert!(dropped, "a gone peer's address still reached an engine");
    // The next peer goes to the port it left.
    assert_eq!(RawPeer::new(20).join(&mut listener), ports[0]);
}

#[test]
fn a_repeated_request_makes_no_second_peer_and_a_full_listener_refuses() {
    let mut config = UdpConfig::loopback(2);
    config.max_peers = 2;
    let mut listener = app_with(UdpConfig { security: UdpSecurity::Insecure, ..config });
    let alice = RawPeer::new(7);
    let port = alice.join(&mut listener);
    // The same request again (its accept was "lost"): the same accept, the same single peer.
    assert_eq!(alice.join(&mut listener), port);
    assert_eq!(transport(&listener).port_table().unwrap().len(), 1);
    assert_eq!(transport(&listener).endpoint_stats().unwrap().duplicates, 1);

    RawPeer::new(8).join(&mut listener);
    let full = transport(&listener).port_table().unwrap();
    assert!(full.is_full() && full.len() == 2);
    let mut client =
        app_with(UdpConfig { security: UdpSecurity::Insecure, ..UdpConfig::default() });
    let refused = connect(&mut client, listen_addr(&listener));
    let ended = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        disconnect_reason(apps[1], refused).is_some()
    });
    assert!(ended, "the third peer was neither accepted nor refused");
    let reason = disconnect_reason(&client, refused).unwrap();
    assert!(matches!(reason, DisconnectReason::Rejected { code: 5, .. }), "{reason:?}");
    assert_eq!(transport(&listener).port_table().unwrap().len(), 2);
}
