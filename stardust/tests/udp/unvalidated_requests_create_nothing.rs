//! 10,000 connection requests from addresses that never echo a cookie (hellos, requests with a
//! Noise message, requests with a made-up cookie) create no peer, no slot and no per-address
//! state, cost the listener no Diffie-Hellman, get at most one reply each, never larger than
//! the request, and nothing afterwards; a real client connects while they arrive, to a listener
//! that takes two peers.

use std::net::{Ipv4Addr, UdpSocket};
use std::time::{Duration, Instant};

use stardust::prelude::*;
use stardust::proto::crypto::SeededEntropy;
use stardust::proto::zero::{REQUEST_MIN_SIZE, Request, RequestMode, ZeroMessage};
use stardust::proto::{ClientSecurity, ConnectParams, Connection, ConnectionConfig, SecureClient};
use stardust::udp::{UDP_TRANSPORT_ID, UDP_TRANSPORT_VERSION};

use crate::scenarios::*;
use crate::support::*;

const ATTACKERS: usize = 50;
const PER_ATTACKER: usize = 200;

/// The three kinds of request an attacker sends, for `hash`.
fn requests(hash: u64, listener_key: stardust::proto::crypto::PublicKey) -> Vec<Vec<u8>> {
    let base = |mode| Request {
        transport_id: UDP_TRANSPORT_ID,
        transport_version: UDP_TRANSPORT_VERSION,
        protocol_hash: hash,
        id: 0xA77,
        mode,
    };
    let mut hello = Vec::new();
    ZeroMessage::Request(base(RequestMode::Secure { noise: None, cookie: None }))
        .encode(&mut hello);
    // A real first Noise message, as a pinned client sends it, but never the cookie.
    let params = ConnectParams {
        transport_id: UDP_TRANSPORT_ID,
        transport_version: UDP_TRANSPORT_VERSION,
        protocol_hash: hash,
        security: ClientSecurity::Secure(SecureClient {
            listener_key: Some(listener_key),
            ..SecureClient::default()
        }),
    };
    let now = Instant::now();
    let mut entropy = SeededEntropy::from_u64(66);
    let channels = stardust::proto::ChannelTable::new([]).unwrap();
    let mut conn =
        Connection::connect(ConnectionConfig::default(), channels, params, &mut entropy, now);
    let mut with_noise = Vec::new();
    assert!(conn.poll_transmit(now, &mut with_noise));
    let Ok(ZeroMessage::Request(mut forged)) = ZeroMessage::decode(&with_noise) else { panic!() };
    if let RequestMode::Secure { cookie, .. } = &mut forged.mode {
        *cookie = Some(vec![0x42; 16]);
    }
    let mut made_up_cookie = Vec::new();
    ZeroMessage::Request(forged).encode(&mut made_up_cookie);
    vec![hello, with_noise, made_up_cookie]
}

#[test]
fn ten_thousand_unproven_requests_leave_no_trace_and_a_real_client_connects() {
    let mut listener = app_with(UdpConfig { max_peers: 2, ..UdpConfig::loopback(1) });
    listener.update();
    let addr = listen_addr(&listener);
    let transport = listener.world().resource::<UdpTransport>();
    let key = transport.public_key().expect("secure");
    let hash = listener.world().resource::<ProtocolHash>().0;
    let kinds = requests(hash, key);
    assert!(kinds.iter().all(|r| r.len() == REQUEST_MIN_SIZE));
    let attackers: Vec<UdpSocket> = (0..ATTACKERS)
        .map(|_| {
            let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
            socket.set_nonblocking(true).unwrap();
            socket
        })
        .collect();
    let mut replies = vec![0usize; ATTACKERS];
    let mut largest_reply = 0;
    let read_replies = |replies: &mut Vec<usize>, largest: &mut usize| {
        let mut buf = [0u8; 2048];
        for (i, socket) in attackers.iter().enumerate() {
            while let Ok((len, _)) = socket.recv_from(&mut buf) {
                replies[i] += 1;
                *largest = (*largest).max(len);
                assert!(matches!(ZeroMessage::decode(&buf[..len]), Ok(ZeroMessage::Retry(_))));
            }
        }
    };

    let mut client = connecting_app();
    let real = connect(&mut client, addr);
    let start = Instant::now();
    let mut sent = 0;
    while sent < ATTACKERS * PER_ATTACKER && start.elapsed() < Duration::from_secs(60) {
        // A burst of 500 spoofed requests, then a frame of both Apps.
        for _ in 0..500 {
            let attacker = sent % ATTACKERS;
            let _ = attackers[attacker].send_to(&kinds[sent % kinds.len()], addr);
            sent += 1;
        }
        listener.update();
        client.update();
        read_replies(&mut replies, &mut largest_reply);
        std::thread::sleep(FRAME_PAUSE);
    }
    assert_eq!(sent, ATTACKERS * PER_ATTACKER);
    let connected = drive(&mut [&mut listener, &mut client], DEADLINE, |apps| {
        is_connected(apps[1], real) && connected_accepted(apps[0]).len() == 1
    });
    assert!(connected, "the real client did not connect during the flood");
    // Let anything that might still go to the attackers go, then count.
    run_rounds(&mut [&mut listener, &mut client], 200);
    read_replies(&mut replies, &mut largest_reply);
    let after_flood: usize = replies.iter().sum();
    run_rounds(&mut [&mut listener, &mut client], 300);
    read_replies(&mut replies, &mut largest_reply);

    for (i, &n) in replies.iter().enumerate() {
        assert!(n <= PER_ATTACKER, "attacker {i} got {n} replies to {PER_ATTACKER} requests");
    }
    assert_eq!(
        replies.iter().sum::<usize>(),
        after_flood,
        "something was sent to an attacker later"
    );
    assert!(largest_reply < REQUEST_MIN_SIZE / 4, "a reply of {largest_reply} bytes");
    assert_eq!(peers(&mut listener, UdpDirection::Accepted).len(), 1);
    let transport = listener.world().resource::<UdpTransport>();
    assert_eq!(transport.port_table().unwrap().len(), 1, "an attacker got a seat");
    let stats = transport.endpoint_stats().unwrap();
    assert_eq!(stats.handshakes, 1, "Diffie-Hellman for an unproven address");
    assert_eq!(stats.accepted, 1);
    eprintln!(
        "{sent} spoofed requests: {} retries received by the attackers ({} lost to full socket \
         buffers), largest {largest_reply} bytes; listen port {:?}",
        after_flood,
        sent - after_flood,
        transport.port_stats(addr.port()).unwrap()
    );
}
