//! A typed channel's message type is part of the protocol hash: the same id and config with
//! another message type, or without one, gives another hash; a byte channel's hash is
//! unchanged by typed messages existing (its record has no message part).

use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use stardust::channel::ProtocolHasher;
use stardust::prelude::*;

#[derive(Serialize, Deserialize)]
struct LineV1 {
    text: String,
}

#[derive(Serialize, Deserialize)]
struct LineV2 {
    text: String,
}

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000C01)]
struct Bytes;

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000C01, message = LineV1)]
struct TypedV1;

#[derive(Channel)]
#[channel(reliable, ordered, id = 0x000C01, message = LineV2)]
struct TypedV2;

fn hash_with<C: Channel>() -> u64 {
    let mut app = App::new();
    app.add_plugins(StardustPlugin).add_channel::<C>();
    app.world().resource::<ProtocolHash>().0
}

#[test]
fn message_types_change_the_protocol_hash() {
    let (bytes, v1, v2) = (hash_with::<Bytes>(), hash_with::<TypedV1>(), hash_with::<TypedV2>());
    assert_ne!(bytes, v1);
    assert_ne!(v1, v2);

    // The hash follows the documented records: 'C' for the channel, then 'M' and the type
    // name as written in `message = …`.
    let mut hasher = ProtocolHasher::new();
    hasher.channel(0x000C01, &TypedV1::CONFIG);
    hasher.message_type("LineV1");
    assert_eq!(v1, hasher.finish());
    let mut hasher = ProtocolHasher::new();
    hasher.channel(0x000C01, &Bytes::CONFIG);
    assert_eq!(bytes, hasher.finish());
    assert_eq!(TypedV1::MESSAGE_TYPE, Some("LineV1"));
    assert_eq!(Bytes::MESSAGE_TYPE, None);
}
