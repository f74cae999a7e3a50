//! Every kind of bad connection-protocol input is dropped and counted under its own reason,
//! at the connecting side, the listener and an established connection; none changes state.

use std::time::{Duration, Instant};

use crate::conn_pair::{Pair, channels, client_addr, endpoint_config, request};
use crate::netsim::{LinkConfig, NetSim};
use stardust_proto::zero::{Accepted, REQUEST_MIN_SIZE, ZERO_MAX_SIZE, ZeroMessage};
use stardust_proto::{
    Connection, ConnectionConfig, Endpoint, Handled, ZeroDropReason as R, ZeroStats,
};

fn zero(json: &str) -> Vec<u8> {
    [&[0u8, 0, 0][..], json.as_bytes()].concat()
}

fn padded(json: &str) -> Vec<u8> {
    let mut d = zero(json);
    d.resize(REQUEST_MIN_SIZE.max(d.len()), b' ');
    d
}

fn accept(ack: u16) -> Vec<u8> {
    let mut d = Vec::new();
    ZeroMessage::Accepted(Accepted { ack, seq: 5, port: 6 }).encode(&mut d);
    d
}

fn expect_counts(stats: &ZeroStats, expected: &[(R, u64)]) {
    for reason in R::ALL {
        let want = expected.iter().find(|(r, _)| *r == reason).map_or(0, |(_, n)| *n);
        assert_eq!(stats.dropped(reason), want, "{reason:?}");
    }
}

#[test]
fn the_connecting_side_counts_each_reason() {
    let now = Instant::now();
    let mut client =
        Connection::connect(ConnectionConfig::default(), channels(), request(100), now);
    let mut oversized = zero(r#"{"type":1,"ack":100,"seq":1,"port":2}"#);
    oversized.resize(ZERO_MAX_SIZE + 1, b' ');
    let inputs: Vec<Vec<u8>> = vec![
        oversized,
        zero(r#"{"type":1,"ack":100"#),             // truncated
        zero(r#"{"type":1,"ack":100,}"#),           // bad JSON
        [&[0u8, 0, 0][..], &[0xff, 0xfe]].concat(), // not UTF-8
        zero(r#"{"type":1,"ack":"100","seq":1,"port":2}"#), // wrong type
        zero(r#"{"type":1,"ack":100,"seq":1,"port":-2}"#), // out of range
        zero(r#"{"type":1,"seq":1,"port":2}"#),     // missing field
        zero(r#"{"type":77}"#),                     // unknown type
        accept(99),                                 // stale
        padded(r#"{"type":0,"transport":1,"version":1,"hash":1,"seq":1}"#), // unexpected
        vec![1, 2, 3, 4, 5],                        // game before connected
        vec![],
    ];
    for input in &inputs {
        client.handle_datagram(now, input);
    }
    expect_counts(
        client.zero_stats(),
        &[
            (R::Oversized, 1),
            (R::Truncated, 1),
            (R::BadJson, 2),
            (R::WrongFields, 3),
            (R::UnknownType, 1),
            (R::StaleReply, 1),
            (R::Unexpected, 1),
            (R::GameBeforeConnected, 2),
        ],
    );
    assert!(client.poll_event().is_none(), "bad input must not change the state");
    assert!(!client.is_connected() && !client.is_closed());

    client.handle_datagram(now, &accept(100));
    assert!(client.is_connected());
    client.handle_datagram(now, &accept(100));
    assert_eq!(client.zero_stats().dropped(R::Duplicate), 1);
}

#[test]
fn the_listener_counts_each_reason_and_answers_only_long_requests() {
    let mut endpoint = Endpoint::new(endpoint_config());
    let mut reply = Vec::new();
    let from = client_addr();
    let cases: Vec<(Vec<u8>, Option<R>)> = vec![
        (vec![7; 1300], Some(R::GameBeforeConnected)),
        (zero(r#"{"type":0}"#), Some(R::RequestTooSmall)),
        (padded(r#"{"type":0,"transport":1"#), None), // truncated: answered "malformed"
        (padded(r#"{"type":3,"code":0}"#), Some(R::Unexpected)),
        (vec![0; ZERO_MAX_SIZE + 1], Some(R::Oversized)),
        (padded(r#"{"type":0,"transport":1,"version":1,"hash":1,"seq":1.5}"#), None),
    ];
    for (datagram, drop) in &cases {
        let handled = endpoint.handle(from, datagram, &mut reply);
        match drop {
            Some(reason) => assert_eq!(handled, Handled::Dropped(*reason)),
            None => assert_eq!(handled, Handled::Reply),
        }
    }
    expect_counts(
        &endpoint.stats().zero,
        &[
            (R::GameBeforeConnected, 1),
            (R::RequestTooSmall, 1),
            (R::Truncated, 1),
            (R::Unexpected, 1),
            (R::WrongFields, 1),
            (R::Oversized, 1),
        ],
    );
    assert_eq!(endpoint.stats().rejected, 2);
    assert_eq!(endpoint.peer_count(), 0);
}

#[test]
fn an_established_connection_ignores_stray_zero_messages() {
    let mut pair =
        Pair::default_over(NetSim::symmetric(5, LinkConfig::clean(Duration::from_millis(5))));
    assert!(pair.run_until(Duration::from_secs(2), |p| p.client_connected()));
    let now = pair.now;
    let server = pair.server.as_mut().unwrap();
    server
        .handle_datagram(now, &padded(r#"{"type":0,"transport":1,"version":1,"hash":1,"seq":1}"#));
    server.handle_datagram(now, &accept(1));
    server.handle_datagram(now, &zero(r#"{"type":2,"code":5}"#));
    server.handle_datagram(now, &zero("not json"));
    assert!(server.is_connected());
    expect_counts(server.zero_stats(), &[(R::Unexpected, 3), (R::BadJson, 1)]);
}
