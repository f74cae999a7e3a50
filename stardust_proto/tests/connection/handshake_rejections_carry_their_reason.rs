//! Each listener check refuses with its own reason code, and the connecting side ends with
//! it: transport, version and security mode (in the clear, echoing the attempt's id), door
//! closed and full, protocol hash and the application's refusals (sealed in the handshake, so
//! only the pinned listener can send them), data kept when it fits and dropped when not.

use std::net::SocketAddr;
use std::time::Instant;

use crate::conn_pair::{
    PROTOCOL_HASH, channels, endpoint, endpoint_config, exchange, insecure_params, secure_params,
};
use serde_json::{Value, json};
use stardust_proto::crypto::SeededEntropy;
use stardust_proto::zero::REQUEST_MIN_SIZE;
use stardust_proto::{
    ConnectParams, Connection, ConnectionConfig, ConnectionEvent, Endpoint, EndpointConfig,
    ReasonCode,
};

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// What a client with `params` ends with against `listener`, when the listener decides alone.
fn refusal(
    listener: &mut Endpoint,
    from: SocketAddr,
    params: ConnectParams,
) -> (ReasonCode, Value) {
    let now = Instant::now();
    let mut entropy = SeededEntropy::from_u64(u64::from(from.port()));
    let mut client =
        Connection::connect(ConnectionConfig::default(), channels(), params, &mut entropy, now);
    assert!(exchange(listener, &mut client, now, from).is_none(), "the listener offered it");
    match client.poll_event() {
        Some(ConnectionEvent::Rejected { code, data }) => (code, data),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn config() -> EndpointConfig {
    EndpointConfig { max_peers: 1, ..endpoint_config() }
}

#[test]
fn transport_version_and_security_are_checked_in_the_clear() {
    let now = Instant::now();
    let mut listener = endpoint(config(), false, now);
    let wrong = |p: ConnectParams| refusal(&mut endpoint(config(), false, now), addr(1), p);
    let (code, _) =
        wrong(ConnectParams { transport_id: 11, transport_version: 3, ..secure_params() });
    assert_eq!(code, ReasonCode::UNKNOWN_TRANSPORT);
    let (code, data) = wrong(ConnectParams { transport_version: 3, ..secure_params() });
    assert_eq!((code, data), (ReasonCode::INCOMPATIBLE_VERSION, json!({"version": 2})));
    let (code, data) = refusal(&mut listener, addr(2), insecure_params());
    assert_eq!((code, data), (ReasonCode::SECURITY_MISMATCH, json!({"secure": true})));
    let mut insecure = endpoint(config(), true, now);
    let (code, data) = refusal(&mut insecure, addr(3), secure_params());
    assert_eq!((code, data), (ReasonCode::SECURITY_MISMATCH, json!({"secure": false})));
    assert_eq!(listener.peer_count() + insecure.peer_count(), 0);
}

#[test]
fn a_protocol_hash_mismatch_is_refused_with_the_listeners_hash_sealed() {
    let now = Instant::now();
    let mut listener = endpoint(config(), false, now);
    let mismatched = ConnectParams { protocol_hash: PROTOCOL_HASH ^ 1, ..secure_params() };
    let (code, data) = refusal(&mut listener, addr(1), mismatched);
    assert_eq!((code, data), (ReasonCode::PROTOCOL_HASH_MISMATCH, json!({"hash": PROTOCOL_HASH})));
    let insecure = ConnectParams { protocol_hash: PROTOCOL_HASH ^ 1, ..insecure_params() };
    let (code, _) = refusal(&mut endpoint(config(), true, now), addr(2), insecure);
    assert_eq!(code, ReasonCode::PROTOCOL_HASH_MISMATCH);
    assert_eq!(listener.peer_count(), 0);
}

#[test]
fn a_closed_door_and_a_full_house_are_told_apart() {
    let now = Instant::now();
    let mut listener = endpoint(config(), false, now);
    listener.set_accepting(false);
    assert_eq!(refusal(&mut listener, addr(1), secure_params()).0, ReasonCode::NOT_ACCEPTING);

    listener.set_accepting(true);
    let mut entropy = SeededEntropy::from_u64(9);
    let mut first = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        secure_params(),
        &mut entropy,
        now,
    );
    let request = exchange(&mut listener, &mut first, now, addr(1)).expect("offered");
    let mut reply = Vec::new();
    let peer = listener.accept(now, request, 4000, &mut reply);
    let (code, data) = refusal(&mut listener, addr(2), secure_params());
    assert_eq!((code, data), (ReasonCode::FULL, json!({"max_peers": 1})));

    listener.forget(now, peer.record);
    let mut next = Connection::connect(
        ConnectionConfig::default(),
        channels(),
        secure_params(),
        &mut entropy,
        now,
    );
    assert!(
        exchange(&mut listener, &mut next, now, addr(2)).is_some(),
        "forgetting frees the place"
    );
}

#[test]
fn application_refusals_keep_data_that_fits_and_drop_data_that_does_not() {
    let now = Instant::now();
    let banned = ReasonCode::application(3).unwrap();
    for secure in [true, false] {
        for (data, expected) in [
            (json!({"until": "tomorrow"}), json!({"until": "tomorrow"})),
            (Value::String("x".repeat(REQUEST_MIN_SIZE)), Value::Null),
        ] {
            let mut listener = endpoint(config(), !secure, now);
            let client_params = if secure { secure_params() } else { insecure_params() };
            let mut entropy = SeededEntropy::from_u64(10);
            let mut client = Connection::connect(
                ConnectionConfig::default(),
                channels(),
                client_params,
                &mut entropy,
                now,
            );
            let request = exchange(&mut listener, &mut client, now, addr(1)).expect("offered");
            let mut reply = Vec::new();
            listener.reject(request, banned, data, &mut reply);
            assert!(reply.len() <= REQUEST_MIN_SIZE, "a reply larger than its request amplifies");
            client.handle_datagram(now, &reply);
            let event = client.poll_event();
            assert_eq!(event, Some(ConnectionEvent::Rejected { code: banned, data: expected }));
            assert_eq!(listener.peer_count(), 0);
        }
    }
}
