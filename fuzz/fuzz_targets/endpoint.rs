//! A listener and the connections it accepts, fed arbitrary datagram sequences from a few
//! addresses: no panic, no reply larger than its cause, never more peers than allowed.
#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use stardust_proto::zero::{Request, ZeroMessage};
use stardust_proto::{
    ChannelConfig, ChannelId, ChannelTable, Connection, ConnectionConfig, Endpoint, EndpointConfig,
    Handled, Ordering, Reliability,
};

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn channels() -> ChannelTable {
    let reliable = ChannelConfig::new(Reliability::Reliable, Ordering::Ordered).with_max_size(8192);
    let unreliable = ChannelConfig::new(Reliability::Unreliable, Ordering::Unordered);
    ChannelTable::new([
        (ChannelId::new(0).unwrap(), reliable),
        (ChannelId::new(5).unwrap(), unreliable),
    ])
    .unwrap()
}

const MAX_PEERS: usize = 2;

fuzz_target!(|data: &[u8]| {
    let start = start();
    let mut endpoint = Endpoint::new(EndpointConfig {
        transport_id: 1,
        transport_version: 1,
        protocol_hash: 7,
        max_peers: MAX_PEERS,
        accepting: true,
    });
    let mut peers: HashMap<SocketAddr, Connection> = HashMap::new();
    let mut now = start;
    let mut reply = Vec::new();
    let mut buf = Vec::new();
    // Records: [delay ms: u8][from: u8][kind: u8][len: u8][len bytes]. `from` picks one of four
    // addresses; kind 0: raw datagram to the listen port; 1: a well-formed request whose fields
    // come from the bytes; 2: raw datagram to the peer's data port; 3: the peer's app sends a
    // message / closes; 4: forget the peer.
    let mut rest = data;
    while let [delay, from, kind, len, tail @ ..] = rest {
        let len = (*len as usize).min(tail.len());
        let (body, next) = tail.split_at(len);
        rest = next;
        now += Duration::from_millis(u64::from(*delay) * 8);
        let addr = SocketAddr::from(([127, 0, 0, 1], 1000 + u16::from(from % 4)));
        match kind % 5 {
            0 | 1 => {
                let datagram = if kind % 5 == 0 {
                    body.to_vec()
                } else {
                    let b = |i: usize| body.get(i).copied().unwrap_or(0);
                    let request = Request {
                        transport_id: u64::from(b(0) % 2),
                        transport_version: u32::from(b(1) % 2),
                        protocol_hash: 7 + u64::from(b(2) % 2),
                        seq: u16::from(b(3) % 4),
                    };
                    let mut d = Vec::new();
                    ZeroMessage::Request(request).encode(&mut d);
                    d
                };
                match endpoint.handle(addr, &datagram, &mut reply) {
                    Handled::Dropped(_) => assert!(reply.is_empty()),
                    Handled::Reply => assert!(reply.len() <= datagram.len()),
                    Handled::Request(request) => {
                        assert!(request.replaces_existing() || endpoint.peer_count() < MAX_PEERS);
                        let peer = endpoint.accept(request, 40001, 99, &mut reply);
                        assert!(reply.len() <= datagram.len());
                        peers.insert(
                            addr,
                            Connection::accepted(
                                ConnectionConfig::default(),
                                channels(),
                                now,
                                &peer,
                            ),
                        );
                    }
                }
                assert!(endpoint.peer_count() <= MAX_PEERS);
            }
            2 => {
                if let Some(conn) = peers.get_mut(&addr) {
                    conn.handle_datagram(now, body);
                }
            }
            3 => {
                if let Some(conn) = peers.get_mut(&addr) {
                    if body.first().is_some_and(|b| b % 8 == 0) {
                        conn.close(
                            now,
                            stardust_proto::ReasonCode::CLOSED,
                            serde_json::Value::Null,
                        );
                    } else {
                        let channel =
                            ChannelId::new(u32::from(body.first().copied().unwrap_or(0) % 8))
                                .unwrap();
                        let _ = conn.send(channel, Bytes::copy_from_slice(body));
                    }
                }
            }
            _ => {
                endpoint.forget(addr);
                peers.remove(&addr);
            }
        }
        for conn in peers.values_mut() {
            if conn.poll_timeout().is_some_and(|t| t <= now) {
                conn.handle_timeout(now);
            }
            for _ in 0..10_000 {
                if !conn.poll_transmit(now, &mut buf) {
                    break;
                }
                assert!(buf.len() <= 1200, "a datagram larger than the MTU");
            }
            while conn.poll_event().is_some() {}
            while conn.poll_message().is_some() {}
        }
    }
});
