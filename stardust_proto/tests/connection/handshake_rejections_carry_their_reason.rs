//! Each listener check rejects with its own reason code: transport, version, door closed, full,
//! and application rejections with data.

use std::net::SocketAddr;

use serde_json::{Value, json};
use stardust_proto::zero::{REQUEST_MIN_SIZE, Rejected, Request, ZeroMessage};
use stardust_proto::{Endpoint, EndpointConfig, Handled, ReasonCode};

fn config() -> EndpointConfig {
    EndpointConfig {
        transport_id: 10,
        transport_version: 2,
        protocol_hash: 30,
        max_peers: 1,
        accepting: true,
    }
}

fn good(seq: u16) -> Request {
    Request { transport_id: 10, transport_version: 2, protocol_hash: 30, seq }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn rejection(endpoint: &mut Endpoint, from: SocketAddr, request: Request) -> Rejected {
    let mut datagram = Vec::new();
    ZeroMessage::Request(request).encode(&mut datagram);
    let mut reply = Vec::new();
    assert_eq!(endpoint.handle(from, &datagram, &mut reply), Handled::Reply);
    assert!(reply.len() <= datagram.len());
    match ZeroMessage::decode(&reply) {
        Ok(ZeroMessage::Rejected(rejected)) => rejected,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn transport_version_and_hash_are_checked_in_order() {
    let mut endpoint = Endpoint::new(config());
    let all_wrong = Request { transport_id: 11, transport_version: 3, protocol_hash: 31, seq: 1 };
    assert_eq!(rejection(&mut endpoint, addr(1), all_wrong).code, ReasonCode::UNKNOWN_TRANSPORT);
    let r = Request { transport_version: 3, protocol_hash: 31, ..good(2) };
    let rejected = rejection(&mut endpoint, addr(1), r);
    assert_eq!(rejected.code, ReasonCode::INCOMPATIBLE_VERSION);
    assert_eq!(rejected.data, json!({"version": 2}));
    let r = Request { protocol_hash: 31, ..good(3) };
    let rejected = rejection(&mut endpoint, addr(1), r);
    assert_eq!(rejected.code, ReasonCode::PROTOCOL_HASH_MISMATCH);
    assert_eq!(rejected.ack, Some(3));
    assert_eq!(rejected.data, json!({"hash": 30}));
    assert_eq!(endpoint.peer_count(), 0);
}

#[test]
fn a_closed_door_and_a_full_house_are_told_apart() {
    let mut endpoint = Endpoint::new(config());
    endpoint.set_accepting(false);
    assert_eq!(rejection(&mut endpoint, addr(1), good(1)).code, ReasonCode::NOT_ACCEPTING);

    endpoint.set_accepting(true);
    let mut datagram = Vec::new();
    ZeroMessage::Request(good(1)).encode(&mut datagram);
    let mut reply = Vec::new();
    let Handled::Request(request) = endpoint.handle(addr(1), &datagram, &mut reply) else {
        panic!("a good request from a new peer must be offered to the caller");
    };
    endpoint.accept(request, 4000, 77, &mut reply);
    let rejected = rejection(&mut endpoint, addr(2), good(5));
    assert_eq!((rejected.code, rejected.data), (ReasonCode::FULL, json!({"max_peers": 1})));

    endpoint.forget(addr(1));
    let Handled::Request(_) = endpoint.handle(addr(2), &datagram, &mut reply) else {
        panic!("forgetting a peer frees its slot");
    };
}

#[test]
fn application_rejection_keeps_data_that_fits_and_drops_data_that_does_not() {
    let mut endpoint = Endpoint::new(config());
    let mut datagram = Vec::new();
    ZeroMessage::Request(good(9)).encode(&mut datagram);
    let mut reply = Vec::new();
    let banned = ReasonCode::application(3).unwrap();

    let Handled::Request(request) = endpoint.handle(addr(1), &datagram, &mut reply) else {
        panic!()
    };
    endpoint.reject(request, banned, json!({"until": "tomorrow"}), &mut reply);
    let Ok(ZeroMessage::Rejected(rejected)) = ZeroMessage::decode(&reply) else { panic!() };
    assert_eq!((rejected.code, rejected.data), (banned, json!({"until": "tomorrow"})));

    let Handled::Request(request) = endpoint.handle(addr(1), &datagram, &mut reply) else {
        panic!()
    };
    endpoint.reject(request, banned, Value::String("x".repeat(REQUEST_MIN_SIZE)), &mut reply);
    assert!(reply.len() <= datagram.len(), "a reply larger than its request amplifies");
    let Ok(ZeroMessage::Rejected(rejected)) = ZeroMessage::decode(&reply) else { panic!() };
    assert_eq!((rejected.code, rejected.data), (banned, Value::Null));
    assert_eq!(endpoint.peer_count(), 0);
}
