//! A listener never answers with more bytes than it received, nor more than once per
//! datagram, whatever it receives; short datagrams get no answer at all.

use std::net::SocketAddr;
use std::time::Instant;

use crate::conn_pair::{
    channels, endpoint, endpoint_config, exchange, insecure_params, secure_params,
};
use proptest::prelude::*;
use serde_json::Value;
use stardust_proto::crypto::SeededEntropy;
use stardust_proto::zero::{REQUEST_MIN_SIZE, RejectedBody, Request, RequestMode, ZeroMessage};
use stardust_proto::{Connection, ConnectionConfig, Handled, ReasonCode};

fn from() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9))
}

#[test]
fn short_requests_get_no_answer_at_all() {
    let now = Instant::now();
    let mut datagram = Vec::new();
    let request = Request {
        transport_id: 9,
        transport_version: 9,
        protocol_hash: 9,
        id: 1,
        mode: RequestMode::Secure { noise: None, cookie: None },
    };
    ZeroMessage::Request(request).encode(&mut datagram);
    let json_end = datagram.iter().rposition(|&b| b == b'}').unwrap() + 1;
    let mut reply = Vec::new();
    let mut listener = endpoint(endpoint_config(), false, now);
    // Unpadded, it is a well-formed request of the wrong transport, but too small to answer.
    let handled = listener.handle(now, from(), &datagram[..json_end], &mut reply);
    assert!(matches!(handled, Handled::Dropped(_)));
    assert!(reply.is_empty());
    // Malformed but long enough: answered, with a reply no larger than it.
    let mut junk = vec![0u8; REQUEST_MIN_SIZE];
    junk[3] = b'{';
    assert!(matches!(listener.handle(now, from(), &junk, &mut reply), Handled::Reply));
    assert!(reply.len() <= junk.len());
    let Ok(ZeroMessage::Rejected(rejected)) = ZeroMessage::decode(&reply) else { panic!() };
    assert_eq!(rejected.id, None);
    assert!(matches!(rejected.body, RejectedBody::Plain { code: ReasonCode::MALFORMED, .. }));
}

#[test]
fn a_first_request_gets_one_retry_no_larger_than_it_and_nothing_is_kept() {
    let now = Instant::now();
    let mut listener = endpoint(endpoint_config(), false, now);
    let mut entropy = SeededEntropy::from_u64(4);
    let mut reply = Vec::new();
    for i in 0..1000u16 {
        let mut client = Connection::connect(
            ConnectionConfig::default(),
            channels(),
            secure_params(),
            &mut entropy,
            now,
        );
        let mut datagram = Vec::new();
        assert!(client.poll_transmit(now, &mut datagram));
        let source = SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 4000 + i));
        assert!(matches!(listener.handle(now, source, &datagram, &mut reply), Handled::Reply));
        assert!(reply.len() <= datagram.len() / 4, "a retry is a fraction of its request");
        assert!(matches!(ZeroMessage::decode(&reply), Ok(ZeroMessage::Retry(_))));
    }
    assert_eq!(listener.peer_count(), 0);
    assert_eq!(listener.stats().handshakes, 0, "no Diffie-Hellman before a cookie");
    assert_eq!(listener.stats().retries, 1000);
}

proptest! {
    #[test]
    fn replies_are_never_larger_than_their_cause(
        prefix_zero in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..2100),
        secure in any::<bool>(),
        data in ".{0,3000}",
    ) {
        let now = Instant::now();
        let mut listener = endpoint(endpoint_config(), !secure, now);
        let mut reply = Vec::new();
        let mut datagram = body;
        if prefix_zero && datagram.len() >= 3 {
            datagram[..3].copy_from_slice(&[0, 0, 0]);
        }
        if let Handled::Reply = listener.handle(now, from(), &datagram, &mut reply) {
            prop_assert!(reply.len() <= datagram.len());
        }

        // A valid request, answered by an application rejection with arbitrary data.
        let params = if secure { secure_params() } else { insecure_params() };
        let mut entropy = SeededEntropy::from_u64(5);
        let mut client =
            Connection::connect(ConnectionConfig::default(), channels(), params, &mut entropy, now);
        let request = exchange(&mut listener, &mut client, now, from());
        prop_assert!(request.is_some());
        let size = REQUEST_MIN_SIZE;
        if let Some(request) = request {
            listener.reject(request, ReasonCode::FULL, Value::String(data), &mut reply);
            prop_assert!(!reply.is_empty() && reply.len() <= size);
        }
    }
}
