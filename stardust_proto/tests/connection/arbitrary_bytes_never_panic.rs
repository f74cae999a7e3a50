//! Arbitrary datagram sequences, at arbitrary times, never panic a connecting, established or
//! listening engine, never make a connection report more than one terminal event, and never
//! make the listener record a peer.

use std::time::{Duration, Instant};

use crate::conn_pair::{
    channels, client_addr, connected, endpoint, endpoint_config, insecure_params, secure_params,
};
use proptest::prelude::*;
use stardust_proto::crypto::SeededEntropy;
use stardust_proto::zero::{Accepted, AcceptedBody, Retry, ZeroMessage};
use stardust_proto::{ConnectParams, Connection, ConnectionConfig, ConnectionEvent};

fn datagram() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1500),
        proptest::collection::vec(any::<u8>(), 0..200)
            .prop_map(|body| [&[0u8, 0, 0][..], &body].concat()),
        proptest::collection::vec(any::<u8>(), 0..200)
            .prop_map(|body| [&[0x10u8][..], &body].concat()),
        "\\{\"type\":[0-4],(\"[a-z]{1,5}\":(-?[0-9]{1,6}|null|\"x\"|\\{\\}),?){0,5}\\}"
            .prop_map(|json| [&[0u8, 0, 0][..], json.as_bytes()].concat()),
        (any::<u64>(), any::<u16>()).prop_map(|(id, seq)| {
            let mut d = Vec::new();
            let body = AcceptedBody::Insecure { seq, port: 1 };
            ZeroMessage::Accepted(Accepted { id: id % 3, body }).encode(&mut d);
            d
        }),
        (any::<u64>(), any::<[u8; 32]>()).prop_map(|(id, key)| {
            let mut d = Vec::new();
            ZeroMessage::Retry(Retry { id: id % 3, cookie: vec![1; 16], key }).encode(&mut d);
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

fn check(params: fn() -> ConnectParams, inputs: &[(u64, Vec<u8>)]) -> Result<(), TestCaseError> {
    let start = Instant::now();
    let mut entropy = SeededEntropy::from_u64(3);
    let mut client =
        Connection::connect(ConnectionConfig::default(), channels(), params(), &mut entropy, start);
    let (mut established, mut server, _) = connected(params(), start);
    let insecure = matches!(params().security, stardust_proto::ClientSecurity::Insecure);
    let mut listener = endpoint(endpoint_config(), insecure, start);
    let mut terminal = [0u32; 3];
    let mut now = start;
    let mut reply = Vec::new();
    for (delay_ms, datagram) in inputs {
        now += Duration::from_millis(*delay_ms);
        client.handle_datagram(now, datagram);
        established.handle_datagram(now, datagram);
        server.handle_datagram(now, datagram);
        let _ = listener.handle(now, client_addr(), datagram, &mut reply);
        prop_assert!(reply.len() <= datagram.len());
        drive(&mut client, now, &mut terminal[0]);
        drive(&mut established, now, &mut terminal[1]);
        drive(&mut server, now, &mut terminal[2]);
    }
    prop_assert!(terminal.iter().all(|&t| t <= 1), "{terminal:?}");
    prop_assert!(listener.peer_count() == 0, "nothing is recorded without accept");
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_datagrams_never_panic_a_secure_engine(
        inputs in proptest::collection::vec((0u64..3000, datagram()), 0..40),
    ) {
        check(secure_params, &inputs)?;
    }

    #[test]
    fn arbitrary_datagrams_never_panic_an_insecure_engine(
        inputs in proptest::collection::vec((0u64..3000, datagram()), 0..40),
    ) {
        check(insecure_params, &inputs)?;
    }
}
