//! A peer that completes a real handshake (here a plain socket speaking the wire format from
//! `docs/PROTOCOL.md`) and then sends datagrams that break the protocol is disconnected with
//! `ProtocolViolation` once it reaches `violation_limit`, and is told why in a close message;
//! the other peers of the same listener and port stay connected and keep talking.
//!
//! The listener is insecure here, so that a plain socket can send packets the listener takes
//! as its own (on a secure listener only packets that authenticate count toward a violation;
//! the attack tests show that anything else is dropped without effect). Counting violations
//! is the same code either way.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};

use crate::scenarios::*;
use crate::support::*;
use bevy::prelude::*;
use stardust::prelude::*;
use stardust::proto::ReasonCode;
use stardust::proto::zero::{AcceptedBody, Request, RequestMode, ZeroMessage};
use stardust::udp::{UDP_TRANSPORT_ID, UDP_TRANSPORT_VERSION, UdpSecurity};

const LIMIT: u64 = 20;
const FIRST_SEQ: u16 = 0x1234;

/// Every zero message waiting on `socket` (non-blocking).
fn zero_messages(socket: &UdpSocket) -> Vec<ZeroMessage> {
    let mut buf = [0u8; 2048];
    let mut got = Vec::new();
    while let Ok((len, _)) = socket.recv_from(&mut buf) {
        if let Ok(message) = ZeroMessage::decode(&buf[..len]) {
            got.push(message);
        }
    }
    got
}

#[test]
fn a_peer_sending_invalid_packets_is_cut_off_and_told_why_others_stay() {
    // One peer port, so the rogue shares its port with the honest peers.
    let insecure = UdpConfig { security: UdpSecurity::Insecure, ..UdpConfig::default() };
    let config = UdpConfig { violation_limit: Some(LIMIT), ..UdpConfig::loopback(1) };
    let mut listener = app_with(UdpConfig { security: UdpSecurity::Insecure, ..config });
    let mut client = app_with(insecure);
    let addr = listen_addr(&listener);
    let honest = connect_many(&mut client, addr, 2);
    let connected = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        all_connected(apps[1], &honest) && connected_accepted(apps[0]).len() == 2
    });
    assert!(connected, "the honest peers did not connect");
    let honest_remote = counterparts(&mut listener, &client, &honest);

    // The rogue's handshake: a padded request with the listener's protocol hash.
    let rogue = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    rogue.set_nonblocking(true).unwrap();
    let request = Request {
        transport_id: UDP_TRANSPORT_ID,
        transport_version: UDP_TRANSPORT_VERSION,
        protocol_hash: listener.world().resource::<ProtocolHash>().0,
        id: 0xB0B,
        mode: RequestMode::Insecure { seq: FIRST_SEQ },
    };
    let mut datagram = Vec::new();
    ZeroMessage::Request(request).encode(&mut datagram);
    rogue.send_to(&datagram, addr).unwrap();
    let mut port = None;
    let accepted = drive(&mut [&mut listener, &mut client], DEADLINE, |_| {
        for message in zero_messages(&rogue) {
            if let ZeroMessage::Accepted(accepted) = message
                && let AcceptedBody::Insecure { port: data, .. } = accepted.body
            {
                port = Some(data);
            }
        }
        port.is_some()
    });
    assert!(accepted, "the listener did not accept the rogue's request");
    let data_port = SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap()));
    // A keep-alive (data packet, no ack block, no frame) with the announced first sequence
    // number establishes the connection.
    let [hi, lo] = FIRST_SEQ.to_be_bytes();
    rogue.send_to(&[0x01, hi, lo, 0x00], data_port).unwrap();
    let seated = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        connected_accepted(apps[0]).len() == 3
    });
    assert!(seated, "the rogue's connection was not established");
    let rogue_entity =
        *connected_accepted(&mut listener).iter().find(|e| !honest_remote.contains(e)).unwrap();

    // Now invalid packets: unknown packet types and truncated headers, a few per frame,
    // while the honest peers keep talking.
    let mut rng = Bytes64::new(7);
    let mut told = None;
    let mut round = 0u32;
    let cut_off = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        round += 1;
        if round <= 2 * LIMIT as u32 {
            let kind = 0x03 + rng.below(0xFC) as u8;
            let _ = rogue.send_to(&[kind, 0x00, 0x01, 0x00, 0xAB], data_port);
            let _ = rogue.send_to(&[0x01, 0x00], data_port);
        }
        for (i, &peer) in honest.iter().enumerate() {
            send::<Chat>(apps[1], peer, &[i as u8; 8]).unwrap();
        }
        for message in zero_messages(&rogue) {
            if let ZeroMessage::Close(close) = message {
                told = Some(close);
            }
        }
        disconnect_reason(apps[0], rogue_entity).is_some() && told.is_some()
    });
    let reason = disconnect_reason(&listener, rogue_entity);
    assert!(cut_off, "the rogue was not cut off and told: {reason:?}, close {told:?}");
    let Some(DisconnectReason::ProtocolViolation(text)) = reason else {
        panic!("the rogue ended with {reason:?}");
    };
    assert!(text.contains("invalid packets"), "{text}");
    assert_eq!(told.unwrap().code, ReasonCode::PROTOCOL_VIOLATION);

    // The honest peers never noticed, and still deliver.
    let before = received::<Chat>(&listener).len();
    for &peer in &honest {
        send::<Chat>(&mut client, peer, b"still here").unwrap();
    }
    let delivered = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        received::<Chat>(apps[0]).iter().skip(before).filter(|(_, m)| m == b"still here").count()
            == honest.len()
    });
    assert!(delivered, "the honest peers stopped delivering");
    assert!(all_connected(&client, &honest) && all_connected(&listener, &honest_remote));
    assert!(lifecycle(&client).disconnected.is_empty(), "{:?}", lifecycle(&client));
    let ended: Vec<Entity> = lifecycle(&listener).disconnected.iter().map(|(e, _)| *e).collect();
    assert_eq!(ended, vec![rogue_entity]);
    assert_eq!(loads(&listener), vec![2], "the rogue kept its seat");
}
