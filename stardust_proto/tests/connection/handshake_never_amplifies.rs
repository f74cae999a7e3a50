//! A listener never answers with more bytes than it received, whatever it receives.

use std::net::SocketAddr;

use proptest::prelude::*;
use serde_json::Value;
use stardust_proto::zero::{REQUEST_MIN_SIZE, Request, ZeroMessage};
use stardust_proto::{Endpoint, EndpointConfig, Handled, ReasonCode};

fn endpoint(max_peers: usize) -> Endpoint {
    Endpoint::new(EndpointConfig {
        transport_id: 1,
        transport_version: 1,
        protocol_hash: 1,
        max_peers,
        accepting: true,
    })
}

fn from() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9))
}

#[test]
fn short_requests_get_no_answer_at_all() {
    let mut datagram = Vec::new();
    let request = Request { transport_id: 9, transport_version: 9, protocol_hash: 9, seq: 1 };
    ZeroMessage::Request(request).encode(&mut datagram);
    let json_end = datagram.iter().rposition(|&b| b == b'}').unwrap() + 1;
    let mut reply = Vec::new();
    let mut endpoint = endpoint(1);
    // Unpadded, it is a well-formed request of the wrong transport, but too small to answer.
    let handled = endpoint.handle(from(), &datagram[..json_end], &mut reply);
    assert!(matches!(handled, Handled::Dropped(_)));
    assert!(reply.is_empty());
    // Malformed but long enough: answered, with a reply no larger than it.
    let mut junk = vec![0u8; REQUEST_MIN_SIZE];
    junk[3] = b'{';
    assert_eq!(endpoint.handle(from(), &junk, &mut reply), Handled::Reply);
    assert!(reply.len() <= junk.len());
    let Ok(ZeroMessage::Rejected(rejected)) = ZeroMessage::decode(&reply) else { panic!() };
    assert_eq!((rejected.code, rejected.ack), (ReasonCode::MALFORMED, None));
}

proptest! {
    #[test]
    fn replies_are_never_larger_than_their_cause(
        prefix_zero in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..2100),
        seq in any::<u16>(),
        data in ".{0,3000}",
    ) {
        let mut endpoint = endpoint(1);
        let mut reply = Vec::new();
        let mut datagram = body;
        if prefix_zero && datagram.len() >= 3 {
            datagram[..3].copy_from_slice(&[0, 0, 0]);
        }
        if let Handled::Reply = endpoint.handle(from(), &datagram, &mut reply) {
            prop_assert!(reply.len() <= datagram.len());
        }

        // A valid request, answered by an application rejection with arbitrary data.
        let request = Request { transport_id: 1, transport_version: 1, protocol_hash: 1, seq };
        ZeroMessage::Request(request).encode(&mut datagram);
        match endpoint.handle(from(), &datagram, &mut reply) {
            Handled::Request(request) => {
                endpoint.reject(request, ReasonCode::FULL, Value::String(data), &mut reply);
                prop_assert!(!reply.is_empty() && reply.len() <= datagram.len());
            }
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}
