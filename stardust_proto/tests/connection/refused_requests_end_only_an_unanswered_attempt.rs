//! The driver reports "port unreachable" for copies of the request with
//! `Connection::handle_refused`. An attempt whose every copy was refused, and that no reply
//! answered, ends with `NobodyListening` after the third copy (750 ms), long before the
//! handshake timeout; a refusal after a valid reply, or on an established connection, changes
//! nothing (ICMP can be forged); with the setting off only the timeout ends the attempt.

use std::time::{Duration, Instant};

use stardust_proto::crypto::SeededEntropy;
use stardust_proto::{
    CloseReason, Connection, ConnectionConfig, ConnectionEvent, Handled, HandshakeConfig,
};

use crate::conn_pair::{
    channels, client_addr, connected, endpoint, endpoint_config, secure_params,
};

fn client(handshake: HandshakeConfig, now: Instant) -> Connection {
    let config = ConnectionConfig { handshake, ..ConnectionConfig::default() };
    let mut entropy = SeededEntropy::from_u64(0x4EF);
    Connection::connect(config, channels(), secure_params(), &mut entropy, now)
}

fn events(conn: &mut Connection) -> Vec<ConnectionEvent> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Drives `conn` in virtual time from `start`, reporting every copy of the request refused
/// 1 ms after it left, until it closes (at most 60 s). Returns when it closed, and why.
fn refuse_every_copy(conn: &mut Connection, start: Instant) -> (Duration, Vec<ConnectionEvent>) {
    let mut buf = Vec::new();
    let mut now = start;
    while !conn.is_closed() && now < start + Duration::from_secs(60) {
        if conn.poll_transmit(now, &mut buf) {
            conn.handle_refused(now + Duration::from_millis(1));
            continue;
        }
        now = conn.poll_timeout().expect("an open attempt has a timer").max(now);
        conn.handle_timeout(now);
    }
    (now - start, events(conn))
}

#[test]
fn every_copy_refused_ends_the_attempt_as_nobody_listening() {
    let start = Instant::now();
    let mut conn = client(HandshakeConfig::default(), start);
    let (after, events) = refuse_every_copy(&mut conn, start);
    assert_eq!(events, [ConnectionEvent::Closed { reason: CloseReason::NobodyListening }]);
    // Copies at 0, 250 and 750 ms: the third refusal ends it.
    assert_eq!(after, Duration::from_millis(750));
    assert_eq!(conn.zero_stats().sent, 3);
}

#[test]
fn with_the_setting_off_only_the_timeout_ends_the_attempt() {
    let start = Instant::now();
    let off = HandshakeConfig { nobody_listening_after: None, ..HandshakeConfig::default() };
    let mut conn = client(off, start);
    let (after, events) = refuse_every_copy(&mut conn, start);
    assert_eq!(events, [ConnectionEvent::Closed { reason: CloseReason::HandshakeTimedOut }]);
    assert_eq!(after, off.timeout);
}

#[test]
fn a_refusal_after_a_valid_reply_does_not_end_the_attempt() {
    let start = Instant::now();
    let mut conn = client(HandshakeConfig::default(), start);
    let mut endpoint = endpoint(endpoint_config(), false, start);
    let (mut request, mut reply) = (Vec::new(), Vec::new());
    // The first copy draws a retry (a cookie): the listener answers.
    assert!(conn.poll_transmit(start, &mut request));
    assert!(matches!(endpoint.handle(start, client_addr(), &request, &mut reply), Handled::Reply));
    conn.handle_datagram(start, &reply);
    // Then forged refusals for that copy and every later one.
    let mut now = start;
    for _ in 0..10 {
        conn.handle_refused(now);
        while conn.poll_transmit(now, &mut request) {
            conn.handle_refused(now);
        }
        now += Duration::from_millis(300);
        conn.handle_timeout(now);
    }
    assert!(conn.is_connecting(), "ended by refusals: {:?}", events(&mut conn));
    // The listener's answers still complete the handshake.
    let Handled::Request(incoming) = endpoint.handle(now, client_addr(), &request, &mut reply)
    else {
        panic!("the request with the cookie was not offered to accept");
    };
    let _listener_side = endpoint.accept(now, incoming, 40001, &mut reply);
    conn.handle_datagram(now, &reply);
    assert_eq!(events(&mut conn), [ConnectionEvent::Connected { port: 40001 }]);
}

#[test]
fn a_single_refusal_does_not_end_an_attempt_with_copies_unrefused() {
    let start = Instant::now();
    let mut conn = client(HandshakeConfig::default(), start);
    let mut buf = Vec::new();
    let mut now = start;
    // Four copies go out (0, 250, 750, 1750 ms); only the last three are refused.
    for _ in 0..4 {
        assert!(conn.poll_transmit(now, &mut buf));
        if now > start {
            conn.handle_refused(now);
        }
        now = conn.poll_timeout().unwrap();
        conn.handle_timeout(now);
    }
    assert!(conn.is_connecting(), "{:?}", events(&mut conn));
}

#[test]
fn an_established_connection_ignores_refusals() {
    let now = Instant::now();
    let (mut client, mut server, _) = connected(secure_params(), now);
    events(&mut client);
    events(&mut server);
    for _ in 0..100 {
        client.handle_refused(now);
        server.handle_refused(now);
    }
    assert!(client.is_connected() && server.is_connected());
    assert_eq!(events(&mut client), []);
    assert_eq!(events(&mut server), []);
}
