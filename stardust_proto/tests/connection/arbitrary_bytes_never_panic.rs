//! Arbitrary datagram sequences, at arbitrary times, never panic a connecting, established or
//! listening engine, and never make a connection report more than one terminal event.

use std::time::{Duration, Instant};

use crate::conn_pair::{channels, client_addr, endpoint_config, request};
use proptest::prelude::*;
use stardust_proto::zero::{Accepted, ZeroMessage};
use stardust_proto::{AcceptedPeer, Connection, ConnectionConfig, ConnectionEvent, Endpoint};

fn datagram() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1500),
        proptest::collection::vec(any::<u8>(), 0..200)
            .prop_map(|body| [&[0u8, 0, 0][..], &body].concat()),
        "\\{\"type\":[0-4],(\"[a-z]{1,5}\":(-?[0-9]{1,6}|null|\"x\"|\\{\\}),?){0,5}\\}"
            .prop_map(|json| [&[0u8, 0, 0][..], json.as_bytes()].concat()),
        (any::<u16>(), any::<u16>()).prop_map(|(ack, seq)| {
            let mut d = Vec::new();
            ZeroMessage::Accepted(Accepted { ack: ack % 3, seq, port: 1 }).encode(&mut d);
            d
        }),
    ]
}

fn drive(conn: &mut Connection, now: Instant, terminal: &mut u32) {
    if conn.poll_timeout().is_some_and(|t| t <= now) {
        conn.handle_timeout(now);
    }
    let mut buf = Vec::new();
    for _ in 0..10_000 {
        if !conn.poll_transmit(now, &mut buf) {
            break;
        }
    }
    while let Some(event) = conn.poll_event() {
        if matches!(event, ConnectionEvent::Rejected { .. } | ConnectionEvent::Closed { .. }) {
            *terminal += 1;
        }
    }
    while conn.poll_message().is_some() {}
}

proptest! {
    #[test]
    fn arbitrary_datagrams_never_panic(
        inputs in proptest::collection::vec((0u64..3000, datagram()), 0..40),
    ) {
        let start = Instant::now();
        let mut client = Connection::connect(ConnectionConfig::default(), channels(), request(1), start);
        let peer = AcceptedPeer { addr: client_addr(), port: 40001, local_seq: 9, remote_seq: 1 };
        let mut server = Connection::accepted(ConnectionConfig::default(), channels(), start, &peer);
        let mut endpoint = Endpoint::new(endpoint_config());
        let (mut client_terminal, mut server_terminal) = (0, 0);
        let mut now = start;
        let mut reply = Vec::new();
        for (delay_ms, datagram) in &inputs {
            now += Duration::from_millis(*delay_ms);
            client.handle_datagram(now, datagram);
            server.handle_datagram(now, datagram);
            let _ = endpoint.handle(client_addr(), datagram, &mut reply);
            prop_assert!(reply.len() <= datagram.len());
            drive(&mut client, now, &mut client_terminal);
            drive(&mut server, now, &mut server_terminal);
        }
        prop_assert!(client_terminal <= 1 && server_terminal <= 1);
        prop_assert!(endpoint.peer_count() == 0, "nothing is recorded without accept");
    }
}
