//! Every zero message, with any field values and any JSON data, decodes to itself after encoding;
//! padding and unknown members do not change what a message means.

use proptest::prelude::*;
use serde_json::{Value, json};
use stardust_proto::ReasonCode;
use stardust_proto::zero::{
    Accepted, AcceptedBody, Close, REQUEST_MIN_SIZE, Rejected, RejectedBody, Request, RequestMode,
    Retry, ZeroMessage,
};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn request() -> impl Strategy<Value = ZeroMessage> {
    let mode = prop_oneof![
        (proptest::option::of(bytes(200)), proptest::option::of(bytes(40)))
            .prop_map(|(noise, cookie)| RequestMode::Secure { noise, cookie }),
        any::<u16>().prop_map(|seq| RequestMode::Insecure { seq }),
    ];
    (any::<u64>(), any::<u32>(), any::<u64>(), any::<u64>(), mode).prop_map(
        |(t, v, h, id, mode)| {
            ZeroMessage::Request(Request {
                transport_id: t,
                transport_version: v,
                protocol_hash: h,
                id,
                mode,
            })
        },
    )
}

fn message() -> impl Strategy<Value = ZeroMessage> {
    let accepted = prop_oneof![
        bytes(200).prop_map(|noise| AcceptedBody::Secure { noise }),
        (any::<u16>(), any::<u16>()).prop_map(|(seq, port)| AcceptedBody::Insecure { seq, port }),
    ];
    let rejected = prop_oneof![
        (any::<u16>(), json_value())
            .prop_map(|(code, data)| RejectedBody::Plain { code: ReasonCode(code), data }),
        bytes(200).prop_map(|noise| RejectedBody::Sealed { noise }),
    ];
    prop_oneof![
        request(),
        (any::<u64>(), accepted)
            .prop_map(|(id, body)| ZeroMessage::Accepted(Accepted { id, body })),
        (proptest::option::of(any::<u64>()), proptest::option::of(any::<u16>()), rejected)
            .prop_map(|(id, ack, body)| ZeroMessage::Rejected(Rejected { id, ack, body })),
        (any::<u16>(), json_value())
            .prop_map(|(code, data)| ZeroMessage::Close(Close { code: ReasonCode(code), data })),
        (any::<u64>(), bytes(40), any::<[u8; 32]>())
            .prop_map(|(id, cookie, key)| ZeroMessage::Retry(Retry { id, cookie, key })),
    ]
}

proptest! {
    #[test]
    fn encode_then_decode_is_the_identity(message in message(), padding in 0usize..300) {
        let mut buf = Vec::new();
        message.encode(&mut buf);
        if let ZeroMessage::Request(_) = message {
            prop_assert!(buf.len() >= REQUEST_MIN_SIZE);
        }
        if buf.len() > stardust_proto::zero::ZERO_MAX_SIZE {
            // Large generated data: too long for one zero message, and refused as such.
            prop_assert_eq!(ZeroMessage::decode(&buf), Err(stardust_proto::zero::ZeroDecodeError::Oversized));
            return Ok(());
        }
        prop_assert_eq!(ZeroMessage::decode(&buf), Ok(message.clone()));
        buf.resize(buf.len() + padding, b' ');
        if buf.len() <= stardust_proto::zero::ZERO_MAX_SIZE {
            prop_assert_eq!(ZeroMessage::decode(&buf), Ok(message));
        }
    }

    #[test]
    fn unknown_members_are_ignored(id in any::<u64>(), seq in any::<u16>(), port in any::<u16>()) {
        let json = format!(
            r#"{{"future":[1,2,{{"x":null}}],"port":{port},"seq":{seq},"type":1,"id":{id},"z":"s"}}"#
        );
        let datagram = [&[0u8, 0, 0][..], json.as_bytes()].concat();
        let body = AcceptedBody::Insecure { seq, port };
        prop_assert_eq!(
            ZeroMessage::decode(&datagram),
            Ok(ZeroMessage::Accepted(Accepted { id, body }))
        );
    }
}
