//! Every zero message, with any field values and any JSON data, decodes to itself after encoding;
//! padding and unknown members do not change what a message means.

use proptest::prelude::*;
use serde_json::{Value, json};
use stardust_proto::ReasonCode;
use stardust_proto::zero::{Accepted, Close, REQUEST_MIN_SIZE, Rejected, Request, ZeroMessage};

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

fn message() -> impl Strategy<Value = ZeroMessage> {
    prop_oneof![
        (any::<u64>(), any::<u32>(), any::<u64>(), any::<u16>()).prop_map(|(t, v, h, s)| {
            ZeroMessage::Request(Request {
                transport_id: t,
                transport_version: v,
                protocol_hash: h,
                seq: s,
            })
        }),
        (any::<u16>(), any::<u16>(), any::<u16>())
            .prop_map(|(ack, seq, port)| ZeroMessage::Accepted(Accepted { ack, seq, port })),
        (proptest::option::of(any::<u16>()), any::<u16>(), json_value()).prop_map(
            |(ack, code, data)| ZeroMessage::Rejected(Rejected {
                ack,
                code: ReasonCode(code),
                data
            })
        ),
        (any::<u16>(), json_value())
            .prop_map(|(code, data)| ZeroMessage::Close(Close { code: ReasonCode(code), data })),
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
        prop_assert_eq!(ZeroMessage::decode(&buf), Ok(message.clone()));
        buf.resize(buf.len() + padding, b' ');
        if buf.len() <= stardust_proto::zero::ZERO_MAX_SIZE {
            prop_assert_eq!(ZeroMessage::decode(&buf), Ok(message));
        }
    }

    #[test]
    fn unknown_members_are_ignored(ack in any::<u16>(), seq in any::<u16>(), port in any::<u16>()) {
        let json = format!(
            r#"{{"future":[1,2,{{"x":null}}],"port":{port},"seq":{seq},"type":1,"ack":{ack},"z":"s"}}"#
        );
        let datagram = [&[0u8, 0, 0][..], json.as_bytes()].concat();
        prop_assert_eq!(
            ZeroMessage::decode(&datagram),
            Ok(ZeroMessage::Accepted(Accepted { ack, seq, port }))
        );
    }
}
