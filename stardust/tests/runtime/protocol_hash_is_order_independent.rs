//! The protocol hash depends on what is registered, never on the order of registration,
//! and follows the documented algorithm so another implementation can compute it.

use bevy::prelude::*;
use stardust::channel::ProtocolHasher;
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable, ordered, name = "test.chat")]
struct Chat;

#[derive(Channel)]
#[channel(unreliable, sequenced, max_size = 300, priority = 200, name = "test.movement")]
struct Movement;

#[derive(Channel)]
#[channel(reliable, unordered, id = 0x00BEEF)]
struct Events;

fn hash(build: impl FnOnce(&mut App)) -> ProtocolHash {
    let mut app = App::new();
    build(&mut app);
    app.world().get_resource::<ProtocolHash>().copied().unwrap_or_default()
}

#[test]
fn same_channels_and_values_in_any_order_give_the_same_hash() {
    let a = hash(|app| {
        app.add_channel::<Chat>()
            .add_channel::<Movement>()
            .add_channel::<Events>()
            .add_protocol_value("game.version", "1.4.2")
            .add_protocol_value("game.mode", "arena");
    });
    let b = hash(|app| {
        app.add_protocol_value("game.mode", "arena")
            .add_channel::<Events>()
            .add_channel::<Chat>()
            .add_protocol_value("game.version", "1.4.2")
            .add_channel::<Movement>();
    });
    assert_eq!(a, b);
}

#[test]
fn the_hash_follows_the_documented_algorithm() {
    let app_hash = hash(|app| {
        app.add_channel::<Events>().add_channel::<Chat>().add_protocol_value("v", "1");
    });
    // Feed the parts by hand in the documented order: channels by ascending id, then values by key.
    let mut channels = [(Chat::ID, Chat::CONFIG), (Events::ID, Events::CONFIG)];
    channels.sort_by_key(|(id, _)| *id);
    let mut hasher = ProtocolHasher::new();
    for (id, config) in &channels {
        hasher.channel(id.get(), config);
    }
    hasher.value(b"v", b"1");
    assert_eq!(app_hash, ProtocolHash(hasher.finish()));
}

#[test]
fn golden_values_pin_the_algorithm() {
    // Computed outside Rust (FNV-1a 64 over the documented bytes):
    // empty app: "stardust-protocol-v1";
    // one channel 0x00BEEF reliable unordered 1 MiB priority 128:
    // "stardust-protocol-v1" 43 00 BE EF 00 00 00 10 00 00 80.
    assert_eq!(hash(|_| {}), ProtocolHash(0x5549_0628_d18d_8ebe));
    assert_eq!(ProtocolHash::default(), ProtocolHash(0x5549_0628_d18d_8ebe));
    assert_eq!(
        hash(|app| {
            app.add_channel::<Events>();
        }),
        ProtocolHash(0xc049_1ed9_a8e6_bcfe)
    );
}
