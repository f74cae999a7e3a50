//! Every kind of bad handshake input is dropped and counted under its own reason, at the
//! connecting side, the listener and an established connection; none changes state.

use std::time::{Duration, Instant};

use crate::conn_pair::{Pair, channels, client_addr, endpoint, endpoint_config, insecure_params};
use crate::netsim::{LinkConfig, NetSim};
use stardust_proto::crypto::SeededEntropy;
use stardust_proto::zero::{
    Accepted, AcceptedBody, REQUEST_MIN_SIZE, RequestMode, ZERO_MAX_SIZE, ZeroMessage,
};
use stardust_proto::{Connection, ConnectionConfig, Handled, ZeroDropReason as R, ZeroStats};

fn zero(json: &str) -> Vec<u8> {
    [&[0u8, 0, 0][..], json.as_bytes()].concat()
}

fn padded(json: &str) -> Vec<u8> {
    let mut d = zero(json);
    d.resize(REQUEST_MIN_SIZE.max(d.len()), b' ');
    d
}

fn accept(id: u64) -> Vec<u8> {
    let mut d = Vec::new();
    let body = AcceptedBody::Insecure { seq: 5, port: 6 };
    ZeroMessage::Accepted(Accepted { id, body }).encode(&mut d);
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
    let mut entropy = SeededEntropy::from_u64(8);
    let mut client = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        insecure_params(),
        &mut entropy,
        now,
    );
    let mut datagram = Vec::new();
    assert!(client.poll_transmit(now, &mut datagram));
    let Ok(ZeroMessage::Request(request)) = ZeroMessage::decode(&datagram) else { panic!() };
    assert!(matches!(request.mode, RequestMode::Insecure { .. }));
    let id = request.id;
    let mut oversized = zero(&format!(r#"{{"type":1,"id":{id},"seq":1,"port":2}}"#));
    oversized.resize(ZERO_MAX_SIZE + 1, b' ');
    let inputs: Vec<Vec<u8>> = vec![
        oversized,
        zero(&format!(r#"{{"type":1,"id":{id}"#)), // truncated
        zero(&format!(r#"{{"type":1,"id":{id},}}"#)), // bad JSON
        [&[0u8, 0, 0][..], &[0xff, 0xfe]].concat(), // not UTF-8
        zero(&format!(r#"{{"type":1,"id":"{id}","seq":1,"port":2}}"#)), // wrong type
        zero(&format!(r#"{{"type":1,"id":{id},"seq":1,"port":-2}}"#)), // out of range
        zero(r#"{"type":1,"seq":1,"port":2}"#),    // missing member
        zero(&format!(r#"{{"type":1,"id":{id},"id":{id},"seq":1,"port":2}}"#)), // twice
        zero(r#"{"type":77}"#),                    // unknown type
        accept(id ^ 1),                            // stale
        zero(r#"{"type":2,"code":5}"#),            // a refusal without the id: stale
        padded(r#"{"type":0,"transport":1,"version":2,"hash":1,"id":1,"secure":false,"seq":1}"#), // unexpected
        vec![1, 2, 3, 4, 5], // packet before connected
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
            (R::WrongFields, 4),
            (R::UnknownType, 1),
            (R::StaleReply, 2),
            (R::Unexpected, 1),
            (R::GameBeforeConnected, 2),
        ],
    );
    assert!(client.poll_event().is_none(), "bad input must not change the state");
    assert!(!client.is_connected() && !client.is_closed());

    client.handle_datagram(now, &accept(id));
    assert!(client.is_connected());
    client.handle_datagram(now, &accept(id));
    assert_eq!(client.zero_stats().dropped(R::Duplicate), 1);
}

#[test]
fn the_listener_counts_each_reason_and_answers_only_long_requests() {
    let now = Instant::now();
    let mut endpoint = endpoint(endpoint_config(), false, now);
    let mut reply = Vec::new();
    let from = client_addr();
    let cases: Vec<(Vec<u8>, Option<R>)> = vec![
        (vec![7; 1300], Some(R::GameBeforeConnected)),
        (zero(r#"{"type":0}"#), Some(R::RequestTooSmall)),
        (padded(r#"{"type":0,"transport":1"#), None), // truncated: answered "malformed"
        (padded(r#"{"type":3,"code":0}"#), Some(R::Unexpected)),
        (vec![0; ZERO_MAX_SIZE + 1], Some(R::Oversized)),
        (padded(r#"{"type":0,"transport":1,"version":2,"hash":1,"id":1.5,"secure":true}"#), None),
        (padded(r#"{"type":9}"#), None), // an unknown type at the listen port: "malformed"
    ];
    for (datagram, drop) in &cases {
        let handled = endpoint.handle(now, from, datagram, &mut reply);
        match drop {
            Some(reason) => {
                assert!(matches!(handled, Handled::Dropped(r) if r == *reason), "{handled:?}")
            }
            None => assert!(matches!(handled, Handled::Reply), "{handled:?}"),
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
            (R::UnknownType, 1),
        ],
    );
    assert_eq!(endpoint.stats().rejected, 3);
    assert_eq!(endpoint.peer_count(), 0);
}

#[test]
fn an_established_connection_ignores_stray_zero_messages() {
    let mut pair =
        Pair::default_over(NetSim::symmetric(5, LinkConfig::clean(Duration::from_millis(5))));
    assert!(pair.run_until(Duration::from_secs(2), |p| p.server_connected()));
    let now = pair.now;
    let server = pair.server.as_mut().unwrap();
    server.handle_datagram(
        now,
        &padded(r#"{"type":0,"transport":1,"version":2,"hash":1,"id":1,"secure":true}"#),
    );
    server.handle_datagram(now, &accept(1));
    server.handle_datagram(now, &zero(r#"{"type":2,"id":1,"code":5}"#));
    // A close in the clear ends only an insecure connection: on a secure one anyone could
    // have sent it.
    server.handle_datagram(now, &zero(r#"{"type":3,"code":0}"#));
    server.handle_datagram(now, &zero("not json"));
    assert!(server.is_connected());
    expect_counts(server.zero_stats(), &[(R::Unexpected, 4), (R::BadJson, 1)]);
}
